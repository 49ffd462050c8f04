// The sim file system's path lookups (engine/platform/sim/lookup.ts) remember the directories
// they found; these tests change the tree behind that memory, through the file system and
// through memfs's own API on the same volume, and check that every later call sees the tree
// as it is: renamed, removed and re-made directories, a symbolic link where a directory was,
// odd final names. Read results are fresh copies a later write does not change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimFileSystem, createVolume } from '../../../engine/platform/sim/index.ts';
import { PlatformError } from '../../../engine/platform/types.ts';

const decoder = new TextDecoder();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof PlatformError);
    return error.code;
  }
}

test('a directory renamed or removed behind the file system is seen at the next call', async () => {
  const volume = createVolume();
  volume.mkdirSync('/q/a', { recursive: true });
  const fs = createSimFileSystem({ volume });
  await fs.writeFile('/q/a/f', 'one');
  assert.equal(decoder.decode(await fs.readFile('/q/a/f')), 'one');
  volume.renameSync('/q/a', '/q/b');
  assert.equal(await codeOf(fs.stat('/q/a/f')), 'ENOENT');
  assert.equal(decoder.decode(await fs.readFile('/q/b/f')), 'one');
  volume.mkdirSync('/q/a');
  assert.equal(await codeOf(fs.stat('/q/a/f')), 'ENOENT');
  await fs.writeFile('/q/a/f', 'two');
  assert.equal(decoder.decode(volume.readFileSync('/q/a/f') as Uint8Array), 'two');
  assert.equal(decoder.decode(volume.readFileSync('/q/b/f') as Uint8Array), 'one');
  // Swapped through the file system itself.
  await fs.rename('/q/a', '/q/c');
  await fs.rename('/q/b', '/q/a');
  assert.equal(decoder.decode(await fs.readFile('/q/a/f')), 'one');
  assert.equal(decoder.decode(await fs.readFile('/q/c/f')), 'two');
  await fs.unlink('/q/c/f');
  await fs.rmdir('/q/c');
  assert.equal(await codeOf(fs.open('/q/c/f', 'w')), 'ENOENT');
});

test('a symbolic link put where a remembered directory was is followed as memfs follows it', async () => {
  const volume = createVolume();
  volume.mkdirSync('/q/real', { recursive: true });
  volume.mkdirSync('/q/d');
  const fs = createSimFileSystem({ volume });
  await fs.writeFile('/q/d/f', 'in d');
  await fs.writeFile('/q/real/f', 'in real');
  volume.unlinkSync('/q/d/f');
  volume.rmdirSync('/q/d');
  volume.symlinkSync('/q/real', '/q/d');
  assert.equal(decoder.decode(await fs.readFile('/q/d/f')), 'in real');
  await fs.writeFile('/q/d/g', 'through the link');
  assert.equal(decoder.decode(volume.readFileSync('/q/real/g') as Uint8Array), 'through the link');
});

test('odd final names in a remembered directory get memfs\'s answers', async () => {
  const volume = createVolume();
  volume.mkdirSync('/q/d', { recursive: true });
  const fs = createSimFileSystem({ volume });
  await fs.writeFile('/q/d/f', 'x');
  assert.equal((await fs.stat('/q/d/.')).isDirectory, true);
  assert.equal((await fs.stat('/q/d/..')).isDirectory, true);
  assert.notEqual(await codeOf(fs.stat('/q/d/f\0')), 'ok');
  assert.equal(await codeOf(fs.stat('/q/d/g')), 'ENOENT');
  assert.equal((await fs.stat('/q/d/')).isDirectory, true);
});

test('a read gives a copy: a later write or truncate of the file does not change it', async () => {
  const fs = createSimFileSystem();
  await fs.mkdir('/q');
  await fs.writeFile('/q/f', 'abcdef');
  const handle = await fs.open('/q/f', 'r+');
  const first = await handle.read(4, 0);
  const whole = await fs.readFile('/q/f');
  await handle.write(new TextEncoder().encode('XY'), 0);
  await handle.truncate(1);
  await handle.close();
  assert.equal(decoder.decode(first), 'abcd');
  assert.equal(decoder.decode(whole), 'abcdef');
  assert.equal(decoder.decode(await fs.readFile('/q/f')), 'X');
  first[0] = 0x7a;
  assert.equal(decoder.decode(whole), 'abcdef');
});

