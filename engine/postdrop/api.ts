// postdrop: puts a local submission into the maildrop queue. It creates a queue file named
// by a fresh queue id (0644 while it is written), writes its own arrival time record, then
// copies the submitted record stream after checking it segment by segment and filtering the
// attributes a user may set; a message larger than message_size_limit fails as the file
// size limit makes it fail ("uid=N: File too large"). A complete file gets mode 0744 and is
// synced before success is reported; only then is pickup woken. Without a running host the
// file simply waits in maildrop/ for the next pickup scan, as with a stopped Postfix.
// Called by sendmail (engine/admin/sendmail.ts), smtpd -S (engine/smtpd/standalone.ts:
// openPostdrop, the file made at the first recipient and completed after DATA) and tests.
// Trusts the queue library; trusts nothing in the records (they come from a user).
// Models src/postdrop/postdrop.c and mail_stream_file/mail_stream_finish_file.

import type { Host } from '../global/host.ts';
import { FatalExit, type Reporter } from '../global/msg.ts';
import { RecordBuffer, RecordType, latin1 } from '../global/queue/record.ts';
import { enterQueueFile, QueueName, type MailQueue, type EnteredFile } from '../global/queue/mail-queue.ts';
import { CleanupStatus } from '../master/contracts.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import {
  POST_SEGMENTS, SubmissionAttribute, TraceFlag, splitNameValue, SUBMISSION_RECORDS_MAX,
  type SubmissionRecord,
} from './stream.ts';

/** A maildrop file being written is the owner's to write and everyone's to read; it is
 *  complete with the owner execute bit (0744), which pickup waits for. */
export const MAILDROP_FILE_MODE_INCOMPLETE = 0o644;
export const MAILDROP_FILE_MODE_READY = 0o744;

/** Postfix's CLEANUP_STAT_NOPERM (cleanup_user.h): the contract's table stops before it. */
export const CLEANUP_STAT_NOPERM = 1 << 10;

export interface PostdropRequest {
  host: Host;
  queue: MailQueue;
  /** The submitting user: the file's owner, and what pickup logs as uid=. */
  uid: number;
  /** Group of the file (the postdrop group's gid where there is one). */
  gid?: number;
  /** postdrop's own diagnostics ("postdrop: warning: ..."). */
  reporter: Reporter;
  pid: number;
  records: Iterable<SubmissionRecord>;
  /** message_size_limit in bytes; 0 means no limit. It bounds the whole maildrop file. */
  messageSizeLimit: number;
  longQueueIds: boolean;
  /** Wakes pickup (runtime.trigger('pickup')) when a host is running; real mode's write to
   *  public/pickup is awaited (host.mailSystem). */
  trigger?: () => void | Promise<unknown>;
}

export interface PostdropResult {
  /** A CleanupStatus bit set: 0 when the file is safely in maildrop. */
  status: number;
  /** The maildrop file's name (also set when the submission failed and it was removed). */
  queueId: string;
  /** Text for the caller (postdrop's MAIL_ATTR_WHY); often empty. */
  reason: string;
}

/** The outcome of copying the stream into the file buffer. */
interface CopyOutcome {
  senders: number;
  recipients: number;
  sender?: string;
  recipientList: string[];
  /** False when the stream was drained after an error (postdrop's validate_input). */
  validated: boolean;
}

/** A maildrop file that exists (its queue id is known) and waits for its records: what
 *  smtpd -S (sendmail -bs) holds open from the first recipient to the end of DATA. */
export interface OpenedPostdrop {
  readonly queueId: string;
  /** Copies the records after postdrop's own time record, as postdrop() does. */
  complete(records: Iterable<SubmissionRecord>): Promise<PostdropResult>;
  /** The submission was given up (RSET, end of input): the partial file is removed. */
  abandon(): Promise<void>;
}

/** Writes one submission into maildrop/. Never throws for what a user sent: a malformed
 *  stream is a fatal diagnostic and status BAD, with the partial file removed. */
export async function postdrop(request: PostdropRequest): Promise<PostdropResult> {
  const opened = await openPostdrop(request);
  if (!('complete' in opened)) return opened;
  return opened.complete(request.records);
}

/** Creates the maildrop file (0644, owned by the user) before any record is known, as
 *  postdrop does before it reads its input; a failure is a PostdropResult. */
