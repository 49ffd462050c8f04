// qmgr keeps a fed message's active file open read-write (qmgr_message_open's O_RDWR)
// until the message is done: a deferral stores its next attempt time through that
// descriptor instead of opening the file again, every descriptor is closed when the
// message leaves active/, and a stop closes those of messages still waiting.
// Uses the qmgr fixtures (fakes.ts) on a sim file system whose open/close are counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestHost, queueMessage, messageInput, exists, START_SECONDS } from './fakes.ts';
import { queueFilePath } from '../../../engine/global/queue/mail-queue.ts';
import { readQueueFile } from '../../../engine/global/queue/queue-file.ts';
import { bytesSource } from '../../../engine/global/queue/record.ts';
import { storedNextAttempt } from '../../../engine/qmgr/retry-time.ts';
import type { FileHandle, FileSystem, OpenFlags } from '../../../engine/platform/types.ts';

/** Counts opens of active/ files by flags and how many of them are still open. */
function countActiveOpens(fs: FileSystem): { opens: string[]; open(): number } {
  const opens: string[] = [];
  let stillOpen = 0;
  const original = fs.open.bind(fs);
  fs.open = async (path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> => {
    const handle = await original(path, flags, mode);
    if (!path.includes('/active/')) return handle;
    opens.push(flags);
    stillOpen++;
    const close = handle.close.bind(handle);
    handle.close = async () => { stillOpen--; await close(); };
    return handle;
  };
  return { opens, open: () => stillOpen };
}

const at = (seconds: number): number => (START_SECONDS + seconds) * 1000;

test('a deferral writes its next attempt time through the descriptor the feed opened; all are closed', async () => {
  let attempts = 0;
  const host = await createTestHost({
    settings: { backoffSecondsMin: 15, backoffSecondsMax: 30, queueRunDelaySeconds: 15 },
    behaviour: () => (++attempts < 3 ? { kind: 'deferred', dsn: '4.4.1', reason: 'Connection refused' } : { kind: 'sent' }),
  });
  const counted = countActiveOpens(host.queue.fs);
  await queueMessage(host, 'incoming', 'H1', messageInput({ recipients: ['late@remote.test'] }));
  await host.manager.start();
  await host.runUntil(at(0));
  const path = queueFilePath(host.queue, 'deferred', 'H1');
  assert.equal(storedNextAttempt(await readQueueFile(bytesSource(await host.queue.fs.readFile(path)), path))?.seconds, START_SECONDS + 15);
  assert.deepEqual(counted.opens, ['r+'], 'one open for the feed and the deferral together');
  assert.equal(counted.open(), 0);
  await host.runUntil(at(100));
  assert.ok(host.log().includes('H1: removed'));
  // One open per attempt (three), and the fake agent's own for marking the delivered
  // recipient done; before, each of the two deferrals opened the file a second time.
  assert.deepEqual(counted.opens, ['r+', 'r+', 'r+', 'r+']);
  assert.equal(counted.open(), 0);
  assert.equal(host.warnings.length, 0);
});

test('a stop closes the descriptors of messages still waiting for an agent; the file stays in active/', async () => {
  const host = await createTestHost({ deliveryMs: 60_000, settings: { initialConcurrency: 1 } });
  const counted = countActiveOpens(host.queue.fs);
  await queueMessage(host, 'incoming', 'W1', messageInput({ recipients: ['one@remote.test'] }));
  await queueMessage(host, 'incoming', 'W2', messageInput({ recipients: ['two@remote.test'] }));
  await host.manager.start();
  await host.runUntil(at(1));
  assert.equal(counted.open(), 2, 'both fed, one delivering, one waiting');
  const stopped = host.manager.stop();
  await host.runUntil(at(120));
  await stopped;
  assert.equal(counted.open(), 0);
  assert.equal(await exists(host, 'active', 'W2'), true);
});
