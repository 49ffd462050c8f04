// The end of a submission: run the envelope and content passes, decide the outcome and
// make it durable. Success means the queue file was written completely (end record), made
// ready (owner execute bit) and synced, and only then moved to hold/ when a HOLD action or
// the hold flag asked for it; the caller is told status 0 after that. A DISCARD removes the
// file and still answers 0. A failure removes the file and answers its status and reason,
// unless the client asked cleanup to bounce rejected mail (pickup): then the complete file
// is handed to the bounce hook (one bounce record per recipient, a non-delivery notice
// from the bounce service) before it is removed, and the answer is 0.
// Called by stream.ts. Trusts writeQueueFile/commitQueueFile for the record layout.
// Models cleanup_api.c (cleanup_flush), cleanup_final.c and cleanup_bounce.c.

import { CleanupStatus, type CleanupResult } from '../master/contracts.ts';
import type { FileHandle } from '../platform/types.ts';
import type { PreciseTime } from '../global/queue/mail-queue.ts';
import { queueFilePath, renameQueueFile, QueueName, type MailQueue } from '../global/queue/mail-queue.ts';
import { writeQueueFile, commitQueueFile, type EnvelopeEntry, type QueueFileInput, type RecipientEntry } from '../global/queue/queue-file.ts';
import { RecordType } from '../global/queue/record.ts';
import type { CleanupCore } from './core.ts';
import { addAccessBcc, addExtractedBcc, processRecipient, processSender } from './envelope.ts';
import { processMessage } from './message.ts';
import { cleanupStatusDetail, STATUS_MASK_CANT_BOUNCE, type CleanupState } from './state.ts';

/** A rejected message the client wants bounced: what the bounce hook needs. */
export interface RejectedMessage {
  queueId: string;
  /** Path relative to queue_directory and the queue it is in. */
  queueName: string;
  queuePath: string;
  sender: string;
  arrivalTime: PreciseTime;
  recipients: Array<RecipientEntry & { offset: number }>;
  contentOffset: number;
  messageSize: number;
  dsn: string;
  reason: string;
  /** Content or size was the cause: the notice returns only the headers (cleanup_bounce.c). */
  headersOnly: boolean;
}

export interface FinishEnvironment {
  queue: MailQueue;
  handle: FileHandle;
  /** Path of the file under incoming/, absolute. */
  path: string;
  /** Tells qmgr that incoming/ has a new message. */
  notifyQueued(queueId: string): void;
  /** Sends the non-delivery notice for a rejected message; false when that failed. */
  bounceRejected?(message: RejectedMessage): Promise<boolean>;
  createTimeSeconds: number;
}

/** Splits submitted bytes into text lines (latin1), dropping the CR of CRLF ends. With
 *  `replaceStrayCrLf` (cleanup_replace_stray_cr_lf) every CR still inside a line becomes a
 *  space, as cleanup_message_headerbody() masks each content record, so that no stray CR
 *  (an SMTP smuggling ingredient) reaches the queue file or a later signature. */
export function contentLines(content: Uint8Array, replaceStrayCrLf = false): string[] {
  let text = latin1Text(content);
  if (text.endsWith('\n')) text = text.slice(0, -1);
  if (text === '') return [];
  // One array, its lines changed in place (split's own lines, no second array per step).
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (replaceStrayCrLf && line.includes('\r')) line = line.replaceAll('\r', ' ');
    lines[index] = line;
  }
  return lines;
}

/** The WHATWG "latin1" decoder is windows-1252, which differs from ISO 8859-1 only in
 *  0x80-0x9f: content without those bytes is decoded natively, the rest char by char. */
const windows1252 = new TextDecoder('latin1');

/** Bytes as a latin1 string (one character per byte). */
function latin1Text(content: Uint8Array): string {
  for (let index = 0; index < content.length; index++) {
    const byte = content[index] as number;
    if (byte >= 0x80 && byte < 0xa0) return latin1TextSlow(content);
  }
  return windows1252.decode(content);
}

function latin1TextSlow(content: Uint8Array): string {
  let text = '';
  const CHUNK = 8192;
  for (let at = 0; at < content.length; at += CHUNK) {
    text += String.fromCharCode(...content.subarray(at, Math.min(at + CHUNK, content.length)));
  }
  return text;
}

