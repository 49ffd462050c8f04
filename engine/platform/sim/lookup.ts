// Fast path-name lookup in a memfs volume for the simulated file system. memfs resolves
// every path through path.resolve, splits it into steps, stamps each directory it passes
// with a wall-clock atime and, for a name that does not exist, builds and throws an Error
// with a stack trace: most of the sim's CPU went there (issue 5's benchmark). This walks
// memfs's own link tree (the Superblock behind the Volume) from the root with a plain loop
// and reports an absent name without throwing. The directories it found are remembered (in
// a small table matched against a path's text in place) and checked link by link from the
// root before each reuse, so no change to the tree (by any route) is missed. Read results
// are copied into shared slabs rather than an ArrayBuffer each.
// Called by sim/fs.ts and sim/durability.ts. Trusts memfs's internal shapes (Superblock.root,
// Link.children, Node fields, Superblock.getFileByFd), pinned by the memfs version in
// package-lock.json and covered by test/unit/platform. Only the plain case is handled: an
// absolute path without empty, "." or ".." steps and without symbolic links on the way
// (nor at the end when they are followed); anything else answers `undefined` and the
// caller asks memfs itself, so every error and edge case stays memfs's. Models namei(9).

import type { Volume } from 'memfs';
import type { FileStat } from '../types.ts';

/** The memfs inode fields this module reads. */
export interface MemfsNode {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  mtime: Date;
  buf: Uint8Array | undefined;
  /** A symbolic link's target. */
  symlink?: string;
}

/** A memfs hard link: a name in a directory pointing at an inode. */
export interface MemfsLink {
  children: Map<string, MemfsLink>;
  node: MemfsNode;
}

interface MemfsCore {
  root: MemfsLink;
  getFileByFd(fd: number): { node: MemfsNode } | undefined;
}

const TYPE_BITS = 0o170000;
const DIRECTORY_TYPE = 0o040000;
const REGULAR_TYPE = 0o100000;
const SYMLINK_TYPE = 0o120000;
/** Longer paths are left to memfs (PATH_MAX). */
const PATH_BYTES_MAX = 4096;

/** The Superblock behind a Volume. */
export function coreOf(volume: Volume): MemfsCore {
  return (volume as unknown as { _core: MemfsCore })._core;
}

export const isDirectoryMode = (mode: number): boolean => (mode & TYPE_BITS) === DIRECTORY_TYPE;
export const isRegularMode = (mode: number): boolean => (mode & TYPE_BITS) === REGULAR_TYPE;
const isSymlinkMode = (mode: number): boolean => (mode & TYPE_BITS) === SYMLINK_TYPE;

/** Whether lookUp() answers for this path (else the caller must ask memfs): absolute,
 *  no empty, "." or ".." step, no trailing slash, no NUL, not longer than PATH_MAX. */
function plainPath(path: string): boolean {
  const length = path.length;
  if (length === 0 || length > PATH_BYTES_MAX || path.charCodeAt(0) !== 0x2f) return false;
  if (length === 1) return true;
  let stepStart = 1;
  for (let at = 1; at <= length; at++) {
    const code = at === length ? 0x2f : path.charCodeAt(at);
    if (code === 0) return false;
    if (code !== 0x2f) continue;
    const stepLength = at - stepStart;
    if (stepLength === 0) return false;
    if (path.charCodeAt(stepStart) === 0x2e && (stepLength === 1 || (stepLength === 2 && path.charCodeAt(stepStart + 1) === 0x2e))) return false;
    stepStart = at + 1;
  }
  return true;
}

/** Directories lookUpParent found lately, per volume: a table of DIRECTORY_SLOTS sets of
 *  DIRECTORY_WAYS entries, the set chosen by the directory part's length and its last two
 *  characters, so that a path's directory is matched against its text in place (length,
 *  then prefix) in one set, without slicing the directory part off into a fresh string and
 *  hashing it. A queue round asks for the same few dozen directories again and again
 *  (active/, deferred/X/, defer/X/...): their lengths and last characters spread them over
 *  the sets. A full set gives up its oldest entry. */
