// The whole host under master: the program table's services started from a stock master.cf
// deliver a message handed to cleanup, in the order and shapes of the reference log (a);
// a message queued just before `postfix stop` is delivered after the next start; a reload
// that drops or adds a master.cf service stops or starts it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MASTER_CF, handToCleanup as handToCleanupAs, type PipelineHost } from './harness.ts';

/** The running cleanup service, as pickup hands bob's submissions over (uid 1002). */
const handToCleanup = (harness: PipelineHost, sender: string, recipients: string[], content: string) =>
  handToCleanupAs(harness, sender, recipients, content, 1002);

/** "program: text" with the time, host and pid dropped. */
const shape = (line: string) => line.slice(16).replace(/^mail postfix\/([\w-]+)\[\d+\]: /, '$1: ');

test('a started host delivers a message and logs it in the order Postfix does (logs/a)', async () => {
  const harness = await createPipelineHost();
  const result = await handToCleanup(harness, 'bob', ['alice@example.test'], 'Subject: test (a)\n\nHello Alice,\n');
  assert.equal(result.status, 0);
  await harness.run();
  const id = result.queueId;
  const lines = (await harness.maillog()).map(shape).filter((line) => line.includes(`${id}:`));
  assert.deepEqual(lines, [
    `cleanup: ${id}: message-id=<20240101000000.${id}@mail.example.test>`,
    `qmgr: ${id}: from=<bob@example.test>, size=${lines[1]!.match(/size=(\d+)/)![1]}, nrcpt=1 (queue active)`,
    `local: ${id}: to=<alice@example.test>, relay=local, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)`,
    `qmgr: ${id}: removed`,
  ]);
  assert.match(await harness.readFile('/var/mail/alice'), /^From bob@example\.test {2}Mon Jan {2}1 00:00:00 2024\n/);
  for (const queue of ['incoming', 'active', 'deferred']) assert.deepEqual(await harness.queueFiles(queue), [], queue);
  await harness.stop();
});

test('a message queued just before stop is delivered after the next start', async () => {
  const harness = await createPipelineHost();
  const result = await handToCleanup(harness, 'bob', ['carol@example.test'], 'Subject: across a restart\n\nhi\n');
  await harness.stop();
  assert.deepEqual(await harness.queueFiles('incoming'), [result.queueId]);
  await harness.run({ forMs: 3_600_000 });
  assert.deepEqual(await harness.queueFiles('incoming'), [result.queueId], 'nothing runs while the host is down');
  await harness.start();
  await harness.run();
  assert.deepEqual(await harness.queueFiles('incoming'), []);
  assert.match(await harness.readFile('/var/mail/carol'), /Subject: across a restart/);
  const log = (await harness.maillog()).map(shape);
  assert.equal(log.filter((line) => line.startsWith('master: daemon started')).length, 2);
  assert.ok(log.includes('master: terminating on signal 15'));
  await harness.stop();
});

test('reload stops services dropped from master.cf and starts added ones', async () => {
  const harness = await createPipelineHost();
  const runtime = harness.runtime!;
  assert.ok(runtime.deliveryAgent('discard') !== undefined);
  const withoutDiscard = DEFAULT_MASTER_CF.split('\n').filter((line) => !line.startsWith('discard ')).join('\n');
  await harness.writeFile('/etc/postfix/master.cf', withoutDiscard);
  await runtime.reload();
  assert.equal(runtime.deliveryAgent('discard'), undefined);
  await harness.writeFile('/etc/postfix/master.cf', `${withoutDiscard}toss      unix  -       -       n       -       -       discard\n`);
  await runtime.reload();
  assert.ok(runtime.deliveryAgent('toss') !== undefined);
  assert.equal(runtime.services().get('toss')?.context.serviceName, 'toss');
  await harness.stop();
});
