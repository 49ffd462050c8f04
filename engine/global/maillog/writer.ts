// The maillog writer: subscribes to a host's trace, renders each event of that host as a
// full line ("Nov 22 09:26:23 mail postfix/pickup[7978]: ...") and appends the lines to
// maillog_file in the order the events happened. It stands in for postlogd(8): services
// never write the log themselves (DESIGN.md section 3, "nothing logs around the trace").
// Where maillog_file is empty Postfix logs to syslog; a sim host has no syslog, so it
// writes /var/log/maillog (SIM_DEFAULT_MAILLOG_FILE); a real-mode host with an empty
// maillog_file keeps no log file (mtalab's default configuration always sets one).
// Called by the master runtime (engine/master) when a host starts. Trusts the file system
// to append; a failing append is counted and the writer carries on, as postlogd does.

import type { FileSystem } from '../../platform/types.ts';
import type { TraceEvent, TraceSink } from '../trace.ts';
import { renderLogLine } from './render.ts';
import { formatLogTime, logHostName } from './format.ts';

export const SIM_DEFAULT_MAILLOG_FILE = '/var/log/maillog';

/** Lines waiting to be appended; past this, new lines are dropped and counted. */
export const MAILLOG_PENDING_LINES_MAX = 10_000;

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
  const syslogName = PROGRAMS_WITHOUT_SYSLOG_NAME.has(event.service) ? '' : settings.syslogNameFor(event);
  const body = renderLogLine(event, syslogName, { delayResolutionDigits: settings.delayResolutionDigits });
  if (body === undefined) return undefined;
  return `${formatLogTime(event.atMs)} ${logHostName(settings.myhostname)} ${body}`;
}

export function createMaillogWriter(options: MaillogWriterOptions): MaillogWriter {
  const pending: { path: string; line: string }[] = [];
  let dropped = 0;
  let draining: Promise<void> | undefined;

  const drain = async (): Promise<void> => {
    // One batch per file at a time; appends stay in event order.
    for (let batches = 0; pending.length > 0 && batches < MAILLOG_PENDING_LINES_MAX; batches++) {
      const path = pending[0]!.path;
      let count = 0;
      while (count < pending.length && pending[count]!.path === path) count++;
      const batch = pending.splice(0, count);
      try {
        await options.fs.appendFile(path, batch.map((entry) => `${entry.line}\n`).join(''));
      } catch {
        dropped += batch.length;
      }
    }
  };

  const schedule = (): void => {
    if (draining !== undefined) return;
    draining = drain().finally(() => {
      draining = undefined;
      if (pending.length > 0) schedule();
    });
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
    pending.push({ path: settings.path, line });
    schedule();
  });

  return {
    async flush() {
      for (let rounds = 0; (draining !== undefined || pending.length > 0) && rounds < MAILLOG_PENDING_LINES_MAX; rounds++) {
        if (draining === undefined) schedule();
        await draining;
      }
    },
    stop: unsubscribe,
    get droppedLines() { return dropped; },
  };
}
