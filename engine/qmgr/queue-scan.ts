// Listing a queue directory the way qmgr's scans do: queue ids in sorted order, descending
// into the one-character hash subdirectories (hash_queue_names/hash_queue_depth), and
// "is this file ready" as mail_open_ok checks it (a regular file whose owner bits are rwx:
// cleanup adds the execute bit only when the file is complete).
// Called by api.ts (the incoming and deferred scans, start-up recovery). The directory
// walk is the queue tools' (engine/global/queue/scan-dir.ts).
// Models src/util/scan_dir.c, src/global/mail_scan_dir.c, src/global/mail_open_ok.c and
// src/qmgr/qmgr_scan.c.

import type { FileStat, FileSystem } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import { isQueueIdSyntaxOk } from '../global/queue/queue-id.ts';
import { walkQueueNames, type WalkOptions } from '../global/queue/scan-dir.ts';

/** Queue ids one scan takes in; past this a scan ends and the next one picks up the rest. */
export const SCAN_IDS_MAX = 100_000;

/** MAIL_QUEUE_STAT_READY: owner read, write and execute. */
const READY_OWNER_BITS = 0o700;

/** The queue ids under queue_directory/queueName, hashed subdirectories included. */
export function listQueueIds(fs: FileSystem, queueDirectory: string, queueName: string): Promise<string[]> {
  return walkQueueNames(fs, queueDirectory, queueName, LISTING_OPTIONS);
}

/** Only well-formed queue ids (mail_queue_id_ok: letters, digits and '_'). */
const LISTING_OPTIONS: WalkOptions = { recurse: true, entriesMax: SCAN_IDS_MAX, accept: isQueueIdSyntaxOk };

/** QueueScan.nextListed's answer when the scan must list its directory first. */
export const LISTING_NEEDED = Symbol('listing needed');

export type OpenCheck = { ok: true; stat: FileStat } | { ok: false; warning?: string };

/** mail_open_ok: a regular file with mode rwx for its owner; missing files are silent.
 *  Not an async function: the lstat's promise with one reaction answers after the same
 *  turns as an async function that awaited it (once per feed), without its frame and the
 *  await's closures; an lstat that throws answers at once, as the async function did. */
export function checkOpenable(fs: FileSystem, path: string): Promise<OpenCheck> {
  let statting: Promise<FileStat>;
  try {
    statting = fs.lstat(path);
  } catch (error) {
    return Promise.resolve(lstatFailed(path, error));
  }
  return statting.then((stat) => openCheckOf(path, stat), (error: unknown) => lstatFailed(path, error));
}

function openCheckOf(path: string, stat: FileStat): OpenCheck {
  if (!stat.isFile) return { ok: false, warning: `${path}: uid ${stat.uid}: not a regular file` };
  if ((stat.mode & 0o700) !== READY_OWNER_BITS) return NOT_OPENABLE;
  return { ok: true, stat };
}

function lstatFailed(path: string, error: unknown): OpenCheck {
  if (error instanceof PlatformError && error.code === 'ENOENT') return NOT_OPENABLE;
  return { ok: false, warning: `${path}: ${error instanceof Error ? error.message : String(error)}` };
}

/** A silent "not openable" (missing, or not finished): read only by its callers. */
const NOT_OPENABLE: OpenCheck = Object.freeze({ ok: false });

const NO_IDS: readonly string[] = [];

/** One queue's scan (QMGR_SCAN): a snapshot of ids taken at start, consumed one at a
 *  time; a request during a scan restarts it once the snapshot is used up. */
export class QueueScan {
  /** The snapshot's ids; those before `taken` have been handed out (a cursor instead of
   *  shift(), which moves a long snapshot's elements for every id). */
  private pending: readonly string[] = NO_IDS;
  private taken = 0;
  private active = false;
  private restartWanted = false;
  /** Ignore next-attempt times (postqueue -f): QMGR_SCAN_ALL. */
  all = false;
  /** Also deliver defer_transports mail (QMGR_FLUSH_DFXP). */
  flushDeferTransports = false;
  private nextAll = false;
  private nextFlush = false;

  constructor(readonly queueName: string, private readonly list: () => Promise<string[]>) {}

  get scanning(): boolean { return this.active; }

  /** qmgr_scan_request: start now if idle, else remember to start again. */
  request(options: { all?: boolean; flushDeferTransports?: boolean } = {}): void {
    if (this.active) {
      if (options.all) this.all = true;
      if (options.flushDeferTransports) this.flushDeferTransports = true;
    }
    this.restartWanted = true;
    this.nextAll ||= options.all === true;
    this.nextFlush ||= options.flushDeferTransports === true;
  }

  /** qmgr_scan_request without QMGR_SCAN_START: flags for the scan in progress and the
   *  next one, which this does not start. */
  modify(options: { flushDeferTransports?: boolean }): void {
    if (this.active && options.flushDeferTransports) this.flushDeferTransports = true;
    this.nextFlush ||= options.flushDeferTransports === true;
  }

  /** next() as far as it needs no directory listing: the next id, undefined when the scan
   *  is done, or LISTING_NEEDED when a (re)start must list the queue first (then next()
   *  does it). Lets qmgr take an id without an await. */
  nextListed(): string | undefined | typeof LISTING_NEEDED {
    if (this.active && this.taken >= this.pending.length) this.finishSnapshot();
    if (!this.active && this.restartWanted) return LISTING_NEEDED;
    if (!this.active) return undefined;
    return this.takeId();
  }

  /** The snapshot's next id (shift()'s answer); undefined, and the scan done, when none is left. */
  private takeId(): string | undefined {
    const id = this.taken < this.pending.length ? this.pending[this.taken++] : undefined;
    if (id === undefined) this.finishSnapshot();
    return id;
  }

  /** The scan is done: its snapshot goes (as shift() had emptied it). */
  private finishSnapshot(): void {
    this.active = false;
    this.pending = NO_IDS;
    this.taken = 0;
  }

  /** The next id, starting or restarting the scan as requested; undefined when done. */
  async next(): Promise<string | undefined> {
    const listed = this.nextListed();
    if (listed !== LISTING_NEEDED) return listed;
    if (!this.active && this.restartWanted) {
      this.restartWanted = false;
      this.all = this.nextAll;
      this.flushDeferTransports = this.nextFlush;
      this.nextAll = false;
      this.nextFlush = false;
      this.pending = await this.list();
      this.taken = 0;
      this.active = true;
    }
    if (!this.active) return undefined;
    return this.takeId();
  }
}
