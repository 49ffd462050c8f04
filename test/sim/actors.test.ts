// Scripted actors in the two-hosts world (issue 5 item 1): a spammer's relay attempts on b
// (plain, %, !, quoted @, source route) each get the default relay restrictions' "454 4.7.1
// <...>: Relay access denied" and nothing is queued; a client that pauses past
// smtpd_timeout gets "421 4.4.2 ... Error: timeout exceeded" and b logs "timeout after
// EHLO"; a rude client that talks before the greeting and drops the connection mid-DATA
// leaves "lost connection after DATA" and no message; a mail client submits on port 587
// and bob gets it; a scripted remote server's 550 at RCPT bounces one recipient of a's
// message and its 451 defers the other. The spammer/responder world runs twice with the
// same trace. Messages start with "SEED=<n> scenario=<id>".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TraceEvent } from '../../engine/global/trace.ts';
import type { World } from '../../engine/sim/world.ts';
import { relayAttempts, type ActorSpec } from '../../engine/sim/actors/index.ts';
import { twoHosts } from '../../scenarios/two-hosts/scenario.ts';
import { check, runQuiet } from './world.ts';
import { A, B, twoHostsWith } from './fault-world.ts';

const B_ADDRESS = '198.51.100.12';

function actorEvents(world: World, actor: string): Array<Extract<TraceEvent, { kind: 'sim.actor' }>> {
  return world.trace.flatMap((event) => (event.kind === 'sim.actor' && event.actor === actor ? [event] : []));
}

/** The reply each sent line got: pairs of (line sent, next reply), in order. */
function exchanges(world: World, actor: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let pending: string | undefined;
  for (const event of actorEvents(world, actor)) {
    if (event.step === 'send') pending = event.text;
    else if (event.step === 'reply' && pending !== undefined) {
      pairs.push([pending, event.text]);
      pending = undefined;
    }
  }
  return pairs;
}

