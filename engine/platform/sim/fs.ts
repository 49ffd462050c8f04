// The simulated file system: one memfs Volume per host, driven through its synchronous API
// and wrapped in promises, so a file operation completes within the current microtask
// queue and never waits on a real macrotask (the scheduler stays in charge of time).
// Called through Platform.fs by everything in the engine; the World reaches the volume and
// the fault hooks (disk full, crash) through SimFileSystem. Trusts memfs; every memfs error
// leaves here as PlatformError. Models the POSIX file system under a Postfix host.

import { Volume } from 'memfs';
import type { FileHandle, FileStat, FileSystem, MkdirOptions, OpenFlags, WriteOptions } from '../types.ts';
import { PlatformError, quietPlatformError } from '../types.ts';
import { toPlatformError } from './errors.ts';
import { DiskState, type DiskFaults } from './durability.ts';
import { contentOfNode, directoryNames, fastOpen, fastRename, isDirectoryMode, isRegularMode, lookUp, nodeOfDescriptor, statOfNode, type MemfsLink, type MemfsNode } from './lookup.ts';
import { grantRootAccess } from './root-access.ts';

export interface SimFileSystem extends FileSystem {
  /** The memfs volume behind this file system, for scenarios that seed files and for tests. */
  readonly volume: Volume;
  readonly faults: DiskFaults;
  /** statvfs(3) as Postfix's fsspace() reads it: the block size and the blocks free, from
   *  the disk budget (faults.setBytesMax); a disk without a budget reports a large number
   *  of free blocks. smtpd's queue space check (smtpd_check_queue) reads it. */
  statfs(path: string): Promise<FileSystemSpace>;
}

export interface FileSystemSpace {
  blockSize: number;
  blocksFree: number;
}

/** The block size the simulated disk reports. */
export const SIM_BLOCK_BYTES = 4096;
/** Free blocks a disk without a budget reports (4 TiB). */
const UNLIMITED_FREE_BLOCKS = 2 ** 30;

export interface SimFileSystemOptions {
  /** An existing volume to wrap; a fresh empty one by default. */
  volume?: Volume;
  /** A byte budget for file content; writes past it fail with ENOSPC. */
  diskBytesMax?: number;
}

/** The identity the simulated processes run as: root, as Postfix's admin commands do. */
const simProcess = {
  getuid: () => 0,
  getgid: () => 0,
  cwd: () => '/',
  platform: 'linux',
  emitWarning: () => undefined,
  env: {},
};

export function createVolume(): Volume {
  grantRootAccess();
  return Volume.fromJSON({}, '/', { process: simProcess });
}

const encoder = new TextEncoder();

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** Runs a synchronous memfs call and turns its outcome into a settled promise. A halted
 *  disk (crashAfterOperations) fails it with EIO; `changes` counts it when it succeeds. */
function attempt<T>(disk: DiskState, syscall: string, path: string | undefined, operation: () => T, changes = false): Promise<T> {
  try {
    disk.checkAlive(syscall, path);
    const result = operation();
    if (changes) disk.countOperation(syscall, path);
    return Promise.resolve(result);
  } catch (error) {
    return Promise.reject(toPlatformError(error, syscall, path));
  }
}

interface StatLike {
  size: number | bigint; mode: number | bigint; uid: number | bigint; gid: number | bigint;
  mtimeMs: number | bigint; nlink: number | bigint; ino: number | bigint;
  isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean;
}

export function toFileStat(stat: StatLike): FileStat {
  return {
    size: Number(stat.size),
    mode: Number(stat.mode),
    uid: Number(stat.uid),
    gid: Number(stat.gid),
    isFile: stat.isFile(),
    isDirectory: stat.isDirectory(),
    isSymbolicLink: stat.isSymbolicLink(),
    mtimeMs: Number(stat.mtimeMs),
    nlink: Number(stat.nlink),
    ino: Number(stat.ino),
  };
}

