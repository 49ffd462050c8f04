// Queue ids and the hashed queue directories they live in, as Postfix 3.7 makes them.
// Short form (default): 5 uppercase hex digits of the microseconds of the file's creation
// time, then the file's inode number in uppercase hex. Long form (enable_long_queue_ids):
// seconds in base 52 (at least 6 digits), microseconds in base 52 (exactly 4), 'z', then the
// inode in base 51 (the alphabet without 'z', so the separator is unambiguous).
// A hashed queue (hash_queue_names) puts a file under one single-character subdirectory
// per hash_queue_depth level, taken from the hex microseconds.
// Called by mail-queue.ts (creating and finding queue files), postcat and the queue tools.
// Trusts nothing about ids it parses. Models src/global/mail_queue.[ch], file_id.c and
// src/util/dir_forest.c; facts checked against reference/postfix-3.7/queue-ids.md.

/** Digits, then consonants: no vowels, so ids never spell words. */
export const LONG_ID_ALPHABET = '0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz';
const SECONDS_BASE = 52;
const SECONDS_DIGITS_MIN = 6;
const MICROSECONDS_BASE = 52;
const MICROSECONDS_DIGITS = 4;
const INODE_BASE = 51;
export const LONG_ID_SEPARATOR = 'z';
const SHORT_MICROSECONDS_DIGITS = 5;
/** mail_queue_id_ok's bound (VALID_HOSTNAME_LEN): ids double as flush log names. */
export const QUEUE_ID_LENGTH_MAX = 255;
/** Deeper forests than this make no sense for a 5-digit hex hash. */
export const HASH_QUEUE_DEPTH_MAX = 5;

export interface QueueIdParts {
  form: 'short' | 'long';
  /** Only the long form carries seconds. */
  seconds?: number;
  microseconds: number;
  inode: number;
}

