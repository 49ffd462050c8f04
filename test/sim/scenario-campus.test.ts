// The campus scenario's outcomes: grace@example.org's message reaches ada's mailbox on the
// internal store through the inbound gateway (inet -> mx -> store, joined by "queued as");
// alan's message from lab1 leaves through the outbound gateway to inet.example.org; the
// spammer's relay attempts through mx.campus.example get Postfix's "Relay access denied",
// both from its own Postfix (relayhost = [mx.campus.example]) and from the scenario's
// spammer actor (engine/sim/actors/, the plain and routed relay tricks).

import { test } from 'node:test';
import { check, openWorld, runQuiet } from './world.ts';
import { relayAttempts } from '../../engine/sim/actors/index.ts';

const MX = 'mx.campus.example';
const STORE = 'store.campus.example';
const OUTBOUND = 'outbound.campus.example';
const LAB1 = 'lab1.cs.campus.example';
const INET = 'inet.example.org';
const SPAMMER = 'bulk.example.net';

/** "to=<rcpt>, relay=R, ... status=sent (250 2.0.0 Ok: queued as ID)" -> [queue id, next id] */
function relayed(lines: readonly string[], recipient: string, relay: string): [string, string] | undefined {
  const escaped = (text: string) => text.replace(/[.[\]]/g, '\\$&');
  const pattern = new RegExp(` postfix/smtp\\[\\d+\\]: (\\w+): to=<${escaped(recipient)}>, relay=${escaped(relay)}:25, .*dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as (\\w+)\\)$`);
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match !== null) return [match[1]!, match[2]!];
  }
  return undefined;
}

test('campus: the Internet host\'s mail to a lab subdomain user reaches the internal store via the gateway', async () => {
  const world = await openWorld('campus');
  check(world, world.boot.length === 7 && world.boot.every((report) => report.exitCode === 0), `boot: ${JSON.stringify(world.boot)}`);
  await runQuiet(world);
  check(world, world.actions.every((report) => report.exitCode === 0), `actions: ${JSON.stringify(world.actions)}`);
  const inet = await world.host(INET)!.maillog();
  const mx = await world.host(MX)!.maillog();
  const store = await world.host(STORE)!.maillog();
  const all = `\n--- inet ---\n${inet.join('\n')}\n--- mx ---\n${mx.join('\n')}\n--- store ---\n${store.join('\n')}`;
  const first = relayed(inet, 'ada@cs.campus.example', 'mx.campus.example[192.0.2.25]');
  check(world, first !== undefined, `inet did not hand ada's message to the MX gateway${all}`);
  const [, mxId] = first;
  check(world, mx.some((line) => line.endsWith(`${mxId}: client=inet.example.org[198.51.100.25]`)), `mx smtpd client= for ${mxId}${all}`);
  // The transport table, not an MX lookup, picks the store: relay=store.campus.example[10.20.0.5].
  const second = relayed(mx, 'ada@cs.campus.example', 'store.campus.example[10.20.0.5]');
  check(world, second !== undefined && second[0] === mxId, `mx did not relay ${mxId} to the store${all}`);
  const storeId = second[1];
  check(world, store.some((line) => line.endsWith(`${storeId}: client=mx.campus.example[192.0.2.25]`)), `store smtpd client=${all}`);
  check(world, store.some((line) => new RegExp(` store postfix/local\\[\\d+\\]: ${storeId}: to=<ada@cs\\.campus\\.example>, relay=local, .*status=sent \\(delivered to mailbox\\)$`).test(line)), `store local delivery${all}`);
  const mailbox = new TextDecoder().decode(await world.host(STORE)!.platform.fs.readFile('/var/mail/ada'));
  check(world, mailbox.startsWith('From grace@example.org '), `mbox:\n${mailbox}`);
  check(world, mailbox.includes(`by mx.campus.example (Postfix) with ESMTP id ${mxId}`) && mailbox.includes(`by store.campus.example (Postfix) with ESMTP id ${storeId}`), `Received headers of both hops:\n${mailbox}`);
  check(world, mailbox.includes('\nSubject: Compilers\n'), mailbox);
  // The gateway itself keeps nothing: no local delivery of ada there, nothing queued.
  check(world, !mx.some((line) => line.includes('postfix/local[') && line.includes('ada@')), `mx delivered locally${all}`);
  for (const name of [INET, MX, STORE]) {
    const listing = await world.host(name)!.command(['postqueue', '-p']);
    check(world, listing.output === 'Mail queue is empty\n', `${name} queue: ${listing.output}`);
  }
  // One message path across the three hosts.
  const path = world.messagePaths().find((candidate) => candidate.stages.some((stage) => stage.host === STORE));
  check(world, path !== undefined && path.stages.map((stage) => stage.host).join(' ') === `${INET} ${MX} ${STORE}`,
    `path: ${JSON.stringify(path?.stages.map((stage) => stage.key))}`);
});

