// Faults in the two-hosts world (issue 5 item 4): a link down defers a's mail with smtp's
// "connect to ...: Connection timed out" and a flush after the link is back delivers it; a
// crashed b refuses ("Connection refused") until it restarts; a crash of a right after
// sendmail accepted alice's message loses nothing (the restarted a delivers it); DNS
// SERVFAIL defers with Postfix's "Name service error ... Host not found, try again"; a
// nearly full disk on b makes b's smtpd answer MAIL with "452 4.3.1 Insufficient system
// storage", logged and warned as Postfix's smtpd_check_queue() does. The scripted fault
// scenario runs twice with the same trace. Messages start with "SEED=<n> scenario=<id>".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { twoHosts } from '../../scenarios/two-hosts/scenario.ts';
import type { ScenarioDefinition } from '../../engine/sim/scenario.ts';
import type { World } from '../../engine/sim/world.ts';
import { check, runQuiet, TEST_EVENTS_MAX } from './world.ts';
import { A, B, isDelivery, twoHostsWith, until } from './fault-world.ts';

async function bobsMailbox(world: World): Promise<string> {
  try {
    return new TextDecoder().decode(await world.host(B)!.platform.fs.readFile('/var/mail/bob'));
  } catch {
    return '';
  }
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

const LINK_DOWN: ScenarioDefinition['faults'] = [{ atMs: 500, kind: 'link-down', between: [A, B] }];

test('link down: a defers with "Connection timed out"; link up and a flush deliver', async () => {
  const world = await twoHostsWith({ faults: LINK_DOWN });
  const deferred = await until(world, isDelivery(A, 'deferred'), 'no deferral on a');
  const logA = await world.host(A)!.maillog();
  check(world, logA.some((line) => / a postfix\/smtp\[\d+\]: \w+: to=<bob@b\.example\.test>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=4\.4\.1, status=deferred \(connect to b\.example\.test\[198\.51\.100\.12\]:25: Connection timed out\)$/.test(line)),
    `no timed-out deferral line:\n${logA.join('\n')}`);
  check(world, world.trace.some((event) => event.kind === 'sim.fault' && event.fault === 'link-down'), 'no sim.fault event');
  check(world, world.nowMs() - deferred.atMs < 1_000 && deferred.atMs - world.loaded.bootMs >= 30_000, 'the timeout took smtp_connect_timeout');
  world.faults.linkUp(A, B);
  const flush = await world.host(A)!.command(['postqueue', '-f']);
  check(world, flush.exitCode === 0, `postqueue -f: ${flush.output}`);
  await until(world, isDelivery(B, 'sent'), 'no delivery on b after the link came back');
  await runQuiet(world);
  check(world, count(await bobsMailbox(world), '\nSubject: Hello from a\n') === 1, 'bob has the message once');
});

test('b crashed: a is refused; b restarts, a flush delivers; a crash of a after sendmail loses nothing', async () => {
  const world = await twoHostsWith({ faults: [{ atMs: 500, kind: 'crash', host: B }] });
  await until(world, isDelivery(A, 'deferred'), 'no deferral on a');
  const logA = await world.host(A)!.maillog();
  check(world, logA.some((line) => line.endsWith('dsn=4.4.1, status=deferred (connect to b.example.test[198.51.100.12]:25: Connection refused)')),
    `no refused deferral line:\n${logA.join('\n')}`);
  const crash = world.trace.find((event) => event.kind === 'sim.fault' && event.fault === 'crash');
  check(world, crash !== undefined && crash.host === B, 'crash event');
  const report = await world.faults.restart(B);
  check(world, report.exitCode === 0, `postfix start on b: ${report.output}`);
  check(world, world.faults.isUp(B), 'b is up');
  await world.host(A)!.command(['postqueue', '-f']);
  await until(world, isDelivery(B, 'sent'), 'no delivery on b after the restart');
  await runQuiet(world);
  check(world, count(await bobsMailbox(world), '\nSubject: Hello from a\n') === 1, 'bob has the message once');
  // The first boot's maillog lines were never synced: the crash may take them; the trace keeps both starts.
  const starts = world.trace.filter((event) => event.host === B && event.kind === 'command.exit' && event.argv.join(' ') === 'postfix start' && event.exitCode === 0);
  check(world, starts.length === 2, `b's Postfix started ${starts.length} times`);
  const logB = await world.host(B)!.maillog();
  check(world, logB.some((line) => line.includes('postfix/master[') && line.includes('daemon started')), `the restarted master logs:\n${logB.join('\n')}`);

  // Now a crashes the moment its sendmail has said yes; the restarted a still delivers.
  const accepted = await world.host(A)!.command(['sendmail', '-f', 'carol@a.example.test', 'bob@b.example.test'], { user: 'carol', stdin: 'Subject: survives a crash\n\naccepted is a promise\n' });
  check(world, accepted.exitCode === 0, `sendmail: ${accepted.output}`);
  const lost = await world.faults.crash(A);
  check(world, !lost.some((path) => path.includes('/maildrop/')), `the accepted maildrop file was unsynced: ${lost.join(' ')}`);
  await world.fastForward(5_000, { eventsMax: TEST_EVENTS_MAX });
  const again = await world.faults.restart(A);
  check(world, again.exitCode === 0, `postfix start on a: ${again.output}`);
  await runQuiet(world);
  await world.fastForward(20 * 60_000, { eventsMax: TEST_EVENTS_MAX });
  check(world, count(await bobsMailbox(world), '\nSubject: survives a crash\n') >= 1, 'the message accepted before the crash reached bob');
});

test('DNS SERVFAIL for b: a defers with Postfix\'s name service error', async () => {
  const world = await twoHostsWith({ faults: [{ atMs: 500, kind: 'dns', name: B, failure: 'SERVFAIL' }] });
  await until(world, isDelivery(A, 'deferred'), 'no deferral on a');
  const logA = await world.host(A)!.maillog();
  check(world, logA.some((line) => line.endsWith('relay=none, delay=0, delays=0/0/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=b.example.test type=MX: Host not found, try again)')),
    `no SERVFAIL deferral line:\n${logA.join('\n')}`);
  world.faults.dns(B, 'ok');
  await world.host(A)!.command(['postqueue', '-f']);
  await until(world, isDelivery(B, 'sent'), 'no delivery after DNS answers again');
});

test('disk nearly full on b: b\'s smtpd answers MAIL with 452 4.3.1 Insufficient system storage', async () => {
  const world = await twoHostsWith({ faults: [{ atMs: 500, kind: 'disk', host: B, freeBytes: 1_000_000 }] });
  await until(world, isDelivery(A, 'deferred'), 'no deferral on a');
  const logA = await world.host(A)!.maillog();
  check(world, logA.some((line) => line.endsWith('dsn=4.3.1, status=deferred (host b.example.test[198.51.100.12] said: 452 4.3.1 Insufficient system storage (in reply to MAIL FROM command))')),
    `no 452 deferral line on a:\n${logA.join('\n')}`);
  const logB = await world.host(B)!.maillog();
  check(world, logB.some((line) => / b postfix\/smtpd\[\d+\]: NOQUEUE: reject: MAIL from a\.example\.test\[192\.0\.2\.11\]: 452 4\.3\.1 Insufficient system storage; proto=ESMTP helo=<a\.example\.test>$/.test(line)),
    `no reject line on b:\n${logB.join('\n')}`);
  check(world, logB.some((line) => / b postfix\/smtpd\[\d+\]: warning: not enough free space in mail queue: \d+ bytes < 1\.5\*message size limit$/.test(line)),
    `no free-space warning on b:\n${logB.join('\n')}`);
  world.faults.disk(B, undefined);
  await world.host(A)!.command(['postqueue', '-f']);
  await until(world, isDelivery(B, 'sent'), 'no delivery once b has room');
});

test('the same faults and seed give the same trace twice', async () => {
  const faults: ScenarioDefinition['faults'] = [
    { atMs: 500, kind: 'link-down', between: [A, [B]] },
    { atMs: 40_000, kind: 'link-up', between: [A, B] },
    { atMs: 41_000, kind: 'latency', between: [A, B], latencyMs: 250 },
    { atMs: 42_000, kind: 'crash', host: B },
    { atMs: 45_000, kind: 'restart', host: B },
  ];
  const run = async (): Promise<string> => {
    const world = await twoHostsWith({ faults });
    await world.fastForward(30 * 60_000, { eventsMax: TEST_EVENTS_MAX });
    await runQuiet(world);
    check(world, world.trace.filter((event) => event.kind === 'sim.fault').length === 5, 'five fault events');
    return world.traceLines();
  };
  const first = await run();
  const second = await run();
  assert.ok(first === second, `SEED=${twoHosts.seed} scenario=${twoHosts.id}: traces differ`);
});
