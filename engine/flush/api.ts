// The fast flush core: per-destination logfiles of deferred queue ids under
// $queue_directory/flush/, one file per eligible destination (fast_flush_domains), so that
// ETRN and "postqueue -s" can ask for delivery of one site's deferred mail without
// scanning the whole deferred queue. Requests: add (a delivery agent deferred mail for the
// site), send_site (ETRN, postqueue -s, sendmail -qR), send_file (postqueue -i), refresh
// (master's wakeup: re-send logs unread for fast_flush_refresh_time, delete empty ones
// unchanged for fast_flush_purge_time) and purge (refresh everything).
// A logfile holds one queue id per line, as Postfix's does. Postfix decides refresh and
// purge from the logfile's atime/mtime; mtalab may not decide from file times (DESIGN.md
// section 2), so the time a log was last sent (or created) is kept beside it in
// "SITE.mtalab_time" (epoch seconds). A name with a '.' is no queue id: Postfix's own
// refresh scan skips it, and so does this one.
// Called by engine/flush/service.ts (the master.cf service) and tests. Trusts its
// FlushEnvironment; every loop is bounded (lines read, ids remembered, directory entries).
// Models src/flush/flush.c.

import type { Clock } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import type { MatchList } from '../global/address/index.ts';
import { queueFilePath, renameQueueFile, type MailQueue } from '../global/queue/mail-queue.ts';
import { isQueueIdSyntaxOk } from '../global/queue/queue-id.ts';
import { walkQueue } from '../global/queue/scan-dir.ts';
import type { TraceDetail } from '../global/trace.ts';
import { makeDueNow } from '../qmgr/api.ts';

/** flush_clnt.h's FLUSH_STAT_*: ok, fail (no server or a table failed), bad (a bad
 *  request), deny (the site is not eligible, or the service is off). */
export type FlushStatus = 'ok' | 'fail' | 'bad' | 'deny';

/** What the flush service offers (mail_command_client to public/flush in Postfix). */
export interface FlushEndpoint {
  flushAdd(site: string, queueId: string): Promise<FlushStatus>;
  flushSendSite(site: string): Promise<FlushStatus>;
  flushSendFile(queueId: string): Promise<FlushStatus>;
  /** Answers at once; the refresh runs in the background as Postfix's does. */
  flushRefresh(): Promise<FlushStatus>;
  flushPurge(): Promise<FlushStatus>;
}

/** Whether a running service is the flush service. */
export function isFlushEndpoint(service: unknown): service is FlushEndpoint {
  const candidate = service as Partial<FlushEndpoint> | undefined;
  return typeof candidate?.flushAdd === 'function' && typeof candidate.flushSendSite === 'function';
}

/** FLUSH_DUP_FILTER_SIZE: queue ids remembered while one log is sent. */
export const FLUSH_DUPLICATE_FILTER_SIZE = 10_000;
/** Lines read from one logfile in one send (a log is truncated at each send). */
export const FLUSH_LOG_LINES_MAX = 1_000_000;
/** Logfiles looked at by one refresh. */
export const FLUSH_REFRESH_LOGS_MAX = 100_000;
/** The queue directory's subdirectory of logfiles (MAIL_QUEUE_FLUSH). */
export const FLUSH_QUEUE_NAME = 'flush';
/** Suffix of the file that holds a log's last send time. */
export const FLUSH_TIME_SUFFIX = '.mtalab_time';
/** Rounds whenIdle() waits for refreshes started while it waited. */
const BACKGROUND_WAITS_MAX = 100;
/** A logfile's mode, as mail_queue_open(..., 0600). */
const LOG_FILE_MODE = 0o600;
/** How much of a bad line the warning shows ("%.30s"). */
const BAD_LINE_ECHO_MAX = 30;

/** How a send treats qmgr's memory of dead destinations (flush.c's REFRESH_ONLY,
 *  UNTHROTTLE_BEFORE, UNTHROTTLE_AFTER). */
export type SendMode = 'refresh-only' | 'unthrottle-before' | 'unthrottle-after';

export interface FlushSettings {
  /** fast_flush_refresh_time. */
  refreshSeconds: number;
  /** fast_flush_purge_time. */
  purgeSeconds: number;
}

