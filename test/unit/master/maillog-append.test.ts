// The maillog writer's append descriptor (engine/global/maillog/writer.ts): one open per
// file for many batches, a new file after maillog_file changes, after the log is renamed or
// removed (seen within REOPEN_CHECK_MS of platform time), the descriptor let go when the
// writer stops, a descriptor closed under the writer (a sim disk crash) replaced without
// losing lines, and a crash dropping the unsynced lines as the sim disk promises.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMaillogWriter, REOPEN_CHECK_MS, type MaillogSettings } from '../../../engine/global/maillog/writer.ts';
import { createTraceSink } from '../../../engine/global/trace.ts';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import type { FileHandle, FileSystem, OpenFlags } from '../../../engine/platform/types.ts';

const decoder = new TextDecoder();

/** The sim file system with its open() and close() calls counted. */
function counted(fs: FileSystem): { fs: FileSystem; opens: () => number; openNow: () => number } {
  let opens = 0;
  let open = 0;
  const wrapped: FileSystem = {
    ...fs,
    open: async (path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> => {
      const handle = await fs.open(path, flags, mode);
      opens++;
      open++;
      return { ...handle, write: handle.write.bind(handle), read: handle.read.bind(handle), sync: handle.sync.bind(handle),
        truncate: handle.truncate.bind(handle), stat: handle.stat.bind(handle),
        close: async () => { open--; await handle.close(); } };
    },
  };
  return { fs: wrapped, opens: () => opens, openNow: () => open };
}

async function setUp(path = '/var/log/maillog') {
  const platform = createSimPlatform({ hostName: 'h', seed: 1 });
  let nowMs = 0;
  const trace = createTraceSink({ nowMs: () => nowMs });
  await platform.fs.mkdir('/var/log', { recursive: true });
  const settings: MaillogSettings = { path, myhostname: 'mail.example.test', delayResolutionDigits: 2, syslogNameFor: () => 'postfix' };
  const files = counted(platform.fs);
  const writer = createMaillogWriter({ fs: files.fs, trace, hostName: 'h', settings: () => settings });
  const log = async (text: string): Promise<void> => {
    trace.emit({ kind: 'log.text', text, host: 'h', service: 'pickup', pid: 5 });
    await writer.flush();
  };
  const read = async (file: string): Promise<string[]> =>
    decoder.decode(await platform.fs.readFile(file)).trimEnd().split('\n').map((line) => line.slice(16));
  return { platform, settings, writer, log, read, files, advance: (ms: number) => { nowMs += ms; } };
}

test('maillog writer: one descriptor for many batches, one write of the lines pending', async () => {
  const { log, read, files, writer } = await setUp();
  for (let index = 0; index < 20; index++) await log(`line ${index}`);
  assert.equal(files.opens(), 1);
  assert.equal(files.openNow(), 1);
  assert.equal((await read('/var/log/maillog')).length, 20);
  assert.equal((await read('/var/log/maillog'))[19], 'mail postfix/pickup[5]: line 19');
  writer.stop();
  await writer.flush();
  assert.equal(files.openNow(), 0, 'a stopped writer closes its descriptor');
  assert.equal(writer.droppedLines, 0);
});

test('maillog writer: a renamed (rotated) or removed log gets a new file once the check interval passes', async () => {
  const { platform, log, read, advance, files } = await setUp();
  await log('before rotation');
  await platform.fs.rename('/var/log/maillog', '/var/log/maillog.1');
  advance(REOPEN_CHECK_MS);
  await log('after rotation');
  assert.deepEqual(await read('/var/log/maillog.1'), ['mail postfix/pickup[5]: before rotation']);
  assert.deepEqual(await read('/var/log/maillog'), ['mail postfix/pickup[5]: after rotation']);
  await platform.fs.unlink('/var/log/maillog');
  advance(REOPEN_CHECK_MS);
  await log('after removal');
  assert.deepEqual(await read('/var/log/maillog'), ['mail postfix/pickup[5]: after removal']);
  assert.equal(files.openNow(), 1);
  // Emptying the file in place (a truncate) keeps the descriptor: appends land at the end.
  await platform.fs.writeFile('/var/log/maillog', new Uint8Array(0));
  await log('after truncate');
  assert.deepEqual(await read('/var/log/maillog'), ['mail postfix/pickup[5]: after truncate']);
  assert.equal(files.opens(), 3);
});

test('maillog writer: a changed maillog_file (reload) is opened for the next line', async () => {
  const { settings, log, read, files } = await setUp();
  await log('first');
  settings.path = '/var/log/other';
  await log('second');
  assert.deepEqual(await read('/var/log/maillog'), ['mail postfix/pickup[5]: first']);
  assert.deepEqual(await read('/var/log/other'), ['mail postfix/pickup[5]: second']);
  assert.equal(files.openNow(), 1);
});

test('maillog writer: a crash drops the unsynced lines; a descriptor the crash closed is replaced, no line lost after it', async () => {
  const { platform, log, read, writer } = await setUp();
  await log('synced');
  const handle = await platform.fs.open('/var/log/maillog', 'r+');
  await handle.sync();
  await handle.close();
  await log('unsynced');
  assert.deepEqual(platform.fs.faults.crash(), ['/var/log/maillog']);
  assert.deepEqual(await read('/var/log/maillog'), ['mail postfix/pickup[5]: synced']);
  await log('after crash');
  assert.deepEqual(await read('/var/log/maillog'), ['mail postfix/pickup[5]: synced', 'mail postfix/pickup[5]: after crash']);
  assert.equal(writer.droppedLines, 0);
});
