// One submission in progress (CleanupStream): open() has already created the queue file in
// incoming/ (mode 0600, so qmgr ignores it) and the queue id exists. The client's envelope
// calls and content bytes are collected; finish() runs the passes, writes the file and
// answers; abort() removes the file. Content beyond message_size_limit is not kept (the
// message will fail with "message file too big"), which bounds memory per submission.
// Created by api.ts (openSubmission); called by pickup, smtpd, bounce, local, postsuper.
// Models the request loop of src/cleanup/cleanup.c around cleanup_open/cleanup_flush.

import { CleanupStatus, type CleanupActions, type CleanupClient, type CleanupFlags, type CleanupResult, type CleanupStream, type SubmittedRecipient } from '../master/contracts.ts';
import type { PreciseTime } from '../global/queue/mail-queue.ts';
import type { EnvelopeEntry } from '../global/queue/queue-file.ts';
import { RecordType } from '../global/queue/record.ts';
import type { CleanupCore } from './core.ts';
import { finishMessage, processAll, type FinishEnvironment } from './finish.ts';
import { CleanupState } from './state.ts';

/** The most recipients one submission may carry before it is refused as a protocol error. */
export const RECIPIENTS_PER_SUBMISSION_MAX = 1_000_000;
/** Content kept when message_size_limit is 0 (unlimited): a hard ceiling for the simulator. */
export const CONTENT_BYTES_CEILING = 512 * 1024 * 1024;
/** The content buffer's first size; it doubles up to the size limit that applies. */
const CONTENT_BUFFER_BYTES_INITIAL = 4096;

/** First-size content buffers finished submissions no longer read, for the next ones (a
 *  typed array of this size has its own backing store: allocating and freeing one per
 *  message cost more than the message's copy into it). Only bytes [0, contentLength)
 *  written by the submission are ever read, so old bytes need no clearing. A few are kept
 *  because submissions overlap (pickup's and smtpd's, several smtpd sessions). */
const spareContentBuffers: Uint8Array[] = [];
const SPARE_CONTENT_BUFFERS_MAX = 8;
const NO_CONTENT = new Uint8Array(0);

function takeContentBuffer(): Uint8Array {
  return spareContentBuffers.pop() ?? new Uint8Array(CONTENT_BUFFER_BYTES_INITIAL);
}

function returnContentBuffer(buffer: Uint8Array): void {
  if (buffer.length === CONTENT_BUFFER_BYTES_INITIAL && spareContentBuffers.length < SPARE_CONTENT_BUFFERS_MAX) {
    spareContentBuffers.push(buffer);
  }
}

export class Submission implements CleanupStream {
  readonly queueId: string;
  private readonly state: CleanupState;
  /** The content so far: bytes [0, contentLength) of a buffer that doubles as it fills
   *  (one copy per call into it, instead of one small array per line and a concatenation). */
  private content = takeContentBuffer();
  private contentLength = 0;
  private done = false;

  constructor(private readonly core: CleanupCore, private readonly env: FinishEnvironment,
    options: { queueId: string; client: CleanupClient; flags: CleanupFlags; createdAt: PreciseTime }) {
    this.queueId = options.queueId;
    this.state = new CleanupState({ ...options, remoteHeaderRewriteDomain: core.settings.remoteHeaderRewriteDomain });
  }

  private assertOpen(): void {
    if (this.done) throw new Error(`cleanup ${this.queueId}: stream already finished`);
  }

  setSender(address: string): void {
    this.assertOpen();
    if (this.state.sender !== undefined) {
      this.core.log.warn(`${this.queueId}: message rejected: multiple envelope sender records`);
      this.state.fail(CleanupStatus.bad);
      return;
    }
    this.state.sender = address;
    this.state.envelopeCalls.push({ kind: 'sender', address });
  }

  setFullName(name: string): void {
    this.assertOpen();
    if (this.state.fullName !== undefined) return;
    this.state.fullName = name;
    this.state.envelopeCalls.push({ kind: 'fullName', value: name });
  }