export interface FlushEnvironment {
  queue(): MailQueue;
  clock: Clock;
  settings(): FlushSettings;
  /** fast_flush_domains as a domain list (parent style as parent_domain_matches_subdomains). */
  domains(): Promise<MatchList>;
  /** Tells qmgr to scan incoming (after files moved there). */
  scanIncoming(): void;
  /** Tells qmgr to forget dead destinations (QMGR_REQ_FLUSH_DEAD) before files move. */
  unthrottle(): void;
  warn(text: string): void;
  trace(detail: TraceDetail & { queueId?: string }): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** flush_site_to_path(): the site in ASCII (IDNA for a UTF-8 name), lower case, and every
 *  character that is not a letter or digit as '_'. undefined for a name IDNA refuses. */
export function sitePath(site: string): string | undefined {
  let ascii = site;
  if (/[^\x00-\x7f]/.test(site)) {
    try {
      ascii = new URL(`http://${site}/`).hostname;
    } catch {
      return undefined;
    }
  }
  let path = '';
  for (const character of ascii) path += /[A-Za-z0-9]/.test(character) ? character.toLowerCase() : '_';
  return path;
}

function isMissing(error: unknown): boolean {
  return error instanceof PlatformError && error.code === 'ENOENT';
}

export class FlushCore implements FlushEndpoint {
  /** One request at a time per logfile, as flush.c's exclusive lock on it. */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Refreshes answered at once and still running. */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly environment: FlushEnvironment) {}

  private nowSeconds(): number {
    return Math.floor(this.environment.clock.nowMs() / 1000);
  }

  private logPath(path: string): string {
    return queueFilePath(this.environment.queue(), FLUSH_QUEUE_NAME, path);
  }

  private async locked<T>(path: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(path) ?? Promise.resolve();
    const running = before.then(work, work);
    const settled = running.then(() => undefined, () => undefined);
    this.locks.set(path, settled);
    void settled.then(() => { if (this.locks.get(path) === settled) this.locks.delete(path); });
    return running;
  }

  /** domain_list_match with MATCH_FLAG_RETURN: a table failure is 'fail'. */
  private async eligible(site: string): Promise<FlushStatus | undefined> {
    try {
      return await (await this.environment.domains()).match(site) ? undefined : 'deny';
    } catch {
      return 'fail';
    }
  }

  /** flush_add_service(): append the queue id to the site's log. */
  async flushAdd(site: string, queueId: string): Promise<FlushStatus> {
    if (!isQueueIdSyntaxOk(queueId)) return 'bad';
    const refused = await this.eligible(site);
    if (refused !== undefined) return refused;
    const path = sitePath(site);
    if (path === undefined) return 'deny';
    if (!isQueueIdSyntaxOk(path)) return 'bad';
    return this.locked(path, () => this.addPath(path, queueId));
  }

