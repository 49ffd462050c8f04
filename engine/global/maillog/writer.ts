// The maillog writer: subscribes to a host's trace, renders each event of that host as a
// full line ("Nov 22 09:26:23 mail postfix/pickup[7978]: ...") and appends the lines to
// maillog_file in the order the events happened. It stands in for postlogd(8): services
// never write the log themselves (DESIGN.md section 3, "nothing logs around the trace").
// Where maillog_file is empty Postfix logs to syslog; a sim host has no syslog, so it
// writes /var/log/maillog (SIM_DEFAULT_MAILLOG_FILE); a real-mode host with an empty
// maillog_file keeps no log file (mtalab's default configuration always sets one).
// As postlogd keeps its logfile open, the writer keeps one append descriptor (open 'a')
// and writes the lines pending for it in one write per batch. It reopens the file when
// maillog_file changes, after a failed write (retried once on the new descriptor), and
// when the path no longer names the open file (removed or renamed by a student rotating
// the log): that is checked at most once per REOPEN_CHECK_MS of platform time (the events'
// own time stamps), so a rotated log gets its new file within a second. Appends are not
// synced: a crash loses the unsynced tail, as the sim disk's crash semantics require.
// Called by the master runtime (engine/master) when a host starts. Trusts the file system
// to append; a failing append is counted and the writer carries on, as postlogd does.

import type { FileHandle, FileSystem } from '../../platform/types.ts';
import type { TraceEvent, TraceSink } from '../trace.ts';
import { limitLogText, logTag, renderLogText } from './render.ts';
import { formatLogTime, logHostName } from './format.ts';

export const SIM_DEFAULT_MAILLOG_FILE = '/var/log/maillog';

/** Lines waiting to be appended; past this, new lines are dropped and counted. */
export const MAILLOG_PENDING_LINES_MAX = 10_000;

/** The mode postlogd's logwriter_open_or_die() creates maillog_file with (Postfix 3.7). */
const MAILLOG_FILE_MODE = 0o644;
/** Platform time between checks that the open descriptor is still maillog_file. */
export const REOPEN_CHECK_MS = 1000;

/** Short writes retried at most this often before the batch counts as lost. */
const SHORT_WRITES_MAX = 16;

const encoder = new TextEncoder();

/** The scratch buffer's largest size; a longer batch gets bytes of its own. */
const SCRATCH_BYTES_MAX = 256 * 1024;

/** Encodes each batch of one writer into one reused buffer (no new ArrayBuffer per
 *  batch). Safe because the writer appends one batch at a time: a batch's bytes are needed
 *  only until its append settles (the sim's inode copies them in the write call; node's fs
 *  holds them until its promise settles), and the writer's next batch is encoded after. */
class BatchEncoder {
  private scratch = new Uint8Array(4096);

  encode(text: string): Uint8Array {
    const bytesMax = text.length * 3;
    if (bytesMax > SCRATCH_BYTES_MAX) return encoder.encode(text);
    if (bytesMax > this.scratch.length) {
      this.scratch = new Uint8Array(Math.min(SCRATCH_BYTES_MAX, Math.max(bytesMax, this.scratch.length * 2)));
    }
    const { written } = encoder.encodeInto(text, this.scratch);
    return this.scratch.subarray(0, written);
  }
}

/** Programs that never write to the maillog in Postfix (they do not call
 *  maillog_client_init): their diagnostics go to stderr only. */
export const PROGRAMS_WITHOUT_MAILLOG: ReadonlySet<string> = new Set(['postconf', 'postcat', 'qshape', 'mtalab']);

/** Programs whose tag is their bare name: the postfix(1) command logs as "postfix[PID]"
 *  whatever syslog_name says (its postfix-script child logs as syslog_name/postfix-script). */
export const PROGRAMS_WITHOUT_SYSLOG_NAME: ReadonlySet<string> = new Set(['postfix']);

/** What the writer needs from main.cf, read anew for every line (reload changes it). */
export interface MaillogSettings {
  /** The file to append to, or undefined for none. */
  path: string | undefined;
  myhostname: string;
  /** delay_logging_resolution_limit. */
  delayResolutionDigits: number;
  /** The syslog_name for an event: a service's own -o syslog_name, else main.cf's. */
  syslogNameFor(event: TraceEvent): string;
}

