// qmgr over virtual time: backoff and the next attempt time kept in the queue file, the
// deferred scan every queue_run_delay, delay warnings, expiry (the j reference log's
// timeline), dead destinations, start-up recovery and corrupt files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestHost, queueMessage, messageInput, exists, START_SECONDS, type TestHost } from './fakes.ts';
import { backoffSeconds, isDue, storedNextAttempt, storeNextAttempt, NEXT_ATTEMPT_ATTRIBUTE } from '../../../engine/qmgr/retry-time.ts';
import { queueFilePath } from '../../../engine/global/queue/mail-queue.ts';
import { readQueueFile } from '../../../engine/global/queue/queue-file.ts';
import { bytesSource, encodeRecord, RecordType } from '../../../engine/global/queue/record.ts';
import { makeDueNow } from '../../../engine/qmgr/api.ts';

const at = (seconds: number): number => (START_SECONDS + seconds) * 1000;

async function readFile(host: TestHost, queueName: string, id: string) {
  const path = queueFilePath(host.queue, queueName, id);
  return readQueueFile(bytesSource(await host.queue.fs.readFile(path)), path);
}

test('backoff is the time in queue, bounded by minimal_ and maximal_backoff_time', () => {
  const limits = { backoffSecondsMin: 300, backoffSecondsMax: 4000 };
  assert.equal(backoffSeconds(1000, 1000, limits), 300);
  assert.equal(backoffSeconds(1000 + 301, 1000, limits), 301);
  assert.equal(backoffSeconds(1000 + 1200, 1000, limits), 1200);
  assert.equal(backoffSeconds(1000 + 99_999, 1000, limits), 4000);
  assert.equal(backoffSeconds(5000, undefined, limits), 300);
  assert.equal(backoffSeconds(5000, 0, limits), 300);
  assert.equal(isDue(undefined, 10), true);
  assert.equal(isDue(11, 10), true, 'one second of slack, as qmgr_active_feed');
  assert.equal(isDue(12, 10), false);
});

test('the next attempt time is inserted before the end record, then rewritten in place', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'deferred', 'R1', messageInput({ recipients: ['x@remote.test'] }));
  const path = queueFilePath(host.queue, 'deferred', 'R1');
  const before = await host.queue.fs.readFile(path);
  const handle = await host.queue.fs.open(path, 'r+');
  assert.equal(await storeNextAttempt(handle, await readQueueFile(bytesSource(before), path), 1_795_340_000), 'stored');
  const once = await host.queue.fs.readFile(path);
  assert.deepEqual(once.subarray(0, before.length - 2), before.subarray(0, before.length - 2), 'nothing before the end record moves');
  const attribute = encodeRecord(RecordType.attribute, `${NEXT_ATTEMPT_ATTRIBUTE}=     1795340000`);
  assert.deepEqual(once.subarray(before.length - 2), new Uint8Array([...attribute, RecordType.end, 0]));
  const file = await readQueueFile(bytesSource(once), path);
  assert.equal(file.complete, true);
  assert.equal(storedNextAttempt(file)?.seconds, 1_795_340_000);
  await storeNextAttempt(handle, file, 1_795_349_999);
  await handle.close();
  const twice = await host.queue.fs.readFile(path);
  assert.equal(twice.length, once.length);
  assert.equal(storedNextAttempt(await readQueueFile(bytesSource(twice), path))?.seconds, 1_795_349_999);
  assert.equal(await makeDueNow(host.queue, 'deferred', 'R1', 1_795_300_000), true);
  assert.equal(storedNextAttempt(await readFile(host, 'deferred', 'R1'))?.seconds, 1_795_300_000);
});

