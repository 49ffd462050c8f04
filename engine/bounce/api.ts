// The bounce/defer/trace service core: appends recipient records to the per-message logs
// (queue_directory/bounce/ID, defer/ID, trace/ID) and turns those logs into delivery
// status notifications sent through cleanup with the null sender.
// Called by the delivery-status library (append) and by qmgr (flushBounces at the end of a
// delivery round, flushDeferred at expiry, warnDelayed after delay_warning_time,
// flushTrace for NOTIFY=SUCCESS and sendmail -v/-bv); engine/bounce/service.ts wires it
// into a host. Trusts the queue directory layout; a log that cannot be written throws,
// so that the caller defers the recipient as Postfix does.
// Models src/bounce/bounce.c (the request dispatch) and bounce_append_service.c.

import type { BounceEndpoint, BounceFlushOptions, RecipientStatus, ServiceContext } from '../master/contracts.ts';
import { queueFilePath } from '../global/queue/mail-queue.ts';
import { formatRecipientLogEntry, readRecipientLog, type RecipientLogEntry, type RecipientLogName } from '../global/dsn/recipient-log.ts';
import type { NoticeKind } from '../global/dsn/templates.ts';
import { DsnReturn } from '../global/dsn/compose.ts';
import { PlatformError, type FileHandle, type FileSystem } from '../platform/types.ts';
import { buildNotice, planDelayNotice, planFailureNotice, planTraceNotice, submitNotice, type NoticePlan } from './notify.ts';
import { readOriginal, TraceFlag } from './original.ts';
import { builtInTemplates, loadBounceTemplates, type BounceTemplates } from './templates.ts';
import { ProcessStarts } from './process-start.ts';
import type { MainConfig } from '../global/config/main-cf.ts';

/** What the core needs of its service context (a subset, so tests can build one). */
export type BounceContext = Pick<ServiceContext, 'host' | 'runtime' | 'config' | 'log' | 'trace' | 'pid' | 'program' | 'entry'>;

/** A per-message log file is created with this mode, as bounce_append_service() does. */
const LOG_FILE_MODE = 0o600;

/** "smtp; 550 5.1.1 text" -> type and text; a remote MTA name becomes a dns-type MTA. */
export function logEntryOf(status: RecipientStatus): RecipientLogEntry {
  const recipient = status.recipient;
  const entry: RecipientLogEntry = {
    recipient: recipient.address,
    offset: recipient.offset,
    dsnNotify: recipient.dsnNotify,
    status: status.dsn,
    action: status.action,
    reason: status.reason,
  };
  if (recipient.originalRecipient !== '') entry.originalRecipient = recipient.originalRecipient;
  if (recipient.dsnOriginalRecipient !== undefined && recipient.dsnOriginalRecipient !== '') {
    entry.dsnOriginalRecipient = recipient.dsnOriginalRecipient;
  }
  if (status.diagnosticCode !== undefined) {
    const separator = status.diagnosticCode.indexOf(';');
    if (separator > 0) {
      entry.diagnosticType = status.diagnosticCode.slice(0, separator).trim();
      entry.diagnosticText = status.diagnosticCode.slice(separator + 1).trim();
    }
  }
  if (status.remoteMta !== undefined && status.remoteMta !== '') {
    entry.mtaType = 'dns';
    entry.mtaName = status.remoteMta;
  }
  return entry;
}

/** The parent directory of a path ("/q/defer/7/7E5F" -> "/q/defer/7"). */
const parentOf = (path: string): string => path.slice(0, Math.max(1, path.lastIndexOf('/')));

const encoder = new TextEncoder();

/** Bytes of one pooled append buffer: a log entry is a few hundred bytes. */
const APPEND_BUFFER_BYTES = 4096;
/** Spare append buffers kept (appends of several messages overlap: each holds one from its
 *  encode until its write has returned). */
const APPEND_BUFFERS_SPARE_MAX = 8;
const spareAppendBuffers: Uint8Array[] = [];

/** A log entry's bytes: encoded into a pooled buffer when it fits (the caller gives the
 *  buffer back with releaseAppendBuffer once the write returned, which copied the bytes),
 *  else into a new array of its own. The same bytes as encoder.encode either way. */
