// Fault hooks for the simulated disk: a byte budget that makes writes fail with ENOSPC
// ("disk full"), and a record of file contents not yet made durable by fsync so that a host
// crash can drop them (DESIGN.md section 5: "host crash and restart ... unsynced writes
// lost"). Called by sim/fs.ts before and after every content change; the World calls
// setBytesMax() and crash() through SimFileSystem.faults. Crash tests (test/crash) call
// crashAfterOperations(n): the disk counts the operations that change it and crashes right
// after the nth, and from then on every operation of that file system fails with EIO, as
// for a process whose host went down; a restarted host wraps the same volume anew.
//
// Model: file *contents* are volatile until FileHandle.sync(); directory operations (create,
// rename, link, unlink, mkdir) are durable at once, as on a journaling file system that
// Postfix relies on. Files are tracked by inode, so a rename or hard link of an open queue
// file keeps its state. A file that is only appended to (a mailbox, the maillog) records
// just its durable length, so that each delivery does not copy the whole mailbox; its
// content is copied only when a change reaches inside that length. Trusts the memfs Volume
// it is given and nothing else.

import type { Volume } from 'memfs';
import { PlatformError } from '../types.ts';
import { contentOfNode, lookUp, nodeOfDescriptor, type MemfsNode } from './lookup.ts';

/** How many entries a usage or inode walk visits before giving up: sim disks are small. */
export const volumeWalkEntriesMax = 200_000;

export interface DiskFaults {
  /** Total bytes of file content the disk holds; undefined means no limit. */
  setBytesMax(bytesMax: number | undefined): void;
  readonly bytesMax: number | undefined;
  /** Bytes of file content currently stored (each inode counted once). */
  usedBytes(): number;
  /** Paths whose content changed since their last sync, sorted. */
  unsyncedPaths(): string[];
  /** Reverts every unsynced content change (never-synced files vanish) and closes every
   *  open descriptor; returns the paths it touched, sorted. */
  crash(): string[];
  /** Operations that changed the disk so far (writes, syncs, renames, unlinks, mkdir,
   *  chmod... that succeeded; reads, stats and closes are not counted). */
  readonly operations: number;
  /** The last counted operation, as "syscall path" (for messages about a crash point). */
  readonly lastOperation: string;
  /** Crash (as crash()) right after `count` more counted operations, then fail every
   *  later operation with EIO; undefined disarms. */
  crashAfterOperations(count: number | undefined): void;
  /** True once crashAfterOperations has fired: this file system is down for good. */
  readonly halted: boolean;
}

interface InodeWalkEntry {
  path: string;
  ino: number;
  size: number;
}

/** Every regular file in the volume, depth first, names sorted; bounded. */
function walkFiles(volume: Volume): InodeWalkEntry[] {
  const found: InodeWalkEntry[] = [];
  const stack = ['/'];
  let visited = 0;
  while (stack.length > 0) {
    if (++visited > volumeWalkEntriesMax) throw new PlatformError('EIO', 'walk', '/', 'volume too large to walk');
    const directory = stack.pop() as string;
    const names = (volume.readdirSync(directory) as string[]).slice().sort();
    for (const name of names) {
      const path = directory === '/' ? `/${name}` : `${directory}/${name}`;
      const stat = volume.lstatSync(path);
      if (stat.isDirectory()) stack.push(path);
      else if (stat.isFile()) found.push({ path, ino: Number(stat.ino), size: Number(stat.size) });
    }
  }
  return found;
}

export class DiskState implements DiskFaults {
  private limitBytes: number | undefined;
  /** The state at the last durable point, by inode: its content; its length when every
   *  change since has been past that length (the durable content is the file's first
   *  bytes); null when the file never was durable. */
  private readonly durableContent = new Map<number, Uint8Array | number | null>();
  private readonly openDescriptors = new Set<number>();
  /** Files open on their inodes alone (no memfs descriptor), for memfs's open-file limit. */
  private inodeHandles = 0;
  /** Bumped by crash(): handles opened before it are dead even if memfs reuses their fd. */
  private crashes = 0;
  private operationCount = 0;
  /** The last counted operation's syscall and path ("syscall path" is built when asked). */
  private lastSyscall = '';
  private lastPath: string | undefined;
  /** The operation count at which the armed crash fires. */
  private crashAtOperation: number | undefined;
  private down = false;

  constructor(private readonly volume: Volume, bytesMax?: number) {
    this.limitBytes = bytesMax;
  }

  get bytesMax(): number | undefined { return this.limitBytes; }

  get generation(): number { return this.crashes; }

  setBytesMax(bytesMax: number | undefined): void { this.limitBytes = bytesMax; }

  usedBytes(): number {
    const seen = new Set<number>();
    let total = 0;
    for (const entry of walkFiles(this.volume)) {
      if (seen.has(entry.ino)) continue;
      seen.add(entry.ino);
      total += entry.size;
    }
    return total;
  }

  /** Throws ENOSPC when growing the stored content by `growthBytes` would pass the limit. */
  checkSpace(growthBytes: number, syscall: string, path: string): void {
    if (this.limitBytes === undefined || growthBytes <= 0) return;
    if (this.usedBytes() + growthBytes > this.limitBytes) throw new PlatformError('ENOSPC', syscall, path);
  }

  /** Call before changing the content of an existing inode from byte `fromOffset` on (its
   *  size for an append, 0 for a rewrite); `sizeBytes` is its size now and `read` gives its
   *  content now. */
  rememberInode(ino: number, fromOffset: number, sizeBytes: number, read: () => Uint8Array): void {
    const durable = this.durableContent.get(ino);
    if (durable === undefined && !this.durableContent.has(ino)) {
      this.durableContent.set(ino, fromOffset >= sizeBytes ? sizeBytes : new Uint8Array(read()));
    } else if (typeof durable === 'number' && fromOffset < durable) {
      // Every change so far was past `durable` bytes: they are still the durable content.
      this.durableContent.set(ino, read().slice(0, durable));
    }
  }