export async function openPostdrop(request: Omit<PostdropRequest, 'records'>): Promise<OpenedPostdrop | PostdropResult> {
  const { host, queue, reporter } = request;
  const platform = host.platform;
  let entered: EnteredFile;
  try {
    entered = await enterQueueFile(queue, {
      queueName: QueueName.maildrop, clock: platform.clock, random: platform.random.fork(`postdrop:${request.pid}`),
      pid: request.pid, longQueueIds: request.longQueueIds, mode: MAILDROP_FILE_MODE_INCOMPLETE,
    });
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    // Postfix retries this for ever, a few seconds apart; one warning and a write error
    // lets the student see why instead of a hung command.
    const micros = platform.clock.nowMs() % 1000 * 1000;
    reporter.warn(`mail_queue_enter: create file ${QueueName.maildrop}/${micros}.${request.pid}: ${reasonOf(error)}`);
    return { status: CleanupStatus.write, queueId: '', reason: '' };
  }
  const removePartial = async (): Promise<void> => {
    await entered.handle.close().catch(() => undefined);
    await queue.fs.unlink(entered.path).catch((error: unknown) => {
      reporter.warn(`uid=${request.uid}: remove ${entered.relativePath}: ${reasonOf(error)}`);
    });
  };
  await giveToUser(request, entered);
  let used = false;
  return {
    queueId: entered.id,
    abandon: async () => {
      if (used) return;
      used = true;
      await removePartial();
    },
    complete: async (records) => {
      if (used) return { status: CleanupStatus.bad, queueId: entered.id, reason: '' };
      used = true;
      return completeFile({ ...request, records }, entered, removePartial);
    },
  };
}

/** postdrop's copy loop and the end of the file, once the file exists. */
async function completeFile(request: PostdropRequest, entered: EnteredFile, removePartial: () => Promise<void>): Promise<PostdropResult> {
  const { host, queue, reporter } = request;
  const platform = host.platform;
  const buffer = new FileBuffer(request.messageSizeLimit);
  buffer.put(RecordType.time, `${entered.time.seconds} ${entered.time.microseconds}`);
  let outcome: CopyOutcome;
  try {
    outcome = copyRecords(request, buffer);
  } catch (error) {
    if (!(error instanceof MalformedSubmission)) throw error;
    printFatal(reporter, error.message);
    await removePartial();
    return { status: CleanupStatus.bad, queueId: entered.id, reason: '' };
  }
  if (outcome.validated && (outcome.senders === 0 || outcome.recipients === 0)) {
    await removePartial();
    return { status: CleanupStatus.bad, queueId: entered.id, reason: '' };
  }
  const status = await finishFile(request, entered, buffer);
  if (status !== CleanupStatus.ok) {
    reporter.warn(`uid=${request.uid}: ${status === CleanupStatus.size ? describeFileTooLarge() : 'Input/output error'}`);
    await queue.fs.unlink(entered.path).catch(() => undefined);
    return { status, queueId: entered.id, reason: '' };
  }
  platform.trace.emit({
    kind: 'postdrop.queued', uid: request.uid, sender: outcome.sender ?? '', recipients: outcome.recipientList,
    host: host.name, service: 'postdrop', pid: request.pid, queueId: entered.id,
  });
  await request.trigger?.();
  return { status: CleanupStatus.ok, queueId: entered.id, reason: '' };
}

/** postdrop's msg_fatal: the line is printed and logged; the caller sees the failed status
 *  as sendmail sees a postdrop that exited. */
function printFatal(reporter: Reporter, text: string): void {
  try {
    reporter.fatal(text);
  } catch (error) {
    if (!(error instanceof FatalExit)) throw error;
  }
}

/** strerror(EFBIG): the platform has no such code because its writes never hit a limit. */
function describeFileTooLarge(): string {
  return 'File too large';
}

/** chown to the submitting user, where the file system can (a root process in sim). */
async function giveToUser(request: Omit<PostdropRequest, 'records'>, entered: EnteredFile): Promise<void> {
  const fs = request.queue.fs;
  if (fs.chown === undefined) return;
  const stat = await entered.handle.stat();
  const gid = request.gid ?? stat.gid;
  if (stat.uid === request.uid && stat.gid === gid) return;
  // A real non-root process cannot give files away; the file then stays its own, which is
  // also who submitted it.
  await fs.chown(entered.path, request.uid, gid).catch(() => undefined);
}

const utf8Decoder = new TextDecoder();

/** Raised for what postdrop treats as fatal input ("uid=N: unexpected record type: T"). */
class MalformedSubmission extends Error {}

