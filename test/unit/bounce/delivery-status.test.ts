// The delivery-status library as the agents use it: the 'delivery.status' event with
// log_adhoc()'s delays, the defer/bounce/trace records, done-marking in the queue file,
// soft_bounce, DSN class checks and sendmail -bv/-v modes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  reportSent, reportDeferred, reportBounced, reportExpired, noteAgentHandoff, computeDelays, isValidDsn,
} from '../../../engine/global/delivery-status.ts';
import { readQueueFile } from '../../../engine/global/queue/queue-file.ts';
import { bytesSource } from '../../../engine/global/queue/record.ts';
import { readRecipientLog } from '../../../engine/global/dsn/recipient-log.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import { createBench, writeOriginal, statusOf, REFERENCE_START_MS, type Bench } from './helpers.ts';

type StatusEvent = Extract<TraceEvent, { kind: 'delivery.status' }>;
const statusEvents = (bench: Bench): StatusEvent[] =>
  bench.events.filter((event): event is StatusEvent => event.kind === 'delivery.status');

async function recipientStates(bench: Bench, path: string): Promise<string[]> {
  const file = await readQueueFile(bytesSource(await bench.fs.readFile(path)), path);
  return file.recipients.map((recipient) => recipient.status);
}

test('delays split as log_adhoc: before active, in active until handoff, setup, transmission', () => {
  const request = { arrivalTime: { seconds: 100, microseconds: 500_000 }, activeSinceMs: 100_520 } as Parameters<typeof computeDelays>[0];
  assert.deepEqual(computeDelays(request, 100_530, { agentHandoffMs: 100_525 }), {
    delaySeconds: 0.03, delays: { beforeActiveSeconds: 0.02, inActiveSeconds: 0.005, connectionSetupSeconds: 0, transmissionSeconds: 0.005 } });
  assert.deepEqual(computeDelays(request, 101_500, { agentHandoffMs: 100_600, connectionSetupDoneMs: 101_000 }).delays,
    { beforeActiveSeconds: 0.02, inActiveSeconds: 0.08, connectionSetupSeconds: 0.4, transmissionSeconds: 0.5 });
  // No agent (qmgr deferred or bounced it itself): b runs until now, d stays 0.
  assert.deepEqual(computeDelays(request, 121_500).delays,
    { beforeActiveSeconds: 0.02, inActiveSeconds: 20.98, connectionSetupSeconds: 0, transmissionSeconds: 0 });
  // No queue manager (cleanup bounced): all of it is before active.
  assert.deepEqual(computeDelays({ ...request, activeSinceMs: 0 }, 102_500).delays,
    { beforeActiveSeconds: 2, inActiveSeconds: 0, connectionSetupSeconds: 0, transmissionSeconds: 0 });
  // A clock that went backwards gives zeros, never negative delays.
  assert.equal(computeDelays(request, 90_000).delaySeconds, 0);
});

async function advance(bench: Bench, milliseconds: number): Promise<void> {
  bench.scheduler.after(milliseconds, () => {});
  await bench.scheduler.run({ eventsMax: 10 });
}

test('reportSent: the sent event, no log record, and the recipient marked done', async () => {
  const bench = await createBench();
  const { request, path } = await writeOriginal(bench, { recipients: [{ address: 'carol@example.com', originalRecipient: 'bob@example.com' }] });
  await advance(bench, 15);
  noteAgentHandoff(bench.context, request);
  await advance(bench, 12);
  assert.equal(bench.context.host.platform.clock.nowMs(), REFERENCE_START_MS + 27);
  await reportSent(bench.context, request, statusOf(request, 0, { dsn: '2.0.0', action: 'delivered', reason: 'delivered to mailbox' }));
  const [event] = statusEvents(bench);
  assert.ok(event);
  assert.equal(event.queueId, 'CD08016803D');
  assert.equal(event.service, 'local');
  assert.equal(event.recipient, 'carol@example.com');
  assert.equal(event.originalRecipient, 'bob@example.com');
  assert.equal(event.relay, 'local');
  assert.equal(event.status, 'sent');
  assert.equal(event.dsn, '2.0.0');
  assert.equal(event.text, 'delivered to mailbox');
  assert.equal(event.delaySeconds, 0.027);
  assert.deepEqual(event.delays, { beforeActiveSeconds: 0.01, inActiveSeconds: 0.005, connectionSetupSeconds: 0, transmissionSeconds: 0.012 });
  assert.deepEqual(await recipientStates(bench, path), ['done']);
  assert.equal(await bench.exists(bench.queuePath('trace', request.queueId)), false);
  assert.equal(await bench.exists(bench.queuePath('bounce', request.queueId)), false);
});

