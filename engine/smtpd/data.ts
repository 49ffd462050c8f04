// Message content: DATA (lines until "." alone, with dot-unstuffing) and BDAT (counted
// chunks, CHUNKING), both feeding the cleanup stream as bytes with LF line ends, and the
// end-of-message handling: smtpd_end_of_data_restrictions, then cleanup's finish(); only
// when cleanup reports the message safely queued does the client get "250 2.0.0 Ok: queued
// as ID". Content beyond message_size_limit is not passed on ("552 5.3.4 Error: message file
// too big"). With smtpd_forbid_bare_newline, "." on a line that ends in a bare LF (or after
// one) does not end DATA, so no smuggled end-of-data is accepted; "reject" refuses the
// message ("550 5.5.2 ... Error: bare <LF> received").
// Called through the command table (commands.ts). Models data_cmd(), bdat_cmd(),
// skip_bdat(), receive_data_message() and common_post_message_handling() of
// src/smtpd/smtpd.c.

import { CleanupStatus, type CleanupActions } from '../master/contracts.ts';
import { cleanupStatusDetail } from '../cleanup/state.ts';
import type { SmtpdProtocol } from './api.ts';
import type { Line } from './input.ts';
import { replies } from './replies.ts';
import type { Transaction } from './session.ts';
import type { Word } from './tokens.ts';

const encoder = new TextEncoder();
const NEWLINE = encoder.encode('\n');
/** The most lines one message may have: a bound on the receive loop, far above any
 *  message_size_limit divided by the shortest line. */
export const MESSAGE_LINES_MAX = 100_000_000;

/** Content records as smtpd passes them on: a line with its end, or a piece of a longer one. */
class ContentWriter {
  private first = true;

  constructor(private readonly protocol: SmtpdProtocol, private readonly transaction: Transaction) {}

  /** One record; `ended` adds the line end. Counts the size as Postfix does (len + 2). */
  write(bytes: Uint8Array, ended: boolean): void {
    const transaction = this.transaction;
    if (this.first) {
      // A leading "From " line becomes a header; leading white space would be a header
      // continuation, so an empty header line goes first.
      if (/^>*From /.test(String.fromCharCode.apply(null, (bytes.length > 64 ? bytes.subarray(0, 64) : bytes) as unknown as number[]))) {
        if (transaction.receiveErrors === 0) {
          this.emit(encoder.encode('X-Mailbox-Line: '), false);
          this.emit(bytes, ended);
        }
        return;
      }
      this.first = false;
      if (bytes.length > 0 && (bytes[0] === 0x20 || bytes[0] === 0x09)) this.emit(new Uint8Array(0), true);
    }
    if (transaction.receiveErrors !== 0) return;
    const limit = this.protocol.settings.messageSizeLimit;
    if (limit > 0 && limit - transaction.actualSize < bytes.length + 2) {
      transaction.receiveErrors |= CleanupStatus.size;
      this.protocol.env.log.warn(`${transaction.queueId ?? 'NOQUEUE'}: queue file size limit exceeded`);
      return;
    }
    transaction.actualSize += bytes.length + 2;
    this.emit(bytes, ended);
  }

  private emit(bytes: Uint8Array, ended: boolean): void {
    const stream = this.transaction.stream;
    if (stream === undefined) return;
    if (bytes.length > 0) stream.addContent(bytes);
    if (ended) stream.addContent(NEWLINE);
  }
}

export async function dataCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  const session = protocol.session;
  const transaction = session.transaction;
  if (session.bdatState !== 'none') {
    await protocol.reply(replies.dataAfterBdat);
    return false;
  }
  if (transaction === undefined || transaction.recipientCount === 0) {
    await protocol.reply(transaction === undefined ? replies.needRcpt : replies.noValidRecipients);
    return false;
  }
  if (words.length !== 1) {
    await protocol.reply(replies.dataSyntax);
    return false;
  }
  const denied = await protocol.env.restrictions.data(session);
  if (denied !== undefined) {
    await protocol.replyText(denied);
    return false;
  }
  await protocol.reply(replies.dataGo);
  session.where = 'DATA content';
  session.phase = 'data';
  await receiveData(protocol, transaction);
  session.where = 'END-OF-MESSAGE';
  session.phase = 'command';
  return finishMessage(protocol, transaction, 'data');
}

