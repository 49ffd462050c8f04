// When a deferred message may be tried again: the backoff rule and where the time is kept.
// Postfix moves a deferred file's time stamps into the future (utime) and the deferred
// scan skips files whose mtime is still ahead. mtalab may not decide from file times in
// the simulation (DESIGN.md section 2), so the time is kept in the queue file itself: one
// named attribute record, "mtalab_next_attempt_time=" and the epoch seconds in 15 columns
// (Postfix's fixed width for fields rewritten in place), at the end of the extracted
// segment just before the end record. The first deferral inserts it where the end record
// was; later ones rewrite the digits in place. The real qmgr and postcat read the file
// unchanged: an attribute is a valid extracted-segment record (REC_TYPE_EXTRACT) and
// postcat prints it as "named_attribute: ...". The mtime is set too, as Postfix does, for
// the tools and people that look at it, but nothing here decides from it.
// Called by api.ts (defer, scan) and by the queue tools that make a message due now
// (postqueue -s, postsuper -H). Trusts readQueueFile's record offsets.
// Models qmgr_active_done_3_generic's backoff, qmgr_active_defer and qmgr_active_feed's
// "future time stamp" check.

import type { FileHandle, FileStat, FileSystem } from '../platform/types.ts';
import { encodeRecord, RecordType } from '../global/queue/record.ts';
import type { QueueFile } from '../global/queue/queue-file.ts';
import type { QmgrSettings } from './settings.ts';

export const NEXT_ATTEMPT_ATTRIBUTE = 'mtalab_next_attempt_time';

/** Width of the stored value, as REC_TYPE_WARN_FORMAT / REC_TYPE_PTR_FORMAT ("%15ld"). */
export const NEXT_ATTEMPT_VALUE_WIDTH = 15;

/** A file whose time is at most this far ahead is due (qmgr_active_feed: mtime > now + 1). */
export const FUTURE_SLACK_SECONDS = 1;

/** Postfix's backoff: the time the message has spent in the queue, bounded below by
 *  minimal_backoff_time and above by maximal_backoff_time. Waiting as long as the
 *  message has waited doubles the age at each retry. */
export function backoffSeconds(nowSeconds: number, createTimeSeconds: number | undefined, settings: Pick<QmgrSettings, 'backoffSecondsMin' | 'backoffSecondsMax'>): number {
  if (createTimeSeconds === undefined || createTimeSeconds <= 0) return settings.backoffSecondsMin;
  const age = nowSeconds - createTimeSeconds;
  return Math.max(settings.backoffSecondsMin, Math.min(age, settings.backoffSecondsMax));
}

export function isDue(nextAttemptSeconds: number | undefined, nowSeconds: number): boolean {
  return nextAttemptSeconds === undefined || nextAttemptSeconds <= nowSeconds + FUTURE_SLACK_SECONDS;
}

export interface StoredNextAttempt {
  seconds: number;
  /** Offset of the first character of the 15-column value. */
  valueOffset: number;
}

const encoder = new TextEncoder();
const ATTRIBUTE_PREFIX = `${NEXT_ATTEMPT_ATTRIBUTE}=`;
const ATTRIBUTE_PREFIX_BYTES = encoder.encode(ATTRIBUTE_PREFIX);

const ATTRIBUTE_PREFIX_LENGTH = ATTRIBUTE_PREFIX_BYTES.length;

/** Whether a payload starts with "mtalab_next_attempt_time=" (compared as bytes, so that
 *  the other attributes are not decoded). Only a payload of the stored record's exact
 *  length can hold a value paddedSeconds takes, so any other is passed over at once. */
function hasAttributePrefix(payload: Uint8Array): boolean {
  if (payload.length !== ATTRIBUTE_PREFIX_LENGTH + NEXT_ATTEMPT_VALUE_WIDTH) return false;
  for (let index = 0; index < ATTRIBUTE_PREFIX_LENGTH; index++) {
    if (payload[index] !== ATTRIBUTE_PREFIX_BYTES[index]) return false;
  }
  return true;
}

/** The stored next attempt time of a file read by readQueueFile, if any. */
export function storedNextAttempt(file: QueueFile): StoredNextAttempt | undefined {
  const { records } = file;
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    if (record.type !== RecordType.attribute || !hasAttributePrefix(record.payload)) continue;
    const seconds = paddedSeconds(record.payload, ATTRIBUTE_PREFIX_BYTES.length);
    if (seconds === undefined) continue;
    // One type byte and one length byte: the payload is shorter than 128 bytes.
    return { seconds, valueOffset: record.offset + 2 + ATTRIBUTE_PREFIX_BYTES.length };
  }
  return undefined;
}