test('the real postcat reads a file with the next attempt record', { skip: !existsSync('/usr/sbin/postcat') }, async () => {
  const host = await createTestHost();
  await queueMessage(host, 'deferred', 'R2', messageInput({ recipients: ['x@remote.test'] }));
  const path = queueFilePath(host.queue, 'deferred', 'R2');
  const handle = await host.queue.fs.open(path, 'r+');
  await storeNextAttempt(handle, await readQueueFile(bytesSource(await host.queue.fs.readFile(path)), path), 1_795_340_000);
  await handle.close();
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-qmgr-'));
  try {
    writeFileSync(join(directory, 'main.cf'), `queue_directory = ${directory}\ncompatibility_level = 3.6\n`);
    writeFileSync(join(directory, 'R2'), await host.queue.fs.readFile(path));
    const result = spawnSync('/usr/sbin/postcat', ['-c', directory, '-e', join(directory, 'R2')], { encoding: 'utf8', env: { TZ: 'UTC', LANG: 'C' } });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /\*\*\* HEADER EXTRACTED .*R2 \*\*\*\nnamed_attribute: mtalab_next_attempt_time=1795340000\n\*\*\* MESSAGE FILE END/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a deferred message waits in deferred/ until its stored time, then is retried', async () => {
  let attempts = 0;
  const host = await createTestHost({
    settings: { backoffSecondsMin: 15, backoffSecondsMax: 30, queueRunDelaySeconds: 15 },
    behaviour: () => (++attempts < 4 ? { kind: 'deferred', dsn: '4.4.1', reason: 'Connection refused' } : { kind: 'sent' }),
  });
  await queueMessage(host, 'incoming', 'S1', messageInput({ recipients: ['late@remote.test'] }));
  await host.manager.start();
  await host.runUntil(at(0));
  assert.equal(await exists(host, 'deferred', 'S1'), true);
  assert.equal(storedNextAttempt(await readFile(host, 'deferred', 'S1'))?.seconds, START_SECONDS + 15);
  assert.equal(await exists(host, 'defer', 'S1'), true, 'the defer log stays beside the deferred file');
  await host.runUntil(at(14));
  assert.equal(host.agents.get('smtp')?.requests.length, 1, 'the scan at +0 found nothing due');
  await host.runUntil(at(200));
  const times = host.agents.get('smtp')?.requests.map((request) => request.activeSinceMs / 1000 - START_SECONDS);
  // Scans every 15 s; backoff = age bounded to 15..30 s: tried at 0, 15 (age 15), 30 (age 30), 60.
  assert.deepEqual(times, [0, 15, 30, 60]);
  assert.ok(host.log().includes('S1: removed'));
  assert.equal(await exists(host, 'defer', 'S1'), false, 'the defer log is reset when the file enters active');
  assert.equal(host.warnings.length, 0);
});

test('a scan sees a stored time rewritten in place after it remembered the old one (makeDueNow)', async () => {
  let attempts = 0;
  const host = await createTestHost({
    settings: { backoffSecondsMin: 1000, backoffSecondsMax: 4000, queueRunDelaySeconds: 15 },
    behaviour: () => (++attempts < 2 ? { kind: 'deferred' } : { kind: 'sent' }),
  });
  await queueMessage(host, 'incoming', 'S3', messageInput({ recipients: ['late@remote.test'] }));
  await host.manager.start();
  await host.runUntil(at(40));
  assert.equal(host.agents.get('smtp')?.requests.length, 1, 'scans at +15 and +30 found it not due');
  assert.equal(await makeDueNow(host.queue, 'deferred', 'S3', START_SECONDS + 40), true);
  await host.runUntil(at(50));
  assert.equal(host.agents.get('smtp')?.requests.length, 2, 'the scan at +45 read the new time');
  assert.ok(host.log().includes('S3: removed'));
});

test('postqueue -f flushes a deferred message before its time has come', async () => {
  let attempts = 0;
  const host = await createTestHost({ behaviour: () => (++attempts < 2 ? { kind: 'deferred' } : { kind: 'sent' }) });
  await queueMessage(host, 'incoming', 'S2', messageInput({ recipients: ['late@remote.test'] }));
  await host.manager.start();
  await host.runUntil(at(10));
  assert.equal(await exists(host, 'deferred', 'S2'), true);
  host.manager.wake('flush-deferred');
  await host.runUntil(at(11));
  assert.ok(host.log().includes('S2: removed'));
});

test('the j reference timeline: a delay warning once, then expiry with a non-delivery notice', async () => {
  const host = await createTestHost({
    settings: { backoffSecondsMin: 15, backoffSecondsMax: 30, queueRunDelaySeconds: 15, queueLifetimeSeconds: 90, bounceQueueLifetimeSeconds: 90, delayWarningSeconds: 20 },
    behaviour: () => ({ kind: 'deferred', dsn: '4.4.1', reason: 'connect to 127.0.0.1[127.0.0.1]:10099: Connection refused' }),
  });
  await queueMessage(host, 'incoming', '9143116804A', messageInput({ recipients: ['late@remote.test'], warnAt: START_SECONDS + 20 }));
  await host.manager.start();
  await host.runUntil(at(300));
  const times = host.agents.get('smtp')?.requests.map((request) => request.activeSinceMs / 1000 - START_SECONDS);
  assert.deepEqual(times, [0, 15, 30, 60, 90]);
  assert.deepEqual(host.bounceCalls, ['warn 9143116804A', 'expire 9143116804A']);
  assert.deepEqual(host.log().slice(-4), [
    '9143116804A: from=<alice@example.com>, size=23, nrcpt=1 (queue active)',
    '9143116804A: smtp:remote.test late@remote.test',
    '9143116804A: from=<alice@example.com>, status=expired, returned to sender',
    '9143116804A: removed',
  ]);
  assert.equal(host.agents.get('smtp')?.requests.at(-1)?.flags?.lastAttempt, true);
  assert.equal(await exists(host, 'deferred', '9143116804A'), false);
});

test('the delay warning marks the W record as sent (-1), so it goes out once', async () => {
  let attempts = 0;
  const host = await createTestHost({
    settings: { backoffSecondsMin: 15, backoffSecondsMax: 15, queueRunDelaySeconds: 15, delayWarningSeconds: 20 },
    behaviour: () => (++attempts < 5 ? { kind: 'deferred' } : { kind: 'sent' }),
  });
  await queueMessage(host, 'incoming', 'W1', messageInput({ recipients: ['late@remote.test'], warnAt: START_SECONDS + 20 }));
  await host.manager.start();
  await host.runUntil(at(31));
  assert.deepEqual(host.bounceCalls, ['warn W1']);
  assert.equal((await readFile(host, 'deferred', 'W1')).warningTime?.seconds, -1);
  await host.runUntil(at(200));
  assert.deepEqual(host.bounceCalls, ['warn W1']);
  assert.equal(host.agents.get('smtp')?.requests.at(-1)?.flags?.recordDelayedSent, true);
});

test('mail from the null sender expires after bounce_queue_lifetime', async () => {
  const host = await createTestHost({
    settings: { backoffSecondsMin: 10, backoffSecondsMax: 10, queueRunDelaySeconds: 10, bounceQueueLifetimeSeconds: 25 },
    behaviour: () => ({ kind: 'deferred' }),
  });
  await queueMessage(host, 'incoming', 'X1', messageInput({ sender: '', recipients: ['late@remote.test'] }));
  await host.manager.start();
  await host.runUntil(at(100));
  assert.deepEqual(host.bounceCalls, ['expire X1']);
  assert.ok(host.log().includes('X1: from=<>, status=expired, returned to sender'));
});

test('a dead destination defers what waits for it and comes back after minimal_backoff_time', async () => {
  const host = await createTestHost({ deadDestinations: ['dead.test'], deliveryMs: 10, settings: { initialConcurrency: 1, backoffSecondsMin: 60, queueRunDelaySeconds: 1000 } });
  for (const id of ['T1', 'T2', 'T3']) await queueMessage(host, 'incoming', id, messageInput({ recipients: [`u@dead.test`] }));
  await host.manager.start();
  await host.runUntil(at(5));
  assert.equal(host.agents.get('smtp')?.requests.length, 1, 'one connection attempt; the rest wait and are deferred');
  assert.deepEqual(host.outcomes.map((o) => `${o.queueId} ${o.dsn} ${o.reason}`), [
    'T1 4.4.1 connect to x: Connection refused',
    'T2 4.4.1 delivery temporarily suspended: connect to x: Connection refused',
    'T3 4.4.1 delivery temporarily suspended: connect to x: Connection refused',
  ]);
  for (const id of ['T1', 'T2', 'T3']) assert.equal(await exists(host, 'deferred', id), true);
  await queueMessage(host, 'incoming', 'T4', messageInput({ recipients: ['v@dead.test'] }));
  host.manager.wake('scan-incoming');
  await host.runUntil(at(6));
  assert.equal(host.outcomes.at(-1)?.reason, 'delivery temporarily suspended: connect to x: Connection refused');
  assert.equal(host.agents.get('smtp')?.requests.length, 1);
  host.manager.wake('flush-deferred');
  await host.runUntil(at(7));
  assert.equal(host.agents.get('smtp')?.requests.length, 2, 'a flush revives the destination');
});

test('flush-dead (QMGR_REQ_FLUSH_DEAD) forgets dead destinations but starts no scan; the next scan tries again', async () => {
  const host = await createTestHost({ deadDestinations: ['dead.test'], deliveryMs: 10, settings: { initialConcurrency: 1, backoffSecondsMin: 600, queueRunDelaySeconds: 1000 } });
  for (const id of ['V1', 'V2']) await queueMessage(host, 'incoming', id, messageInput({ recipients: ['u@dead.test'] }));
  await host.manager.start();
  await host.runUntil(at(5));
  assert.equal(host.agents.get('smtp')?.requests.length, 1);
  host.manager.wake('flush-dead');
  await host.runUntil(at(6));
  assert.equal(host.agents.get('smtp')?.requests.length, 1, 'no scan started by the flush-dead trigger alone');
  await queueMessage(host, 'incoming', 'V3', messageInput({ recipients: ['w@dead.test'] }));
  host.manager.wake('scan-incoming');
  await host.runUntil(at(7));
  assert.equal(host.agents.get('smtp')?.requests.length, 2, 'the destination was revived: V3 is tried, not suspended');
});

test('start-up recovery moves active/ back to incoming/ and delivers it', async () => {
  const host = await createTestHost({ setup: async (queue) => { await queueMessage(queue, 'active', 'U1', messageInput({ recipients: ['bob@example.com'] })); } });
  await host.manager.start();
  await host.runUntil(at(0));
  assert.deepEqual(host.log(), [
    'U1: active -> incoming',
    'U1: incoming -> active',
    'U1: from=<alice@example.com>, size=23, nrcpt=1 (queue active)',
    'U1: local:example.com bob@example.com',
    'U1: removed',
  ]);
});

test('a file without its end record goes to corrupt/ with Postfix warnings, after "(queue active)"', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'V1', messageInput({ recipients: ['bob@example.com'] }));
  const path = queueFilePath(host.queue, 'incoming', 'V1');
  const bytes = await host.queue.fs.readFile(path);
  await host.queue.fs.writeFile(path, bytes.subarray(0, bytes.length - 2));
  await host.queue.fs.writeFile(queueFilePath(host.queue, 'incoming', 'V2'), new Uint8Array([0x43, 0xff, 0xff, 0xff]));
  await host.queue.fs.chmod(queueFilePath(host.queue, 'incoming', 'V2'), 0o700);
  await host.manager.start();
  await host.runUntil(at(0));
  assert.deepEqual(host.warnings, [
    'V1: message rejected: missing end record',
    'saving corrupt file "V1" from queue "active" to queue "corrupt"',
    `${host.queue.queueDirectory}/active/V2: unexpected EOF reading length, record type 67`,
    'V2: message rejected: missing end record',
    'saving corrupt file "V2" from queue "active" to queue "corrupt"',
  ]);
  assert.ok(host.log().includes('V1: from=<alice@example.com>, size=23, nrcpt=1 (queue active)'));
  assert.ok(!host.log().some((line) => line.startsWith('V2: from=')));
  assert.equal(await exists(host, 'corrupt', 'V1'), true);
  assert.equal(await exists(host, 'corrupt', 'V2'), true);
  assert.equal(host.agents.get('local')?.requests.length, 0);
});

