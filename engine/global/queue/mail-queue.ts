// The queue directory: where queue files are created, found and opened. A new file gets a
// temporary name ("incoming/123456.4711"), then is renamed to its queue id, which comes
// from the current time and the file's inode, under the hashed subdirectory the id calls
// for (the subdirectory is made when missing). Searching for an id tries the queues in the
// order postcat does.
// Called by cleanup and postdrop (enter), qmgr and the queue tools (open, find).
// Trusts the Platform's file system; time comes from platform.clock, never a file's mtime.
// Models src/global/mail_queue.c (mail_queue_enter, mail_queue_open, mail_queue_rename).

import type { Clock, FileHandle, FileSystem, OpenFlags, Random } from '../../platform/types.ts';
import { PlatformError } from '../../platform/types.ts';
import { makeQueueId, queuePathOf, type QueueHashing, DEFAULT_QUEUE_HASHING } from './queue-id.ts';

/** Queue names (mail_queue.h). */
export const QueueName = {
  maildrop: 'maildrop',
  incoming: 'incoming',
  active: 'active',
  deferred: 'deferred',
  hold: 'hold',
  corrupt: 'corrupt',
  saved: 'saved',
  bounce: 'bounce',
  defer: 'defer',
  trace: 'trace',
  flush: 'flush',
} as const;

/** Where postcat -q (and postsuper) look for an id, in this order. */
export const SEARCH_QUEUE_NAMES: readonly string[] = ['maildrop', 'incoming', 'active', 'deferred', 'hold', 'saved'];

/** Two passes over the queues: a file may move between them while we look. */
export const SEARCH_PASSES = 2;

/** Give up creating a queue file after this many collisions (mail_queue_enter). */
export const ENTER_ATTEMPTS_MAX = 1000;

/** A queue file in progress is readable and writable by its owner only; cleanup adds the
 *  owner execute bit when the file is complete (MAIL_QUEUE_STAT_READY). */
export const QUEUE_FILE_MODE_INCOMPLETE = 0o600;
export const QUEUE_FILE_MODE_READY = 0o700;

export interface PreciseTime {
  seconds: number;
  microseconds: number;
}

/** gettimeofday from the platform clock. The clock counts milliseconds; when it gives a
 *  whole number, the microseconds below it come from `random` (seeded in sim), so ids
 *  made within one millisecond still differ as Postfix's do. */
export function preciseTime(clock: Clock, random?: Random): PreciseTime {
  const nowMs = clock.nowMs();
  const seconds = Math.floor(nowMs / 1000);
  let microseconds = Math.floor((nowMs - seconds * 1000) * 1000);
  if (Number.isInteger(nowMs) && random !== undefined) microseconds += random.int(1000);
  return { seconds, microseconds: Math.min(microseconds, 999_999) };
}

export interface MailQueue {
  fs: FileSystem;
  /** queue_directory, absolute. */
  queueDirectory: string;
  hashing: QueueHashing;
}

export function mailQueue(fs: FileSystem, queueDirectory: string, hashing: QueueHashing = DEFAULT_QUEUE_HASHING): MailQueue {
  return { fs, queueDirectory: queueDirectory.replace(/\/+$/, '') || '/', hashing };
}

/** The absolute path of a queue file. */
export function queueFilePath(queue: MailQueue, queueName: string, id: string): string {
  const known = knownPaths(queue);
  let paths = known.last;
  if (paths === undefined || paths.id !== id) {
    paths = known.byId.get(id);
    known.last = paths;
  }
  if (paths !== undefined) {
    const { pairs } = paths;
    for (let index = 0; index < pairs.length; index += 2) {
      if (pairs[index] === queueName) return pairs[index + 1] as string;
    }
  }
  // queuePathOf throws for a bad name or id: nothing is kept for them.
  const made = `${queue.queueDirectory}/${queuePathOf(queueName, id, queue.hashing)}`;
  if (paths === undefined) {
    paths = { id, pairs: [queueName, made] };
    if (known.byId.size >= KNOWN_IDS_MAX) known.byId.clear();
    known.byId.set(id, paths);
    known.last = paths;
  } else if (paths.pairs.length < 2 * KNOWN_QUEUE_NAMES_MAX) {
    paths.pairs.push(queueName, made);
  }
  return made;
}

/** Ids whose paths are kept; past this the map starts over. Enough for a deferred queue of
 *  a thousand messages, whose ids come round once per attempt each (with fewer kept than
 *  that, every attempt made its four or five paths anew); ~400 bytes an id, so at most
 *  ~0.4 MB per queue directory. */
const KNOWN_IDS_MAX = 1024;

/** Queue names whose paths are kept per id (Postfix has a dozen queues). */
const KNOWN_QUEUE_NAMES_MAX = 16;

/** The paths queueFilePath made for one id: queue name and path in turn, in the order
 *  first asked (an id is seen in four or five queues). */
interface IdPaths {
  id: string;
  pairs: string[];
}

/** The paths queueFilePath made, per queue and id: a path is a function of the queue
 *  directory, the hashing settings, the queue name and the id alone (qmgr makes the same
 *  dozen per deferred attempt: deferred, active, defer, bounce). Made again when the
 *  queue's directory or hashing is not the one they were made for. `last` is the id asked
 *  last: an attempt asks for one id's paths many times in a row. */