  addRecipient(recipient: SubmittedRecipient): void {
    this.assertOpen();
    if (this.state.submittedRecipients.length >= RECIPIENTS_PER_SUBMISSION_MAX) {
      this.state.fail(CleanupStatus.bad);
      return;
    }
    this.state.submittedRecipients.push({ ...recipient });
  }

  setAttribute(name: string, value: string): void {
    this.assertOpen();
    if (value === '') {
      this.core.log.warn(`${this.queueId}: spurious null attribute value for "${name}" -- ignored`);
      return;
    }
    this.state.attributes.set(name, value);
    this.state.envelopeCalls.push({ kind: 'attribute', name, value });
  }

  setContentFilter(transport: string, options: { beforeEnvelope?: boolean } = {}): void {
    this.assertOpen();
    const entry: EnvelopeEntry = { kind: 'record', type: RecordType.contentFilter, value: transport };
    if (options.beforeEnvelope === true) this.state.leadingRecords.push(entry);
    else this.state.envelopeCalls.push(entry);
  }

  setArrivalTime(time: PreciseTime): void {
    this.assertOpen();
    this.state.arrivalTime = { ...time };
  }

  /** smtpd's delegated access actions (REC_TYPE_FLGS/FILT/RDR and extracted RCPT records). */
  setActions(actions: CleanupActions): void {
    this.assertOpen();
    const state = this.state;
    if (actions.hold === true) state.hold = true;
    if (actions.discard === true) state.discard = true;
    if (actions.filter !== undefined) state.accessFilter = actions.filter;
    if (actions.redirect !== undefined) state.accessRedirect = actions.redirect;
    for (const bcc of actions.bcc ?? []) {
      if (state.accessBcc.length < RECIPIENTS_PER_SUBMISSION_MAX) state.accessBcc.push(bcc);
    }
  }

  addContent(bytes: Uint8Array): void {
    this.assertOpen();
    const limit = this.core.settings.messageSizeLimit > 0 ? this.core.settings.messageSizeLimit : CONTENT_BYTES_CEILING;
    this.state.contentBytes += bytes.length;
    if (this.state.contentBytes > limit) {
      this.state.oversize = true;
      return;
    }
    const needed = this.contentLength + bytes.length;
    if (needed > this.content.length) {
      let size = this.content.length * 2;
      while (size < needed) size *= 2;
      const grown = new Uint8Array(Math.min(size, Math.max(limit, needed)));
      grown.set(this.content.subarray(0, this.contentLength), 0);
      this.content = grown;
    }
    this.content.set(bytes, this.contentLength);
    this.contentLength = needed;
  }

  async finish(): Promise<CleanupResult> {
    this.assertOpen();
    this.done = true;
    const buffer = this.content;
    const content = buffer.subarray(0, this.contentLength);
    this.content = NO_CONTENT;
    try {
      // processAll decodes the content into lines of its own; after it the buffer is free.
      let lines: string[];
      try {
        lines = await processAll(this.core, this.state, content);
      } finally {
        returnContentBuffer(buffer);
      }
      return await finishMessage(this.core, this.state, lines, this.env);
    } catch (error) {
      // An environment failure (the file system) or a table that failed where no caller
      // expected it: never report success for a file that may be incomplete.
      this.core.log.warn(`${this.queueId}: ${error instanceof Error ? error.message : String(error)}`);
      await this.remove();
      return { status: CleanupStatus.write, queueId: this.queueId, reason: '4.3.0 queue file write error' };
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    returnContentBuffer(this.content);
    this.content = NO_CONTENT;
    await this.remove();
  }

  private async remove(): Promise<void> {
    try {
      await this.env.handle.close();
    } catch { /* already closed */ }
    try {
      await this.env.queue.fs.unlink(this.env.path);
    } catch { /* already gone */ }
  }
}
