// The two-hosts scenario end to end: alice@a's scripted message reaches bob's mailbox on b;
// a's smtp line (relay=b.example.test[198.51.100.12]:25, status=sent, "queued as ID") and
// b's smtpd client= and local delivered lines join by that ID. Also the World's time
// controls on it: step, a breakpoint ("host b delivers"), fast-forward, and a runaway that
// stops with "SEED=<n> scenario=<id>: stopped after N events".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, openWorld, runQuiet, tag } from './world.ts';

const A = 'a.example.test';
const B = 'b.example.test';

test('alice@a to bob@b: in bob\'s mailbox on b; the maillogs of a and b join by the queued-as id', async () => {
  const world = await openWorld('two-hosts');
  check(world, world.boot.every((report) => report.exitCode === 0), `boot: ${JSON.stringify(world.boot)}`);
  await runQuiet(world);
  check(world, world.actions.length === 1 && world.actions[0]!.exitCode === 0, `action: ${JSON.stringify(world.actions)}`);
  const a = world.host(A)!;
  const b = world.host(B)!;
  const logA = await a.maillog();
  const logB = await b.maillog();
  const both = `\n--- a ---\n${logA.join('\n')}\n--- b ---\n${logB.join('\n')}`;
  const sent = logA.find((line) => / a postfix\/smtp\[\d+\]: \w+: to=<bob@b\.example\.test>, /.test(line));
  const match = /: (\w+): to=<bob@b\.example\.test>, relay=b\.example\.test\[198\.51\.100\.12\]:25, delay=[\d.]+, delays=[\d./]+, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as (\w+)\)$/.exec(sent ?? '');
  check(world, match !== null, `no smtp sent line on a${both}`);
  const [, idA, idB] = match;
  check(world, logA.some((line) => line.includes(`postfix/pickup[`) && line.includes(`${idA}: uid=1001 from=<alice>`)), `pickup line for ${idA}${both}`);
  check(world, logA.some((line) => line.endsWith(`${idA}: removed`)), `a removes ${idA}${both}`);
  check(world, logB.some((line) => / b postfix\/smtpd\[\d+\]: /.test(line) && line.endsWith(`${idB}: client=a.example.test[192.0.2.11]`)), `smtpd client= for ${idB}${both}`);
  check(world, logB.some((line) => new RegExp(` b postfix/local\\[\\d+\\]: ${idB}: to=<bob@b\\.example\\.test>, relay=local, .*status=sent \\(delivered to mailbox\\)$`).test(line)), `local delivery of ${idB}${both}`);
  check(world, logB.some((line) => line.includes(`${idB}: message-id=<`) && line.includes(`.${idA}@a.example.test>`)), `b keeps a's message-id${both}`);
  const mailbox = new TextDecoder().decode(await b.platform.fs.readFile('/var/mail/bob'));
  check(world, /^From alice@a\.example\.test /.test(mailbox), `mbox From_ line:\n${mailbox}`);
  check(world, mailbox.includes(`Received: from a.example.test (a.example.test [192.0.2.11])\n\tby b.example.test (Postfix) with ESMTP id ${idB}`), `Received header:\n${mailbox}`);
  check(world, mailbox.includes('\nSubject: Hello from a\n') && mailbox.includes('crossed from a.example.test to b.example.test by SMTP.\n'), `content:\n${mailbox}`);
  // Nothing left in either queue.
  for (const host of [a, b]) {
    const listing = await host.command(['postqueue', '-p']);
    check(world, listing.output === 'Mail queue is empty\n', `${host.name} queue: ${listing.output}`);
  }
});