  /** rememberInode() for an inode at hand: its size and content are read from it only
   *  when they are needed (no reader closure per write). */
  rememberNode(node: MemfsNode, fromOffset: number): void {
    const ino = node.ino;
    // The map holds no undefined values: undefined is "no record yet".
    const durable = this.durableContent.get(ino);
    if (durable === undefined) {
      this.durableContent.set(ino, fromOffset >= node.size ? node.size : contentOfNode(node));
    } else if (typeof durable === 'number' && fromOffset < durable) {
      // Every change so far was past `durable` bytes: they are still the durable content.
      this.durableContent.set(ino, contentOfNode(node, 0, durable));
    }
  }

  /** The whole content of an open file, read through its descriptor (its path may be stale). */
  contentOf(fd: number): Uint8Array {
    const node = nodeOfDescriptor(this.volume, fd);
    if (node !== undefined) return contentOfNode(node);
    const size = Number(this.volume.fstatSync(fd).size);
    const buffer = new Uint8Array(size);
    this.volume.readSync(fd, buffer, 0, size, 0);
    return buffer;
  }

  /** Call before changing a file by path from byte `fromOffset` on (Infinity: an append, or
   *  an open that changes nothing yet); returns whether it existed. */
  rememberPath(path: string, fromOffset: number): boolean {
    const link = lookUp(this.volume, path, true);
    if (link === null) return false;
    if (link !== undefined) {
      this.rememberNode(link.node, fromOffset);
      return true;
    }
    let stat;
    try {
      stat = this.volume.statSync(path);
    } catch {
      return false;
    }
    const sizeBytes = Number(stat.size);
    this.rememberInode(Number(stat.ino), fromOffset, sizeBytes, () => this.volume.readFileSync(path) as Uint8Array);
    return true;
  }

  /** Call after creating a file that did not exist: it has no durable content yet. */
  markCreated(path: string): void {
    const ino = lookUp(this.volume, path, true)?.node.ino ?? Number(this.volume.statSync(path).ino);
    if (!this.durableContent.has(ino)) this.durableContent.set(ino, null);
  }

  /** Call after creating an inode that did not exist: it has no durable content yet. */
  markCreatedInode(ino: number): void {
    if (!this.durableContent.has(ino)) this.durableContent.set(ino, null);
  }

  markSynced(ino: number): void { this.durableContent.delete(ino); }

  /** Call before removing an inode's last link: its record goes with it. */
  forgetInode(ino: number): void { this.durableContent.delete(ino); }

  /** Call before unlinking: the last link going drops the inode's record. */
  forgetIfLastLink(path: string): void {
    const link = lookUp(this.volume, path, false);
    if (link === null) return;
    if (link !== undefined) {
      if (link.node.nlink <= 1) this.durableContent.delete(link.node.ino);
      return;
    }
    try {
      const stat = this.volume.lstatSync(path);
      if (Number(stat.nlink) <= 1) this.durableContent.delete(Number(stat.ino));
    } catch {
      // The unlink itself will report the error.
    }
  }

  descriptorOpened(fd: number): void { this.openDescriptors.add(fd); }
  descriptorClosed(fd: number): void { this.openDescriptors.delete(fd); }
  handleOpened(): void { this.inodeHandles++; }
  handleClosed(): void { this.inodeHandles--; }
  /** Files open on their inodes alone (handles of this generation not yet closed). */
  get openHandles(): number { return this.inodeHandles; }

  get operations(): number { return this.operationCount; }
  get lastOperation(): string { return this.lastPath === undefined ? this.lastSyscall : `${this.lastSyscall} ${this.lastPath}`; }
  get halted(): boolean { return this.down; }

  crashAfterOperations(count: number | undefined): void {
    this.crashAtOperation = count === undefined ? undefined : this.operationCount + Math.max(0, count);
    if (count !== undefined && count <= 0) this.halt();
  }

  /** Call before every operation: a halted disk answers nothing but EIO. */
  checkAlive(syscall: string, path: string | undefined): void {
    if (this.down) throw new PlatformError('EIO', syscall, path);
  }

  /** Call after an operation that changed the disk succeeded: counts it and fires an
   *  armed crash. */
  countOperation(syscall: string, path: string | undefined): void {
    this.operationCount++;
    this.lastSyscall = syscall;
    this.lastPath = path;
    if (this.crashAtOperation !== undefined && this.operationCount >= this.crashAtOperation) this.halt();
  }

  private halt(): void {
    this.crashAtOperation = undefined;
    this.crash();
    this.down = true;
  }

  unsyncedPaths(): string[] {
    return walkFiles(this.volume).filter((entry) => this.durableContent.has(entry.ino)).map((entry) => entry.path).sort();
  }

  crash(): string[] {
    for (const fd of [...this.openDescriptors].sort((a, b) => a - b)) {
      try { this.volume.closeSync(fd); } catch { /* already gone */ }
    }
    this.openDescriptors.clear();
    this.inodeHandles = 0;
    this.crashes++;
    const touched: string[] = [];
    for (const entry of walkFiles(this.volume)) {
      if (!this.durableContent.has(entry.ino)) continue;
      const content = this.durableContent.get(entry.ino);
      if (content === null || content === undefined) this.volume.unlinkSync(entry.path);
      else if (typeof content === 'number') this.volume.truncateSync(entry.path, content);
      else this.volume.writeFileSync(entry.path, content);
      touched.push(entry.path);
    }
    this.durableContent.clear();
    return touched.sort();
  }
}
