// The real file system for real mode: node:fs behind the FileSystem seam, with a real
// fsync in FileHandle.sync (a 250 reply waits for it), readdir sorted, and every Node
// error mapped to PlatformError. Small operations (stat, rename, mkdir, readdir,
// open, close, chmod, reads and writes up to SMALL_IO_BYTES) are synchronous calls: each is
// one short system call, cheaper on the main thread than a round trip through the libuv
// thread pool and a promise FileHandle. fsync and bigger reads/writes (and readFile, whose
// size is not known) stay asynchronous so that the event loop keeps serving while the disk
// works. Handles are plain descriptors, closed only by an explicit close(); a handle used
// after close() fails with EBADF (the descriptor number may already belong to another file).
// unlink is the exception among the small operations: on ext4 an unlink right after an
// fsync waits for the journal (~0.4-2 ms measured, mostly blocked, not CPU), so it runs on
// the thread pool; a missing file is found first with an lstat that throws nothing (an
// unlink of a file that does not exist is a common answer: qmgr's defer log reset), and
// reported as ENOENT then, as an unlink at that moment would have. Errors that are
// expected answers (ENOENT from stat/lstat/unlink) are made without a stack trace.
// statfs() reports the free blocks of a file system, as Postfix's fsspace() reads them
// (smtpd's queue space check, smtpd_check_queue).
// Called through Platform.fs when mtalab runs on a machine (the CLI, a live host). Trusts
// the operating system. Models POSIX files under Postfix.

import * as fs from 'node:fs';
import type { FileHandle, FileStat, FileSystem, OpenFlags } from '../types.ts';
import { PlatformError } from '../types.ts';
import { toPlatformError } from '../sim/errors.ts';

/** Reads and writes up to this size are done synchronously. */
export const SMALL_IO_BYTES = 64 * 1024;
/** Where synchronous reads land before they are copied out (one thread uses it at a time). */
const readScratch = new Uint8Array(SMALL_IO_BYTES);

async function attempt<T>(syscall: string, path: string | undefined, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toPlatformError(error, syscall, path);
  }
}

/** A synchronous call with the seam's asynchronous shape (errors as rejections). */
function now<T>(syscall: string, path: string | undefined, operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(toPlatformError(error, syscall, path));
  }
}

/** The answer of every synchronous call that succeeded with nothing to return: one settled
 *  promise shared by all (awaiting it gives undefined each time). */
const DONE: Promise<void> = Promise.resolve();

/** A failed synchronous call as the seam reports it. */
function failed(error: unknown, syscall: string, path: string | undefined): Promise<never> {
  return Promise.reject(toPlatformError(error, syscall, path));
}

/** Error's V8 knob for the frames a new Error captures. */
const errorConstructor = Error as unknown as { stackTraceLimit?: number };

/** ENOENT for a path known to be missing, without the cost of a stack trace. */
function missing(syscall: string, path: string): Promise<never> {
  const limit = errorConstructor.stackTraceLimit;
  errorConstructor.stackTraceLimit = 0;
  try {
    return Promise.reject(new PlatformError('ENOENT', syscall, path));
  } finally {
    errorConstructor.stackTraceLimit = limit;
  }
}

/** stat/lstat: a missing file answers ENOENT without node throwing an exception. */
function statPath(syscall: 'stat' | 'lstat', path: string): Promise<FileStat> {
  let stat: fs.Stats | undefined;
  try {
    stat = syscall === 'stat' ? fs.statSync(path, { throwIfNoEntry: false }) : fs.lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    return Promise.reject(toPlatformError(error, syscall, path));
  }
  return stat === undefined ? missing(syscall, path) : Promise.resolve(toFileStat(stat));
}

/** unlink on the thread pool (see the header), after a synchronous check for a missing file. */
function unlinkPath(path: string): Promise<void> {
  let present: fs.Stats | undefined;
  try {
    present = fs.lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    return Promise.reject(toPlatformError(error, 'unlink', path));
  }
  if (present === undefined) return missing('unlink', path);
  return attempt('unlink', path, () => pooled<void>((done) => fs.unlink(path, (error) => done(error, undefined))));
}

