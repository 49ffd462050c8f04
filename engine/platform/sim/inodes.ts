// Direct operations on memfs's inodes and links for the simulated file system's hot paths:
// making a file, writing and truncating its bytes, unlinking and renaming it, setting its
// times. memfs's own API does the same through a descriptor table, a File object per open,
// a FanOut per inode and link, the real process.getuid/getgid and four to six wall-clock
// Dates per inode made, and a Date plus a change event per write: most of the sim fs's CPU
// (issue 5's benchmark). These functions change the very same objects memfs keeps (its
// Superblock's inode table and ino numbers, its Link tree), so memfs's API keeps working on
// the volume, and ino numbers (queue IDs come from them) are handed out exactly as memfs's
// newInoNumber/deleteNode do. Times are the platform's clock (simulated time), not the wall
// clock. Callers (sim/fs.ts) only come here when nothing watches the volume (memfs would
// announce changes to watchers) and the simulated processes run as root (root-access.ts),
// so memfs's access checks would pass. Trusts memfs 4.80.1's internal shapes (pinned in
// package-lock.json, covered by test/unit/platform). Models the inode layer under namei(9).

import { Link, Node } from '@jsonjoy.com/fs-core';
import { bufferAllocUnsafe } from '@jsonjoy.com/fs-node-builtins/lib/internal/buffer.js';
import { coreOf, plainView, type MemfsLink, type MemfsNode } from './lookup.ts';
import type { Volume } from 'memfs';

const TYPE_BITS = 0o170000;
const REGULAR_TYPE = 0o100000;
/** S_IFSOCK: a UNIX-domain socket's file (what bind(2) leaves in the directory). */
export const SOCKET_TYPE = 0o140000;
/** memfs's growth rule for a file's buffer: double from 64 bytes. */
const CAPACITY_MIN_BYTES = 64;
const EMPTY_BUFFER = bufferAllocUnsafe(0);

/** A source of file times: the platform's clock, or a fixed epoch for a bare volume. */
export interface FileClock {
  nowMs(): number;
}

/** The inode fields memfs keeps besides those lookup.ts reads. */
interface InodeFields extends MemfsNode {
  _uid: number; _gid: number; _nlink: number;
  _atime: Date; _mtime: Date; _ctime: Date; _btime: Date;
  capacity: number; rdev: number;
  changes: QuietFanOut;
  del(): void;
}

/** A link as memfs keeps it (`_steps` and `_children` left undefined by the file links made
 *  here until first asked for, see fileLinkPrototype). */
export interface LinkFields extends MemfsLink {
  parent: LinkFields | undefined;
  name: string;
  _steps: string[] | undefined;
  _children?: Map<string, MemfsLink> | undefined;
  steps: string[];
  ino: number;
  length: number;
  vol: unknown;
  changes: QuietFanOut;
  node: InodeFields;
}

interface SuperblockFields {
  inodes: Record<number, MemfsNode>;
  releasedInos: number[];
  newInoNumber(): number;
  changes: { listeners: { size: number } };
  openFiles: number;
  maxFiles: number;
}

/** memfs's FanOut with nobody listening: the inodes and links made here share one, since
 *  memfs's per-object buses are deprecated and nothing in mtalab subscribes to them. */
interface QuietFanOut { listeners: Set<unknown>; emit(data: unknown): void }
const quietFanOut: QuietFanOut = { listeners: new Set(), emit: () => undefined };

export function superblockOf(volume: Volume): SuperblockFields {
  return coreOf(volume) as unknown as SuperblockFields;
}

/** True when something watches the volume (then memfs must make every change, to tell it). */
export function isWatched(volume: Volume): boolean {
  return superblockOf(volume).changes.listeners.size > 0;
}

/** Hands out one Date per distinct millisecond of the clock (Dates are never mutated). */
export class FileTimes {
  private lastMs = Number.NaN;
  private lastDate: Date = new Date(0);

  constructor(private readonly clock: FileClock | undefined) {}

  now(): Date { return this.at(this.clock === undefined ? 0 : this.clock.nowMs()); }

  at(timeMs: number): Date {
    if (timeMs !== this.lastMs) {
      this.lastMs = timeMs;
      this.lastDate = new Date(timeMs);
    }
    return this.lastDate;
  }
}

/** An inode built the way memfs's Node constructor leaves it (owned by root), without its
 *  process and wall-clock calls. */