function encodeEntry(text: string): { bytes: Uint8Array; pooled: Uint8Array | undefined } {
  // UTF-8 takes at most three bytes per UTF-16 unit.
  if (text.length * 3 > APPEND_BUFFER_BYTES) return { bytes: encoder.encode(text), pooled: undefined };
  const pooled = spareAppendBuffers.pop() ?? new Uint8Array(APPEND_BUFFER_BYTES);
  const { written } = encoder.encodeInto(text, pooled);
  return { bytes: pooled.subarray(0, written), pooled };
}

function releaseAppendBuffer(pooled: Uint8Array | undefined): void {
  if (pooled !== undefined && spareAppendBuffers.length < APPEND_BUFFERS_SPARE_MAX) spareAppendBuffers.push(pooled);
}

/** Opens a log for appending; only when that fails for want of the (hashed) directory is
 *  the directory made and the open tried once more, as mail_queue_open() does. */
async function openCreatingDirectory(fs: FileSystem, path: string): Promise<FileHandle> {
  try {
    return await fs.open(path, 'a', LOG_FILE_MODE);
  } catch (error) {
    if (!(error instanceof PlatformError && error.code === 'ENOENT')) throw error;
  }
  await fs.mkdir(parentOf(path), { recursive: true });
  return fs.open(path, 'a', LOG_FILE_MODE);
}

async function removeIfPresent(context: BounceContext, path: string): Promise<void> {
  try {
    await context.host.platform.fs.unlink(path);
  } catch (error) {
    if (!(error instanceof PlatformError && error.code === 'ENOENT')) throw error;
  }
}

export class BounceCore implements BounceEndpoint {
  /** The templates a process read under this configuration (read again after a reload). */
  private loaded: { config: MainConfig; templates: BounceTemplates } | undefined;
  /** Spawns and throttling of the bounce, defer and trace services' processes. */
  private readonly starts: ProcessStarts<BounceTemplates>;

  constructor(private readonly context: BounceContext) {
    this.starts = new ProcessStarts<BounceTemplates>(context,
      (config, log) => loadBounceTemplates(context.host.platform.fs, config, log),
      (templates, config) => { this.loaded = { config, templates }; });
  }

  /** A running process of the service behind this log (bounce, defer, trace): Postfix's
   *  bounce reads bounce_template_file before its first request of any kind, so a broken
   *  file holds up appends as well as notices (process-start.ts). */
  private process(log: RecipientLogName): BounceTemplates | Promise<BounceTemplates> {
    const config = this.context.config();
    if (this.loaded?.config === config) return this.loaded.templates;
    if ((config.get('bounce_template_file') ?? '') === '') {
      // Nothing to read: a process always starts (no timers, no extra turn of the loop).
      this.loaded = { config, templates: builtInTemplates(this.context.log) };
      return this.loaded.templates;
    }
    const service = log === 'bounce' ? config.get('bounce_service_name') ?? 'bounce'
      : log === 'defer' ? config.get('defer_service_name') ?? 'defer' : config.get('trace_service_name') ?? 'trace';
    return this.starts.request(service);
  }

  /** Master is stopping: no more spawns; clients still waiting fail. */
  stop(): void {
    this.starts.stop();
  }

  private logPath(log: RecipientLogName, queueId: string): string {
    return queueFilePath(this.context.runtime.queue(), log, queueId);
  }

  /** bounce_append_service(): one record appended and synced; on a failed write the file
   *  is cut back to its old length so that no half record stays behind. */
  async append(log: RecipientLogName, queueId: string, status: RecipientStatus): Promise<void> {
    const ready = this.process(log);
    if (ready instanceof Promise) await ready;
    const fs = this.context.host.platform.fs;
    const path = this.logPath(log, queueId);
    const handle = await openCreatingDirectory(fs, path);
    const originalLength = (await handle.stat()).size;
    try {
      const entry = encodeEntry(formatRecipientLogEntry(logEntryOf(status)));
      try {
        await handle.write(entry.bytes);
      } finally {
        releaseAppendBuffer(entry.pooled);
      }
      await handle.sync();
    } catch (error) {
      await handle.truncate(originalLength).catch(() => undefined);
      throw error;
    } finally {
      await handle.close();
    }
  }