/** node's callback API as a promise (runs on the thread pool). */
function pooled<T>(start: (done: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
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
  /** The offset that reads and writes without a position use and advance. */
  private offset = 0;
  private closed = false;

  constructor(private readonly fd: number, private readonly path: string, private readonly appending: boolean) {}

  private live(syscall: string): number {
    if (this.closed) throw new PlatformError('EBADF', syscall, this.path);
    return this.fd;
  }

  write(data: Uint8Array, position?: number): Promise<number> {
    const start = this.appending ? null : position ?? this.offset;
    if (data.length <= SMALL_IO_BYTES) {
      try {
        const written = fs.writeSync(this.live('write'), data, 0, data.length, start);
        if (position === undefined && start !== null) this.offset = start + written;
        return Promise.resolve(written);
      } catch (error) {
        return failed(error, 'write', this.path);
      }
    }
    return attempt('write', this.path, async () => {
      const written = await pooled<number>((done) => fs.write(this.live('write'), data, 0, data.length, start, done));
      if (position === undefined && start !== null) this.offset = start + written;
      return written;
    });
  }

  read(length: number, position?: number): Promise<Uint8Array> {
    const at = position ?? this.offset;
    const finish = (buffer: Uint8Array, count: number): Uint8Array => {
      if (position === undefined) this.offset += count;
      return buffer.subarray(0, count);
    };
    if (length <= SMALL_IO_BYTES) {
      // Into the one scratch buffer, then copied out at the size read: a queue file read
      // asks for 64 KB and gets ~2 KB, and a zeroed 64 KB array per read (calloc, memset,
      // external memory that V8 counts towards its next GC) cost more than the copy.
      try {
        const count = fs.readSync(this.live('read'), readScratch, 0, length, at);
        if (position === undefined) this.offset += count;
        return Promise.resolve(readScratch.slice(0, count));
      } catch (error) {
        return failed(error, 'read', this.path);
      }
    }
    return attempt('read', this.path, async () => {
      const buffer = new Uint8Array(length);
      return finish(buffer, await pooled<number>((done) => fs.read(this.live('read'), buffer, 0, length, at, done)));
    });
  }

  /** The one call that waits for the disk: asynchronous, on the thread pool. */
  sync(): Promise<void> {
    return attempt('fsync', this.path, () => pooled<void>((done) => fs.fsync(this.live('fsync'), (error) => done(error, undefined))));
  }

  truncate(length: number): Promise<void> { return now('ftruncate', this.path, () => fs.ftruncateSync(this.live('ftruncate'), length)); }
  stat(): Promise<FileStat> {
    try {
      return Promise.resolve(toFileStat(fs.fstatSync(this.live('fstat'))));
    } catch (error) {
      return failed(error, 'fstat', this.path);
    }
  }

  /** Closes the descriptor; a second close fails with EBADF, as any later use does. */
  close(): Promise<void> {
    try {
      const fd = this.live('close');
      this.closed = true;
      fs.closeSync(fd);
      return DONE;
    } catch (error) {
      return failed(error, 'close', this.path);
    }
  }
}

function bytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** statvfs(3) as fsspace() uses it: the fragment size and the blocks available to an
 *  unprivileged user (f_bavail), the same shape as the sim disk's statfs. */
export interface NodeFileSystemSpace {
  blockSize: number;
  blocksFree: number;
}

export interface NodeFileSystem extends FileSystem {
  statfs(path: string): Promise<NodeFileSystemSpace>;
}

export function createNodeFileSystem(): NodeFileSystem {
  return {
    statfs: (path) => now('statfs', path, () => {
      const space = fs.statfsSync(path);
      return { blockSize: space.bsize, blocksFree: space.bavail };
    }),
    readFile: (path) => attempt('open', path, async () => bytes(await fs.promises.readFile(path))),
    writeFile: (path, data, options) => (data.length <= SMALL_IO_BYTES
      ? now('open', path, () => fs.writeFileSync(path, data, { mode: options?.mode ?? 0o666 }))
      : attempt('open', path, () => fs.promises.writeFile(path, data, { mode: options?.mode ?? 0o666 }))),
    appendFile: (path, data, options) => (data.length <= SMALL_IO_BYTES
      ? now('open', path, () => fs.appendFileSync(path, data, { mode: options?.mode ?? 0o666 }))
      : attempt('open', path, () => fs.promises.appendFile(path, data, { mode: options?.mode ?? 0o666 }))),
    rename: (from, to) => {
      try {
        fs.renameSync(from, to);
        return DONE;
      } catch (error) {
        return failed(error, 'rename', from);
      }
    },
    unlink: (path) => unlinkPath(path),
    mkdir: (path, options) => now('mkdir', path, () => {
      fs.mkdirSync(path, { recursive: options?.recursive ?? false, mode: options?.mode ?? 0o777 });
    }),
    rmdir: (path) => now('rmdir', path, () => fs.rmdirSync(path)),
    readdir: (path) => now('scandir', path, () => fs.readdirSync(path).sort()),
    stat: (path) => statPath('stat', path),
    lstat: (path) => statPath('lstat', path),
    open: (path, flags: OpenFlags, mode?: number) => {
      try {
        return Promise.resolve<FileHandle>(new NodeFileHandle(fs.openSync(path, flags, mode ?? 0o666), path, flags === 'a' || flags === 'ax'));
      } catch (error) {
        return failed(error, 'open', path);
      }
    },
    link: (existing, newPath) => now('link', newPath, () => fs.linkSync(existing, newPath)),
    symlink: (target, path) => now('symlink', path, () => fs.symlinkSync(target, path)),
    chmod: (path, mode) => {
      try {
        fs.chmodSync(path, mode);
        return DONE;
      } catch (error) {
        return failed(error, 'chmod', path);
      }
    },
    chown: (path, uid, gid) => now('chown', path, () => fs.chownSync(path, uid, gid)),
    readlink: (path) => now('readlink', path, () => fs.readlinkSync(path, 'utf8')),
    utimes: (path, atimeMs, mtimeMs) => now('utime', path, () => fs.utimesSync(path, atimeMs / 1000, mtimeMs / 1000)),
  };
}