function InodeShape(this: InodeFields, ino: number, mode: number, date: Date): void {
  this.changes = quietFanOut;
  this._uid = 0;
  this._gid = 0;
  this._atime = date;
  this._mtime = date;
  this._ctime = date;
  this._btime = date;
  this.buf = EMPTY_BUFFER;
  this.capacity = 0;
  this.size = 0;
  this.rdev = 0;
  this._nlink = 1;
  this.mode = mode;
  this.ino = ino;
}
InodeShape.prototype = Node.prototype;

/** The file links made here are memfs Links whose path as names (`steps`, which memfs reads
 *  only for its own path calls) is worked out when first asked for rather than copied at
 *  every create and rename, and whose children map (a file has none) is made when first
 *  asked for: two allocations fewer per file made, one per rename. */
const fileLinkPrototype: object = Object.create(Link.prototype, {
  steps: {
    get(this: LinkFields): string[] {
      let steps = this._steps;
      if (steps === undefined) {
        steps = this.parent === undefined ? [this.name] : this.parent.steps.concat(this.name);
        this._steps = steps;
      }
      return steps;
    },
    set(this: LinkFields, steps: string[]): void {
      // memfs's own setter: the children's paths follow (a file has none, but stay exact).
      this._steps = steps;
      for (const [name, child] of this._children ?? []) {
        if (name !== '.' && name !== '..') (child as unknown as { syncSteps(): void }).syncSteps();
      }
    },
  },
  children: {
    get(this: LinkFields): Map<string, MemfsLink> {
      let children = this._children;
      if (children === undefined) {
        children = new Map();
        this._children = children;
      }
      return children;
    },
    set(this: LinkFields, children: Map<string, MemfsLink>): void {
      this._children = children;
    },
  },
});

/** A file link built the way memfs's Link constructor leaves it (but see fileLinkPrototype). */
function LinkShape(this: LinkFields, volume: unknown, parent: LinkFields, name: string, node: InodeFields): void {
  this.changes = quietFanOut;
  this._children = undefined;
  this._steps = undefined;
  this.ino = node.ino;
  this.length = 0;
  this.vol = volume;
  this.parent = parent;
  this.name = name;
  this.node = node;
}
LinkShape.prototype = fileLinkPrototype;

const newInode = InodeShape as unknown as new (ino: number, mode: number, date: Date) => InodeFields;
const newLink = LinkShape as unknown as new (volume: unknown, parent: LinkFields, name: string, node: InodeFields) => LinkFields;

/** creat(2) of a regular file `name` in `directory` (which must not hold it), as memfs's
 *  createLink + setChild do: a fresh ino (memfs's reuse order), the directory's mtime. */
export function createFile(volume: Volume, directory: MemfsLink, name: string, mode: number, date: Date): LinkFields {
  return createNode(volume, directory, name, (mode & ~TYPE_BITS) | REGULAR_TYPE, date);
}

/** mknod(2) of a socket file `name` in `directory` (which must not hold it): an inode of
 *  type S_IFSOCK with no content, made as createFile makes a regular file. */
export function createSocketFile(volume: Volume, directory: MemfsLink, name: string, mode: number, date: Date): LinkFields {
  return createNode(volume, directory, name, (mode & ~TYPE_BITS) | SOCKET_TYPE, date);
}

function createNode(volume: Volume, directory: MemfsLink, name: string, typeAndMode: number, date: Date): LinkFields {
  const core = superblockOf(volume);
  const node = new newInode(core.newInoNumber(), typeAndMode, date);
  core.inodes[node.ino] = node;
  const parent = directory as LinkFields;
  const link = new newLink(parent.vol, parent, name, node);
  parent.children.set(name, link);
  parent.length++;
  touchInode(parent.node, date);
  return link;
}

/** memfs's mtime setter: the change time moves with it. */
function touchInode(node: InodeFields, date: Date): void {
  node._mtime = date;
  node._ctime = date;
}

/** Grows a file's buffer to hold `size` bytes, doubling from its capacity as memfs does. */
function growInode(node: InodeFields, size: number): void {
  let capacity = Math.max(node.capacity * 2, CAPACITY_MIN_BYTES);
  for (let doublings = 0; capacity < size && doublings < 64; doublings++) capacity *= 2;
  const grown = bufferAllocUnsafe(capacity);
  if (node.size > 0 && node.buf !== undefined) grown.set(plainView(node.buf, 0, node.size), 0);
  node.buf = grown;
  node.capacity = capacity;
}