/** smtputf8.h: the client sent MAIL FROM ... SMTPUTF8. */
const SMTPUTF8_FLAG_REQUESTED = 1;

/** The envelope records in call order, with rewrite_context placed where Postfix's clients
 *  send it (after a leading log_ident), the sender rewritten. */
function envelopeEntries(state: CleanupState): EnvelopeEntry[] {
  const entries: EnvelopeEntry[] = [];
  const explicitContext = state.envelopeCalls.some((entry) => entry.kind === 'attribute' && entry.name === 'rewrite_context');
  let contextWritten = explicitContext;
  for (const entry of state.envelopeCalls) {
    // smtpd sends its content_filter and log_ident records ahead of rewrite_context.
    const leading = (entry.kind === 'attribute' && entry.name === 'log_ident') || (entry.kind === 'record' && entry.type === RecordType.contentFilter);
    if (!contextWritten && !leading) {
      entries.push({ kind: 'attribute', name: 'rewrite_context', value: state.client.rewriteContext });
      contextWritten = true;
    }
    entries.push(entry.kind === 'sender' ? { kind: 'sender', address: state.rewrittenSender ?? '' } : entry);
  }
  if (!contextWritten) entries.push({ kind: 'attribute', name: 'rewrite_context', value: state.client.rewriteContext });
  return entries;
}

function queueFileInput(core: CleanupCore, state: CleanupState, lines: readonly string[], createTimeSeconds: number): QueueFileInput {
  const extracted: EnvelopeEntry[] = [];
  if (state.accessFilter !== undefined) extracted.push({ kind: 'record', type: RecordType.contentFilter, value: state.accessFilter });
  if (state.accessRedirect !== undefined) extracted.push({ kind: 'record', type: RecordType.redirect, value: state.accessRedirect });
  if (state.filter !== undefined) extracted.push({ kind: 'record', type: RecordType.contentFilter, value: state.filter });
  if (state.redirect !== undefined) extracted.push({ kind: 'record', type: RecordType.redirect, value: state.redirect });
  const encoding = state.attributes.get('encoding');
  if (encoding !== undefined) extracted.push({ kind: 'attribute', name: 'encoding', value: encoding });
  const input: QueueFileInput = {
    arrivalTime: state.arrivalTime,
    createTimeSeconds,
    leading: state.leadingRecords,
    envelope: envelopeEntries(state),
    recipients: state.recipients,
    contentLines: lines,
    extracted,
    extractedRecipients: state.extractedRecipients,
    lineLengthLimit: core.settings.lineLengthLimit,
  };
  // The size record's SMTPUTF8 field: SMTPUTF8_FLAG_REQUESTED when smtpd's client asked.
  if (state.client.smtputf8 === true) input.smtputf8 = SMTPUTF8_FLAG_REQUESTED;
  const warning = core.settings.delayWarningTimeSeconds;
  if (warning > 0 && (state.rewrittenSender ?? '') !== '') input.warningTimeSeconds = state.arrivalTime.seconds + warning;
  return input;
}

/** Runs both passes; returns the output lines. */
export async function processAll(core: CleanupCore, state: CleanupState, content: Uint8Array): Promise<string[]> {
  await processSender(core, state);
  if (state.sender !== undefined) {
    for (const recipient of state.submittedRecipients) await processRecipient(core, state, recipient);
  }
  const output = { lines: [] as string[] };
  await processMessage(core, state, contentLines(content, core.settings.replaceStrayCrLf), output);
  if (state.sender !== undefined) await addAccessBcc(core, state);
  await addExtractedBcc(core, state);
  if (state.outputOk && state.lastRecipient === undefined) state.fail(CleanupStatus.recipient);
  if (state.oversize) {
    core.log.warn(`${state.queueId}: queue file size limit exceeded`);
    state.fail(CleanupStatus.size);
  }
  return output.lines;
}

function failure(state: CleanupState): CleanupResult {
  const detail = cleanupStatusDetail(state.errors);
  const reason = state.reason ?? `${detail.dsn} ${detail.text}`;
  return { status: state.errors, queueId: state.queueId, reason };
}