  private async addPath(path: string, queueId: string): Promise<FlushStatus> {
    const fs = this.environment.queue().fs;
    const file = this.logPath(path);
    await fs.mkdir(file.slice(0, file.lastIndexOf('/')), { recursive: true });
    const created = !(await this.exists(file));
    const handle = await fs.open(file, 'a', LOG_FILE_MODE);
    try {
      await handle.write(encoder.encode(`${queueId}\n`));
    } catch (error) {
      this.environment.warn(`write fast flush logfile ${path}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await handle.close();
    }
    // A new file's atime is its creation time: the log counts as read now.
    if (created) await this.writeSendTime(path, this.nowSeconds());
    return 'ok';
  }

  /** flush_send_service(): deliver what the site's log lists. */
  async flushSendSite(site: string): Promise<FlushStatus> {
    const refused = await this.eligible(site);
    if (refused !== undefined) return refused;
    const path = sitePath(site);
    if (path === undefined) return 'deny';
    if (!isQueueIdSyntaxOk(path)) return 'bad';
    return this.locked(path, () => this.sendPath(path, 'unthrottle-before'));
  }

  /** flush_send_path(): move every listed file to incoming, truncate the log, tell qmgr. */
  private async sendPath(path: string, mode: SendMode): Promise<FlushStatus> {
    const fs = this.environment.queue().fs;
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(this.logPath(path));
    } catch (error) {
      if (isMissing(error)) return 'ok';
      throw error;
    }
    if (mode === 'unthrottle-before') this.environment.unthrottle();
    const seen = new Set<string>();
    const lines = decoder.decode(bytes).split('\n');
    if (lines.at(-1) === '') lines.pop();
    let count = 0;
    for (const id of lines.slice(0, FLUSH_LOG_LINES_MAX)) {
      count++;
      if (!isQueueIdSyntaxOk(id)) {
        this.environment.warn(`bad queue id "${id.slice(0, BAD_LINE_ECHO_MAX)}..." in fast flush logfile ${path}`);
        continue;
      }
      if (seen.size >= FLUSH_DUPLICATE_FILTER_SIZE || !seen.has(id)) {
        if (seen.size < FLUSH_DUPLICATE_FILTER_SIZE) seen.add(id);
        count += await this.flushOneFile(id);
      }
    }
    if (count > 0) await fs.writeFile(this.logPath(path), new Uint8Array(0), { mode: LOG_FILE_MODE });
    await this.writeSendTime(path, this.nowSeconds());
    if (count > 0) this.environment.scanIncoming();
    return 'ok';
  }

  /** flush_one_file(): make the file due now and move it from deferred to incoming; 1 when
   *  it was found in either. */
  private async flushOneFile(queueId: string): Promise<number> {
    const queue = this.environment.queue();
    const now = this.nowSeconds();
    let queueName = 'deferred';
    if (!(await makeDueNow(queue, queueName, queueId, now))) {
      queueName = 'incoming';
      if (!(await makeDueNow(queue, queueName, queueId, now))) return 0;
    }
    if (queueName === 'incoming') return 1;
    try {
      await renameQueueFile(queue, queueId, 'deferred', 'incoming');
      this.environment.trace({ kind: 'queue.moved', queueId, from: 'deferred', to: 'incoming' });
    } catch (error) {
      if (!isMissing(error)) {
        const reason = error instanceof Error ? error.message : String(error);
        this.environment.warn(`${queueFilePath(queue, 'deferred', queueId)}: rename from deferred to incoming: ${reason}`);
      }
    }
    return 1;
  }

  /** flush_send_file_service(): one queue file (postqueue -i). The group-read "unthrottle
   *  after" bit is not modelled: mtalab's qmgr does not read it. */
  async flushSendFile(queueId: string): Promise<FlushStatus> {
    if (!isQueueIdSyntaxOk(queueId)) return 'bad';
    if (await this.flushOneFile(queueId) > 0) this.environment.scanIncoming();
    return 'ok';
  }

  async flushRefresh(): Promise<FlushStatus> {
    this.inBackground(this.refresh(this.environment.settings().refreshSeconds));
    return 'ok';
  }

  async flushPurge(): Promise<FlushStatus> {
    this.inBackground(this.refresh(0));
    return 'ok';
  }

  /** Resolves when no refresh runs in the background (stop() and tests wait on it). */
  async whenIdle(): Promise<void> {
    for (let round = 0; round < BACKGROUND_WAITS_MAX && this.background.size > 0; round++) {
      await Promise.allSettled([...this.background]);
    }
  }

  private inBackground(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.reportRefreshFailure(error));
    this.background.add(tracked);
    void tracked.then(() => this.background.delete(tracked));
  }

  private reportRefreshFailure(error: unknown): void {
    this.environment.warn(`flush_refresh_service: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** flush_refresh_service(): send logs not sent for maxAgeSeconds; delete empty logs
   *  unchanged for fast_flush_purge_time. Resolves when done (tests wait on it). */
  async refresh(maxAgeSeconds: number): Promise<void> {
    const queue = this.environment.queue();
    const entries = await walkQueue(queue.fs, queue.queueDirectory, FLUSH_QUEUE_NAME,
      { recurse: true, entriesMax: FLUSH_REFRESH_LOGS_MAX, accept: isQueueIdSyntaxOk });
    const purgeSeconds = this.environment.settings().purgeSeconds;
    for (const entry of entries) {
      await this.locked(entry.name, async () => {
        let size: number;
        try {
          size = (await queue.fs.stat(entry.path)).size;
        } catch (error) {
          if (!isMissing(error)) this.environment.warn(`flush_refresh_service: stat ${entry.path}: ${String(error)}`);
          return;
        }
        const now = this.nowSeconds();
        const sent = await this.readSendTime(entry.name);
        if (sent === undefined) {
          // A log without its time (made by another program): count it as read now.
          await this.writeSendTime(entry.name, now);
          return;
        }
        if (size === 0) {
          if (sent + purgeSeconds < now) await this.removeLog(entry.name);
        } else if (sent + maxAgeSeconds < now) {
          await this.sendPath(entry.name, 'refresh-only');
        }
      });
    }
  }

  private async removeLog(path: string): Promise<void> {
    const fs = this.environment.queue().fs;
    try {
      await fs.unlink(this.logPath(path));
    } catch (error) {
      this.environment.warn(`remove logfile ${path}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    await fs.unlink(`${this.logPath(path)}${FLUSH_TIME_SUFFIX}`).catch(() => undefined);
  }

  private async exists(file: string): Promise<boolean> {
    try {
      await this.environment.queue().fs.stat(file);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** When the log was last sent (its atime/mtime in Postfix), from SITE.mtalab_time. */
  async readSendTime(path: string): Promise<number | undefined> {
    try {
      const text = decoder.decode(await this.environment.queue().fs.readFile(`${this.logPath(path)}${FLUSH_TIME_SUFFIX}`)).trim();
      return /^\d+$/.test(text) ? Number(text) : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  private async writeSendTime(path: string, seconds: number): Promise<void> {
    const fs = this.environment.queue().fs;
    const file = `${this.logPath(path)}${FLUSH_TIME_SUFFIX}`;
    const temporary = `${file}.new`;
    await fs.writeFile(temporary, `${seconds}\n`, { mode: LOG_FILE_MODE });
    await fs.rename(temporary, file);
    // The file times follow too, for people who look (nothing decides from them).
    await fs.utimes(this.logPath(path), seconds * 1000, seconds * 1000).catch(() => undefined);
  }
}

export function createFlushCore(environment: FlushEnvironment): FlushCore {
  return new FlushCore(environment);
}