/** receive_data_message(). */
async function receiveData(protocol: SmtpdProtocol, transaction: Transaction): Promise<void> {
  const settings = protocol.settings;
  const detect = protocol.detectBareNewline;
  const writer = new ContentWriter(protocol, transaction);
  let previous: Line | undefined;
  for (let lines = 0; lines < MESSAGE_LINES_MAX; lines++) {
    // Most content lines are already buffered: taken without an await per line.
    const line = protocol.input.lineIfBuffered(settings.lineLengthLimit, !detect)
      ?? await protocol.input.readLine(settings.lineLengthLimit, { stripAllCr: !detect });
    if (detect && settings.forbidBareNewline === 'reject' && line.bareLf) transaction.receiveErrors |= CleanupStatus.bareNewline;
    const startOfLine = previous === undefined || previous.ended;
    let bytes = line.bytes;
    if (startOfLine && bytes[0] === 0x2e) {
      if (bytes.length === 1 && detect && (line.bareLf || previous?.bareLf === true)) {
        previous = line;
        continue;
      }
      bytes = bytes.subarray(1);
      if (bytes.length === 0 && line.ended) return;
    }
    writer.write(bytes, line.ended);
    previous = line;
  }
}

/** The words of a BDAT command, or undefined when they are malformed. */
function parseBdat(words: readonly Word[]): { size: number; last: boolean } | undefined {
  if (words.length < 2 || words.length > 3) return undefined;
  const count = (words[1] as Word).text;
  if (!/^\d+$/.test(count) || !Number.isSafeInteger(Number(count))) return undefined;
  const last = words.length === 3;
  if (last && (words[2] as Word).text.toUpperCase() !== 'LAST') return undefined;
  return { size: Number(count), last };
}

/** skip_bdat(): the chunk is read and dropped, then the error reply. */
async function skipChunk(protocol: SmtpdProtocol, size: number, last: boolean, reply: () => Promise<void>): Promise<boolean> {
  await protocol.input.readBytes(size);
  await reply();
  if (last) await protocol.resetTransaction();
  else protocol.session.bdatState = 'error';
  return false;
}

export async function bdatCommand(protocol: SmtpdProtocol, words: readonly Word[], text: string): Promise<boolean> {
  const session = protocol.session;
  const settings = protocol.settings;
  if (session.discardedEhloKeywords.has('chunking')) {
    await protocol.reply(replies.chunkingDisabled);
    return false;
  }
  const parsed = parseBdat(words);
  if (parsed === undefined) {
    protocol.env.log.warn(`${session.transaction?.queueId ?? 'NOQUEUE'}: malformed BDAT command syntax from ${session.namaddr}: ${text.slice(0, 100)}`);
    await protocol.reply(replies.bdatSyntax);
    return false;
  }
  const { size, last } = parsed;
  if (size === 0 && !last) {
    protocol.env.log.warn(`${session.transaction?.queueId ?? 'NOQUEUE'}: null BDAT request from ${session.namaddr}`);
    return skipChunk(protocol, size, last, () => protocol.reply(replies.nullBdat));
  }
  if (session.bdatState === 'error') return skipChunk(protocol, size, last, () => protocol.reply(replies.bdatDiscarded(size)));
  const transaction = session.transaction;
  if (session.bdatState === 'none') {
    if (transaction === undefined || transaction.recipientCount === 0) {
      return skipChunk(protocol, size, last, () => protocol.reply(transaction === undefined ? replies.needRcpt : replies.noValidRecipients));
    }
    const denied = await protocol.env.restrictions.data(session);
    if (denied !== undefined) return skipChunk(protocol, size, last, () => protocol.replyText(denied));
  }
  if (transaction === undefined) return skipChunk(protocol, size, last, () => protocol.reply(replies.needRcpt));
  if (settings.messageSizeLimit > 0 && transaction.actualSize > settings.messageSizeLimit - size) {
    protocol.env.log.warn(`${transaction.queueId ?? 'NOQUEUE'}: BDAT request from ${session.namaddr} exceeds message size limit`);
    return skipChunk(protocol, size, last, () => protocol.reply(replies.chunkTooLarge));
  }
  if (session.bdatState === 'none') bdatCarry.set(transaction, { bytes: new Uint8Array(0), writer: new ContentWriter(protocol, transaction) });
  session.bdatState = 'ok';
  session.where = 'BDAT content';
  session.phase = 'bdat';
  const chunk = await protocol.input.readBytes(size);
  receiveChunk(protocol, transaction, chunk, last);
  session.phase = 'command';
  if (last) {
    session.where = 'END-OF-MESSAGE';
    return finishMessage(protocol, transaction, 'bdat');
  }
  if (transaction.receiveErrors !== 0) {
    await finishMessage(protocol, transaction, 'bdat');
    session.bdatState = 'error';
    return false;
  }
  await protocol.reply(replies.chunkOk(size));
  return true;
}