  /** Non-delivery notice from bounce/ID (qmgr after a delivery round; cleanup for a
   *  rejected local submission, with only the headers when content or size was the cause). */
  flushBounces(queueId: string, queueName: string, options: BounceFlushOptions = {}): Promise<string | undefined> {
    return this.sendNotices('bounce', 'failure', queueId, queueName, options.headersOnly === true ? DsnReturn.headers : undefined);
  }

  /** Non-delivery notice from defer/ID (qmgr, when the message expired). */
  flushDeferred(queueId: string, queueName: string): Promise<string | undefined> {
    return this.sendNotices('defer', 'failure', queueId, queueName);
  }

  /** Delay warning from defer/ID; the log stays. */
  warnDelayed(queueId: string, queueName: string): Promise<string | undefined> {
    return this.sendNotices('defer', 'delay', queueId, queueName);
  }

  /** Success or verify report from trace/ID. */
  flushTrace(queueId: string, queueName: string): Promise<string | undefined> {
    return this.sendNotices('trace', 'success', queueId, queueName);
  }

  /** Reads the log and the original, plans who is told, sends, and removes the log when
   *  the plan consumed it and every notice that had to go out went out. */
  private async sendNotices(log: RecipientLogName, kind: NoticeKind, queueId: string, queueName: string,
    returnContent?: number): Promise<string | undefined> {
    const context = this.context;
    const ready = this.process(log);
    const templates = ready instanceof Promise ? await ready : ready;
    const config = context.config();
    const fs = context.host.platform.fs;
    const logPath = this.logPath(log, queueId);
    const parsed = await readRecipientLog(fs, logPath, log, 'latin1');
    for (const warning of parsed.warnings) context.log.warn(`${logPath}: ${warning}`);
    if (kind === 'success' && parsed.entries.length === 0) return undefined; // no trace file: nothing to report
    const original = await readOriginal(fs, queueFilePath(context.runtime.queue(), queueName, queueId));
    const noticeKind: NoticeKind = kind === 'success' && (original.traceFlags & (TraceFlag.userVerify | TraceFlag.record)) !== 0
      ? 'verify' : kind;
    const env = { config, queueId };
    const plan: NoticePlan = kind === 'failure' ? planFailureNotice(env, original.sender, returnContent ?? original.dsnReturn)
      : kind === 'delay' ? planDelayNotice(env, original.sender) : planTraceNotice(env, original.sender);
    if (plan.warning !== undefined) context.log.warn(plan.warning);
    if (plan.info !== undefined) context.log.info(plan.info);
    const nowSeconds = Math.floor(context.host.platform.clock.nowMs() / 1000);
    let firstId: string | undefined;
    let senderNoticeOk = true;
    for (const [index, addressing] of plan.notices.entries()) {
      // The postmaster copy of a single bounce or delay goes out only after the sender's.
      if (index > 0 && !senderNoticeOk) break;
      const notice = buildNotice({ config, kind: noticeKind, queueId, nowSeconds, entries: parsed.entries, original, addressing,
        template: templates.get(noticeKind) });
      for (const warning of notice.warnings) context.log.warn(warning);
      if (notice.recipientCount === 0) continue;
      const sent = await submitNotice(context.runtime.cleanup(), addressing.sender, addressing.recipient, notice.bytes);
      context.trace({ kind: 'bounce.notification', queueId, notice: addressing.logPhrase, newQueueId: sent.queueId });
      if (!sent.ok) {
        const target = addressing.postmasterCopy && index > 0 ? `while bouncing to ${plan.notices[0]?.recipient ?? ''}` : `to ${addressing.recipient}`;
        context.log.warn(addressing.postmasterCopy && index > 0
          ? `${queueId}: postmaster notice failed ${target}`
          : `${queueId}: sender notification failed ${target}: ${sent.reason}`);
        if (index === 0) senderNoticeOk = false;
        continue;
      }
      firstId ??= sent.queueId;
    }
    if (plan.consumed && senderNoticeOk) await removeIfPresent(context, logPath);
    return firstId;
  }
}

/** The endpoint other services reach through runtime.bounce(). */
export function createBounceCore(context: BounceContext): BounceCore {
  return new BounceCore(context);
}
