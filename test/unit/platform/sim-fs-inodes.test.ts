// The sim file system's direct inode paths (engine/platform/sim/inodes.ts) against memfs's own
// API on the same volume: the same ino numbers handed out and reused, the same bytes seen
// through memfs, the same errors; file times from the simulated clock; memfs's open-file
// limit counting handles held by their inodes; a crash still reverting unsynced writes made
// through such handles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimFileSystem, createSimPlatform, createVolume, Scheduler } from '../../../engine/platform/sim/index.ts';
import { PlatformError } from '../../../engine/platform/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

test('ino numbers are handed out and reused in memfs order (queue IDs come from them)', async () => {
  const volume = createVolume();
  volume.mkdirSync('/q');
  const fs = createSimFileSystem({ volume });
  const reference = createVolume();
  reference.mkdirSync('/q');
  const inos: number[] = [];
  const referenceInos: number[] = [];
  for (const name of ['a', 'b', 'c']) {
    const handle = await fs.open(`/q/${name}`, 'wx');
    inos.push((await handle.stat()).ino);
    await handle.close();
    reference.closeSync(reference.openSync(`/q/${name}`, 'wx'));
    referenceInos.push(Number(reference.statSync(`/q/${name}`).ino));
  }
  await fs.unlink('/q/b');
  await fs.unlink('/q/a');
  reference.unlinkSync('/q/b');
  reference.unlinkSync('/q/a');
  await fs.writeFile('/q/d', 'x');
  await fs.appendFile('/q/e', 'y');
  reference.writeFileSync('/q/d', 'x');
  reference.appendFileSync('/q/e', 'y');
  inos.push((await fs.stat('/q/d')).ino, (await fs.stat('/q/e')).ino);
  referenceInos.push(Number(reference.statSync('/q/d').ino), Number(reference.statSync('/q/e').ino));
  assert.deepEqual(inos, referenceInos);
  assert.deepEqual(volume.toJSON(), reference.toJSON());
});

test('writes, truncation, renames and unlinks on inodes are what memfs itself reads', async () => {
  const volume = createVolume();
  const fs = createSimFileSystem({ volume });
  await fs.mkdir('/q/incoming', { recursive: true });
  await fs.mkdir('/q/active');
  const handle = await fs.open('/q/incoming/ID', 'wx', 0o600);
  await handle.write(encoder.encode('hello'));
  await handle.write(encoder.encode('J'), 0);
  await handle.write(encoder.encode('!'), 8);
  assert.deepEqual([...volume.readFileSync('/q/incoming/ID') as Uint8Array], [...encoder.encode('Jello'), 0, 0, 0, 0x21]);
  await handle.truncate(2);
  assert.equal(volume.readFileSync('/q/incoming/ID', 'utf8'), 'Je');
  assert.equal(volume.statSync('/q/incoming/ID').mode, 0o100600);
  await fs.rename('/q/incoming/ID', '/q/active/ID');
  assert.deepEqual(volume.readdirSync('/q/incoming'), []);
  assert.equal(volume.readFileSync('/q/active/ID', 'utf8'), 'Je');
  // The handle follows the inode, not the name; its offset (5) is past the end: a hole.
  await handle.write(encoder.encode('!!'));
  await handle.close();
  assert.equal(decoder.decode(await fs.readFile('/q/active/ID')), 'Je\0\0\0!!');
  const rewrite = await fs.open('/q/active/ID', 'r+');
  await rewrite.truncate(2);
  await rewrite.write(encoder.encode('!!'), 2);
  await rewrite.close();
  // memfs renames and unlinks what the inode layer made, and the other way round.
  volume.renameSync('/q/active/ID', '/q/incoming/ID');
  await fs.rename('/q/incoming/ID', '/q/active/ID2');
  assert.equal(volume.readFileSync('/q/active/ID2', 'utf8'), 'Je!!');
  await fs.unlink('/q/active/ID2');
  assert.equal(volume.existsSync('/q/active/ID2'), false);
  await assert.rejects(fs.unlink('/q/active/ID2'), (error: unknown) => error instanceof PlatformError && error.code === 'ENOENT' && error.syscall === 'unlink');
  await assert.rejects(fs.open('/q/nowhere/f', 'wx'), { code: 'ENOENT' });
  await assert.rejects(fs.open('/q/active/none', 'r'), { code: 'ENOENT' });
  await fs.writeFile('/q/f', 'one');
  await assert.rejects(fs.open('/q/f', 'wx'), { code: 'EEXIST' });
  await assert.rejects(fs.unlink('/q/active'), { code: 'EPERM' });
  // An unlinked file stays readable and writable through a handle opened before.
  const open = await fs.open('/q/f', 'r+');
  await fs.unlink('/q/f');
  await open.write(encoder.encode('two'));
  assert.equal(decoder.decode(await open.read(10, 0)), 'two');
  await open.close();
  await assert.rejects(open.close(), { code: 'EBADF' });
});