test('orig_to is left out when it equals the recipient but for case', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { recipients: [{ address: 'bob@example.com', originalRecipient: 'Bob@Example.com' }] });
  await reportSent(bench.context, request, statusOf(request, 0, { dsn: '2.0.0', action: 'delivered', reason: 'delivered to mailbox' }));
  assert.equal(statusEvents(bench)[0]?.originalRecipient, undefined);
});

test('reportDeferred: a defer/ID record, the deferred event, the recipient stays to do', async () => {
  const bench = await createBench();
  const { request, path } = await writeOriginal(bench, { recipients: [{ address: 'late@remote.test' }] });
  const reason = 'connect to 127.0.0.1[127.0.0.1]:10099: Connection refused';
  await reportDeferred(bench.context, request, statusOf(request, 0, { dsn: '4.4.1', action: 'delayed', relay: 'none', reason }));
  const event = statusEvents(bench)[0];
  assert.equal(event?.status, 'deferred');
  assert.equal(event?.relay, 'none');
  const log = await readRecipientLog(bench.fs, bench.queuePath('defer', request.queueId));
  assert.deepEqual(log.entries.map((entry) => [entry.recipient, entry.status, entry.action, entry.reason, entry.offset]),
    [['late@remote.test', '4.4.1', 'delayed', reason, request.recipients[0]?.offset]]);
  assert.deepEqual(await recipientStates(bench, path), ['todo']);
});

test('reportBounced: a bounce/ID record with action failed, the bounced event, marked done', async () => {
  const bench = await createBench();
  const { request, path } = await writeOriginal(bench);
  await reportBounced(bench.context, request, statusOf(request, 0, { dsn: '5.1.1', reason: 'unknown user: "nosuchuser"' }));
  assert.equal(statusEvents(bench)[0]?.status, 'bounced');
  const log = await readRecipientLog(bench.fs, bench.queuePath('bounce', request.queueId));
  assert.deepEqual(log.entries.map((entry) => [entry.recipient, entry.status, entry.action, entry.reason, entry.dsnOriginalRecipient]),
    [['nosuchuser@example.com', '5.1.1', 'failed', 'unknown user: "nosuchuser"', 'rfc822;nosuchuser@example.com']]);
  assert.deepEqual(await recipientStates(bench, path), ['done']);
});

test('soft_bounce = yes: logged SOFTBOUNCE with 4.x.x, kept in defer/ID, not marked done', async () => {
  const bench = await createBench('soft_bounce = yes\n');
  const { request, path } = await writeOriginal(bench);
  await reportBounced(bench.context, request, statusOf(request, 0, { dsn: '5.1.1', reason: 'unknown user: "nosuchuser"' }));
  const event = statusEvents(bench)[0];
  assert.equal(event?.status, 'SOFTBOUNCE');
  assert.equal(event?.dsn, '4.1.1');
  assert.equal(await bench.exists(bench.queuePath('bounce', request.queueId)), false);
  const log = await readRecipientLog(bench.fs, bench.queuePath('defer', request.queueId));
  assert.deepEqual(log.entries.map((entry) => [entry.status, entry.action]), [['4.1.1', 'delayed']]);
  assert.deepEqual(await recipientStates(bench, path), ['todo']);
});

test('a DSN code of the wrong class is replaced, with Postfix\'s warning', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { recipients: [{ address: 'a@example.com' }, { address: 'b@example.com' }, { address: 'c@example.com' }] });
  await reportSent(bench.context, request, statusOf(request, 0, { dsn: '5.1.1', reason: 'x' }));
  await reportDeferred(bench.context, request, statusOf(request, 1, { dsn: '2.0.0', reason: 'y' }));
  await reportBounced(bench.context, request, statusOf(request, 2, { dsn: 'bogus', reason: 'z' }));
  assert.deepEqual(statusEvents(bench).map((event) => event.dsn), ['2.0.0', '4.0.0', '5.0.0']);
  assert.equal(bench.warnings.text(), [
    'postfix/bounce: warning: sent: ignoring dsn code "5.1.1"',
    'postfix/bounce: warning: defer_append: ignoring dsn code "2.0.0"',
    'postfix/bounce: warning: bounce_append: ignoring dsn code "bogus"', ''].join('\n'));
  assert.equal(isValidDsn('4.7.1'), true);
  assert.equal(isValidDsn('4.7'), false);
});