const SPACE = 0x20;
const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;

/** The number in the 15 columns from `start` to the payload's end: spaces, then at least one
 *  digit and nothing else (/^ *\d+$/ over exactly NEXT_ATTEMPT_VALUE_WIDTH characters, read
 *  from the bytes: any other byte, or another width, makes it absent). */
function paddedSeconds(payload: Uint8Array, start: number): number | undefined {
  if (payload.length - start !== NEXT_ATTEMPT_VALUE_WIDTH) return undefined;
  let index = start;
  while (index < payload.length && payload[index] === SPACE) index++;
  if (index === payload.length) return undefined;
  let seconds = 0;
  for (; index < payload.length; index++) {
    const byte = payload[index]!;
    if (byte < DIGIT_ZERO || byte > DIGIT_NINE) return undefined;
    seconds = seconds * 10 + (byte - DIGIT_ZERO);
  }
  return seconds;
}

function paddedValue(seconds: number): string {
  const text = String(Math.max(0, Math.floor(seconds)));
  if (text.length > NEXT_ATTEMPT_VALUE_WIDTH) throw new RangeError(`next attempt time ${seconds} too large`);
  return text.padStart(NEXT_ATTEMPT_VALUE_WIDTH, ' ');
}

/** The bytes of a text of spaces and digits (no encoder call for 15 columns). */
function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index);
  return bytes;
}

/** Why a time could not be stored (the file is then retried at every deferred scan). */
export type StoreResult = 'stored' | 'no-end-record';

/** Bytes the first deferral adds to a queue file: the attribute record (one type byte, one
 *  length byte, "mtalab_next_attempt_time=" and 15 columns). */
export const NEXT_ATTEMPT_RECORD_BYTES = encodeRecord(RecordType.attribute, `${NEXT_ATTEMPT_ATTRIBUTE}=${paddedValue(0)}`).length;

/** Records the next attempt time in an open queue file (read by readQueueFile before).
 *  `stored` is what storedNextAttempt(file) says, when the caller has it already.
 *  Crash-safe: the new bytes go after the end record's type byte first, and the single
 *  byte that turns the end record into the attribute record is written last. A later
 *  rewrite of the digits in place is not synced, as Postfix's utime() is not: a crash can
 *  only lose it, and a lost or torn value makes the message due early (a torn value is
 *  not digits and reads as absent), never late. */
export function storeNextAttempt(handle: FileHandle, file: QueueFile, seconds: number,
  stored: StoredNextAttempt | undefined = storedNextAttempt(file)): Promise<StoreResult> {
  // Not an async function: a rewrite in place (every deferral after the first) is the
  // write's promise with one reaction, which answers after the same turns as an async
  // function that awaited it; a throw before the write answers a rejected promise, as the
  // async function's did.
  let value: string;
  let writing: Promise<number>;
  try {
    value = paddedValue(seconds);
    if (stored === undefined) return insertNextAttempt(handle, value);
    writing = handle.write(asciiBytes(value), stored.valueOffset);
  } catch (error) {
    return Promise.reject(error);
  }
  return writing.then(answerStored);
}

const answerStored = (): StoreResult => 'stored';

/** The first deferral's insertion of the record (see storeNextAttempt). */
async function insertNextAttempt(handle: FileHandle, value: string): Promise<StoreResult> {
  const { size } = await handle.stat();
  if (size < 2) return 'no-end-record';
  const tail = await handle.read(2, size - 2);
  if (tail[0] !== RecordType.end || tail[1] !== 0) return 'no-end-record';
  const endOffset = size - 2;
  const attribute = encodeRecord(RecordType.attribute, `${NEXT_ATTEMPT_ATTRIBUTE}=${value}`);
  const bytes = new Uint8Array(attribute.length + 2);
  bytes.set(attribute, 0);
  bytes.set([RecordType.end, 0], attribute.length);
  await handle.write(bytes.subarray(1), endOffset + 1);
  await handle.sync();
  await handle.write(bytes.subarray(0, 1), endOffset);
  await handle.sync();
  return 'stored';
}

/** Sets the file times as Postfix's utime() does (for mailq, qshape and people); a file
 *  that vanished meanwhile is no error. False when the times were not set. */
