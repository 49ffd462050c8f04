// The simulated file system: one memfs Volume per host, wrapped in promises, so a file
// operation completes within the current microtask queue and never waits on a real macrotask
// (the scheduler stays in charge of time). memfs holds the tree and the bytes; the hot calls
// on plain paths (open, read, write, fsync, close, rename, unlink, stat, readdir, utimes) work
// on its links and inodes directly (lookup.ts, inodes.ts), everything else goes through its
// synchronous API. File times come from the host's simulated clock.
// Called through Platform.fs by everything in the engine; the World reaches the volume and
// the fault hooks (disk full, crash) through SimFileSystem. Trusts memfs; every memfs error
// leaves here as PlatformError. Models the POSIX file system under a Postfix host.

import { Volume } from 'memfs';
import type { FileHandle, FileStat, FileSystem, MkdirOptions, OpenFlags, WriteOptions } from '../types.ts';
import { PlatformError, quietPlatformError } from '../types.ts';
import { toPlatformError } from './errors.ts';
import { DiskState, type DiskFaults } from './durability.ts';
import { childNamed, DIRECTORY_BYTES, directoryNames, fastOpen, fastRename, isDirectoryMode, isRegularMode, lookUp, lookUpParent, nodeOfDescriptor, readOfNode, statOfNode, type MemfsLink, type MemfsNode } from './lookup.ts';
import { changeInodeMode, changeInodeOwner, createFile, createSocketFile, FileTimes, isSocketMode, isWatched, renameFile, setInodeTimes, superblockOf, truncateInode, unlinkFile, writeInode, type FileClock, type LinkFields } from './inodes.ts';
import { grantRootAccess } from './root-access.ts';
import { missingPaths, parentPath, stampChanged, stampCreated } from './stamps.ts';

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
/** The largest mode memfs's chmod accepts. */
const UINT32_MAX = 0xffffffff;
/** Free blocks a disk without a budget reports (4 TiB). */
const UNLIMITED_FREE_BLOCKS = 2 ** 30;