/** The partial line carried from one chunk to the next (bdat_get_buffer). */
const bdatCarry = new WeakMap<Transaction, { bytes: Uint8Array; writer: ContentWriter }>();

/** Splits a chunk into content lines (no dot-unstuffing in BDAT). */
function receiveChunk(protocol: SmtpdProtocol, transaction: Transaction, chunk: Uint8Array, last: boolean): void {
  const carry = bdatCarry.get(transaction);
  if (carry === undefined) return;
  const settings = protocol.settings;
  const detect = protocol.detectBareNewline;
  let buffer = new Uint8Array(carry.bytes.length + chunk.length);
  buffer.set(carry.bytes, 0);
  buffer.set(chunk, carry.bytes.length);
  for (let lines = 0; lines < MESSAGE_LINES_MAX; lines++) {
    const newline = buffer.indexOf(0x0a);
    if (newline >= 0 && newline <= settings.lineLengthLimit) {
      let end = newline;
      let bareLf = false;
      if (detect) {
        if (end > 0 && buffer[end - 1] === 0x0d) end--;
        else bareLf = true;
      } else {
        while (end > 0 && buffer[end - 1] === 0x0d) end--;
      }
      if (detect && settings.forbidBareNewline === 'reject' && bareLf) transaction.receiveErrors |= CleanupStatus.bareNewline;
      carry.writer.write(buffer.subarray(0, end), true);
      buffer = buffer.subarray(newline + 1);
    } else if (buffer.length > settings.lineLengthLimit) {
      carry.writer.write(buffer.subarray(0, settings.lineLengthLimit), false);
      buffer = buffer.subarray(settings.lineLengthLimit);
    } else {
      break;
    }
  }
  if (last && buffer.length > 0) {
    carry.writer.write(buffer, true);
    buffer = new Uint8Array(0);
  }
  carry.bytes = buffer.slice();
}

/** common_post_message_handling(): end-of-data restrictions, cleanup's verdict, the reply,
 *  and the transaction reset. Returns whether the message was queued. */