const DIRECTORY_SLOTS = 128;
const DIRECTORY_WAYS = 4;

interface CachedDirectory {
  /** The directory's path (no trailing slash). */
  path: string;
  /** The step names from the root, and the link each one named when it was cached. */
  names: string[];
  links: MemfsLink[];
}

interface VolumeCaches {
  /** DIRECTORY_SLOTS sets of DIRECTORY_WAYS entries, each set filled from its first way
   *  (empty ways only at its end), newest first. */
  directories: Array<CachedDirectory | undefined>;
}

const volumeCaches = new WeakMap<MemfsCore, VolumeCaches>();
/** The volume asked about last and its caches (calls come in runs on one host). */
let lastCore: MemfsCore | undefined;
let lastCaches: VolumeCaches | undefined;

function cachesOf(core: MemfsCore): VolumeCaches {
  if (core === lastCore) return lastCaches as VolumeCaches;
  let caches = volumeCaches.get(core);
  if (caches === undefined) {
    caches = { directories: new Array<CachedDirectory | undefined>(DIRECTORY_SLOTS * DIRECTORY_WAYS).fill(undefined) };
    volumeCaches.set(core, caches);
  }
  lastCore = core;
  lastCaches = caches;
  return caches;
}

/** The first way of the set a directory path of `lastSlash` characters (the text before a
 *  path's last slash, at least one character) belongs to. */
function setOf(path: string, lastSlash: number): number {
  const last = path.charCodeAt(lastSlash - 1);
  const before = lastSlash > 1 ? path.charCodeAt(lastSlash - 2) : 0;
  return ((lastSlash * 31 + before * 7 + last) & (DIRECTORY_SLOTS - 1)) * DIRECTORY_WAYS;
}

/** The index of the cached directory whose path is the text before `lastSlash`, or -1. */
function cachedIndex(directories: Array<CachedDirectory | undefined>, path: string, lastSlash: number, first: number): number {
  for (let way = 0; way < DIRECTORY_WAYS; way++) {
    const entry = directories[first + way];
    if (entry === undefined) return -1;
    const directoryPath = entry.path;
    // indexOf stops at a match in place (V8's startsWith costs three times as much here).
    if (directoryPath.length === lastSlash && path.indexOf(directoryPath) === 0) return first + way;
  }
  return -1;
}

/** Puts a directory first in its set: in place of `stale` (an entry found stale) when
 *  given, else pushing the others down (the last one drops out). */
function remember(directories: Array<CachedDirectory | undefined>, entry: CachedDirectory, first: number, stale: number): void {
  let from = stale >= 0 ? stale : first + DIRECTORY_WAYS - 1;
  for (let steps = 0; from > first && steps < DIRECTORY_WAYS; steps++, from--) directories[from] = directories[from - 1];
  directories[first] = entry;
}

/** The cached directory at `directoryPath`, when the root still leads to it by the same
 *  names through the same links (so a rename, rmdir, mkdir or symlink made by any route
 *  since, memfs's own API included, is noticed; a link's type never changes, so each one
 *  is still a directory and not a symbolic link); undefined otherwise. */
function cachedDirectory(entry: CachedDirectory, root: MemfsLink): MemfsLink | undefined {
  const { names, links } = entry;
  let current: MemfsLink = root;
  for (let step = 0; step < names.length; step++) {
    const link = links[step] as MemfsLink;
    if (current.children.get(names[step] as string) !== link) return undefined;
    current = link;
  }
  return current;
}

/** Whether a path's final name (after `lastSlash`) passes plainPath()'s rules, for a path
 *  whose directory part is a cached (so plain) directory. */
