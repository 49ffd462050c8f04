// qmgr with fake agents and a postsuper-marked file (group execute bit, MAIL_QUEUE_STAT_EXPIRE):
// with a non-empty defer log the message is returned at once, no delivery assigned and the
// log kept for the notice; without one every recipient goes to the retry transport as
// "4.7.0 message is administratively expired" (qmgr defers it itself when master.cf has no
// retry agent); either way "status=force-expired, returned to sender". A file without the
// bit is delivered as usual. As qmgr_message_alloc/qmgr_message_resolve/qmgr_active_done_25.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestHost, queueMessage, messageInput, exists, START_SECONDS } from './fakes.ts';
import { queueFilePath } from '../../../engine/global/queue/mail-queue.ts';

const EXPIRE_MODE = 0o710;

test('force-expired with a defer log: no delivery, "status=force-expired", the defer log flushed as the notice', async () => {
  const host = await createTestHost({
    setup: async (host) => {
      await queueMessage(host, 'deferred', 'E1', messageInput({ recipients: ['x@b.test'] }), EXPIRE_MODE);
      const log = queueFilePath(host.queue, 'defer', 'E1');
      await host.queue.fs.mkdir(log.slice(0, log.lastIndexOf('/')), { recursive: true });
      await host.queue.fs.writeFile(log, 'recipient=x@b.test status=4.4.1 reason=connection refused\n');
    },
  });
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.deepEqual(host.log(), [
    'E1: deferred -> active',
    'E1: from=<alice@example.com>, size=23, nrcpt=1 (queue active)',
    'E1: from=<alice@example.com>, status=force-expired, returned to sender',
    'E1: removed',
  ]);
  assert.equal(host.agents.get('smtp')?.requests.length, 0);
  assert.deepEqual(host.bounceCalls, ['expire E1']);
  assert.equal(await exists(host, 'active', 'E1'), false);
});

test('force-expired without a defer log: every recipient deferred as "administratively expired", then returned', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'E2', messageInput({ recipients: ['x@b.test', 'bob@example.com'] }), EXPIRE_MODE);
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.equal(host.agents.get('smtp')?.requests.length, 0);
  assert.equal(host.agents.get('local')?.requests.length, 0);
  assert.deepEqual(host.outcomes.map((outcome) => `${outcome.recipient} ${outcome.kind} ${outcome.dsn} ${outcome.reason} ${outcome.transport}`).sort(), [
    'bob@example.com deferred 4.7.0 message is administratively expired retry',
    'x@b.test deferred 4.7.0 message is administratively expired retry',
  ]);
  assert.ok(host.log().includes('E2: from=<alice@example.com>, status=force-expired, returned to sender'), host.log().join('\n'));
  assert.ok(host.log().includes('E2: removed'));
});

test('the same file without the expire bit is delivered', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'E3', messageInput({ recipients: ['x@b.test'] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.equal(host.agents.get('smtp')?.requests.length, 1);
  assert.ok(!host.log().some((line) => line.includes('expired')));
});