async function finishMessage(protocol: SmtpdProtocol, transaction: Transaction, via: 'data' | 'bdat'): Promise<boolean> {
  const session = protocol.session;
  const stream = transaction.stream;
  let status = transaction.receiveErrors;
  if (status === 0) {
    const denied = await protocol.env.restrictions.endOfData(session);
    if (denied !== undefined) {
      await protocol.replyText(denied);
      await protocol.resetTransaction();
      return false;
    }
  }
  let reason = '';
  let queued = false;
  if (status === 0 && stream !== undefined) {
    // The access actions go to cleanup with the end of the message, as Postfix's smtpd
    // sends its saved flags, FILTER, REDIRECT and BCC records. DISCARD: cleanup reads the
    // message, throws it away and answers success, so the client is told it was queued.
    const actions = delegatedActions(transaction);
    if (actions !== undefined) {
      if (stream.setActions !== undefined) stream.setActions(actions);
      else if (actions.discard === true) await stream.abort();
    }
    if (actions?.discard === true && stream.setActions === undefined) {
      queued = true;
    } else {
      const result = await stream.finish();
      status = result.status;
      reason = result.reason ?? '';
      queued = status === 0;
    }
    transaction.stream = undefined;
  }
  if (queued) {
    session.errorCount = 0;
    session.junkCommands = 0;
    const queueId = transaction.queueId ?? '';
    await protocol.reply(via === 'bdat' ? replies.chunkQueued(transaction.actualSize, queueId) : replies.queued(queueId));
  } else {
    await replyFailure(protocol, status, reason);
  }
  await protocol.resetTransaction();
  return queued;
}

/** The transaction's saved access-table actions, or undefined when there are none. */
function delegatedActions(transaction: Transaction): CleanupActions | undefined {
  if (!transaction.hold && !transaction.discard && transaction.filter === undefined
    && transaction.redirect === undefined && transaction.bcc.length === 0) return undefined;
  return {
    ...(transaction.hold ? { hold: true } : {}),
    ...(transaction.discard ? { discard: true } : {}),
    ...(transaction.filter === undefined ? {} : { filter: transaction.filter }),
    ...(transaction.redirect === undefined ? {} : { redirect: transaction.redirect }),
    ...(transaction.bcc.length === 0 ? {} : { bcc: [...transaction.bcc] }),
  };
}

async function replyFailure(protocol: SmtpdProtocol, status: number, reason: string): Promise<void> {
  const settings = protocol.settings;
  const detail = (bit: number): { smtpCode: number; dsn: string; text: string } => cleanupStatusDetail(bit);
  if ((status & CleanupStatus.bareNewline) !== 0) {
    protocol.whatsup('reject', 'bare <LF> received');
    await protocol.reply(replies.bareLf(settings.forbidBareNewlineRejectCode, settings.myhostname));
  } else if (/^[45]\d\d( |$)/.test(reason)) {
    await protocol.replyText(reason);
  } else if ((status & CleanupStatus.defer) !== 0) {
    const defer = detail(CleanupStatus.defer);
    await protocol.reply(reason !== '' ? replies.cleanupReason(defer.smtpCode, reason) : replies.cleanupError(defer.smtpCode, defer.dsn, defer.text));
  } else if ((status & CleanupStatus.bad) !== 0) {
    const bad = detail(CleanupStatus.bad);
    await protocol.reply(replies.cleanupError(bad.smtpCode, bad.dsn, `internal error ${status}`));
  } else if ((status & CleanupStatus.size) !== 0 || (status & CleanupStatus.hops) !== 0) {
    const failure = detail((status & CleanupStatus.size) !== 0 ? CleanupStatus.size : CleanupStatus.hops);
    await protocol.reply(replies.cleanupError(failure.smtpCode, failure.dsn, failure.text));
  } else if ((status & CleanupStatus.content) !== 0) {
    const content = detail(CleanupStatus.content);
    await protocol.reply(reason !== '' ? replies.cleanupReason(content.smtpCode, reason) : replies.cleanupError(content.smtpCode, content.dsn, content.text));
  } else if ((status & CleanupStatus.write) !== 0) {
    const failure = detail(CleanupStatus.write);
    await protocol.reply(replies.cleanupError(failure.smtpCode, failure.dsn, failure.text));
  } else {
    const bad = detail(CleanupStatus.bad);
    await protocol.reply(replies.cleanupError(bad.smtpCode, bad.dsn, `internal error ${status}`));
  }
}
