// Walking one queue directory the way the queue tools do: entries in sorted order,
// descending into one-character hash subdirectories (hash_queue_names/hash_queue_depth)
// unless the queue is flat (maildrop), and mail_open_ok's "is this a finished queue file"
// test (a regular file, owner bits rwx, one link).
// Called by showq (api.ts), postqueue, postsuper, qshape and qmgr's scans (which keep
// only well-formed queue ids). Trusts the platform's readdir; each directory is sorted.
// Models src/util/scan_dir.c, src/global/mail_scan_dir.c and src/global/mail_open_ok.c.

import type { FileStat, FileSystem } from '../../platform/types.ts';
import { PlatformError } from '../../platform/types.ts';
import { HASH_QUEUE_DEPTH_MAX } from './queue-id.ts';

/** Entries one walk returns at most; a bigger queue is listed in part (named limit). */
export const QUEUE_WALK_ENTRIES_MAX = 200_000;

/** MAIL_QUEUE_STAT_READY: the owner bits of a complete queue file. */
export const QUEUE_STAT_READY = 0o700;
/** MAIL_QUEUE_STAT_EXPIRE: postsuper -e sets the group execute bit. */
export const QUEUE_STAT_EXPIRE = 0o010;

const FILE_TYPE_MASK = 0o170000;
const REGULAR_FILE = 0o100000;

export interface QueueEntry {
  /** The file name (a queue id when well formed). */
  name: string;
  /** Absolute path. */
  path: string;
  /** The directory holding it, absolute. */
  directory: string;
  /** How many hash levels below the queue directory (0: the queue directory itself). */
  depth: number;
}

export interface WalkOptions {
  /** Step into one-character subdirectories (every queue but maildrop). */
  recurse: boolean;
  entriesMax?: number;
  /** Which names to keep (default: all); only kept names count toward entriesMax. */
  accept?: (name: string) => boolean;
}

/** Every non-directory entry below queueDirectory/queueName, hashed levels included, in
 *  sorted order per directory. A missing queue directory lists as empty. */
export async function walkQueue(fs: FileSystem, queueDirectory: string, queueName: string, options: WalkOptions): Promise<QueueEntry[]> {
  const entries: QueueEntry[] = [];
  await walkDirectory(fs, `${queueDirectory}/${queueName}`, 0, options, entries, true);
  return entries;
}

/** walkQueue's names only (qmgr's scans): the same walk, the same file system calls in the
 *  same order, without a path string and an entry object per name. */
export async function walkQueueNames(fs: FileSystem, queueDirectory: string, queueName: string, options: WalkOptions): Promise<string[]> {
  const names: string[] = [];
  await walkDirectory(fs, `${queueDirectory}/${queueName}`, 0, options, names, false);
  return names;
}

/** Whether names are in code unit order already (the FileSystem contract's readdir). */
function isSorted(names: readonly string[]): boolean {
  for (let index = 1; index < names.length; index++) {
    if ((names[index - 1] as string) > (names[index] as string)) return false;
  }
  return true;
}

/** Walks one directory into `found`: QueueEntry objects when `withEntries`, else names. */
async function walkDirectory(fs: FileSystem, directory: string, depth: number, options: WalkOptions,
  found: Array<QueueEntry | string>, withEntries: boolean): Promise<void> {
  const entriesMax = options.entriesMax ?? QUEUE_WALK_ENTRIES_MAX;
  let names: string[];
  try {
    names = await fs.readdir(directory);
  } catch (error) {
    if (error instanceof PlatformError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return;
    throw error;
  }
  // The platform lists in sorted order; a copy is sorted only when it did not.
  const sorted = isSorted(names) ? names : [...names].sort();
  for (let index = 0; index < sorted.length; index++) {
    const name = sorted[index] as string;
    if (found.length >= entriesMax) return;
    if (name === '.' || name === '..') continue;
    if (options.recurse && name.length === 1 && depth < HASH_QUEUE_DEPTH_MAX) {
      const path = `${directory}/${name}`;
      if (await isDirectory(fs, path)) {
        await walkDirectory(fs, path, depth + 1, options, found, withEntries);
        continue;
      }
    }
    if (options.accept !== undefined && !options.accept(name)) continue;
    found.push(withEntries ? { name, path: `${directory}/${name}`, directory, depth } : name);
  }
}

/** Whether lstat finds a directory (any failure: no). Not an async function: the lstat's
 *  promise with one reaction answers after the same turns as an async function that
 *  awaited it, without its frame and the await's closures (16 per deferred scan). */
function isDirectory(fs: FileSystem, path: string): Promise<boolean> {
  let statting: Promise<FileStat>;
  try {
    statting = fs.lstat(path);
  } catch {
    return SETTLED_FALSE;
  }
  return statting.then(statIsDirectory, notDirectory);
}

const statIsDirectory = (stat: FileStat): boolean => stat.isDirectory;
const notDirectory = (): boolean => false;
const SETTLED_FALSE: Promise<boolean> = Promise.resolve(false);

/** lstat that answers undefined for a file that vanished meanwhile. */
export async function statOrMissing(fs: FileSystem, path: string): Promise<FileStat | undefined> {
  try {
    return await fs.lstat(path);
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

export function isRegularFile(stat: FileStat): boolean {
  return stat.isFile && ((stat.mode & FILE_TYPE_MASK) === 0 || (stat.mode & FILE_TYPE_MASK) === REGULAR_FILE);
}

/** Whether a file's owner bits say cleanup (or postdrop) finished it. */
export function isReadyMessage(stat: FileStat): boolean {
  return (stat.mode & 0o700) === QUEUE_STAT_READY;
}

export type OpenVerdict =
  | { ok: true; stat: FileStat }
  | { ok: false; warning?: string };

/** mail_open_ok(): a regular, complete, singly linked file; missing files are silent. */
export async function checkQueueFileOpenable(fs: FileSystem, path: string, relativePath: string): Promise<OpenVerdict> {
  let stat: FileStat | undefined;
  try {
    stat = await statOrMissing(fs, path);
  } catch (error) {
    if (error instanceof PlatformError) return { ok: false, warning: `${relativePath}: ${error.message}` };
    throw error;
  }
  if (stat === undefined) return { ok: false };
  if (!isRegularFile(stat)) return { ok: false, warning: `${relativePath}: uid ${stat.uid}: not a regular file` };
  if (!isReadyMessage(stat)) return { ok: false };
  if (stat.nlink > 1) return { ok: false, warning: `${relativePath}: uid ${stat.uid}: file has ${stat.nlink} links` };
  return { ok: true, stat };
}