test('campus: a lab host\'s mail to the Internet leaves through the outbound gateway', async () => {
  const world = await openWorld('campus');
  await runQuiet(world);
  const lab1 = await world.host(LAB1)!.maillog();
  const outbound = await world.host(OUTBOUND)!.maillog();
  const inet = await world.host(INET)!.maillog();
  const all = `\n--- lab1 ---\n${lab1.join('\n')}\n--- outbound ---\n${outbound.join('\n')}\n--- inet ---\n${inet.join('\n')}`;
  const first = relayed(lab1, 'grace@example.org', 'outbound.campus.example[192.0.2.26]');
  check(world, first !== undefined, `lab1 did not use its relayhost${all}`);
  check(world, outbound.some((line) => line.endsWith(`${first[1]}: client=lab1.cs.campus.example[10.20.10.11]`)), `outbound accepted from the lab subnet${all}`);
  const second = relayed(outbound, 'grace@example.org', 'inet.example.org[198.51.100.25]');
  check(world, second !== undefined && second[0] === first[1], `outbound did not deliver by MX to inet${all}`);
  check(world, inet.some((line) => line.includes(`${second[1]}: to=<grace@example.org>, relay=local,`) && line.endsWith('status=sent (delivered to mailbox)')), `inet delivery${all}`);
  const mailbox = new TextDecoder().decode(await world.host(INET)!.platform.fs.readFile('/var/mail/grace'));
  check(world, mailbox.includes('Received: from outbound.campus.example (outbound.campus.example [192.0.2.26])'), mailbox);
  check(world, mailbox.includes('Received: from lab1.cs.campus.example (lab1.cs.campus.example [10.20.10.11])'), mailbox);
});

test('campus: the spammer\'s relay attempt through the inbound gateway gets Postfix\'s refusal', async () => {
  const world = await openWorld('campus');
  await runQuiet(world);
  // Through its own Postfix: relayhost = [mx.campus.example].
  const sent = await world.host(SPAMMER)!.command(['sendmail', '-f', 'mallory@bulk.example.net', 'victim@target.example.com'], {
    user: 'mallory', stdin: 'Subject: cheap watches\n\nBuy now.\n',
  });
  check(world, sent.exitCode === 0, `sendmail: ${sent.output}`);
  await runQuiet(world);
  const mx = await world.host(MX)!.maillog();
  const spammer = await world.host(SPAMMER)!.maillog();
  const all = `\n--- mx ---\n${mx.join('\n')}\n--- spammer ---\n${spammer.join('\n')}`;
  check(world, mx.some((line) => /postfix\/smtpd\[\d+\]: NOQUEUE: reject: RCPT from bulk\.example\.net\[203\.0\.113\.66\]: 554 5\.7\.1 <victim@target\.example\.com>: Relay access denied; from=<mallory@bulk\.example\.net> to=<victim@target\.example\.com> proto=ESMTP helo=<bulk\.example\.net>$/.test(line)), `mx reject line${all}`);
  check(world, spammer.some((line) => /postfix\/smtp\[\d+\]: \w+: to=<victim@target\.example\.com>, relay=mx\.campus\.example\[192\.0\.2\.25\]:25, .*dsn=5\.7\.1, status=bounced \(host mx\.campus\.example\[192\.0\.2\.25\] said: 554 5\.7\.1 <victim@target\.example\.com>: Relay access denied \(in reply to RCPT TO command\)\)$/.test(line)), `spammer's bounce${all}`);
  check(world, !mx.some((line) => line.includes('victim@target.example.com') && line.includes('status=')), `mx tried to deliver the spam${all}`);

  // The scenario's spammer actor (3 s in): every relay trick gets the same refusal at RCPT.
  const prober = world.actors.find((report) => report.actor === 'relay-prober');
  check(world, prober?.transcript !== undefined && prober.error === undefined, `spammer actor: ${JSON.stringify(prober)}`);
  const refusals = prober.transcript.replies.filter((reply) => /^554 5\.7\.1 <.+>: Relay access denied$/.test(reply));
  check(world, refusals.length === relayAttempts({ relayTo: 'victim.example.com', serverDomain: 'cs.campus.example' }).length,
    `replies: ${prober.transcript.replies.join(' | ')}`);
  check(world, prober.transcript.replies.includes('554 5.7.1 <victim@victim.example.com>: Relay access denied'), prober.transcript.replies.join(' | '));
  check(world, mx.filter((line) => line.includes('NOQUEUE: reject: RCPT from bulk.example.net[203.0.113.66]: 554 5.7.1 ') && line.includes('from=<offers@bulk.example.net>')).length === refusals.length, `mx reject lines${all}`);
  check(world, mx.some((line) => / postfix\/smtpd\[\d+\]: disconnect from bulk\.example\.net\[203\.0\.113\.66\] ehlo=1 mail=5 rcpt=0\/5 rset=5 quit=1 commands=12\/17$/.test(line)), `mx disconnect line${all}`);
  const queue = await world.host(MX)!.command(['postqueue', '-p']);
  check(world, queue.output === 'Mail queue is empty\n', `mx queue: ${queue.output}`);
});