function plainFinalName(path: string, lastSlash: number): boolean {
  const nameLength = path.length - lastSlash - 1;
  if (nameLength === 0 || path.length > PATH_BYTES_MAX || path.indexOf('\0', lastSlash) !== -1) return false;
  if (path.charCodeAt(lastSlash + 1) !== 0x2e) return true;
  return !(nameLength === 1 || (nameLength === 2 && path.charCodeAt(lastSlash + 2) === 0x2e));
}

/** The path lookUpParent was asked about last and the position of its last slash, which
 *  childNamed takes instead of searching the path again. */
let lastParentPath = '';
let lastParentSlash = -1;

/** The directory link that holds a plain path's final name (the caller takes the name after
 *  the last slash): null when a directory on the way does not exist; undefined when memfs
 *  must decide (an unusual path, the root itself, a symbolic link on the way, a step
 *  through something that is not a directory). */
export function lookUpParent(volume: Volume, path: string): MemfsLink | null | undefined {
  const core = coreOf(volume);
  const lastSlash = path.lastIndexOf('/');
  lastParentPath = path;
  lastParentSlash = lastSlash;
  const directories = cachesOf(core).directories;
  let stale = -1;
  let first = 0;
  if (lastSlash > 0) {
    first = setOf(path, lastSlash);
    const index = cachedIndex(directories, path, lastSlash, first);
    if (index >= 0) {
      const hit = cachedDirectory(directories[index] as CachedDirectory, core.root);
      if (hit !== undefined) return plainFinalName(path, lastSlash) ? hit : undefined;
      stale = index;
    }
  }
  if (path.length <= 1 || !plainPath(path)) return undefined;
  let current = core.root;
  let start = 1;
  const names: string[] = [];
  const links: MemfsLink[] = [];
  for (let steps = 0; steps <= PATH_BYTES_MAX; steps++) {
    if (!isDirectoryMode(current.node.mode)) return undefined;
    if (start > lastSlash) {
      if (lastSlash > 0) remember(directories, { path: path.slice(0, lastSlash), names, links }, first, stale);
      return current;
    }
    const slash = path.indexOf('/', start);
    const name = path.slice(start, slash);
    const child = current.children.get(name);
    if (child === undefined) return null;
    if (isSymlinkMode(child.node.mode)) return undefined;
    names.push(name);
    links.push(child);
    current = child;
    start = slash + 1;
  }
  return undefined;
}

/** The link a path names: a link; null when the name certainly does not exist (memfs would
 *  say ENOENT); undefined when memfs must decide (an unusual path, a symbolic link on the
 *  way, a step through something that is not a directory). `followFinal` follows a final
 *  symbolic link as stat(2) does (lstat(2) and unlink(2) do not). */
export function lookUp(volume: Volume, path: string, followFinal: boolean): MemfsLink | null | undefined {
  if (path === '/') return coreOf(volume).root;
  const directory = lookUpParent(volume, path);
  if (directory === undefined || directory === null) return directory;
  return childNamed(directory, path, followFinal);
}

/** The final name of a plain path in the directory lookUpParent found for it (null: no
 *  such name; undefined: a symbolic link memfs must follow). */
export function childNamed(directory: MemfsLink, path: string, followFinal: boolean): MemfsLink | null | undefined {
  const lastSlash = path === lastParentPath ? lastParentSlash : path.lastIndexOf('/');
  const child = directory.children.get(path.slice(lastSlash + 1));
  if (child === undefined) return null;
  if (followFinal && isSymlinkMode(child.node.mode)) return undefined;
  return child;
}

/** The inode behind an open descriptor, or undefined when memfs has no such descriptor. */
export function nodeOfDescriptor(volume: Volume, fd: number): MemfsNode | undefined {
  return coreOf(volume).getFileByFd(fd)?.node;
}

/** stat(2)'s answer for an inode, as toFileStat makes it from memfs's Stats. */
const targetEncoder = new TextEncoder();

/** st_size of a symbolic link: its target's length in bytes, as Linux reports it. */
function symlinkBytes(node: MemfsNode): number {
  return node.symlink === undefined ? node.size : targetEncoder.encode(node.symlink).length;
}

