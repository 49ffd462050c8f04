// One FileSystem conformance suite, run on the sim platform (memfs) and on the node platform
// (a temporary directory): the engine must not be able to tell them apart
// (CONVENTIONS.md rule 14). The caller supplies a factory for a fresh root directory.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FileSystem } from '../../../engine/platform/types.ts';
import { PlatformError } from '../../../engine/platform/types.ts';

export interface FileSystemFixture {
  fs: FileSystem;
  /** An empty directory the suite may use. */
  root: string;
  cleanup(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (bytes: Uint8Array): string => decoder.decode(bytes);

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PlatformError, `expected PlatformError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

export function fileSystemConformance(platformName: string, makeFixture: () => Promise<FileSystemFixture>): void {
  const check = (name: string, body: (fs: FileSystem, root: string, t: TestContext) => Promise<void>) =>
    test(`${platformName} fs: ${name}`, async (t) => {
      const fixture = await makeFixture();
      try {
        await body(fixture.fs, fixture.root, t);
      } finally {
        await fixture.cleanup();
      }
    });

  check('writeFile then readFile returns the same bytes, including odd bytes', async (fs, root) => {
    const bytes = new Uint8Array([0, 1, 0x0a, 0x0d, 0x80, 0xff, 0xc3]);
    await fs.writeFile(`${root}/binary`, bytes);
    assert.deepEqual([...(await fs.readFile(`${root}/binary`))], [...bytes]);
    await fs.writeFile(`${root}/text`, 'héllo\n');
    assert.equal(text(await fs.readFile(`${root}/text`)), 'héllo\n');
    await fs.appendFile(`${root}/text`, 'more');
    assert.equal(text(await fs.readFile(`${root}/text`)), 'héllo\nmore');
  });

  check('readdir is sorted by code unit', async (fs, root) => {
    for (const name of ['b', 'a', 'C', '_', 'aa', '0']) await fs.writeFile(`${root}/${name}`, name);
    assert.deepEqual(await fs.readdir(root), ['0', 'C', '_', 'a', 'aa', 'b']);
  });

  check('errors carry errno-style codes', async (fs, root) => {
    await rejectsWith(fs.readFile(`${root}/missing`), 'ENOENT');
    await fs.mkdir(`${root}/d`);
    await rejectsWith(fs.mkdir(`${root}/d`), 'EEXIST');
    await fs.writeFile(`${root}/d/f`, 'x');
    await rejectsWith(fs.rmdir(`${root}/d`), 'ENOTEMPTY');
    await rejectsWith(fs.readFile(`${root}/d`), 'EISDIR');
    await rejectsWith(fs.readdir(`${root}/d/f`), 'ENOTDIR');
    await rejectsWith(fs.open(`${root}/d/f`, 'wx'), 'EEXIST');
    await rejectsWith(fs.unlink(`${root}/nothing`), 'ENOENT');
    await rejectsWith(fs.stat(`${root}/d/f/below`), 'ENOTDIR');
    const error = await fs.readFile(`${root}/missing`).catch((caught: unknown) => caught);
    assert.ok(error instanceof PlatformError);
    assert.equal(error.message, `ENOENT: No such file or directory, open '${root}/missing'`);
    assert.equal(error.path, `${root}/missing`);
  });

  check('mkdir recursive, rmdir, rename, unlink', async (fs, root) => {
    await fs.mkdir(`${root}/a/b/c`, { recursive: true });
    await fs.mkdir(`${root}/a/b/c`, { recursive: true });
    assert.equal((await fs.stat(`${root}/a/b/c`)).isDirectory, true);
    await fs.writeFile(`${root}/a/one`, '1');
    await fs.rename(`${root}/a/one`, `${root}/a/b/two`);
    assert.deepEqual(await fs.readdir(`${root}/a/b`), ['c', 'two']);
    await fs.writeFile(`${root}/a/three`, '3');
    await fs.rename(`${root}/a/three`, `${root}/a/b/two`);
    assert.equal(text(await fs.readFile(`${root}/a/b/two`)), '3');
    await fs.unlink(`${root}/a/b/two`);
    await fs.rmdir(`${root}/a/b/c`);
    assert.deepEqual(await fs.readdir(`${root}/a/b`), []);
  });

  check('open/write/read/sync/truncate/close through a handle', async (fs, root) => {
    const handle = await fs.open(`${root}/queue`, 'wx', 0o600);
    assert.equal(await handle.write(encoder.encode('hello ')), 6);
    assert.equal(await handle.write(encoder.encode('world')), 5);
    await handle.write(encoder.encode('J'), 0);
    await handle.sync();
    assert.equal((await handle.stat()).size, 11);
    await handle.truncate(5);
    await handle.close();
    assert.equal(text(await fs.readFile(`${root}/queue`)), 'Jello');
    await rejectsWith(handle.write(encoder.encode('late')), 'EBADF');

    const reader = await fs.open(`${root}/queue`, 'r');
    assert.equal(text(await reader.read(3)), 'Jel');
    assert.equal(text(await reader.read(10)), 'lo');
    assert.equal((await reader.read(10)).length, 0);
    assert.equal(text(await reader.read(2, 1)), 'el');
    await reader.close();

    const editor = await fs.open(`${root}/queue`, 'r+');
    await editor.write(encoder.encode('Y'), 0);
    assert.equal(text(await editor.read(5)), 'Yello');
    await editor.close();

    const appender = await fs.open(`${root}/queue`, 'a');
    await appender.write(encoder.encode('!'));
    await appender.close();
    assert.equal(text(await fs.readFile(`${root}/queue`)), 'Yello!');

    const truncating = await fs.open(`${root}/queue`, 'w');
    await truncating.close();
    assert.equal((await fs.stat(`${root}/queue`)).size, 0);
    await rejectsWith(fs.open(`${root}/absent`, 'r'), 'ENOENT');
  });

  check('stat reports mode, owner, size and links; link and symlink', async (fs, root) => {
    await fs.writeFile(`${root}/file`, 'abc', { mode: 0o600 });
    const stat = await fs.stat(`${root}/file`);
    assert.equal(stat.mode & 0o777, 0o600);
    assert.equal(stat.mode & 0o170000, 0o100000);
    assert.equal(stat.size, 3);
    assert.equal(stat.isFile, true);
    assert.equal(stat.isDirectory, false);
    assert.equal(stat.nlink, 1);
    assert.equal(typeof stat.uid, 'number');
    assert.equal(typeof stat.gid, 'number');
    await fs.link(`${root}/file`, `${root}/hard`);
    assert.equal((await fs.stat(`${root}/file`)).nlink, 2);
    await fs.unlink(`${root}/file`);
    assert.equal(text(await fs.readFile(`${root}/hard`)), 'abc');
    assert.equal((await fs.stat(`${root}/hard`)).nlink, 1);
    await fs.symlink(`${root}/hard`, `${root}/soft`);
    assert.equal((await fs.lstat(`${root}/soft`)).isSymbolicLink, true);
    assert.equal((await fs.stat(`${root}/soft`)).isSymbolicLink, false);
    assert.equal(text(await fs.readFile(`${root}/soft`)), 'abc');
    await rejectsWith(fs.link(`${root}/hard`, `${root}/soft`), 'EEXIST');
  });

  check('chmod and utimes', async (fs, root) => {
    await fs.writeFile(`${root}/file`, 'x', { mode: 0o644 });
    await fs.chmod(`${root}/file`, 0o700);
    assert.equal((await fs.stat(`${root}/file`)).mode & 0o777, 0o700);
    await fs.utimes(`${root}/file`, 1_600_000_000_000, 1_600_000_123_000);
    assert.equal((await fs.stat(`${root}/file`)).mtimeMs, 1_600_000_123_000);
    await rejectsWith(fs.chmod(`${root}/none`, 0o600), 'ENOENT');
  });
}
