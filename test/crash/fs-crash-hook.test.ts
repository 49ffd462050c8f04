// The sim disk's crash hook (engine/platform/sim/durability.ts, crashAfterOperations):
// only operations that change the disk are counted, the crash fires right after the nth
// (unsynced content dropped, never-synced files gone), every later operation of that file
// system fails with EIO, and a new file system over the same volume reads what survived.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimFileSystem, createSimPlatform } from '../../engine/platform/sim/index.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

test('reads are not counted; the crash fires right after the nth change', async () => {
  const { fs } = createSimPlatform({ hostName: 'a', seed: 1 });
  await fs.mkdir('/q');
  const synced = await fs.open('/q/synced', 'wx');
  await synced.write(encoder.encode('kept'));
  await synced.sync();
  await synced.close();
  assert.equal(fs.faults.operations, 4);
  fs.faults.crashAfterOperations(2);
  await fs.readdir('/q');
  await fs.stat('/q/synced');
  assert.equal(decoder.decode(await fs.readFile('/q/synced')), 'kept');
  await fs.writeFile('/q/fresh', 'never synced');
  assert.equal(fs.faults.halted, false);
  await fs.appendFile('/q/synced', ' and more');
  assert.equal(fs.faults.halted, true);
  assert.equal(fs.faults.lastOperation, 'open /q/synced');
  await assert.rejects(fs.readdir('/q'), { code: 'EIO' });
  await assert.rejects(fs.writeFile('/q/late', 'x'), { code: 'EIO' });

  const after = createSimFileSystem({ volume: fs.volume });
  assert.deepEqual(await after.readdir('/q'), ['synced']);
  assert.equal(decoder.decode(await after.readFile('/q/synced')), 'kept');
  assert.equal(after.faults.halted, false);
});

test('an open handle dies with the crash; a new platform on the volume works on', async () => {
  const first = createSimPlatform({ hostName: 'a', seed: 1 });
  const handle = await first.fs.open('/f', 'w');
  await handle.write(encoder.encode('abc'));
  await handle.sync();
  first.fs.faults.crashAfterOperations(1);
  await handle.write(encoder.encode('def'));
  await assert.rejects(handle.sync(), { code: 'EIO' });
  await assert.rejects(handle.close(), { code: 'EIO' });
  const second = createSimPlatform({ hostName: 'a', seed: 1, volume: first.fs.volume });
  assert.equal(decoder.decode(await second.fs.readFile('/f')), 'abc');
  await second.fs.writeFile('/g', 'new boot');
  assert.equal(second.fs.faults.operations, 1);
});

test('crashAfterOperations(undefined) disarms; 0 crashes at once', async () => {
  const { fs } = createSimPlatform({ hostName: 'a', seed: 1 });
  fs.faults.crashAfterOperations(1);
  fs.faults.crashAfterOperations(undefined);
  await fs.writeFile('/a', '1');
  await fs.writeFile('/b', '2');
  assert.equal(fs.faults.halted, false);
  fs.faults.crashAfterOperations(0);
  assert.equal(fs.faults.halted, true);
  assert.deepEqual(fs.volume.readdirSync('/'), []);
});