/** st_size of a directory, as ext4 reports one that fits in one block (memfs says 0). */
export const DIRECTORY_BYTES = 4096;

export function statOfNode(node: MemfsNode): FileStat {
  const mode = node.mode;
  return {
    size: isDirectoryMode(mode) ? DIRECTORY_BYTES : isSymlinkMode(mode) ? symlinkBytes(node) : node.size,
    mode,
    uid: node.uid,
    gid: node.gid,
    isFile: isRegularMode(mode),
    isDirectory: isDirectoryMode(mode),
    isSymbolicLink: isSymlinkMode(mode),
    mtimeMs: node.mtime.getTime(),
    nlink: node.nlink,
    ino: node.ino,
  };
}

/** A copy of bytes [start, end) of a regular file's content, as a plain Uint8Array with an
 *  ArrayBuffer of its own (for copies that may be kept a long time: the crash record). */
export function contentOfNode(node: MemfsNode, start = 0, end = node.size): Uint8Array {
  const from = Math.max(0, Math.min(start, node.size));
  const to = Math.max(from, Math.min(end, node.size));
  const copy = new Uint8Array(to - from);
  if (node.buf !== undefined && to > from) copy.set(plainView(node.buf, from, to));
  return copy;
}

/** Bytes [from, to) of an inode's buffer as a plain Uint8Array view: the Buffer's own
 *  subarray would make a Buffer through its species constructor, for a view only copied. */
export function plainView(buffer: Uint8Array, from: number, to: number): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset + from, to - from);
}

/** Read results of up to this many bytes are carved out of a shared slab... */
const SLAB_COPY_BYTES_MAX = 4096;
/** ... of this size: one ArrayBuffer (which V8 must allocate, zero and later sweep) per
 *  dozens of reads instead of one per read. A read result that is kept holds its slab. */
const SLAB_BYTES = 32768;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsedBytes = 0;

/** A fresh zeroed Uint8Array of `length` bytes for a read result: a view on the current
 *  slab (at an 8-byte aligned offset) when it is small, else one of its own. */
function readBuffer(length: number): Uint8Array {
  if (length > SLAB_COPY_BYTES_MAX) return new Uint8Array(length);
  if (slabUsedBytes + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsedBytes = 0;
  }
  const view = new Uint8Array(slab, slabUsedBytes, length);
  slabUsedBytes += (length + 7) & ~7;
  return view;
}

/** read(2)'s copy of bytes [start, end) of a regular file, as contentOfNode gives it but
 *  from the read slab (no ArrayBuffer per read): for results a reader consumes and drops. */
export function readOfNode(node: MemfsNode, start: number, end: number): Uint8Array {
  const size = node.size;
  const from = Math.max(0, Math.min(start, size));
  const to = Math.max(from, Math.min(end, size));
  const copy = readBuffer(to - from);
  const buffer = node.buf;
  if (buffer !== undefined && to > from) copy.set(plainView(buffer, from, to));
  return copy;
}

/** open(2) flag numbers as memfs reads them (Linux values: its FLAGS table). */
const OPEN_FLAG_NUMBERS: Readonly<Record<string, number>> = {
  r: 0, 'r+': 2, w: 577, wx: 705, a: 1089, ax: 1217,
};
const EXCLUSIVE_OPEN_FLAGS = 128;
const CREATE_OPEN_FLAGS = 64;

interface MemfsOpenCore extends MemfsCore {
  openLink(link: MemfsLink, flags: number, resolveSymlinks: boolean, filename: string): { fd: number };
  createLink(parent: MemfsLink, name: string, isDirectory: boolean, mode: number): MemfsLink;
  changes: { listeners: { size: number } };
  openFiles: number;
  maxFiles: number;
}

/** What fastOpen found: a descriptor, or the error open(2) gives for a name that exists
 *  (EEXIST) or does not (ENOENT); undefined when memfs must open it. */