/** Fixed-point digits in the safe alphabet, most significant first, zero padded. */
function encodeSafe(value: number, base: number, digitsMin: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad queue id field ${value}`);
  let text = '';
  let rest = value;
  do {
    text = LONG_ID_ALPHABET[rest % base] + text;
    rest = Math.floor(rest / base);
  } while (rest > 0);
  return text.padStart(digitsMin, '0');
}

/** Digits in the safe alphabet; undefined for a character outside the base. */
function decodeSafe(text: string, base: number): number | undefined {
  if (text === '') return undefined;
  let value = 0;
  for (const character of text) {
    const digit = LONG_ID_ALPHABET.indexOf(character);
    if (digit < 0 || digit >= base) return undefined;
    value = value * base + digit;
    if (!Number.isSafeInteger(value)) return undefined;
  }
  return value;
}

function checkMicroseconds(microseconds: number): void {
  if (!Number.isInteger(microseconds) || microseconds < 0 || microseconds > 999_999) {
    throw new RangeError(`bad microseconds ${microseconds}`);
  }
}

export function shortQueueId(microseconds: number, inode: number): string {
  checkMicroseconds(microseconds);
  if (!Number.isSafeInteger(inode) || inode < 0) throw new RangeError(`bad inode ${inode}`);
  return hexMicroseconds(microseconds) + inode.toString(16).toUpperCase();
}

export function longQueueId(seconds: number, microseconds: number, inode: number): string {
  checkMicroseconds(microseconds);
  return encodeSafe(seconds, SECONDS_BASE, SECONDS_DIGITS_MIN)
    + encodeSafe(microseconds, MICROSECONDS_BASE, MICROSECONDS_DIGITS)
    + LONG_ID_SEPARATOR + encodeSafe(inode, INODE_BASE, 0);
}

/** The id mail_queue_enter gives a file created at `timeMs` (+ microseconds) with `inode`. */
export function makeQueueId(options: { seconds: number; microseconds: number; inode: number; long: boolean }): string {
  return options.long
    ? longQueueId(options.seconds, options.microseconds, options.inode)
    : shortQueueId(options.microseconds, options.inode);
}

/** "%05X": five digits at least (a long id's field can decode to more). */
function hexMicroseconds(microseconds: number): string {
  return microseconds.toString(16).toUpperCase().padStart(SHORT_MICROSECONDS_DIGITS, '0');
}

/** Where the long form's 'z' is, or -1 for the short form (MQID_FIND_LG_INUM_SEPARATOR). */
function longSeparatorIndex(id: string): number {
  const at = id.lastIndexOf(LONG_ID_SEPARATOR);
  return at >= SECONDS_DIGITS_MIN + MICROSECONDS_DIGITS ? at : -1;
}

/** Whether a name may be a queue file name (mail_queue_id_ok): letters, digits, '_'. */
export function isQueueIdSyntaxOk(id: string): boolean {
  const length = id.length;
  if (length === 0 || length > QUEUE_ID_LENGTH_MAX) return false;
  // A plain loop: every queue path qmgr makes checks its id (no regular expression run).
  for (let index = 0; index < length; index++) {
    const code = id.charCodeAt(index);
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f)) return false;
  }
  return true;
}

/** Decodes an id of either form; undefined when it is neither. */
export function parseQueueId(id: string): QueueIdParts | undefined {
  if (!isQueueIdSyntaxOk(id)) return undefined;
  const separator = longSeparatorIndex(id);
  if (separator >= 0) {
    const timeText = id.slice(0, separator);
    const seconds = decodeSafe(timeText.slice(0, -MICROSECONDS_DIGITS), SECONDS_BASE);
    const microseconds = decodeSafe(timeText.slice(-MICROSECONDS_DIGITS), MICROSECONDS_BASE);
    const inode = decodeSafe(id.slice(separator + 1), INODE_BASE);
    if (seconds === undefined || microseconds === undefined || inode === undefined || microseconds > 999_999) return undefined;
    return { form: 'long', seconds, microseconds, inode };
  }
  if (!/^[0-9A-F]{6,}$/.test(id)) return undefined;
  const microseconds = Number.parseInt(id.slice(0, SHORT_MICROSECONDS_DIGITS), 16);
  const inodeText = id.slice(SHORT_MICROSECONDS_DIGITS);
  if (inodeText.length > 13 || microseconds > 999_999) return undefined;
  return { form: 'short', microseconds, inode: Number.parseInt(inodeText, 16) };
}

/** The text the directory forest is cut from: the id itself for the short form, the
 *  microseconds as 5 hex digits for the long form (an undecodable field counts as 0). */
export function hashSource(id: string): string {
  const separator = longSeparatorIndex(id);
  if (separator < 0) return id;
  const microseconds = decodeSafe(id.slice(separator - MICROSECONDS_DIGITS, separator), MICROSECONDS_BASE);
  return hexMicroseconds(microseconds ?? 0);
}

/** One single-character directory per level ("E/2/"); '_' stands in past the end. */
export function directoryForest(source: string, depth: number): string {
  if (!Number.isInteger(depth) || depth < 1 || depth > HASH_QUEUE_DEPTH_MAX) throw new RangeError(`bad hash_queue_depth ${depth}`);
  if (source === '') throw new RangeError('empty queue id');
  let forest = '';
  for (let level = 0; level < depth; level++) {
    const character = source[level] ?? '_';
    if (character === '.' || character === '/' || character < ' ' || character > '~') throw new RangeError(`invalid queue id ${source}`);
    forest += `${character}/`;
  }
  return forest;
}

export interface QueueHashing {
  /** hash_queue_names, already split (Postfix compares them case-insensitively). */
  hashQueueNames: readonly string[];
  /** hash_queue_depth. */
  hashQueueDepth: number;
}

export const DEFAULT_QUEUE_HASHING: QueueHashing = { hashQueueNames: ['deferred', 'defer'], hashQueueDepth: 1 };

/** Whether a queue name is acceptable (mail_queue_name_ok): letters and digits only. */
export function isQueueNameOk(queueName: string): boolean {
  // Programs name the same few queues on every call: the names found good are kept.
  if (goodQueueNames.has(queueName)) return true;
  const good = /^[A-Za-z0-9]{1,100}$/.test(queueName);
  if (good && goodQueueNames.size < QUEUE_NAMES_KEPT_MAX) goodQueueNames.add(queueName);
  return good;
}

/** Good queue names kept by isQueueNameOk (Postfix has a dozen; the rest are typos). */
const QUEUE_NAMES_KEPT_MAX = 256;
const goodQueueNames = new Set<string>();

/** Whether hash_queue_names lists a queue name (case-insensitively), kept per hashing
 *  setting: a QueueHashing is made per configuration and never changed. */
const hashedQueues = new WeakMap<QueueHashing, Map<string, boolean>>();
/** hashedQueues' entry for the hashing asked about last (a strong reference to one
 *  settings object and its map, replaced by the next one asked about). */
let lastHashing: QueueHashing | undefined;
let lastHashedQueues: Map<string, boolean> | undefined;

function isHashedQueue(hashing: QueueHashing, queueName: string): boolean {
  // The last hashing asked about is nearly always the one asked again (one per host).
  let known = hashing === lastHashing ? lastHashedQueues : hashedQueues.get(hashing);
  if (known === undefined) {
    known = new Map();
    hashedQueues.set(hashing, known);
  }
  lastHashing = hashing;
  lastHashedQueues = known;
  let hashed = known.get(queueName);
  if (hashed === undefined) {
    const lower = queueName.toLowerCase();
    hashed = hashing.hashQueueNames.some((name) => name.toLowerCase() === lower);
    if (known.size < QUEUE_NAMES_KEPT_MAX) known.set(queueName, hashed);
  }
  return hashed;
}

/** "deferred/7/" or "incoming/": the queue-relative directory that holds the id. */
export function queueDirectoryOf(queueName: string, id: string, hashing: QueueHashing = DEFAULT_QUEUE_HASHING): string {
  if (!isQueueNameOk(queueName)) throw new RangeError(`bad queue name: ${queueName}`);
  if (!isQueueIdSyntaxOk(id)) throw new RangeError(`bad queue id: ${id}`);
  const hashed = isHashedQueue(hashing, queueName);
  return hashed ? `${queueName}/${directoryForest(hashSource(id), hashing.hashQueueDepth)}` : `${queueName}/`;
}

/** "deferred/7/7E111168207": the queue-relative path of a queue file (mail_queue_path). */
export function queuePathOf(queueName: string, id: string, hashing: QueueHashing = DEFAULT_QUEUE_HASHING): string {
  return queueDirectoryOf(queueName, id, hashing) + id;
}