/** Checks and copies the stream, as postdrop's main loop. */
function copyRecords(request: PostdropRequest, buffer: FileBuffer): CopyOutcome {
  const outcome: CopyOutcome = { senders: 0, recipients: 0, recipientList: [], validated: true };
  const uid = request.uid;
  let segment = 0;
  let count = 0;
  for (const item of request.records) {
    if (++count > SUBMISSION_RECORDS_MAX) throw new MalformedSubmission(`uid=${uid}: malformed input`);
    const expected = POST_SEGMENTS[segment] ?? '';
    const letter = String.fromCharCode(item.type);
    if (item.type === 0 || !expected.includes(letter)) {
      throw new MalformedSubmission(`uid=${uid}: unexpected record type: ${item.type}`);
    }
    if (letter === expected[0]) segment += 1;
    if (item.type === RecordType.sender) {
      outcome.senders += 1;
      outcome.sender ??= latin1(item.payload);
    }
    if (item.type === RecordType.recipient) {
      outcome.recipients += 1;
      outcome.recipientList.push(utf8Decoder.decode(item.payload));
    }
    if (item.type === RecordType.attribute) {
      copyAttribute(request, buffer, latin1(item.payload));
      continue;
    }
    buffer.put(item.type, item.payload);
    if (item.type === RecordType.end) return outcome;
  }
  // End of input before the end record: the submission was cancelled (or cut off).
  throw new MalformedSubmission(`uid=${uid}: malformed input`);
}

/** The attributes a user may set, as postdrop's filter; others are dropped with a warning. */
function copyAttribute(request: PostdropRequest, buffer: FileBuffer, text: string): void {
  const uid = request.uid;
  const split = splitNameValue(text);
  if (typeof split === 'string') {
    request.reporter.warn(`uid=${uid}: ignoring malformed record: ${split}: ${text.slice(0, 200)}`);
    return;
  }
  const { name, value } = split;
  if (name === SubmissionAttribute.traceFlags) {
    const flags = Number.parseInt(value, 10);
    if (flags === TraceFlag.userVerify || flags === TraceFlag.record) buffer.put(RecordType.attribute, `${name}=${flags}`);
    else request.reporter.warn(`uid=${uid}: ignoring unexpected trace flags: ${value.slice(0, 200)}`);
    return;
  }
  const allowed =
    (name === SubmissionAttribute.encoding && (value === '7bit' || value === '8bit' || value === ''))
    || name === SubmissionAttribute.dsnEnvelopeId
    || name === SubmissionAttribute.dsnNotify
    || name === SubmissionAttribute.dsnReturn
    || name === SubmissionAttribute.dsnOriginalRecipient
    || name === SubmissionAttribute.createTime
    || (name === SubmissionAttribute.rewriteContext && (value === 'local' || value === 'remote'));
  if (allowed) buffer.put(RecordType.attribute, `${name}=${value}`);
  else request.reporter.warn(`uid=${uid}: ignoring attribute record: ${name.slice(0, 200)}=${value.slice(0, 200)}`);
}

/** Writes the buffered records, marks the file complete and syncs it
 *  (mail_stream_finish_file: flush, fchmod, fsync, close). Returns a CleanupStatus. */
async function finishFile(request: PostdropRequest, entered: EnteredFile, buffer: FileBuffer): Promise<number> {
  if (buffer.overLimit) {
    // The kernel stops the write at the limit; what reached the disk is removed anyway.
    await entered.handle.write(buffer.bytes().subarray(0, request.messageSizeLimit), 0).catch(() => 0);
    await entered.handle.close().catch(() => undefined);
    return CleanupStatus.size;
  }
  try {
    await entered.handle.write(buffer.bytes(), 0);
    await request.queue.fs.chmod(entered.path, MAILDROP_FILE_MODE_READY);
    await entered.handle.sync();
    await entered.handle.close();
    return CleanupStatus.ok;
  } catch (error) {
    await entered.handle.close().catch(() => undefined);
    if (error instanceof PlatformError) return CleanupStatus.write;
    throw error;
  }
}

/** The file's bytes in memory, with the size limit that RLIMIT_FSIZE would enforce: the
 *  records go into one growing buffer (no array per record and no concatenation). */
class FileBuffer {
  private readonly records = new RecordBuffer();
  overLimit = false;
  constructor(private readonly limitBytes: number) {}
  put(type: number, payload: string | Uint8Array): void {
    if (this.overLimit) return;
    this.records.put(type, payload);
    if (this.limitBytes > 0 && this.records.length > this.limitBytes) this.overLimit = true;
  }
  /** The bytes put so far; once only (the buffer is handed over). */
  bytes(): Uint8Array {
    return this.records.take();
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof PlatformError) return describeCode(error.code);
  return error instanceof Error ? error.message : String(error);
}
