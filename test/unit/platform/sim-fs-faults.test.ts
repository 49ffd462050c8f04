// The sim file system's own promises: operations settle without a real macrotask, a byte
// budget gives ENOSPC, and a crash drops what was never synced (DESIGN.md section 5).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { PlatformError } from '../../../engine/platform/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

test('sim fs operations settle within microtasks, before any macrotask runs', async () => {
  const { fs } = createSimPlatform({ hostName: 'a', seed: 1 });
  let macrotaskRan = false;
  setImmediate(() => { macrotaskRan = true; });
  await fs.mkdir('/q', { recursive: true });
  const handle = await fs.open('/q/f', 'wx');
  await handle.write(encoder.encode('data'));
  await handle.sync();
  await handle.close();
  assert.equal(decoder.decode(await fs.readFile('/q/f')), 'data');
  assert.deepEqual(await fs.readdir('/q'), ['f']);
  assert.equal(macrotaskRan, false);
});

test('a byte budget makes growing writes fail with ENOSPC and leaves files intact', async () => {
  const { fs } = createSimPlatform({ hostName: 'a', seed: 1, diskBytesMax: 10 });
  await fs.writeFile('/a', '12345');
  await assert.rejects(fs.writeFile('/b', '123456'), (error: unknown) =>
    error instanceof PlatformError && error.code === 'ENOSPC' && error.message === "ENOSPC: No space left on device, open '/b'");
  const handle = await fs.open('/a', 'a');
  await handle.write(encoder.encode('67890'));
  await assert.rejects(handle.write(encoder.encode('!')), { code: 'ENOSPC' });
  await handle.close();
  assert.equal(decoder.decode(await fs.readFile('/a')), '1234567890');
  await fs.writeFile('/a', 'xy');
  assert.equal(fs.faults.usedBytes(), 2);
  fs.faults.setBytesMax(undefined);
  await fs.writeFile('/big', new Uint8Array(1000));
  assert.equal(fs.faults.usedBytes(), 1002);
});

test('a crash keeps synced content and drops unsynced writes, across a rename of the open file', async () => {
  const { fs } = createSimPlatform({ hostName: 'a', seed: 1 });
  await fs.mkdir('/spool/incoming', { recursive: true });
  await fs.mkdir('/spool/active', { recursive: true });
  const handle = await fs.open('/spool/incoming/tmp', 'wx', 0o600);
  await handle.write(encoder.encode('envelope;'));
  await fs.rename('/spool/incoming/tmp', '/spool/incoming/ABC123');
  await handle.write(encoder.encode('content;'));
  await handle.sync();
  await handle.write(encoder.encode('unsynced;'));
  await fs.writeFile('/spool/active/never-synced', 'x');
  await fs.writeFile('/maillog', 'line 1\n');
  assert.deepEqual(fs.faults.unsyncedPaths(), ['/maillog', '/spool/active/never-synced', '/spool/incoming/ABC123']);

  const touched = fs.faults.crash();
  assert.deepEqual(touched, ['/maillog', '/spool/active/never-synced', '/spool/incoming/ABC123']);
  assert.equal(decoder.decode(await fs.readFile('/spool/incoming/ABC123')), 'envelope;content;');
  assert.deepEqual(await fs.readdir('/spool/active'), []);
  await assert.rejects(fs.readFile('/maillog'), { code: 'ENOENT' });
  await assert.rejects(handle.write(encoder.encode('after crash')), { code: 'EBADF' });
  assert.deepEqual(fs.faults.unsyncedPaths(), []);
});

test('each sim host has its own volume', async () => {
  const one = createSimPlatform({ hostName: 'one', seed: 1 });
  const other = createSimPlatform({ hostName: 'other', seed: 1 });
  await one.fs.writeFile('/etc-main.cf', 'a');
  await assert.rejects(other.fs.readFile('/etc-main.cf'), { code: 'ENOENT' });
  assert.equal(one.fs.volume.existsSync('/etc-main.cf'), true);
});