/** write(2) of `data` at byte `position` of a regular file, growing its buffer as memfs's
 *  Node.write does (zero-filling a hole); returns the bytes written. */
export function writeInode(inode: MemfsNode, data: Uint8Array, position: number, date: Date): number {
  const node = inode as InodeFields;
  const length = data.length;
  if (length === 0) return 0;
  const requiredSize = position + length;
  if (requiredSize > node.capacity) growInode(node, requiredSize);
  const buffer = node.buf as Uint8Array;
  if (position > node.size) buffer.fill(0, node.size, position);
  buffer.set(data, position);
  if (requiredSize > node.size) node.size = requiredSize;
  touchInode(node, date);
  return length;
}

/** ftruncate(2) as memfs's Node.truncate does it. */
export function truncateInode(inode: MemfsNode, length: number, date: Date): void {
  const node = inode as InodeFields;
  if (length <= 0) {
    node.buf = EMPTY_BUFFER;
    node.capacity = 0;
    node.size = 0;
  } else if (length <= node.size) {
    node.size = length;
  } else {
    if (length > node.capacity) growInode(node, length);
    (node.buf as Uint8Array).fill(0, node.size, length);
    node.size = length;
  }
  touchInode(node, date);
}

/** unlink(2) of a link that is not a directory, as memfs's Superblock.unlink does: the name
 *  goes, the link count drops, and the last link frees the inode (its ino is reused). */
export function unlinkFile(volume: Volume, link: MemfsLink, date: Date): void {
  const fields = link as LinkFields;
  const parent = fields.parent;
  if (parent !== undefined) {
    parent.children.delete(fields.name);
    parent.length--;
    touchInode(parent.node, date);
  }
  const node = fields.node;
  node._nlink--;
  node._ctime = date;
  if (node._nlink <= 0) {
    const core = superblockOf(volume);
    node.del();
    delete core.inodes[node.ino];
    core.releasedInos.push(node.ino);
  }
}

/** rename(2) of a regular file's link into `directory` as `name`, as memfs's
 *  Superblock.rename does (an existing target name is replaced in the directory map and its
 *  inode left as memfs leaves it). */
export function renameFile(link: MemfsLink, directory: MemfsLink, name: string, date: Date): void {
  const fields = link as LinkFields;
  const target = directory as LinkFields;
  const oldParent = fields.parent as LinkFields;
  oldParent.children.delete(fields.name);
  oldParent.length--;
  touchInode(oldParent.node, date);
  fields.name = name;
  // A file link made here works its steps out when asked; memfs's own links hold them.
  if (Object.getPrototypeOf(fields) === fileLinkPrototype) fields._steps = undefined;
  else fields._steps = target.steps.concat(name);
  target.children.set(name, fields);
  fields.parent = target;
  target.length++;
  touchInode(target.node, date);
}

/** utimes(2): memfs keeps whole Dates of the seconds it is given. */
export function setInodeTimes(inode: MemfsNode, atime: Date, mtime: Date, now: Date): void {
  const node = inode as InodeFields;
  node._atime = atime;
  node._mtime = mtime;
  node._ctime = now;
}

/** chmod(2) as memfs's Node.chmod does it: the permission bits change, the file type stays,
 *  and memfs moves the modification time as well. */
export function changeInodeMode(inode: MemfsNode, mode: number, date: Date): void {
  const node = inode as InodeFields;
  node.mode = (node.mode & TYPE_BITS) | (mode & ~TYPE_BITS);
  touchInode(node, date);
}

/** chown(2) as memfs's Node.chown does it (the modification time moves too). */
export function changeInodeOwner(inode: MemfsNode, uid: number, gid: number, date: Date): void {
  const node = inode as InodeFields;
  node._uid = uid;
  node._gid = gid;
  touchInode(node, date);
}

/** Whether a mode is a socket's. */
export const isSocketMode = (mode: number): boolean => (mode & TYPE_BITS) === SOCKET_TYPE;

/** Whether a mode is a regular file's. */
export const isRegularInode = (node: MemfsNode): boolean => (node.mode & TYPE_BITS) === REGULAR_TYPE;