export interface MaillogWriterOptions {
  fs: FileSystem;
  trace: TraceSink;
  /** Only this host's events are logged (a world's hosts may share one trace). */
  hostName: string;
  settings(): MaillogSettings;
}

export interface MaillogWriter {
  /** Resolves when every line rendered so far has been appended. */
  flush(): Promise<void>;
  /** Unsubscribes; lines already rendered are still appended (await flush()). */
  stop(): void;
  /** Lines dropped because the buffer was full, or lost to append errors. */
  readonly droppedLines: number;
}

/** The full line for an event, or undefined when it has none. */
export function formatMaillogLine(event: TraceEvent, settings: MaillogSettings): string | undefined {
  // Most events (commands, replies, internal steps) have no line: the syslog name is
  // looked up only for those that do.
  // (The settings carry delayResolutionDigits: they are the render options, no new object.)
  const text = renderLogText(event, settings);
  if (text === undefined) return undefined;
  const syslogName = PROGRAMS_WITHOUT_SYSLOG_NAME.has(event.service) ? '' : settings.syslogNameFor(event);
  return `${formatLogTime(event.atMs)} ${lineOrigin(logHostName(settings.myhostname), syslogName, event.service, event.pid)}`
    + limitLogText(text);
}

/** Processes whose "host tag[pid]: " text is kept; past this the table starts again. */
const ORIGINS_KEPT_MAX = 512;

interface KeptOrigin { hostLabel: string; syslogName: string; service: string; text: string }

/** The "host tag[pid]: " part of a line by pid, rebuilt when any of its parts changes
 *  (a reload's syslog_name, another host's writer in the same world). */
const keptOrigins = new Map<number, KeptOrigin>();

function lineOrigin(hostLabel: string, syslogName: string, service: string, pid: number): string {
  const kept = keptOrigins.get(pid);
  if (kept !== undefined && kept.hostLabel === hostLabel && kept.syslogName === syslogName && kept.service === service) {
    return kept.text;
  }
  const text = `${hostLabel} ${logTag(syslogName, service)}[${pid}]: `;
  if (kept !== undefined) {
    kept.hostLabel = hostLabel;
    kept.syslogName = syslogName;
    kept.service = service;
    kept.text = text;
    return text;
  }
  if (keptOrigins.size >= ORIGINS_KEPT_MAX) keptOrigins.clear();
  keptOrigins.set(pid, { hostLabel, syslogName, service, text });
  return text;
}