test('files made and renamed by the file system have the paths memfs expects', async () => {
  const volume = createVolume();
  volume.mkdirSync('/q/a', { recursive: true });
  volume.mkdirSync('/q/b');
  const fs = createSimFileSystem({ volume });
  await fs.writeFile('/q/a/f', 'f');
  await fs.writeFile('/q/a/g', 'g');
  await fs.rename('/q/a/f', '/q/b/f2');
  volume.renameSync('/q/b', '/q/c');
  volume.renameSync('/q/a/g', '/q/c/g2');
  assert.deepEqual(Object.keys(volume.toJSON()).sort(), ['/q/a', '/q/c/f2', '/q/c/g2']);
  assert.equal(volume.realpathSync('/q/c/f2'), '/q/c/f2');
  await fs.rename('/q/c/f2', '/q/a/f3');
  volume.unlinkSync('/q/a/f3');
  assert.deepEqual(Object.keys(volume.toJSON()).sort(), ['/q/a', '/q/c/g2']);
  assert.deepEqual(await fs.readdir('/q/c'), ['g2']);
});

test('a path asked for again follows a directory swapped behind it', async () => {
  const volume = createVolume();
  volume.mkdirSync('/q/a', { recursive: true });
  volume.mkdirSync('/q/b');
  const fs = createSimFileSystem({ volume });
  const path = '/q/a/f';
  await fs.writeFile(path, 'in a');
  await fs.writeFile('/q/b/f', 'in b');
  assert.equal(decoder.decode(await fs.readFile(path)), 'in a');
  assert.equal((await fs.stat(path)).size, 4);
  volume.renameSync('/q/a', '/q/old');
  volume.renameSync('/q/b', '/q/a');
  assert.equal(decoder.decode(await fs.readFile(path)), 'in b');
  volume.unlinkSync('/q/a/f');
  assert.equal(await codeOf(fs.stat(path)), 'ENOENT');
  // The same path on another volume is that volume's.
  const other = createSimFileSystem();
  assert.equal(await codeOf(other.stat(path)), 'ENOENT');
  await other.mkdir('/q/a', { recursive: true });
  await other.writeFile(path, 'other');
  assert.equal(decoder.decode(await fs.readFile('/q/old/f')), 'in a');
  assert.equal(await codeOf(fs.stat(path)), 'ENOENT');
  assert.equal(decoder.decode(await other.readFile(path)), 'other');
  // Two paths with one final name in one directory, asked for in turns.
  await fs.writeFile('/q/a/g', 'g');
  assert.equal((await fs.stat('/q/a/g')).size, 1);
  assert.equal(await codeOf(fs.stat('/q/old/g')), 'ENOENT');
  assert.equal((await fs.stat('/q/old/f')).size, 4);
});

test('many directories in turns, some swapped behind the file system, each answer their own files', async () => {
  const volume = createVolume();
  const fs = createSimFileSystem({ volume });
  const names = Array.from({ length: 20 }, (_, index) => `d${index.toString(16)}`);
  for (const name of names) {
    await fs.mkdir(`/q/${name}`, { recursive: true });
    await fs.writeFile(`/q/${name}/f`, name);
  }
  for (let round = 0; round < 3; round++) {
    for (const name of names) assert.equal(decoder.decode(await fs.readFile(`/q/${name}/f`)), name);
    // Swap d1 and d2 through memfs: the next reads must see the other directory's file.
    volume.renameSync('/q/d1', '/q/tmp');
    volume.renameSync('/q/d2', '/q/d1');
    volume.renameSync('/q/tmp', '/q/d2');
    assert.equal(decoder.decode(await fs.readFile('/q/d1/f')), 'd2');
    assert.equal(decoder.decode(await fs.readFile('/q/d2/f')), 'd1');
    volume.renameSync('/q/d1', '/q/tmp');
    volume.renameSync('/q/d2', '/q/d1');
    volume.renameSync('/q/tmp', '/q/d2');
  }
  volume.unlinkSync('/q/d3/f');
  volume.rmdirSync('/q/d3');
  assert.equal(await codeOf(fs.stat('/q/d3/f')), 'ENOENT');
  assert.equal(await codeOf(fs.open('/q/d3/f', 'w')), 'ENOENT');
  assert.equal(decoder.decode(await fs.readFile('/q/d4/f')), 'd4');
});