test('NOTIFY=SUCCESS and sendmail -v record "delivery via" in trace/ID', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { recipients: [{ address: 'alice@example.com', dsnNotify: 2 }, { address: 'bob@example.com' }] });
  await reportSent(bench.context, request, statusOf(request, 0, { dsn: '2.0.0', action: 'delivered', reason: 'delivered to mailbox' }));
  await reportSent(bench.context, request, statusOf(request, 1, { dsn: '2.0.0', action: 'delivered', reason: 'delivered to mailbox' }));
  let log = await readRecipientLog(bench.fs, bench.queuePath('trace', request.queueId));
  assert.deepEqual(log.entries.map((entry) => [entry.recipient, entry.action, entry.reason]),
    [['alice@example.com', 'delivered', 'delivery via local: delivered to mailbox']]);
  const recorded = { ...request, queueId: 'AAAA0000001', flags: { record: true } };
  await reportDeferred(bench.context, recorded, statusOf(recorded, 1, { dsn: '4.4.1', relay: 'none', reason: 'no route' }));
  log = await readRecipientLog(bench.fs, bench.queuePath('trace', recorded.queueId));
  assert.deepEqual(log.entries.map((entry) => [entry.action, entry.reason]), [['delayed', 'no route']]);
});

test('sendmail -bv: deliverable/undeliverable, trace/ID only, nothing in bounce/ or defer/', async () => {
  const bench = await createBench();
  const { request: plain } = await writeOriginal(bench, { recipients: [{ address: 'alice@example.com' }, { address: 'nosuchuser@example.com' }] });
  const request = { ...plain, flags: { verify: true } };
  await reportSent(bench.context, request, statusOf(request, 0, { dsn: '2.0.0', action: 'delivered', reason: 'delivers to mailbox' }));
  await reportBounced(bench.context, request, statusOf(request, 1, { dsn: '5.1.1', reason: 'unknown user: "nosuchuser"' }));
  assert.deepEqual(statusEvents(bench).map((event) => event.status), ['deliverable', 'undeliverable']);
  const log = await readRecipientLog(bench.fs, bench.queuePath('trace', request.queueId));
  assert.deepEqual(log.entries.map((entry) => [entry.action, entry.status]), [['deliverable', '2.0.0'], ['undeliverable', '5.1.1']]);
  assert.equal(await bench.exists(bench.queuePath('bounce', request.queueId)), false);
});

test('a bounce log that cannot be written defers the recipient with 4.3.0', async () => {
  const bench = await createBench();
  const { request, path } = await writeOriginal(bench);
  const failing = { ...bench.core, append: async (log: string, ...rest: unknown[]) => {
    if (log === 'bounce') throw new Error('disk full');
    return bench.core.append(log as 'defer', ...(rest as [string, never]));
  } };
  bench.context.runtime.bounce = () => failing as typeof bench.core;
  await reportBounced(bench.context, request, statusOf(request, 0, { dsn: '5.1.1', reason: 'unknown user' }));
  const event = statusEvents(bench)[0];
  assert.deepEqual([event?.status, event?.dsn, event?.text], ['deferred', '4.3.0', 'bounce or trace service failure']);
  assert.deepEqual(await recipientStates(bench, path), ['todo']);
});

test('reportExpired: the expired event and a non-delivery notice from defer/ID', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { queueName: 'deferred', recipients: [{ address: 'late@remote.test' }] });
  await reportDeferred(bench.context, request, statusOf(request, 0, { dsn: '4.4.1', relay: 'none', reason: 'connection refused' }));
  const newId = await reportExpired(bench.context, { queueId: request.queueId, queueName: 'deferred', sender: 'bob@example.com' });
  assert.ok(newId);
  assert.ok(bench.events.some((event) => event.kind === 'qmgr.expired' && event.sender === 'bob@example.com'));
  assert.equal(bench.submissions[0]?.recipients[0]?.address, 'bob@example.com');
  assert.match(bench.submissions[0]?.content ?? '', /\nAction: failed\nStatus: 4\.4\.1\n/);
  assert.equal(await bench.exists(bench.queuePath('defer', request.queueId)), false);
});