async function removeQuietly(env: FinishEnvironment, core: CleanupCore): Promise<void> {
  try {
    await env.handle.close();
  } catch { /* already closed */ }
  try {
    await env.queue.fs.unlink(env.path);
  } catch (error) {
    core.log.warn(`remove ${env.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** cleanup_flush after both passes. */
export async function finishMessage(core: CleanupCore, state: CleanupState, lines: readonly string[], env: FinishEnvironment): Promise<CleanupResult> {
  if (state.discard) state.errors = 0;
  let layout: Awaited<ReturnType<typeof writeQueueFile>> | undefined;
  if (state.errors === 0 || (state.errors & STATUS_MASK_CANT_BOUNCE) === 0) {
    layout = await writeQueueFile(env.handle, queueFileInput(core, state, lines, env.createTimeSeconds));
    const limit = core.settings.messageSizeLimit;
    if (limit > 0 && layout.length > limit && (state.errors & CleanupStatus.size) === 0) {
      core.log.warn(`${state.queueId}: queue file size limit exceeded`);
      state.fail(CleanupStatus.size);
    }
  }
  const canBounce = (state.errors & STATUS_MASK_CANT_BOUNCE) === 0 && state.sender !== undefined && state.flags.bounceOnReject === true;
  if (state.errors !== 0 && canBounce && layout !== undefined && env.bounceRejected !== undefined) {
    return bounce(core, state, env, layout);
  }
  if (state.errors !== 0 || state.discard) {
    const result = state.discard ? { status: 0, queueId: state.queueId } : failure(state);
    if (!state.discard) core.trace(state.queueId, { kind: 'cleanup.rejected', status: state.errors, reason: result.reason ?? '' });
    await removeQuietly(env, core);
    return result;
  }
  try {
    await commitQueueFile(env.queue.fs, env.path, env.handle);
    await env.handle.close();
    if (state.hold) {
      await renameQueueFile(env.queue, state.queueId, QueueName.incoming, QueueName.hold);
      core.trace(state.queueId, { kind: 'queue.moved', from: QueueName.incoming, to: QueueName.hold });
    }
  } catch (error) {
    core.log.warn(`${state.queueId}: write queue file: ${error instanceof Error ? error.message : String(error)}`);
    state.fail(CleanupStatus.write);
    await removeQuietly(env, core);
    return failure(state);
  }
  if (!state.hold) env.notifyQueued(state.queueId);
  return { status: 0, queueId: state.queueId };
}

/** cleanup_bounce: every recipient bounced with the reject reason, then the file goes. */
async function bounce(core: CleanupCore, state: CleanupState, env: FinishEnvironment,
  layout: Awaited<ReturnType<typeof writeQueueFile>>): Promise<CleanupResult> {
  const failed = failure(state);
  const reasonText = failed.reason ?? '';
  const match = /^([245]\.\d{1,3}\.\d{1,3})\s+(.*)$/s.exec(reasonText);
  const dsn = match?.[1] ?? '5.0.0';
  const reason = match?.[2] ?? reasonText;
  const all = [...state.recipients, ...state.extractedRecipients];
  const recipients = all.map((recipient, index) => ({ ...recipient, offset: layout.recipientOffsets[index] ?? 0 }));
  let ok = false;
  try {
    await env.handle.sync();
    ok = await (env.bounceRejected?.({
      queueId: state.queueId, queueName: QueueName.incoming,
      queuePath: queueFilePath(env.queue, QueueName.incoming, state.queueId).slice(env.queue.queueDirectory.length + 1),
      sender: state.rewrittenSender ?? '', arrivalTime: state.arrivalTime, recipients,
      contentOffset: layout.size.dataOffset, messageSize: layout.size.contentSize, dsn, reason,
      headersOnly: (state.errors & (CleanupStatus.content | CleanupStatus.size)) !== 0,
    }) ?? Promise.resolve(false));
  } catch (error) {
    core.log.warn(`${state.queueId}: bounce message failure: ${error instanceof Error ? error.message : String(error)}`);
  }
  await removeQuietly(env, core);
  if (!ok) {
    // cleanup_bounce() keeps only the write bit, and cleanup answers with it and its own
    // reason, if it had one ("" otherwise): the client keeps its copy (pickup leaves the
    // maildrop file for its next scan; local defers the forwarding).
    core.trace(state.queueId, { kind: 'cleanup.rejected', status: CleanupStatus.write, reason: state.reason ?? '' });
    return { status: CleanupStatus.write, queueId: state.queueId, ...(state.reason === undefined ? {} : { reason: state.reason }) };
  }
  return { status: 0, queueId: state.queueId };
}