test('file and directory times are the simulated clock; utimes keeps whole seconds', async () => {
  const scheduler = new Scheduler({ startMs: 1_704_067_200_000 });
  const { fs } = createSimPlatform({ hostName: 'a', seed: 1, scheduler });
  await fs.mkdir('/q');
  await fs.writeFile('/q/f', 'x');
  assert.equal((await fs.stat('/q/f')).mtimeMs, 1_704_067_200_000);
  scheduler.after(5_000, () => undefined);
  assert.equal(scheduler.step(), true);
  const later = scheduler.nowMs();
  assert.equal(later, 1_704_067_205_000);
  await fs.appendFile('/q/f', 'y');
  assert.equal((await fs.stat('/q/f')).mtimeMs, later);
  await fs.rename('/q/f', '/q/g');
  assert.equal((await fs.stat('/q')).mtimeMs, later);
  await fs.utimes('/q/g', 1_704_070_000_000, 1_704_070_000_000);
  assert.equal((await fs.stat('/q/g')).mtimeMs, 1_704_070_000_000);
});

test('handles held by their inodes count against memfs\'s open-file limit', async () => {
  const volume = createVolume();
  const fs = createSimFileSystem({ volume });
  (volume as unknown as { _core: { maxFiles: number } })._core.maxFiles = 2;
  const first = await fs.open('/a', 'w');
  const second = await fs.open('/b', 'w');
  await assert.rejects(fs.open('/c', 'w'), (error: unknown) => error instanceof PlatformError && error.code === 'EMFILE' && error.syscall === 'open');
  await first.close();
  const third = await fs.open('/c', 'w');
  await second.close();
  await third.close();
});

test('a crash reverts what inode handles wrote since the last fsync', async () => {
  const fs = createSimFileSystem();
  await fs.writeFile('/kept', 'base');
  const kept = await fs.open('/kept', 'a');
  await kept.sync();
  await kept.write(encoder.encode('+lost'));
  const synced = await fs.open('/synced', 'wx');
  await synced.write(encoder.encode('durable'));
  await synced.sync();
  await synced.write(encoder.encode(' and not'));
  const fresh = await fs.open('/fresh', 'wx');
  await fresh.write(encoder.encode('never synced'));
  assert.deepEqual(fs.faults.crash(), ['/fresh', '/kept', '/synced']);
  assert.equal(decoder.decode(await fs.readFile('/kept')), 'base');
  assert.equal(decoder.decode(await fs.readFile('/synced')), 'durable');
  await assert.rejects(fs.readFile('/fresh'), { code: 'ENOENT' });
  await assert.rejects(kept.write(encoder.encode('x')), { code: 'EBADF' });
  // Handles of before the crash no longer count as open.
  const again = await fs.open('/again', 'w');
  await again.close();
});

test('chmod and chown on inodes keep the file type and give memfs\'s errors for the rest', async () => {
  const volume = createVolume();
  const fs = createSimFileSystem({ volume });
  await fs.mkdir('/q');
  await fs.writeFile('/q/f', 'x', { mode: 0o600 });
  const chown = fs.chown;
  assert.ok(chown !== undefined);
  await fs.chmod('/q/f', 0o4744);
  await chown('/q/f', 5000, 6000);
  await fs.chmod('/q', 0o700);
  const stat = volume.statSync('/q/f');
  assert.deepEqual([stat.mode, stat.uid, stat.gid], [0o104744, 5000, 6000]);
  assert.equal(volume.statSync('/q').mode, 0o40700);
  await assert.rejects(fs.chmod('/q/none', 0o700), { code: 'ENOENT' });
  await assert.rejects(chown('/q/none', 1, 1), { code: 'ENOENT' });
});

test('mkdir (-p), rmdir, link and symlink date what they make and the directories that hold them by the clock, not the wall clock', async () => {
  let nowMs = Date.UTC(2024, 0, 1);
  const fs = createSimFileSystem({ clock: { nowMs: () => nowMs } });
  await fs.mkdir('/var/spool/postfix/deferred', { recursive: true, mode: 0o700 });
  for (const path of ['/var', '/var/spool', '/var/spool/postfix', '/var/spool/postfix/deferred']) {
    assert.equal((await fs.stat(path)).mtimeMs, nowMs, path);
  }
  nowMs += 60_000;
  await fs.mkdir('/var/spool/postfix/hold', { mode: 0o700 });
  assert.equal((await fs.stat('/var/spool/postfix/hold')).mtimeMs, nowMs);
  assert.equal((await fs.stat('/var/spool/postfix')).mtimeMs, nowMs, 'the directory gained an entry');
  assert.equal((await fs.stat('/var/spool')).mtimeMs, nowMs - 60_000, 'its parent did not');
  assert.equal((await fs.stat('/var/spool')).size, 4096, 'a directory is one ext4 block, as ls -l shows it');
  nowMs += 60_000;
  await fs.rmdir('/var/spool/postfix/hold');
  assert.equal((await fs.stat('/var/spool/postfix')).mtimeMs, nowMs);
  nowMs += 60_000;
  await fs.writeFile('/var/spool/postfix/deferred/A', 'x');
  nowMs += 60_000;
  await fs.link('/var/spool/postfix/deferred/A', '/var/spool/postfix/B');
  await fs.symlink('deferred/A', '/var/spool/postfix/C');
  assert.equal((await fs.stat('/var/spool/postfix')).mtimeMs, nowMs);
  assert.equal((await fs.lstat('/var/spool/postfix/C')).mtimeMs, nowMs);
  assert.equal((await fs.stat('/var/spool/postfix/B')).mtimeMs, nowMs - 60_000, 'a new link leaves the file mtime alone');
});