test('step fires one event; a breakpoint stops at b\'s local delivery; fast-forward moves the clock', async () => {
  const world = await openWorld('two-hosts');
  const before = world.scheduler.fired;
  const stepped = await world.step();
  assert.equal(world.scheduler.fired, before + 1, tag(world, 'step fired one event'));
  assert.equal(stepped.events, 1, tag(world, 'step outcome'));
  const hit = await world.runUntil((event) => event.host === B && event.kind === 'delivery.status' && event.service === 'local', { eventsMax: 10_000 });
  assert.equal(hit.reason, 'matched', hit.runaway ?? tag(world, `breakpoint not reached: ${hit.reason}`));
  assert.equal(hit.matched?.kind, 'delivery.status', tag(world, 'matched event kind'));
  assert.ok(hit.trace.includes(hit.matched!), tag(world, 'the matched event is in the run\'s trace'));
  assert.equal(world.nowMs() - world.loaded.bootMs >= 1_000, true, tag(world, 'delivery after the 1 s action'));
  const at = world.nowMs();
  const forward = await world.fastForward(3_600_000);
  assert.equal(forward.reason, 'until', tag(world, forward.runaway ?? 'fast-forward'));
  assert.equal(world.nowMs(), at + 3_600_000, tag(world, 'clock after an hour'));
  assert.ok(forward.events > 10, tag(world, `an hour of wakeups fired only ${forward.events} events`));
});

test('a run that reaches its event limit stops with the SEED/scenario message', async () => {
  const world = await openWorld('two-hosts', 5);
  const outcome = await world.runUntil(() => false, { eventsMax: 7 });
  assert.equal(outcome.reason, 'limit', tag(world, 'reason'));
  assert.equal(outcome.events, 7, tag(world, 'events fired'));
  assert.match(outcome.runaway ?? '', /^SEED=5 scenario=two-hosts: stopped after 7 events \(limit 7\) at T\+\d+\.\d{3}s waiting for a breakpoint that never matched; next event: .+; last trace events: /);
  const forward = await world.fastForward(86_400_000, { eventsMax: 3 });
  assert.equal(forward.reason, 'limit', tag(world, 'fast-forward reason'));
  assert.match(forward.runaway ?? '', /^SEED=5 scenario=two-hosts: stopped after 3 events \(limit 3\) at T\+[\d.]+s fast-forwarding 86400000 ms; /);
});

test('a breakpoint bounded in virtual time gives up at withinMs', async () => {
  const world = await openWorld('two-hosts');
  await runQuiet(world);
  const start = world.nowMs();
  const none = await world.runUntil((event) => event.kind === 'qmgr.expired', { withinMs: 120_000 });
  assert.equal(none.reason, 'until', tag(world, `reason ${none.reason}`));
  assert.ok((world.nextEventMs() ?? Infinity) > start + 120_000, tag(world, 'stopped before an event past the window'));
});

test('message paths: alice\'s message is one path, a/ID -> b/ID by relay, with delays per stage', async () => {
  const world = await openWorld('two-hosts');
  await runQuiet(world);
  const paths = world.messagePaths();
  const path = paths.find((candidate) => candidate.origin.startsWith(`${A}/`) && candidate.stages.some((stage) => stage.host === B));
  check(world, path !== undefined, `no path from a to b: ${JSON.stringify(paths.map((entry) => entry.stages.map((stage) => stage.key)))}`);
  check(world, path.stages.length === 2, `stages: ${path.stages.map((stage) => stage.key).join(' -> ')}`);
  const [first, second] = path.stages as [typeof path.stages[0], typeof path.stages[0]];
  check(world, first.host === A && second.host === B, 'hosts in order');
  check(world, first.sender === 'alice@a.example.test' && second.sender === 'alice@a.example.test', `senders ${first.sender} ${second.sender}`);
  check(world, first.messageId !== undefined && first.messageId === second.messageId, 'one message-id on both hosts');
  check(world, first.links.length === 1 && first.links[0]!.kind === 'relay' && first.links[0]!.to === second.key, `link ${JSON.stringify(first.links)}`);
  const relay = first.deliveries[0]!;
  check(world, relay.relay === 'b.example.test[198.51.100.12]:25' && relay.status === 'sent' && relay.text.endsWith(`queued as ${second.queueId}`), JSON.stringify(relay));
  const local = second.deliveries[0]!;
  check(world, local.relay === 'local' && local.recipient === 'bob@b.example.test' && local.status === 'sent', JSON.stringify(local));
  check(world, typeof local.delays.beforeActiveSeconds === 'number' && second.firstMs >= first.firstMs && second.lastMs <= first.lastMs + 1_000, 'timing');
  // The stages agree with the maillogs.
  const logA = await world.host(A)!.maillog();
  check(world, logA.some((line) => line.includes(`${first.queueId}: to=<bob@b.example.test>`) && line.includes(`queued as ${second.queueId})`)), logA.join('\n'));
});