interface KnownPaths {
  queueDirectory: string;
  hashing: QueueHashing;
  byId: Map<string, IdPaths>;
  last: IdPaths | undefined;
}

const knownPathsByQueue = new WeakMap<MailQueue, KnownPaths>();

function knownPaths(queue: MailQueue): KnownPaths {
  let known = knownPathsByQueue.get(queue);
  if (known === undefined || known.queueDirectory !== queue.queueDirectory || known.hashing !== queue.hashing) {
    known = { queueDirectory: queue.queueDirectory, hashing: queue.hashing, byId: new Map(), last: undefined };
    knownPathsByQueue.set(queue, known);
  }
  return known;
}

export interface EnterOptions {
  queueName: string;
  clock: Clock;
  random?: Random;
  /** Only used in the temporary name, as Postfix uses its process id. */
  pid: number;
  longQueueIds: boolean;
  mode?: number;
}

export interface EnteredFile {
  id: string;
  /** Absolute path of the file under its id. */
  path: string;
  /** Path relative to queue_directory ("incoming/6DDE51682F3"), as Postfix names it. */
  relativePath: string;
  handle: FileHandle;
  /** When the id was made; cleanup's arrival time for mail it creates itself. */
  time: PreciseTime;
}

/** Creates a new, empty queue file with a locally unique id (mail_queue_enter). */
export async function enterQueueFile(queue: MailQueue, options: EnterOptions): Promise<EnteredFile> {
  const { fs } = queue;
  const mode = options.mode ?? QUEUE_FILE_MODE_INCOMPLETE;
  let handle: FileHandle | undefined;
  let temporaryPath = '';
  for (let attempt = 0; handle === undefined; attempt++) {
    if (attempt >= ENTER_ATTEMPTS_MAX) throw new PlatformError('EEXIST', 'open', temporaryPath, 'cannot create a unique queue file');
    const time = preciseTime(options.clock, options.random);
    temporaryPath = `${queue.queueDirectory}/${options.queueName}/${time.microseconds}.${options.pid}`;
    try {
      handle = await fs.open(temporaryPath, 'wx', mode);
    } catch (error) {
      if (!(error instanceof PlatformError) || (error.code !== 'EEXIST' && error.code !== 'EISDIR')) throw error;
    }
  }
  const inode = (await handle.stat()).ino;
  for (let attempt = 0; ; attempt++) {
    const time = preciseTime(options.clock, options.random);
    const id = makeQueueId({ seconds: time.seconds, microseconds: time.microseconds, inode, long: options.longQueueIds });
    const relativePath = queuePathOf(options.queueName, id, queue.hashing);
    const path = `${queue.queueDirectory}/${relativePath}`;
    try {
      await renameOrMakeDirectory(fs, temporaryPath, path);
      return { id, path, relativePath, handle, time };
    } catch (error) {
      if (attempt + 1 >= ENTER_ATTEMPTS_MAX || !(error instanceof PlatformError)) {
        await handle.close();
        throw error;
      }
    }
  }
}

/** rename(2), making a missing hashed subdirectory once (mail_queue_mkdirs). */
async function renameOrMakeDirectory(fs: FileSystem, from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (error) {
    if (!(error instanceof PlatformError) || error.code !== 'ENOENT') throw error;
    await fs.mkdir(to.slice(0, to.lastIndexOf('/')), { recursive: true, mode: 0o700 });
    await fs.rename(from, to);
  }
}

/** Moves a queue file to another queue (mail_queue_rename). Not an async function: the
 *  rename's promise with one reaction answers after the same turns as an async function
 *  that awaited it (one to resume, one for its caller), without the function's frame and
 *  the await's closures (qmgr moves every deferred message twice per attempt); a bad queue
 *  name or id answers a rejected promise, as the async function's throw did. */
export function renameQueueFile(queue: MailQueue, id: string, fromQueue: string, toQueue: string): Promise<void> {
  let renaming: Promise<void>;
  try {
    renaming = renameOrMakeDirectory(queue.fs, queueFilePath(queue, fromQueue, id), queueFilePath(queue, toQueue, id));
  } catch (error) {
    return Promise.reject(error);
  }
  return renaming.then(NOTHING);
}

const NOTHING = (): void => undefined;

/** Opens a queue file by queue name and id; PlatformError when it is not there. */
export async function openQueueFile(queue: MailQueue, queueName: string, id: string, flags: OpenFlags = 'r'): Promise<FileHandle> {
  return queue.fs.open(queueFilePath(queue, queueName, id), flags);
}

export interface FoundQueueFile {
  queueName: string;
  relativePath: string;
  handle: FileHandle;
}

/** Looks for an id in `queueNames`, twice over, as postcat -q does. Throws the last
 *  open error (usually ENOENT) when no queue has it. */
export async function findQueueFile(queue: MailQueue, id: string, queueNames: readonly string[] = SEARCH_QUEUE_NAMES): Promise<FoundQueueFile> {
  let lastError: unknown = new PlatformError('ENOENT', 'open', id);
  for (let pass = 0; pass < SEARCH_PASSES; pass++) {
    for (const queueName of queueNames) {
      try {
        const handle = await openQueueFile(queue, queueName, id, 'r');
        return { queueName, relativePath: queuePathOf(queueName, id, queue.hashing), handle };
      } catch (error) {
        if (!(error instanceof PlatformError)) throw error;
        lastError = error;
      }
    }
  }
  throw lastError;
}