export type FastOpenOutcome = number | 'ENOENT' | 'EEXIST' | undefined;

/** open(2) of a plain path through memfs's own openLink, without its path walks: an
 *  existing regular file, or a new one in an existing directory (when nothing watches the
 *  volume, since memfs would announce the creation to watchers). memfs still makes the
 *  descriptor, checks access, truncates for "w" and counts open files. */
export function fastOpen(volume: Volume, path: string, flags: string, mode: number): FastOpenOutcome {
  const flagNumber = OPEN_FLAG_NUMBERS[flags];
  if (flagNumber === undefined) return undefined;
  const core = coreOf(volume) as MemfsOpenCore;
  // memfs answers EMFILE before anything else.
  if (core.openFiles >= core.maxFiles) return undefined;
  const link = lookUp(volume, path, true);
  if (link === undefined) return undefined;
  if (link !== null) {
    if (!isRegularMode(link.node.mode)) return undefined;
    if ((flagNumber & EXCLUSIVE_OPEN_FLAGS) !== 0) return 'EEXIST';
    return core.openLink(link, flagNumber, false, path).fd;
  }
  if ((flagNumber & CREATE_OPEN_FLAGS) === 0) return 'ENOENT';
  if (core.changes.listeners.size > 0) return undefined;
  const slash = path.lastIndexOf('/');
  const directory = slash === 0 ? core.root : lookUp(volume, path.slice(0, slash), true);
  if (directory === undefined || directory === null || !isDirectoryMode(directory.node.mode)) return undefined;
  const directoryNode = directory.node as MemfsNode & { canWrite(): boolean; canExecute(): boolean };
  if (!directoryNode.canWrite() || !directoryNode.canExecute()) return undefined;
  const created = core.createLink(directory, path.slice(slash + 1), false, mode);
  return core.openLink(created, flagNumber, false, path).fd;
}

interface MemfsMovableLink extends MemfsLink {
  parent: MemfsMovableLink | undefined;
  name: string;
  steps: string[];
  deleteChild(link: MemfsLink): void;
  setChild(name: string, link: MemfsLink): void;
}

type AccessNode = MemfsNode & { canWrite(): boolean; canExecute(): boolean };

/** rename(2) the way memfs's Superblock.rename does it (the source's final symbolic link
 *  followed, the target's directory not), on links found by the plain lookup; false when
 *  memfs must do it (an unusual path, a missing name, a watched volume, no access). */
export function fastRename(volume: Volume, from: string, to: string): boolean {
  const core = coreOf(volume) as MemfsOpenCore;
  if (core.changes.listeners.size > 0) return false;
  const link = lookUp(volume, from, true) as MemfsMovableLink | null | undefined;
  if (link === undefined || link === null || link.parent === undefined) return false;
  if (!plainPath(to) || to.length === 1) return false;
  const slash = to.lastIndexOf('/');
  const directory = (slash === 0 ? core.root : lookUp(volume, to.slice(0, slash), false)) as MemfsMovableLink | null | undefined;
  if (directory === undefined || directory === null || !isDirectoryMode(directory.node.mode)) return false;
  const oldParentNode = link.parent.node as AccessNode;
  const directoryNode = directory.node as AccessNode;
  if (!oldParentNode.canExecute() || !oldParentNode.canWrite() || !directoryNode.canExecute() || !directoryNode.canWrite()) return false;
  link.parent.deleteChild(link);
  const name = to.slice(slash + 1);
  link.name = name;
  link.steps = [...directory.steps, name];
  directory.setChild(name, link);
  return true;
}

/** The names in a directory as memfs's readdir lists them ("." and ".." left out), sorted
 *  by UTF-16 code units as FileSystem.readdir promises. */
export function directoryNames(link: MemfsLink): string[] {
  const names: string[] = [];
  for (const [name, child] of link.children) {
    if (child !== undefined && name !== '.' && name !== '..') names.push(name);
  }
  return names.sort();
}