/** An address as smtpd holds it after extract_addr: no source route, no quotes. */
function internal(address: string): string {
  return address.replace(/^@[^:]*:/, '').replace(/"/g, '');
}

async function queueIsEmpty(world: World, host: string): Promise<string> {
  return (await world.host(host)!.command(['postqueue', '-p'])).output;
}

const SPAMMER: ActorSpec = {
  kind: 'spammer', name: 'spammer', atMs: 2_000, from: '203.0.113.66', to: B_ADDRESS,
  relayTo: 'victim.example', serverDomain: B, helo: 'bulk.example',
};

const RESPONDER: ActorSpec = {
  kind: 'responder', name: 'mx.remote.example', atMs: 0, address: '203.0.113.25',
  replies: {
    rcpt: ['550 5.1.1 <gone@remote.example>: Recipient address rejected: User unknown',
      '451 4.7.1 <later@remote.example>: Recipient address rejected: Try again later'],
  },
};

/** The zone with remote.example's MX at the responder. */
function zoneWithRemote() {
  const dns = structuredClone(twoHosts.dns)!;
  dns.records['remote.example'] = { mx: [{ preference: 10, exchange: 'mx.remote.example' }] };
  dns.records['mx.remote.example'] = { a: ['203.0.113.25'] };
  return dns;
}

const TO_REMOTE = {
  atMs: 3_000, host: A, user: 'alice', argv: ['sendmail', '-f', 'alice@a.example.test', 'gone@remote.example', 'later@remote.example'],
  stdin: 'Subject: to the remote\n\ntwo recipients, two fates\n',
};

test('spammer: every relay trick gets 454 4.7.1 Relay access denied at RCPT; nothing is queued on b', async () => {
  const world = await twoHostsWith({ actors: [SPAMMER] });
  await runQuiet(world);
  const pairs = exchanges(world, 'spammer');
  const rcpts = pairs.filter(([line]) => line.startsWith('RCPT TO:'));
  check(world, rcpts.length === relayAttempts(SPAMMER).length, `RCPT exchanges: ${JSON.stringify(pairs)}`);
  for (const [line, reply] of rcpts) {
    const address = /^RCPT TO:<(.*)>$/.exec(line)![1]!;
    // The reply names the address in internal form (extract_addr): a source route dropped,
    // quotes removed.
    const shown = internal(address);
    check(world, reply === `454 4.7.1 <${shown}>: Relay access denied`, `${line} -> ${reply}`);
  }
  check(world, pairs.filter(([line]) => line.startsWith('MAIL FROM:')).every(([, reply]) => reply === '250 2.1.0 Ok'), `MAIL replies ${JSON.stringify(pairs)}`);
  check(world, pairs.at(-1)?.[1] === '221 2.0.0 Bye', `QUIT reply ${JSON.stringify(pairs.at(-1))}`);
  const logB = await world.host(B)!.maillog();
  for (const address of relayAttempts(SPAMMER)) {
    const shown = internal(address);
    // The log's to=<> is external form again (info_log_address_format = external).
    const logged = address.replace(/^@[^:]*:/, '');
    check(world, logB.some((line) => line.endsWith(`NOQUEUE: reject: RCPT from unknown[203.0.113.66]: 454 4.7.1 <${shown}>: Relay access denied; from=<offers@victim.example> to=<${logged}> proto=ESMTP helo=<bulk.example>`)),
      `no reject line for ${shown}:\n${logB.join('\n')}`);
  }
  check(world, !world.trace.some((event) => event.host === B && event.kind === 'smtpd.client' && event.clientAddress === '203.0.113.66'), 'b opened a queue file for the spammer');
  check(world, world.actors.some((report) => report.actor === 'spammer' && report.transcript?.closed === true), 'spammer transcript');
  // alice's own message still went through.
  check(world, logB.some((line) => line.includes('to=<bob@b.example.test>') && line.includes('status=sent')), 'bob still gets alice\'s message');
  check(world, (await queueIsEmpty(world, B)) === 'Mail queue is empty\n', 'b\'s queue');
});

test('a slow client past smtpd_timeout gets 421 4.4.2 and b logs the timeout', async () => {
  const world = await twoHostsWith({
    actors: [{ kind: 'client', name: 'slow', atMs: 2_000, from: '203.0.113.7', to: B, steps: ['EHLO slow.example', { pauseMs: 301_000 }, 'MAIL FROM:<s@slow.example>'] }],
  });
  await world.fastForward(400_000, { eventsMax: 50_000 });
  const events = actorEvents(world, 'slow');
  const replies = events.filter((event) => event.step === 'reply').map((event) => event.text);
  check(world, replies.includes('421 4.4.2 b.example.test Error: timeout exceeded'), `replies: ${JSON.stringify(replies)}`);
  check(world, events.some((event) => event.step === 'closed'), 'the server closed the connection');
  const logB = await world.host(B)!.maillog();
  check(world, logB.some((line) => / b postfix\/smtpd\[\d+\]: timeout after EHLO from unknown\[203\.0\.113\.7\]$/.test(line)), `no timeout line:\n${logB.join('\n')}`);
});

test('a rude client (talks first, drops the connection mid-DATA) leaves no message behind', async () => {
  const world = await twoHostsWith({
    actors: [{
      kind: 'client', name: 'rude', atMs: 2_000, from: '203.0.113.8', to: B, greeting: false,
      steps: [{ send: 'EHLO rude.example', wait: false }, { read: 2 }, 'MAIL FROM:<r@rude.example>', 'RCPT TO:<bob@b.example.test>', 'DATA',
        { send: 'Subject: cut short\r\n\r\nhalf a mess', raw: true, wait: false }, { pauseMs: 1_000 }, { close: true }],
    }],
  });
  await runQuiet(world);
  const pairs = exchanges(world, 'rude');
  check(world, pairs.some(([line, reply]) => line === 'DATA' && reply.startsWith('354 ')), `DATA: ${JSON.stringify(pairs)}`);
  const logB = await world.host(B)!.maillog();
  check(world, logB.some((line) => / b postfix\/smtpd\[\d+\]: lost connection after DATA \(\d+ bytes\) from unknown\[203\.0\.113\.8\]$/.test(line)), `no lost-connection line:\n${logB.join('\n')}`);
  check(world, !world.trace.some((event) => event.host === B && event.kind === 'delivery.status' && event.recipient === 'bob@b.example.test'
    && world.trace.some((other) => other.kind === 'cleanup.message-id' && other.queueId === event.queueId && other.host === B && other.messageId.includes('rude'))), 'a cut message was delivered');
  check(world, (await queueIsEmpty(world, B)) === 'Mail queue is empty\n', 'b\'s queue');
});

test('a mail client sends at its time on port 25 and bob gets it; port 587 is refused without a submission service', async () => {
  const world = await twoHostsWith({
    actors: [
      {
        kind: 'client', name: 'laptop', atMs: 5_000, from: '203.0.113.9', to: B,
        steps: ['EHLO laptop.example', 'MAIL FROM:<dave@b.example.test>', 'RCPT TO:<bob@b.example.test>', 'DATA',
          { data: 'Subject: from the laptop\n\n.a line with a dot\n' }, 'QUIT'],
      },
      { kind: 'client', name: 'submitter', atMs: 5_000, from: '203.0.113.10', to: B, port: 587, steps: ['EHLO laptop.example'] },
    ],
  });
  await runQuiet(world);
  const pairs = exchanges(world, 'laptop');
  check(world, pairs.at(-2)?.[1].startsWith('250 2.0.0 Ok: queued as ') === true, `end of data: ${JSON.stringify(pairs)}`);
  check(world, pairs.at(-1)?.[1] === '221 2.0.0 Bye', `QUIT: ${JSON.stringify(pairs.at(-1))}`);
  const mailbox = new TextDecoder().decode(await world.host(B)!.platform.fs.readFile('/var/mail/bob'));
  check(world, mailbox.includes('\nSubject: from the laptop\n') && mailbox.includes('\n.a line with a dot\n'), `bob's mailbox:\n${mailbox}`);
  // two-hosts' master.cf has no submission entry: nothing listens on 587.
  check(world, world.host(B)!.runtime()?.services().has('inet/submission') !== true, 'b has no submission service');
  check(world, actorEvents(world, 'submitter').some((event) => event.step === 'error' && event.text.includes('connect to 198.51.100.12:587')), 'port 587 refused');
});

test('a scripted remote: 550 at RCPT bounces gone@, 451 defers later@', async () => {
  const world = await twoHostsWith({ dns: zoneWithRemote(), actors: [RESPONDER], actions: [TO_REMOTE] });
  await runQuiet(world);
  const logA = await world.host(A)!.maillog();
  const both = logA.join('\n');
  check(world, logA.some((line) => line.endsWith('dsn=5.1.1, status=bounced (host mx.remote.example[203.0.113.25] said: 550 5.1.1 <gone@remote.example>: Recipient address rejected: User unknown (in reply to RCPT TO command))')
    && line.includes('to=<gone@remote.example>, relay=mx.remote.example[203.0.113.25]:25,')), `no bounce line:\n${both}`);
  check(world, logA.some((line) => line.endsWith('dsn=4.7.1, status=deferred (host mx.remote.example[203.0.113.25] said: 451 4.7.1 <later@remote.example>: Recipient address rejected: Try again later (in reply to RCPT TO command))')
    && line.includes('to=<later@remote.example>,')), `no deferral line:\n${both}`);
  const mailbox = new TextDecoder().decode(await world.host(A)!.platform.fs.readFile('/var/mail/alice'));
  check(world, mailbox.startsWith('From MAILER-DAEMON ') && mailbox.includes('<gone@remote.example>'), `alice's bounce:\n${mailbox}`);
  const responder = actorEvents(world, 'mx.remote.example');
  check(world, responder.some((event) => event.step === 'reply' && event.text.startsWith('RCPT TO:<gone@remote.example>')), 'the responder saw the RCPT');
});

test('the same actors and seed give the same trace twice', async () => {
  const run = async (): Promise<string> => {
    const world = await twoHostsWith({ dns: zoneWithRemote(), actors: [RESPONDER, SPAMMER], actions: [TO_REMOTE] });
    await runQuiet(world);
    check(world, world.trace.some((event) => event.kind === 'sim.actor'), 'actor events');
    return world.traceLines();
  };
  const first = await run();
  const second = await run();
  assert.ok(first === second, `SEED=${twoHosts.seed} scenario=${twoHosts.id}: traces differ`);
});