/** The append descriptor of one maillog file, reopened when the file is replaced. */
class AppendTarget {
  private handle: FileHandle | undefined;
  private path: string | undefined;
  private inode = -1;
  private checkedAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly fs: FileSystem) {}

  /** The kept descriptor when a batch for `path` written at `atMs` may go straight to it
   *  (same path, looked at less than REOPEN_CHECK_MS ago), else undefined. */
  keptFor(path: string, atMs: number): FileHandle | undefined {
    return this.handle !== undefined && this.path === path && atMs - this.checkedAtMs < REOPEN_CHECK_MS ? this.handle : undefined;
  }

  /** Appends `bytes` to `path` (written at `atMs` of platform time). A descriptor kept
   *  from an earlier batch that fails (closed under the writer, e.g. by a sim disk's
   *  crash) is replaced and the write tried once more on a fresh one. */
  async append(path: string, bytes: Uint8Array, atMs: number): Promise<void> {
    const kept = this.handle !== undefined;
    try {
      await this.writeAll(this.keptFor(path, atMs) ?? await this.open(path, atMs), bytes);
    } catch (error) {
      await this.close();
      if (!kept) throw error;
      await this.writeAll(await this.open(path, atMs), bytes);
    }
  }

  /** The rest of append() after its first write on the kept descriptor (the writer makes
   *  that write itself) gave `written` bytes of `bytes`, or failed (-1): a short write
   *  goes on where it stopped, a failure gets a fresh descriptor and the whole batch. */
  async finishKept(handle: FileHandle, path: string, bytes: Uint8Array, written: number, atMs: number): Promise<void> {
    try {
      if (written <= 0) throw new Error('short writes');
      await this.writeAll(handle, bytes, written, 1);
    } catch {
      await this.close();
      await this.writeAll(await this.open(path, atMs), bytes);
    }
  }

  private async writeAll(handle: FileHandle, bytes: Uint8Array, writtenBefore = 0, writesBefore = 0): Promise<void> {
    let offset = writtenBefore;
    for (let writes = writesBefore; offset < bytes.length; writes++) {
      if (writes >= SHORT_WRITES_MAX) throw new Error('short writes');
      const written = await handle.write(offset === 0 ? bytes : bytes.subarray(offset));
      if (written <= 0) throw new Error('short writes');
      offset += written;
    }
  }

  /** The open descriptor for `path`, reopened when the path changed or (checked once per
   *  REOPEN_CHECK_MS) names another file or none. */
  private async open(path: string, atMs: number): Promise<FileHandle> {
    if (this.handle !== undefined && this.path !== path) await this.close();
    if (this.handle !== undefined && atMs - this.checkedAtMs >= REOPEN_CHECK_MS) {
      this.checkedAtMs = atMs;
      let current = -1;
      try {
        current = (await this.fs.stat(path)).ino;
      } catch {
        // No file at the path any more: reopened (created) below.
      }
      if (current !== this.inode) await this.close();
    }
    if (this.handle !== undefined) return this.handle;
    const handle = await this.fs.open(path, 'a', MAILLOG_FILE_MODE);
    try {
      this.inode = (await handle.stat()).ino;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    this.handle = handle;
    this.path = path;
    this.checkedAtMs = atMs;
    return handle;
  }

  /** Closes the descriptor (after a failure, at a new path, or when the writer stops). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.path = undefined;
    await handle?.close().catch(() => undefined);
  }
}

export function createMaillogWriter(options: MaillogWriterOptions): MaillogWriter {
  const pending: { path: string; line: string; atMs: number }[] = [];
  const target = new AppendTarget(options.fs);
  const batchEncoder = new BatchEncoder();
  let dropped = 0;
  let stopped = false;
  let draining: Promise<void> | undefined;

  // True while a drain runs (it has not reached its end): schedule() starts none then.
  let running = false;

  const drain = async (): Promise<void> => {
    running = true;
    try {
      // One batch per file at a time; appends stay in event order.
      for (let batches = 0; pending.length > 0 && batches < MAILLOG_PENDING_LINES_MAX; batches++) {
        const path = pending[0]!.path;
        let count = 0;
        let text = '';
        while (count < pending.length && pending[count]!.path === path) text += `${pending[count++]!.line}\n`;
        const lastAtMs = pending[count - 1]!.atMs;
        if (count === pending.length) pending.length = 0;
        else pending.splice(0, count);
        const bytes = batchEncoder.encode(text);
        try {
          // Mostly one write on the kept descriptor, made here (no append/open/write
          // steps of their own); the rest of append()'s cases when it is not whole.
          const kept = target.keptFor(path, lastAtMs);
          if (kept === undefined) {
            await target.append(path, bytes, lastAtMs);
          } else {
            let written: number;
            try {
              written = await kept.write(bytes);
            } catch {
              written = -1;
            }
            if (written !== bytes.length) await target.finishKept(kept, path, bytes, written, lastAtMs);
          }
        } catch {
          dropped += count;
          await target.close();
        }
      }
      // A stopped writer lets go of its descriptor once everything is written.
      if (stopped && pending.length === 0) await target.close();
    } finally {
      running = false;
      draining = undefined;
      if (pending.length > 0) schedule();
    }
  };

  const schedule = (): void => {
    if (running) return;
    const run = drain();
    // (A drain that ended before returning has cleared `draining` itself, and one it
    // started from its end has set it.)
    if (running && draining === undefined) draining = run;
  };

  const unsubscribe = options.trace.subscribe((event) => {
    if (event.host !== options.hostName || PROGRAMS_WITHOUT_MAILLOG.has(event.service)) return;
    const settings = options.settings();
    if (settings.path === undefined) return;
    const line = formatMaillogLine(event, settings);
    if (line === undefined) return;
    if (pending.length >= MAILLOG_PENDING_LINES_MAX) {
      dropped++;
      return;
    }
    pending.push({ path: settings.path, line, atMs: event.atMs });
    schedule();
  });

  return {
    async flush() {
      if (stopped && draining === undefined && pending.length === 0) await target.close();
      for (let rounds = 0; (draining !== undefined || pending.length > 0) && rounds < MAILLOG_PENDING_LINES_MAX; rounds++) {
        if (draining === undefined) schedule();
        await draining;
      }
    },
    stop() {
      stopped = true;
      unsubscribe();
    },
    get droppedLines() { return dropped; },
  };
}