export async function mirrorFileTime(fs: FileSystem, path: string, seconds: number): Promise<boolean> {
  try {
    await fs.utimes(path, seconds * 1000, seconds * 1000);
    return true;
  } catch {
    // Postfix ignores ENOENT here; other failures only lose the mirror, not the record.
    return false;
  }
}

/** What tells whether a file may have changed: its inode, size and modification time. */
export type FileIdentity = Pick<FileStat, 'ino' | 'size' | 'mtimeMs'>;

/** What a queue scan saw of a deferred file when it read the stored time. */
interface RememberedAttempt {
  ino: number;
  size: number;
  mtimeMs: number;
  seconds: number | undefined;
  /** The number of the last listing that held the id (retain). */
  listing: number;
}

/** The stored next attempt times of deferred files, kept by one qmgr so that a deferred
 *  scan does not re-read every file every queue_run_delay. The decision still comes from
 *  the stored value; the file's (inode, size, mtime) only tell whether it may have changed
 *  since it was read: every writer of the value (qmgr's own deferral, makeDueNow) also sets
 *  the file times, a new file has a new inode, and a rename keeps all three along with the
 *  content. An entry whose stat differs is read again. Entries of files no longer listed
 *  are dropped at each scan, so it holds at most one scan's ids. */
export class NextAttemptCache {
  private readonly entries = new Map<string, RememberedAttempt>();
  private listings = 0;

  /** The number of the latest listing (retain). */
  get currentListing(): number { return this.listings; }

  /** The remembered time, when the file still looks as it did; undefined if unknown. */
  lookup(id: string, stat: FileStat): { readonly seconds: number | undefined } | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.ino !== stat.ino || entry.size !== stat.size || entry.mtimeMs !== stat.mtimeMs) return undefined;
    return entry; // read-only to the caller: its seconds, without an object per feed
  }

  /** Whether the id's remembered time is still ahead. The stored value changes only when
   *  qmgr defers the message again (which remembers the new time) or when makeDueNow
   *  rewrites it (which forgets the entry through forgetNextAttempt), so a file known to
   *  be not yet due is passed over without a stat, as Postfix passes over a file whose
   *  mtime is still ahead. */
  isKnownNotDue(id: string, nowSeconds: number): boolean {
    const entry = this.entries.get(id);
    return entry !== undefined && entry.seconds !== undefined && !isDue(entry.seconds, nowSeconds);
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  /** Remembers the time read from a file whose stat was taken before the read. */
  remember(id: string, stat: FileIdentity, seconds: number | undefined): void {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      this.entries.set(id, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, seconds, listing: this.listings });
      return;
    }
    // The id's entry is brought up to date in place (each deferral remembers its new time).
    entry.ino = stat.ino;
    entry.size = stat.size;
    entry.mtimeMs = stat.mtimeMs;
    entry.seconds = seconds;
    entry.listing = this.listings;
  }

  /** Keeps only the ids of the latest listing. */
  retain(ids: readonly string[]): void {
    if (this.entries.size === 0) return;
    const listing = ++this.listings;
    for (let index = 0; index < ids.length; index++) {
      const entry = this.entries.get(ids[index]!);
      if (entry !== undefined) entry.listing = listing;
    }
    this.entries.forEach(dropUnlisted, this);
  }
}

/** retain's test: an entry no longer listed goes (deleting the current key in forEach is safe). */
function dropUnlisted(this: NextAttemptCache, entry: RememberedAttempt, id: string): void {
  if (entry.listing !== this.currentListing) this.forget(id);
}

/** The caches of the queue managers running on each file system, so that a writer of the
 *  stored value other than qmgr (makeDueNow) can make them look at the file again. */
const cachesByFileSystem = new WeakMap<FileSystem, Set<NextAttemptCache>>();

/** Registers a queue manager's cache; the returned function removes it (at stop). */
export function registerNextAttemptCache(fs: FileSystem, cache: NextAttemptCache): () => void {
  let caches = cachesByFileSystem.get(fs);
  if (caches === undefined) {
    caches = new Set();
    cachesByFileSystem.set(fs, caches);
  }
  caches.add(cache);
  return () => { caches.delete(cache); };
}

/** A queue file's stored time was rewritten behind qmgr's back: forget what was remembered. */
export function forgetNextAttempt(fs: FileSystem, id: string): void {
  for (const cache of cachesByFileSystem.get(fs) ?? []) cache.forget(id);
}