test('a file whose recipients are all done is removed at once', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'Y1', messageInput({ recipients: ['bob@example.com'] }));
  const file = await readFile(host, 'incoming', 'Y1');
  const handle = await host.queue.fs.open(queueFilePath(host.queue, 'incoming', 'Y1'), 'r+');
  await handle.write(new Uint8Array([RecordType.doneRecipient]), file.recipients[0]?.offset);
  await handle.close();
  await host.manager.start();
  await host.runUntil(at(0));
  assert.deepEqual(host.log().slice(-1), ['Y1: removed']);
  assert.equal(host.agents.get('local')?.requests.length, 0);
});

test('the j reference log, second by second: attempts at +0, +21, +51, +81, +111, warning at +21, expiry at +111', async () => {
  // logs/j-bounce-queue-lifetime.log: queue_run_delay 15s, backoff 15..30s, lifetimes 90s,
  // delay_warning_time 20s; the message arrived 9 s after a deferred scan.
  const host = await createTestHost({
    settings: { backoffSecondsMin: 15, backoffSecondsMax: 30, queueRunDelaySeconds: 15, queueLifetimeSeconds: 90, bounceQueueLifetimeSeconds: 90, delayWarningSeconds: 20 },
    behaviour: () => ({ kind: 'deferred', dsn: '4.4.1', reason: 'connect to 127.0.0.1[127.0.0.1]:10099: Connection refused' }),
  });
  await host.manager.start();
  await host.runUntil(at(9));
  await queueMessage(host, 'incoming', '9143116804A', messageInput({ recipients: ['late@remote.test'], arrival: START_SECONDS + 9, warnAt: START_SECONDS + 9 + 20 }));
  host.manager.wake('scan-incoming');
  const warnedAt: number[] = [];
  const bounce = host.environment.bounce;
  const warnDelayed = bounce.warnDelayed.bind(bounce);
  bounce.warnDelayed = (queueId, queueName) => { warnedAt.push(host.nowSeconds() - START_SECONDS - 9); return warnDelayed(queueId, queueName); };
  await host.runUntil(at(300));
  const delays = host.agents.get('smtp')?.requests.map((request) => request.activeSinceMs / 1000 - START_SECONDS - 9);
  assert.deepEqual(delays, [0, 21, 51, 81, 111]);
  assert.deepEqual(warnedAt, [21]);
  const expired = host.events.findIndex((event) => event.kind === 'qmgr.expired');
  assert.ok(expired > 0);
  assert.equal(host.events.filter((event) => event.kind === 'qmgr.active').length, 5);
});

test('a stored time is 15 columns of spaces then digits; a torn, blank or odd-width value is absent', () => {
  const fileWith = (value: string) => ({ records: [{ type: RecordType.attribute, offset: 100, payload: new TextEncoder().encode(`${NEXT_ATTEMPT_ATTRIBUTE}=${value}`) }] }) as never;
  assert.deepEqual(storedNextAttempt(fileWith('     1795340000')), { seconds: 1_795_340_000, valueOffset: 100 + 2 + NEXT_ATTEMPT_ATTRIBUTE.length + 1 });
  assert.equal(storedNextAttempt(fileWith('000000000000042'))?.seconds, 42);
  for (const bad of ['               ', '     17953x0000', '    1795340000', '      1795340000', ' 1795340000    ', '     1795\u00e940000']) {
    assert.equal(storedNextAttempt(fileWith(bad)), undefined, JSON.stringify(bad));
  }
});