function copyOut(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** The inode behind a live descriptor; memfs's own EBADF when it has none. */
function descriptorNode(volume: Volume, fd: number, syscall: string, path: string): MemfsNode {
  const node = nodeOfDescriptor(volume, fd);
  if (node === undefined) throw new PlatformError('EBADF', syscall, path);
  return node;
}

class SimFileHandle implements FileHandle {
  private closed = false;
  /** The file offset that reads and writes without a position use and advance. */
  private offset = 0;
  private readonly generation: number;

  constructor(
    private readonly volume: Volume,
    private readonly disk: DiskState,
    private readonly fd: number,
    private readonly path: string,
    private readonly appending: boolean,
  ) {
    this.generation = disk.generation;
  }

  private live(syscall: string): void {
    if (this.closed || this.generation !== this.disk.generation) throw new PlatformError('EBADF', syscall, this.path);
  }

  write(data: Uint8Array, position?: number): Promise<number> {
    return attempt(this.disk, 'write', this.path, () => {
      this.live('write');
      const node = descriptorNode(this.volume, this.fd, 'write', this.path);
      const size = node.size;
      const start = this.appending ? size : (position ?? this.offset);
      this.disk.checkSpace(start + data.length - size, 'write', this.path);
      this.disk.rememberInode(node.ino, start, size, () => contentOfNode(node));
      const written = this.volume.writeSync(this.fd, data, 0, data.length, this.appending ? null : start);
      if (position === undefined) this.offset = start + written;
      return written;
    }, true);
  }

  read(length: number, position?: number): Promise<Uint8Array> {
    return attempt(this.disk, 'read', this.path, () => {
      this.live('read');
      const at = position ?? this.offset;
      const node = descriptorNode(this.volume, this.fd, 'read', this.path);
      // Readers ask for big chunks (64 KB) of small files: copy out what the file holds.
      if (!isRegularMode(node.mode)) return this.readThroughMemfs(length, at, position === undefined);
      const buffer = contentOfNode(node, at, at + Math.max(0, length));
      if (position === undefined) this.offset += buffer.length;
      return buffer;
    });
  }

  /** read(2) of something that is not a regular file: memfs decides (EISDIR...). */
  private readThroughMemfs(length: number, at: number, advance: boolean): Uint8Array {
    const available = Math.max(0, Number(this.volume.fstatSync(this.fd).size) - at);
    const buffer = new Uint8Array(Math.max(0, Math.min(length, available)));
    const count = this.volume.readSync(this.fd, buffer, 0, buffer.length, at);
    if (advance) this.offset += count;
    return buffer.subarray(0, count);
  }

  sync(): Promise<void> {
    return attempt(this.disk, 'fsync', this.path, () => {
      this.live('fsync');
      this.volume.fsyncSync(this.fd);
      this.disk.markSynced(descriptorNode(this.volume, this.fd, 'fsync', this.path).ino);
    }, true);
  }

  truncate(length: number): Promise<void> {
    return attempt(this.disk, 'ftruncate', this.path, () => {
      this.live('ftruncate');
      const node = descriptorNode(this.volume, this.fd, 'ftruncate', this.path);
      this.disk.checkSpace(length - node.size, 'ftruncate', this.path);
      this.disk.rememberInode(node.ino, length, node.size, () => contentOfNode(node));
      this.volume.ftruncateSync(this.fd, length);
    }, true);
  }

  stat(): Promise<FileStat> {
    return attempt(this.disk, 'fstat', this.path, () => {
      this.live('fstat');
      return statOfNode(descriptorNode(this.volume, this.fd, 'fstat', this.path));
    });
  }

  close(): Promise<void> {
    return attempt(this.disk, 'close', this.path, () => {
      this.live('close');
      this.closed = true;
      this.disk.descriptorClosed(this.fd);
      this.volume.closeSync(this.fd);
    });
  }
}

export function createSimFileSystem(options: SimFileSystemOptions = {}): SimFileSystem {
  const volume = options.volume ?? createVolume();
  const disk = new DiskState(volume, options.diskBytesMax);

  const sizeOf = (path: string): number => {
    const link = lookUp(volume, path, true);
    if (link !== undefined) return link === null ? 0 : link.node.size;
    try { return Number(volume.statSync(path).size); } catch { return 0; }
  };

  /** The link a path names, following a final symbolic link or not; throws a quiet ENOENT
   *  when it does not exist; undefined when memfs must answer. */
  const existing = (path: string, followFinal: boolean, syscall: string): MemfsLink | undefined => {
    const link = lookUp(volume, path, followFinal);
    if (link === null) throw quietPlatformError('ENOENT', syscall, path);
    return link;
  };

  const readWhole = (path: string): Uint8Array => {
    const link = existing(path, true, 'open');
    if (link !== undefined && isRegularMode(link.node.mode)) return contentOfNode(link.node);
    return copyOut(volume.readFileSync(path) as Uint8Array);
  };

  const statPath = (path: string, followFinal: boolean): FileStat => {
    const link = existing(path, followFinal, followFinal ? 'stat' : 'lstat');
    if (link !== undefined) return statOfNode(link.node);
    return toFileStat((followFinal ? volume.statSync(path) : volume.lstatSync(path)) as StatLike);
  };

  /** open(2) as memfs does it, through its openLink without the path walks when it can. */
  const openDescriptor = (path: string, flags: OpenFlags, mode: number): number => {
    const outcome = fastOpen(volume, path, flags, mode);
    if (outcome === 'ENOENT' || outcome === 'EEXIST') throw quietPlatformError(outcome, 'open', path);
    return outcome ?? volume.openSync(path, flags, mode);
  };

  const replaceContent = (path: string, data: Uint8Array, fileOptions: WriteOptions | undefined, append: boolean): void => {
    // Only a disk with a budget needs the old size (checkSpace ignores the growth otherwise).
    const growth = append || disk.bytesMax === undefined ? data.length : data.length - sizeOf(path);
    disk.checkSpace(growth, append ? 'write' : 'open', path);
    const existed = disk.rememberPath(path, append ? Infinity : 0);
    const mode = fileOptions?.mode ?? 0o666;
    const fd = openDescriptor(path, append ? 'a' : 'w', mode);
    try {
      if (data.length > 0) volume.writeSync(fd, data, 0, data.length, null);
    } finally {
      volume.closeSync(fd);
    }
    if (!existed) disk.markCreated(path);
  };

  return {
    volume,
    faults: disk,
    readFile: (path) => attempt(disk, 'open', path, () => readWhole(path)),
    writeFile: (path, data, fileOptions) => attempt(disk, 'open', path, () => replaceContent(path, bytesOf(data), fileOptions, false), true),
    appendFile: (path, data, fileOptions) => attempt(disk, 'open', path, () => replaceContent(path, bytesOf(data), fileOptions, true), true),
    rename: (from, to) => attempt(disk, 'rename', from, () => {
      if (!fastRename(volume, from, to)) volume.renameSync(from, to);
    }, true),
    unlink: (path) => attempt(disk, 'unlink', path, () => {
      existing(path, false, 'unlink');
      disk.forgetIfLastLink(path);
      volume.unlinkSync(path);
    }, true),
    mkdir: (path, mkdirOptions?: MkdirOptions) => attempt(disk, 'mkdir', path, () => {
      volume.mkdirSync(path, { recursive: mkdirOptions?.recursive ?? false, mode: mkdirOptions?.mode ?? 0o777 });
    }, true),
    rmdir: (path) => attempt(disk, 'rmdir', path, () => volume.rmdirSync(path), true),
    readdir: (path) => attempt(disk, 'scandir', path, () => {
      const link = existing(path, true, 'scandir');
      if (link !== undefined && isDirectoryMode(link.node.mode)) return directoryNames(link);
      return (volume.readdirSync(path) as string[]).slice().sort();
    }),
    stat: (path) => attempt(disk, 'stat', path, () => statPath(path, true)),
    lstat: (path) => attempt(disk, 'lstat', path, () => statPath(path, false)),
    open: (path, flags: OpenFlags, mode?: number) => attempt(disk, 'open', path, () => {
      const writes = flags !== 'r';
      // 'w' empties the file at once; the other modes change bytes only when written.
      const existed = writes ? disk.rememberPath(path, flags === 'w' ? 0 : Infinity) : true;
      const fd = openDescriptor(path, flags, mode ?? 0o666);
      disk.descriptorOpened(fd);
      if (writes && !existed) disk.markCreated(path);
      return new SimFileHandle(volume, disk, fd, path, flags === 'a' || flags === 'ax');
    }, flags !== 'r'),
    link: (existing, newPath) => attempt(disk, 'link', newPath, () => volume.linkSync(existing, newPath), true),
    symlink: (target, path) => attempt(disk, 'symlink', path, () => volume.symlinkSync(target, path), true),
    chmod: (path, mode) => attempt(disk, 'chmod', path, () => volume.chmodSync(path, mode), true),
    chown: (path, uid, gid) => attempt(disk, 'chown', path, () => volume.chownSync(path, uid, gid), true),
    statfs: (path) => attempt(disk, 'statfs', path, () => {
      if (existing(path, true, 'statfs') === undefined) volume.statSync(path);
      const limit = disk.bytesMax;
      const blocksFree = limit === undefined ? UNLIMITED_FREE_BLOCKS : Math.floor(Math.max(0, limit - disk.usedBytes()) / SIM_BLOCK_BYTES);
      return { blockSize: SIM_BLOCK_BYTES, blocksFree };
    }),
    utimes: (path, atimeMs, mtimeMs) => attempt(disk, 'utime', path, () => volume.utimesSync(path, atimeMs / 1000, mtimeMs / 1000), true),
  };
}
