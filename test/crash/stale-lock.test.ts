// A delivery killed while it held the mailbox's dot-lock leaves USER.lock behind (the node
// SIGKILL test met it: every later delivery to that mailbox deferred "unable to create lock
// file ...: File exists", for good). As Postfix's dot_lockfile does, local(8) now removes
// a lock older than stale_lock_time; a younger one still defers the delivery.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF } from '../pipeline/harness.ts';

const LOCK = '/var/mail/alice.lock';

/** Sets the lock file's time on the virtual clock (memfs stamps files with the wall clock). */
async function lockAged(host: Awaited<ReturnType<typeof createPipelineHost>>, ageSeconds: number): Promise<void> {
  await host.writeFile(LOCK, '');
  const whenMs = host.scheduler.nowMs() - ageSeconds * 1000;
  await host.platform.fs.utimes(LOCK, whenMs, whenMs);
}

test('a dot-lock older than stale_lock_time is broken and the mail delivered', async () => {
  const host = await createPipelineHost();
  await lockAged(host, 501);
  assert.equal((await host.sendmail(['alice'], 'Subject: behind a stale lock\n\nhello\n')).exitCode, 0);
  assert.match(await host.readFile('/var/mail/alice'), /\nSubject: behind a stale lock\n/);
  assert.equal(await host.exists(LOCK), false);
  assert.ok((await host.maillog()).some((line) => / postfix\/local\[\d+\]: \w+: to=<alice@example\.test>, .*status=sent \(delivered to mailbox\)$/.test(line)));
  await host.stop();
});

test('a younger dot-lock defers the delivery; stale_lock_time comes from main.cf', async () => {
  const host = await createPipelineHost({ mainCf: `${DEFAULT_MAIN_CF}stale_lock_time = 2000s\n` });
  await lockAged(host, 600);
  assert.equal((await host.sendmail(['alice'], 'Subject: behind a live lock\n\nhello\n')).exitCode, 0);
  assert.equal(await host.exists('/var/mail/alice'), false);
  const log = await host.maillog();
  assert.ok(log.some((line) => line.includes('status=deferred (cannot update mailbox /var/mail/alice for user alice. '
    + 'unable to create lock file /var/mail/alice.lock: File exists)')), log.join('\n'));
  assert.deepEqual((await host.queueFiles('deferred')).length, 1);
  await host.stop();
});