test('directories whose paths end alike (one set of the directory table) answer their own files', async () => {
  // Same length and same last two characters: the lookup table keeps them in one set of a
  // few entries, so turns through more of them than it holds push entries out and back.
  const volume = createVolume();
  const fs = createSimFileSystem({ volume });
  const names = Array.from({ length: 12 }, (_, index) => `${String.fromCharCode(0x61 + index)}zz`);
  for (const name of names) {
    await fs.mkdir(`/q/${name}`, { recursive: true });
    await fs.writeFile(`/q/${name}/f`, name);
  }
  for (let round = 0; round < 3; round++) {
    for (const name of names) assert.equal(decoder.decode(await fs.readFile(`/q/${name}/f`)), name);
    for (const name of names.slice(0, 3)) assert.equal(decoder.decode(await fs.readFile(`/q/${name}/f`)), name);
    // Swap azz and bzz behind the file system while both are remembered, and back.
    for (const expected of [['bzz', 'azz'], ['azz', 'bzz']]) {
      volume.renameSync('/q/azz', '/q/tmp');
      volume.renameSync('/q/bzz', '/q/azz');
      volume.renameSync('/q/tmp', '/q/bzz');
      assert.equal(decoder.decode(await fs.readFile('/q/azz/f')), expected[0]);
      assert.equal(decoder.decode(await fs.readFile('/q/bzz/f')), expected[1]);
    }
  }
  // A remembered directory's name now a file: memfs's answer (ENOTDIR) for the path under it.
  volume.unlinkSync('/q/czz/f');
  volume.rmdirSync('/q/czz');
  volume.writeFileSync('/q/czz', 'a file now');
  assert.equal(await codeOf(fs.stat('/q/czz/f')), 'ENOTDIR');
  assert.equal(decoder.decode(await fs.readFile('/q/dzz/f')), 'dzz');
});

test('an expected failure rejects with the full error, in the same turn as before', async () => {
  const fs = createSimFileSystem();
  await fs.mkdir('/q');
  await fs.writeFile('/q/there', 'x');
  const cases: Array<[Promise<unknown>, string, string, string]> = [
    [fs.stat('/q/missing'), 'ENOENT', 'stat', "ENOENT: No such file or directory, stat '/q/missing'"],
    [fs.open('/q/missing', 'r'), 'ENOENT', 'open', "ENOENT: No such file or directory, open '/q/missing'"],
    [fs.open('/q/there', 'wx'), 'EEXIST', 'open', "EEXIST: File exists, open '/q/there'"],
    [fs.unlink('/q/missing'), 'ENOENT', 'unlink', "ENOENT: No such file or directory, unlink '/q/missing'"],
    [fs.readFile('/nowhere/f'), 'ENOENT', 'open', "ENOENT: No such file or directory, open '/nowhere/f'"],
  ];
  for (const [promise, code, syscall, message] of cases) {
    const error = await promise.then(() => undefined, (reason: unknown) => reason);
    assert.ok(error instanceof PlatformError);
    assert.ok(error instanceof Error);
    assert.equal(error.code, code);
    assert.equal(error.syscall, syscall);
    assert.equal(error.message, message);
    assert.equal(error.name, 'PlatformError');
  }
  // A rejected call and a plain rejected promise reach their handlers in the same order
  // relative to other reactions as they did when the call answered Promise.reject().
  // The same call failing again (an answer kept from the first time) keeps that order too.
  for (let round = 0; round < 2; round++) {
    const order: string[] = [];
    const tick = Promise.resolve().then(() => order.push('tick 1')).then(() => order.push('tick 2'));
    const failing = fs.stat('/q/missing').catch(() => order.push('stat caught'));
    const plain = Promise.reject(new Error('x')).catch(() => order.push('plain caught'));
    await Promise.all([tick, failing, plain]);
    assert.deepEqual(order, ['tick 1', 'stat caught', 'plain caught', 'tick 2']);
  }
});

test('a call that fails the same way again gets the same error; another code or call its own', async () => {
  const fs = createSimFileSystem();
  await fs.mkdir('/q');
  const failure = async (promise: Promise<unknown>): Promise<PlatformError> => {
    const error = await promise.then(() => undefined, (reason: unknown) => reason);
    assert.ok(error instanceof PlatformError);
    return error;
  };
  for (let round = 0; round < 3; round++) {
    const stat = await failure(fs.stat('/q/f'));
    assert.deepEqual([stat.code, stat.syscall, stat.path, stat.message], ['ENOENT', 'stat', '/q/f', "ENOENT: No such file or directory, stat '/q/f'"]);
    const lstat = await failure(fs.lstat('/q/f'));
    assert.deepEqual([lstat.code, lstat.syscall, lstat.message], ['ENOENT', 'lstat', "ENOENT: No such file or directory, lstat '/q/f'"]);
    const unlink = await failure(fs.unlink('/q/f'));
    assert.deepEqual([unlink.code, unlink.syscall], ['ENOENT', 'unlink']);
    // The file there: stat answers it, an exclusive create fails with EEXIST.
    await fs.writeFile('/q/f', 'x');
    assert.equal((await fs.stat('/q/f')).size, 1);
    const exclusive = await failure(fs.open('/q/f', 'wx'));
    assert.deepEqual([exclusive.code, exclusive.syscall, exclusive.message], ['EEXIST', 'open', "EEXIST: File exists, open '/q/f'"]);
    await fs.unlink('/q/f');
    const open = await failure(fs.open('/q/f', 'r'));
    assert.deepEqual([open.code, open.syscall, open.message], ['ENOENT', 'open', "ENOENT: No such file or directory, open '/q/f'"]);
  }
});