export interface SimFileSystemOptions {
  /** An existing volume to wrap; a fresh empty one by default. */
  volume?: Volume;
  /** A byte budget for file content; writes past it fail with ENOSPC. */
  diskBytesMax?: number;
  /** The clock file times come from (the host's simulated clock); the epoch without one. */
  clock?: FileClock;
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
 *  disk (crashAfterOperations) fails it with EIO; `changes` counts it when it succeeds.
 *  The hot calls below (all but truncate, mkdir, rmdir, link, symlink, statfs) do the same
 *  inline (try, checkAlive, count, settle) without the closure this takes. */
function attempt<T>(disk: DiskState, syscall: string, path: string | undefined, operation: () => T, changes = false): Promise<T> {
  try {
    disk.checkAlive(syscall, path);
    const result = operation();
    if (changes) disk.countOperation(syscall, path);
    return Promise.resolve(result);
  } catch (error) {
    return failed(error, syscall, path);
  }
}

/** What a call that answers nothing gives on success: one shared settled promise (awaiting
 *  it takes the same microtask turns as awaiting a fresh one). */
const DONE: Promise<void> = Promise.resolve();

/** An expected failure's error and the settled rejection that answers it. */
interface ExpectedFailure {
  error: PlatformError;
  answer: Promise<never>;
}

/** Expected failures by path, kept for when the same call fails the same way again: a
 *  deferred message's attempt stats its bounce/ID once (ENOENT), every attempt until it
 *  goes, and building an error (~0.3-2 us with V8's stack bookkeeping, even without
 *  frames) and a rejected promise costs more than the lookup that failed. An error is
 *  handed out again only for the same code, call and path, whose text (message, fields)
 *  it holds; nothing in the engine changes an error it caught. At most this many paths
 *  (a five-day fast-forward of 1,000 deferred messages asks ~1,000), then it starts over. */
const EXPECTED_FAILURES_MAX = 2048;
const expectedFailures = new Map<string, ExpectedFailure>();

/** The last expected failure expected() gave out; failed() recognises its error. */
let lastExpected: ExpectedFailure | undefined;

/** The answer of an expected failure. */
type Refusal = 'ENOENT' | 'EEXIST';

/** An expected answer (ENOENT of an existence check, EEXIST of an exclusive create): its
 *  error without a stack trace (quietPlatformError), and a rejection that costs no
 *  unhandled-rejection bookkeeping; the same ones again for the same code, call and path. */
function expectedFailure(code: Refusal, syscall: string, path: string): ExpectedFailure {
  let failure = expectedFailures.get(path);
  if (failure === undefined || failure.error.code !== code || failure.error.syscall !== syscall) {
    const error = quietPlatformError(code, syscall, path);
    failure = { error, answer: handledRejection(error) };
    // Starts over when full: dropping the oldest one by one leaves V8's Map a run of
    // deleted slots at its front that every first-key lookup walks again.
    if (expectedFailures.size >= EXPECTED_FAILURES_MAX) expectedFailures.clear();
    expectedFailures.set(path, failure);
  }
  return failure;
}

/** The settled rejection a call answers for an expected failure found without a throw (a
 *  thrown and caught exception costs V8 more than the rest of the failed call). */
function refused(code: Refusal, syscall: string, path: string): Promise<never> {
  return expectedFailure(code, syscall, path).answer;
}

/** An expected failure's error, to throw from where a plain return does not reach the call:
 *  failed() answers it with its kept rejection. */
function expected(code: Refusal, syscall: string, path: string): PlatformError {
  const failure = expectedFailure(code, syscall, path);
  lastExpected = failure;
  return failure.error;
}

/** A thrown value as the rejected promise a call answers. */
function failed(error: unknown, syscall: string, path: string | undefined): Promise<never> {
  if (lastExpected !== undefined && error === lastExpected.error) {
    const answer = lastExpected.answer;
    lastExpected = undefined;
    return answer;
  }
  return Promise.reject(toPlatformError(error, syscall, path));
}

let settleRejection: (error: unknown) => void = () => undefined;
function captureReject(_resolve: unknown, reject: (error: unknown) => void): void {
  settleRejection = reject;
}
function ignoreRejection(): void {}

/** A promise rejected with `error` that has a handler before it is rejected: the engine
 *  (V8) then reports no rejection without a handler, and the host (Node's
 *  unhandled-rejection tracking, a browser's console) keeps no record of it for when the
 *  caller's await attaches its own, which costs more than the failed lookup itself (an
 *  existence check per deferred attempt: qmgr's stat of bounce/ID). The caller's await or
 *  catch sees the same error in the same microtask turn; the handler's one extra reaction
 *  has no effect, so the order of every other reaction is unchanged. Only for expected
 *  failures: a caller that drops one of these promises is not told about it. */
function handledRejection(error: PlatformError): Promise<never> {
  const promise = new Promise<never>(captureReject);
  promise.then(undefined, ignoreRejection);
  settleRejection(error);
  return promise;
}

interface StatLike {
  size: number | bigint; mode: number | bigint; uid: number | bigint; gid: number | bigint;
  mtimeMs: number | bigint; nlink: number | bigint; ino: number | bigint;
  isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean;
}

export function toFileStat(stat: StatLike): FileStat {
  return {
    size: stat.isDirectory() ? DIRECTORY_BYTES : Number(stat.size),
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

/** The inode behind a live memfs descriptor; memfs's own EBADF when it has none. */
function descriptorNode(volume: Volume, fd: number, syscall: string, path: string): MemfsNode {
  const node = nodeOfDescriptor(volume, fd);
  if (node === undefined) throw new PlatformError('EBADF', syscall, path);
  return node;
}

/** An open file. A regular file opened by a plain path is held by its inode alone (no memfs
 *  descriptor: its reads and writes go to the inode directly); anything else keeps the
 *  descriptor memfs made and goes through memfs. */
class SimFileHandle implements FileHandle {
  private closed = false;
  /** The file offset that reads and writes without a position use and advance. */
  private offset = 0;
  private readonly generation: number;

  constructor(
    private readonly volume: Volume,
    private readonly disk: DiskState,
    private readonly times: FileTimes,
    private readonly fd: number | undefined,
    private readonly inode: MemfsNode | undefined,
    private readonly path: string,
    private readonly appending: boolean,
  ) {
    this.generation = disk.generation;
  }

  private live(syscall: string): MemfsNode {
    if (this.closed || this.generation !== this.disk.generation) throw new PlatformError('EBADF', syscall, this.path);
    return this.inode ?? descriptorNode(this.volume, this.fd as number, syscall, this.path);
  }

  write(data: Uint8Array, position?: number): Promise<number> {
    const disk = this.disk;
    try {
      disk.checkAlive('write', this.path);
      const node = this.live('write');
      const size = node.size;
      const start = this.appending ? size : (position ?? this.offset);
      disk.checkSpace(start + data.length - size, 'write', this.path);
      disk.rememberNode(node, start);
      const written = this.fd === undefined
        ? writeInode(node, data, start, this.times.now())
        : this.volume.writeSync(this.fd, data, 0, data.length, this.appending ? null : start);
      if (position === undefined) this.offset = start + written;
      disk.countOperation('write', this.path);
      return Promise.resolve(written);
    } catch (error) {
      return failed(error, 'write', this.path);
    }
  }

  read(length: number, position?: number): Promise<Uint8Array> {
    try {
      this.disk.checkAlive('read', this.path);
      const node = this.live('read');
      const at = position ?? this.offset;
      // Readers ask for big chunks (64 KB) of small files: copy out what the file holds.
      if (!isRegularMode(node.mode)) return Promise.resolve(this.readThroughMemfs(length, at, position === undefined));
      const buffer = readOfNode(node, at, at + Math.max(0, length));
      if (position === undefined) this.offset += buffer.length;
      return Promise.resolve(buffer);
    } catch (error) {
      return failed(error, 'read', this.path);
    }
  }

  /** read(2) of something that is not a regular file: memfs decides (EISDIR...). */
  private readThroughMemfs(length: number, at: number, advance: boolean): Uint8Array {
    const fd = this.fd as number;
    const available = Math.max(0, Number(this.volume.fstatSync(fd).size) - at);
    const buffer = new Uint8Array(Math.max(0, Math.min(length, available)));
    const count = this.volume.readSync(fd, buffer, 0, buffer.length, at);
    if (advance) this.offset += count;
    return buffer.subarray(0, count);
  }

  sync(): Promise<void> {
    const disk = this.disk;
    try {
      disk.checkAlive('fsync', this.path);
      const node = this.live('fsync');
      if (this.fd !== undefined) this.volume.fsyncSync(this.fd);
      disk.markSynced(node.ino);
      disk.countOperation('fsync', this.path);
      return DONE;
    } catch (error) {
      return failed(error, 'fsync', this.path);
    }
  }

  truncate(length: number): Promise<void> {
    return attempt(this.disk, 'ftruncate', this.path, () => {
      const node = this.live('ftruncate');
      this.disk.checkSpace(length - node.size, 'ftruncate', this.path);
      this.disk.rememberNode(node, length);
      if (this.fd === undefined) truncateInode(node, length, this.times.now());
      else this.volume.ftruncateSync(this.fd, length);
    }, true);
  }

  stat(): Promise<FileStat> {
    try {
      this.disk.checkAlive('fstat', this.path);
      return Promise.resolve(statOfNode(this.live('fstat')));
    } catch (error) {
      return failed(error, 'fstat', this.path);
    }
  }

  close(): Promise<void> {
    const disk = this.disk;
    try {
      disk.checkAlive('close', this.path);
      this.live('close');
      this.closed = true;
      if (this.fd === undefined) {
        disk.handleClosed();
      } else {
        disk.descriptorClosed(this.fd);
        this.volume.closeSync(this.fd);
      }
      return DONE;
    } catch (error) {
      return failed(error, 'close', this.path);
    }
  }
}

/** The final name of a rename's target path: the link's own name string when the text is
 *  the same (a queue file keeps its name from queue to queue; that string's hash is kept,
 *  so the directory map does not hash a fresh slice of the path), else a slice of it. */
function targetName(link: LinkFields, to: string): string {
  const nameStart = to.lastIndexOf('/') + 1;
  const name = link.name;
  // A name as long as the rest of the path can only match at nameStart.
  if (name.length === to.length - nameStart && to.indexOf(name, nameStart) === nameStart) return name;
  return to.slice(nameStart);
}

/** open(2) flags by FileSystem's names: whether they create, refuse an existing name,
 *  empty the file, write. */
const OPEN_FLAG_FACTS: Readonly<Record<string, { create: boolean; exclusive: boolean; truncate: boolean; writes: boolean }>> = {
  r: { create: false, exclusive: false, truncate: false, writes: false },
  'r+': { create: false, exclusive: false, truncate: false, writes: true },
  w: { create: true, exclusive: false, truncate: true, writes: true },
  wx: { create: true, exclusive: true, truncate: true, writes: true },
  a: { create: true, exclusive: false, truncate: false, writes: true },
  ax: { create: true, exclusive: true, truncate: false, writes: true },
};

/** open(2) of a socket file fails on Linux with ENXIO (a socket is reached by connect(2),
 *  never opened); anything else that is not a regular file is memfs's to open. */
function refuseSocket(node: MemfsNode, path: string): undefined {
  if (isSocketMode(node.mode)) throw new PlatformError('ENXIO', 'open', path);
  return undefined;
}

export function createSimFileSystem(options: SimFileSystemOptions = {}): SimFileSystem {
  grantRootAccess();
  const volume = options.volume ?? createVolume();
  const disk = new DiskState(volume, options.diskBytesMax);
  const core = superblockOf(volume);
  const times = new FileTimes(options.clock);

  const sizeOf = (path: string): number => {
    const link = lookUp(volume, path, true);
    if (link !== undefined) return link === null ? 0 : link.node.size;
    try { return Number(volume.statSync(path).size); } catch { return 0; }
  };

  /** The link a path names, following a final symbolic link or not; throws a quiet ENOENT
   *  when it does not exist; undefined when memfs must answer. */
  const existing = (path: string, followFinal: boolean, syscall: string): MemfsLink | undefined => {
    const link = lookUp(volume, path, followFinal);
    if (link === null) throw expected('ENOENT', syscall, path);
    return link;
  };

  /** readFile's bytes: the file's content, or the expected failure's answer. */
  const readWhole = (path: string): Promise<Uint8Array> => {
    const link = lookUp(volume, path, true);
    if (link === null) return refused('ENOENT', 'open', path);
    if (link !== undefined && isRegularMode(link.node.mode)) return Promise.resolve(readOfNode(link.node, 0, link.node.size));
    if (link !== undefined) refuseSocket(link.node, path);
    return Promise.resolve(copyOut(volume.readFileSync(path) as Uint8Array));
  };

  /** stat(2) or lstat(2): the answer, or the expected failure's. */
  const statPath = (path: string, followFinal: boolean, syscall: string): Promise<FileStat> => {
    const link = lookUp(volume, path, followFinal);
    if (link === null) return refused('ENOENT', syscall, path);
    if (link !== undefined) return Promise.resolve(statOfNode(link.node));
    return Promise.resolve(toFileStat((followFinal ? volume.statSync(path) : volume.lstatSync(path)) as StatLike));
  };

  /** memfs's limit on open files, counting the files held by their inodes here. */
  const checkOpenFiles = (path: string): void => {
    if (core.openFiles + disk.openHandles >= core.maxFiles) throw new PlatformError('EMFILE', 'open', path);
  };

  /** open(2) of a plain path on the inodes themselves: an existing regular file, or a new
   *  one in an existing directory. Remembers the durable content before a change (from byte
   *  `rememberFrom` on: 0 when it empties the file, Infinity when it only may append) and
   *  marks a new file as never durable. Undefined (before any change) when memfs must open
   *  it: an unusual path, a symbolic link, something not a regular file, a watched volume;
   *  the expected failure's code (ENOENT, EEXIST) when it fails so. */
  const openInode = (path: string, flags: OpenFlags, mode: number, rememberFrom: number): MemfsNode | Refusal | undefined => {
    const facts = OPEN_FLAG_FACTS[flags];
    if (facts === undefined || isWatched(volume)) return undefined;
    const directory = lookUpParent(volume, path);
    if (directory === undefined) return undefined;
    if (directory === null) {
      if (facts.create) return undefined;
      return 'ENOENT';
    }
    const child = childNamed(directory, path, true);
    if (child === undefined) return undefined;
    if (child !== null) {
      const node = child.node;
      if (!isRegularMode(node.mode)) return refuseSocket(node, path);
      if (facts.writes) disk.rememberNode(node, rememberFrom);
      if (facts.exclusive) return 'EEXIST';
      if (facts.truncate) truncateInode(node, 0, times.now());
      return node;
    }
    if (!facts.create) return 'ENOENT';
    const created = createFile(volume, directory, path.slice(path.lastIndexOf('/') + 1), mode, times.now());
    disk.markCreatedInode(created.node.ino);
    return created.node;
  };

  /** open(2) through memfs (every path openInode leaves to it). */
  const openDescriptor = (path: string, flags: OpenFlags, mode: number): number => {
    const outcome = fastOpen(volume, path, flags, mode);
    if (outcome === 'ENOENT' || outcome === 'EEXIST') throw expected(outcome, 'open', path);
    return outcome ?? volume.openSync(path, flags, mode);
  };

  /** writeFile's and appendFile's work; the expected failure's code when the open fails so. */
  const replaceContent = (path: string, data: Uint8Array, fileOptions: WriteOptions | undefined, append: boolean): Refusal | undefined => {
    // Only a disk with a budget needs the old size (checkSpace ignores the growth otherwise).
    const growth = append || disk.bytesMax === undefined ? data.length : data.length - sizeOf(path);
    disk.checkSpace(growth, append ? 'write' : 'open', path);
    const mode = fileOptions?.mode ?? 0o666;
    checkOpenFiles(path);
    const node = openInode(path, append ? 'a' : 'w', mode, append ? Infinity : 0);
    if (typeof node === 'string') return node;
    if (node !== undefined) {
      writeInode(node, data, append ? node.size : 0, times.now());
      return undefined;
    }
    const existed = disk.rememberPath(path, append ? Infinity : 0);
    const fd = openDescriptor(path, append ? 'a' : 'w', mode);
    try {
      if (data.length > 0) volume.writeSync(fd, data, 0, data.length, null);
    } finally {
      volume.closeSync(fd);
    }
    if (!existed) disk.markCreated(path);
    return undefined;
  };

  /** open(2): the handle, or the expected failure's code. */
  const open = (path: string, flags: OpenFlags, mode: number): SimFileHandle | Refusal => {
    checkOpenFiles(path);
    const appending = flags === 'a' || flags === 'ax';
    // 'w' empties the file at once; the other modes change bytes only when written.
    const rememberFrom = flags === 'w' ? 0 : Infinity;
    const node = openInode(path, flags, mode, rememberFrom);
    if (typeof node === 'string') return node;
    if (node !== undefined) {
      disk.handleOpened();
      return new SimFileHandle(volume, disk, times, undefined, node, path, appending);
    }
    const writes = flags !== 'r';
    const existed = writes ? disk.rememberPath(path, rememberFrom) : true;
    const fd = openDescriptor(path, flags, mode);
    disk.descriptorOpened(fd);
    if (writes && !existed) disk.markCreated(path);
    return new SimFileHandle(volume, disk, times, fd, undefined, path, appending);
  };

  /** rename(2) of a regular file on the links themselves; false when memfs must do it. */
  const renameInode = (from: string, to: string): boolean => {
    if (isWatched(volume)) return false;
    const link = lookUp(volume, from, true);
    if (link === undefined || link === null || !isRegularMode(link.node.mode) || (link as LinkFields).parent === undefined) return false;
    const directory = lookUpParent(volume, to);
    if (directory === undefined || directory === null) return false;
    renameFile(link, directory, targetName(link as LinkFields, to), times.now());
    return true;
  };

  /** unlink(2) of a file or symbolic link on the links themselves; false when memfs must;
   *  ENOENT when the name is not there. */
  const unlinkInode = (path: string): boolean | 'ENOENT' => {
    if (isWatched(volume)) return false;
    const directory = lookUpParent(volume, path);
    if (directory === undefined) return false;
    const link = directory === null ? null : childNamed(directory, path, false);
    if (link === null) return 'ENOENT';
    if (link === undefined || isDirectoryMode(link.node.mode)) return false;
    if (link.node.nlink <= 1) disk.forgetInode(link.node.ino);
    unlinkFile(volume, link, times.now());
    return true;
  };

  /** utimes(2) on the inode itself (memfs keeps the times it is given in seconds as Dates);
   *  false when memfs must. */
  const utimesInode = (path: string, atimeMs: number, mtimeMs: number): boolean => {
    if (isWatched(volume)) return false;
    const link = lookUp(volume, path, true);
    if (link === undefined || link === null) return false;
    const now = times.now();
    const atime = times.at((atimeMs / 1000) * 1000);
    setInodeTimes(link.node, atime, times.at((mtimeMs / 1000) * 1000), now);
    return true;
  };

  /** The inode a plain path names (a final symbolic link followed) when nothing watches the
   *  volume; undefined when memfs must answer (it also reports a missing name). */
  const watchlessInode = (path: string): MemfsNode | undefined => {
    if (isWatched(volume)) return undefined;
    const link = lookUp(volume, path, true);
    return link === undefined || link === null ? undefined : link.node;
  };

  /** writeFile and appendFile: one open, the bytes replaced or appended, one close. */
  const putContent = (path: string, data: Parameters<FileSystem['writeFile']>[1],
    fileOptions: Parameters<FileSystem['writeFile']>[2], append: boolean): Promise<void> => {
    try {
      disk.checkAlive('open', path);
      const refusal = replaceContent(path, bytesOf(data), fileOptions, append);
      if (refusal !== undefined) return refused(refusal, 'open', path);
      disk.countOperation('open', path);
      return DONE;
    } catch (error) {
      return failed(error, 'open', path);
    }
  };

  /** bind(2)'s socket file: a new S_IFSOCK inode in an existing directory, owned as asked. */
  const makeSocket = (path: string, mode: number, uid: number, gid: number): void => {
    const directory = lookUpParent(volume, path);
    if (directory === undefined) throw new PlatformError('EINVAL', 'mknod', path);
    if (directory === null) throw expected('ENOENT', 'mknod', path);
    if (childNamed(directory, path, false) !== null) throw expected('EEXIST', 'mknod', path);
    const created = createSocketFile(volume, directory, path.slice(path.lastIndexOf('/') + 1), mode, times.now());
    changeInodeOwner(created.node, uid, gid, times.now());
  };

  return {
    volume,
    faults: disk,
    readFile: (path) => {
      try {
        disk.checkAlive('open', path);
        return readWhole(path);
      } catch (error) {
        return failed(error, 'open', path);
      }
    },
    writeFile: (path, data, fileOptions) => putContent(path, data, fileOptions, false),
    appendFile: (path, data, fileOptions) => putContent(path, data, fileOptions, true),
    rename: (from, to) => {
      try {
        disk.checkAlive('rename', from);
        if (!renameInode(from, to) && !fastRename(volume, from, to)) volume.renameSync(from, to);
        disk.countOperation('rename', from);
        return DONE;
      } catch (error) {
        return failed(error, 'rename', from);
      }
    },
    unlink: (path) => {
      try {
        disk.checkAlive('unlink', path);
        const unlinked = unlinkInode(path);
        if (unlinked === 'ENOENT') return refused('ENOENT', 'unlink', path);
        if (!unlinked) {
          existing(path, false, 'unlink');
          disk.forgetIfLastLink(path);
          volume.unlinkSync(path);
        }
        disk.countOperation('unlink', path);
        return DONE;
      } catch (error) {
        return failed(error, 'unlink', path);
      }
    },
    mkdir: (path, mkdirOptions?: MkdirOptions) => attempt(disk, 'mkdir', path, () => {
      const recursive = mkdirOptions?.recursive ?? false;
      const made = missingPaths(volume, path, recursive);
      volume.mkdirSync(path, { recursive, mode: mkdirOptions?.mode ?? 0o777 });
      stampCreated(volume, made, times.now());
    }, true),
    rmdir: (path) => attempt(disk, 'rmdir', path, () => {
      volume.rmdirSync(path);
      stampChanged(volume, [parentPath(path)], times.now());
    }, true),
    readdir: (path) => {
      try {
        disk.checkAlive('scandir', path);
        const link = existing(path, true, 'scandir');
        if (link !== undefined && isDirectoryMode(link.node.mode)) return Promise.resolve(directoryNames(link));
        return Promise.resolve((volume.readdirSync(path) as string[]).slice().sort());
      } catch (error) {
        return failed(error, 'scandir', path);
      }
    },
    stat: (path) => {
      try {
        disk.checkAlive('stat', path);
        return statPath(path, true, 'stat');
      } catch (error) {
        return failed(error, 'stat', path);
      }
    },
    lstat: (path) => {
      try {
        disk.checkAlive('lstat', path);
        return statPath(path, false, 'lstat');
      } catch (error) {
        return failed(error, 'lstat', path);
      }
    },
    open: (path, flags: OpenFlags, mode?: number) => {
      try {
        disk.checkAlive('open', path);
        const handle = open(path, flags, mode ?? 0o666);
        if (typeof handle === 'string') return refused(handle, 'open', path);
        if (flags !== 'r') disk.countOperation('open', path);
        return Promise.resolve<FileHandle>(handle);
      } catch (error) {
        return failed(error, 'open', path);
      }
    },
    link: (existing, newPath) => attempt(disk, 'link', newPath, () => {
      volume.linkSync(existing, newPath);
      stampChanged(volume, [parentPath(newPath)], times.now());
    }, true),
    symlink: (target, path) => attempt(disk, 'symlink', path, () => {
      volume.symlinkSync(target, path);
      // Linux makes every symbolic link rwxrwxrwx (memfs: rw-rw-rw-).
      const made = lookUp(volume, path, false);
      if (made !== null && made !== undefined) changeInodeMode(made.node, 0o777, times.now());
      stampCreated(volume, [path], times.now());
    }, true),
    chmod: (path, mode) => {
      try {
        disk.checkAlive('chmod', path);
        // memfs takes a uint32 mode; anything else is its error to give.
        const node = Number.isInteger(mode) && mode >= 0 && mode <= UINT32_MAX ? watchlessInode(path) : undefined;
        if (node === undefined) volume.chmodSync(path, mode);
        else changeInodeMode(node, mode, times.now());
        disk.countOperation('chmod', path);
        return DONE;
      } catch (error) {
        return failed(error, 'chmod', path);
      }
    },
    chown: (path, uid, gid) => {
      try {
        disk.checkAlive('chown', path);
        const node = typeof uid === 'number' && typeof gid === 'number' ? watchlessInode(path) : undefined;
        if (node === undefined) volume.chownSync(path, uid, gid);
        else changeInodeOwner(node, uid, gid, times.now());
        disk.countOperation('chown', path);
        return DONE;
      } catch (error) {
        return failed(error, 'chown', path);
      }
    },
    readlink: (path) => attempt(disk, 'readlink', path, () => String(volume.readlinkSync(path))),
    mknodSocket: (path, mode, uid, gid) => attempt(disk, 'mknod', path, () => makeSocket(path, mode, uid, gid), true),
    statfs: (path) => attempt(disk, 'statfs', path, () => {
      if (existing(path, true, 'statfs') === undefined) volume.statSync(path);
      const limit = disk.bytesMax;
      const blocksFree = limit === undefined ? UNLIMITED_FREE_BLOCKS : Math.floor(Math.max(0, limit - disk.usedBytes()) / SIM_BLOCK_BYTES);
      return { blockSize: SIM_BLOCK_BYTES, blocksFree };
    }),
    utimes: (path, atimeMs, mtimeMs) => {
      try {
        disk.checkAlive('utime', path);
        if (!utimesInode(path, atimeMs, mtimeMs)) volume.utimesSync(path, atimeMs / 1000, mtimeMs / 1000);
        disk.countOperation('utime', path);
        return DONE;
      } catch (error) {
        return failed(error, 'utime', path);
      }
    },
  };
}
