// The real file system for real mode: node:fs/promises behind the FileSystem seam, with a
// real fsync in FileHandle.sync (a 250 reply waits for it), readdir sorted, and every Node
// error mapped to PlatformError. Called through Platform.fs when mtalab runs on a machine
// (the CLI, a live host). Trusts the operating system. Models POSIX files under Postfix.

import * as fs from 'node:fs/promises';
import type { FileHandle, FileStat, FileSystem, OpenFlags } from '../types.ts';
import { toPlatformError } from '../sim/errors.ts';

async function attempt<T>(syscall: string, path: string | undefined, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toPlatformError(error, syscall, path);
  }
}

interface StatLike {
  size: number; mode: number; uid: number; gid: number; mtimeMs: number; nlink: number; ino: number;
  isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean;
}

function toFileStat(stat: StatLike): FileStat {
  return {
    size: stat.size, mode: stat.mode, uid: stat.uid, gid: stat.gid,
    isFile: stat.isFile(), isDirectory: stat.isDirectory(), isSymbolicLink: stat.isSymbolicLink(),
    mtimeMs: stat.mtimeMs, nlink: stat.nlink, ino: stat.ino,
  };
}

class NodeFileHandle implements FileHandle {
  /** The offset that reads and writes without a position use and advance (Node's handle
   *  tracks its own for writes but not for reads with a null position on every platform). */
  private offset = 0;

  constructor(private readonly handle: fs.FileHandle, private readonly path: string, private readonly appending: boolean) {}

  write(data: Uint8Array, position?: number): Promise<number> {
    return attempt('write', this.path, async () => {
      if (this.appending) return (await this.handle.write(data, 0, data.length, null)).bytesWritten;
      const start = position ?? this.offset;
      const { bytesWritten } = await this.handle.write(data, 0, data.length, start);
      if (position === undefined) this.offset = start + bytesWritten;
      return bytesWritten;
    });
  }

  read(length: number, position?: number): Promise<Uint8Array> {
    return attempt('read', this.path, async () => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await this.handle.read(buffer, 0, length, position ?? this.offset);
      if (position === undefined) this.offset += bytesRead;
      return buffer.subarray(0, bytesRead);
    });
  }

  sync(): Promise<void> { return attempt('fsync', this.path, () => this.handle.sync()); }
  truncate(length: number): Promise<void> { return attempt('ftruncate', this.path, () => this.handle.truncate(length)); }
  stat(): Promise<FileStat> { return attempt('fstat', this.path, async () => toFileStat(await this.handle.stat())); }
  close(): Promise<void> { return attempt('close', this.path, () => this.handle.close()); }
}

function bytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function createNodeFileSystem(): FileSystem {
  return {
    readFile: (path) => attempt('open', path, async () => bytes(await fs.readFile(path))),
    writeFile: (path, data, options) => attempt('open', path, () => fs.writeFile(path, data, { mode: options?.mode ?? 0o666 })),
    appendFile: (path, data, options) => attempt('open', path, () => fs.appendFile(path, data, { mode: options?.mode ?? 0o666 })),
    rename: (from, to) => attempt('rename', from, () => fs.rename(from, to)),
    unlink: (path) => attempt('unlink', path, () => fs.unlink(path)),
    mkdir: (path, options) => attempt('mkdir', path, async () => {
      await fs.mkdir(path, { recursive: options?.recursive ?? false, mode: options?.mode ?? 0o777 });
    }),
    rmdir: (path) => attempt('rmdir', path, () => fs.rmdir(path)),
    readdir: (path) => attempt('scandir', path, async () => (await fs.readdir(path)).sort()),
    stat: (path) => attempt('stat', path, async () => toFileStat(await fs.stat(path))),
    lstat: (path) => attempt('lstat', path, async () => toFileStat(await fs.lstat(path))),
    open: (path, flags: OpenFlags, mode?: number) => attempt('open', path, async () =>
      new NodeFileHandle(await fs.open(path, flags, mode ?? 0o666), path, flags === 'a' || flags === 'ax')),
    link: (existing, newPath) => attempt('link', newPath, () => fs.link(existing, newPath)),
    symlink: (target, path) => attempt('symlink', path, () => fs.symlink(target, path)),
    chmod: (path, mode) => attempt('chmod', path, () => fs.chmod(path, mode)),
    chown: (path, uid, gid) => attempt('chown', path, () => fs.chown(path, uid, gid)),
    utimes: (path, atimeMs, mtimeMs) => attempt('utime', path, () => fs.utimes(path, atimeMs / 1000, mtimeMs / 1000)),
  };
}
