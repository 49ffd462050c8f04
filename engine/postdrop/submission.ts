// The client side of postdrop: turns what sendmail was given (options, command-line
// recipients, the message on standard input) into the record stream postdrop reads.
// Envelope attributes (DSN envelope id and RET, rewrite context), the full name, the
// sender, the recipients (each command-line argument parsed as an address list, with its
// NOTIFY attribute), then the message text: input lines become normal records, pieces of
// line_length_limit bytes continued records; leading "From " lines are dropped, CRs before
// the newline stripped as sendmail_fix_line_endings says, and a lone "." ends the input
// unless -i. With -t the primary headers' To/Cc/Bcc (or, once seen, only the Resent- ones)
// add recipients in the extracted segment. With -bv the text is a probe.
// Called by engine/admin/sendmail.ts; tests. Trusts its options (sendmail parsed them);
// trusts nothing in the input. Models enqueue(), output_header() and rec_streamlf_get()
// of src/sendmail/sendmail.c.

import { RecordType } from '../global/queue/record.ts';
import { isHeader } from '../global/queue/record-text.ts';
import { parseAddressListInternal } from '../global/address/index.ts';
import { attributeRecord, record, SubmissionAttribute, TraceFlag, type SubmissionRecord } from './stream.ts';

export type FixLineEndings = 'always' | 'strict' | 'never';

export interface EnqueueOptions {
  /** The envelope sender in internal form ("" for the null sender). */
  sender: string;
  /** sender_fullname; undefined writes no record. */
  fullName?: string;
  /** Command-line recipient arguments as given. */
  recipientArguments: readonly string[];
  /** -t */
  extractRecipients: boolean;
  /** A line with a single "." ends the input (cleared by -i / -oi). */
  archaicEof: boolean;
  dsnEnvelopeId?: string;
  /** DSN RET bits: full 1, hdrs 2 (0: none). */
  dsnReturn: number;
  /** DSN NOTIFY bits (0: none). */
  dsnNotify: number;
  encoding?: string;
  rewriteContext: 'local' | 'remote';
  /** trace_flags: TraceFlag.userVerify for -bv, TraceFlag.record for -v. */
  traceFlags: number;
  /** VERP delimiters (-XV). */
  verpDelimiters?: string;
  lineLengthLimit: number;
  fixLineEndings: FixLineEndings;
}

/** One piece of input as rec_streamlf_get returns it. */
export interface InputRecord {
  type: typeof RecordType.normalText | typeof RecordType.continuedText;
  payload: Uint8Array;
}

export interface Submission {
  records: SubmissionRecord[];
  /** Envelope plus extracted recipients: sendmail refuses a message without any. */
  recipientCount: number;
}

/** Input records read before sendmail gives up on a runaway input. */
export const INPUT_RECORDS_MAX = 50_000_000;

/** Splits bytes the way rec_streamlf_get reads a stream: a line up to its LF is a normal
 *  record; lineLengthLimit bytes without LF are a continued record; a last piece without
 *  LF at end of input is a continued record too. */
export function* inputRecords(bytes: Uint8Array, lineLengthLimit: number): Generator<InputRecord> {
  let start = 0;
  for (let count = 0; start < bytes.length && count < INPUT_RECORDS_MAX; count++) {
    const newline = bytes.indexOf(0x0a, start);
    const lineEnd = newline < 0 ? bytes.length : newline;
    if (lineEnd - start >= lineLengthLimit) {
      yield { type: RecordType.continuedText, payload: bytes.subarray(start, start + lineLengthLimit) };
      start += lineLengthLimit;
      continue;
    }
    if (newline < 0) {
      yield { type: RecordType.continuedText, payload: bytes.subarray(start) };
      return;
    }
    yield { type: RecordType.normalText, payload: bytes.subarray(start, newline) };
    start = newline + 1;
  }
}

/** Internal-form addresses of one argument or header value; tok822 finds every address. */
function addressesOf(text: string): string[] {
  return parseAddressListInternal(text);
}

/** The envelope part of the stream, up to and including the message-content marker. */
function envelopeRecords(options: EnqueueOptions): { records: SubmissionRecord[]; recipients: number } {
  const records: SubmissionRecord[] = [];
  if (options.dsnEnvelopeId !== undefined) records.push(attributeRecord(SubmissionAttribute.dsnEnvelopeId, options.dsnEnvelopeId));
  if (options.dsnReturn) records.push(attributeRecord(SubmissionAttribute.dsnReturn, String(options.dsnReturn)));
  records.push(attributeRecord(SubmissionAttribute.rewriteContext, options.rewriteContext));
  if (options.fullName !== undefined) records.push(record(RecordType.fullName, options.fullName));
  records.push(record(RecordType.sender, options.sender));
  if (options.encoding !== undefined) records.push(attributeRecord(SubmissionAttribute.encoding, options.encoding));
  if (options.traceFlags) records.push(attributeRecord(SubmissionAttribute.traceFlags, String(options.traceFlags)));
  if (options.verpDelimiters !== undefined) records.push(record(RecordType.verpDelimiters, options.verpDelimiters));
  let recipients = 0;
  for (const argument of options.recipientArguments) {
    const addresses = addressesOf(argument);
    // An argument without any address still makes one (empty) recipient, as Postfix does.
    for (const address of addresses.length === 0 ? [''] : addresses) {
      if (options.dsnNotify) records.push(attributeRecord(SubmissionAttribute.dsnNotify, String(options.dsnNotify)));
      records.push(record(RecordType.recipient, address));
      recipients += 1;
    }
  }
  records.push(record(RecordType.messageContentStart));
  return { records, recipients };
}

/** The -bv probe text instead of the message: From, Subject, and a folded To list. */
function probeRecords(options: EnqueueOptions): SubmissionRecord[] {
  const records: SubmissionRecord[] = [];
  if (options.sender !== '') records.push(record(RecordType.normalText, `From: ${options.sender}`));
  records.push(record(RecordType.normalText, 'Subject: probe'));
  if (options.recipientArguments.length > 0) {
    records.push(record(RecordType.continuedText, 'To:'));
    options.recipientArguments.forEach((argument, index) => {
      const comma = index + 1 < options.recipientArguments.length ? ',' : '';
      records.push(record(RecordType.normalText, `\t${argument}${comma}`));
    });
  }
  return records;
}

const textDecoder = new TextDecoder();

/** Collects the primary header block for -t: logical headers (continuation lines joined
 *  with "\n") and the recipient headers among them, as mime_state with MIME off sees it. */
class RecipientExtractor {
  private inHeaders = true;
  private current: string | undefined;
  private pendingContinued = false;
  readonly recipients: string[] = [];
  readonly resentRecipients: string[] = [];
  private resent = false;

  feed(input: InputRecord): void {
    if (!this.inHeaders) return;
    const text = textDecoder.decode(input.payload);
    if (this.pendingContinued && this.current !== undefined) {
      this.current += text;
    } else if (this.current !== undefined && (text.startsWith(' ') || text.startsWith('\t'))) {
      this.current += `\n${text}`;
    } else {
      this.flush();
      if (text !== '' && isHeader(input.payload)) this.current = text;
      else this.inHeaders = false;
    }
    this.pendingContinued = input.type === RecordType.continuedText;
  }

  /** End of the header block or of the input: the last header counts too. */
  flush(): void {
    const header = this.current;
    this.current = undefined;
    if (header === undefined) return;
    const colon = header.indexOf(':');
    const name = header.slice(0, colon).trim().toLowerCase();
    const value = header.slice(colon + 1);
    const isResent = name === 'resent-to' || name === 'resent-cc' || name === 'resent-bcc';
    const isPlain = name === 'to' || name === 'cc' || name === 'bcc';
    if (isResent) {
      this.resent = true;
      this.resentRecipients.push(...addressesOf(value));
    } else if (isPlain && !this.resent) {
      this.recipients.push(...addressesOf(value));
    }
  }

  result(): string[] {
    this.flush();
    return this.resent ? this.resentRecipients : this.recipients;
  }
}

const CARRIAGE_RETURN = 0x0d;

/** The message text part of enqueue(): leading "From " lines dropped, CRs stripped as
 *  sendmail_fix_line_endings says, a lone "." ending the input unless -i. */
class InputCopier {
  private skipFromLines = true;
  private stripCarriageReturns: boolean | undefined;
  private previousType = 0;

  constructor(private readonly options: EnqueueOptions, private readonly records: SubmissionRecord[],
    private readonly extractor: RecipientExtractor | undefined) {
    this.stripCarriageReturns = options.fixLineEndings === 'always' ? true : options.fixLineEndings === 'never' ? false : undefined;
  }

  /** Copies one input record; false when the input ends here (a lone "."). */
  take(item: InputRecord): boolean {
    const priorType = this.previousType;
    this.previousType = item.type;
    let payload = item.payload;
    if (this.stripCarriageReturns === undefined && item.type === RecordType.normalText) {
      this.stripCarriageReturns = payload.length > 0 && payload[payload.length - 1] === CARRIAGE_RETURN;
    }
    if (this.skipFromLines) {
      if (item.type === RecordType.normalText && isFromLine(payload)) return true;
      this.skipFromLines = false;
    }
    if (this.stripCarriageReturns === true && item.type === RecordType.normalText) {
      let end = payload.length;
      while (end > 0 && payload[end - 1] === CARRIAGE_RETURN) end -= 1;
      payload = payload.subarray(0, end);
    }
    if (this.options.archaicEof && priorType !== RecordType.continuedText && payload.length === 1 && payload[0] === 0x2e) return false;
    this.extractor?.feed({ type: item.type, payload });
    this.records.push({ type: item.type, payload });
    return true;
  }
}

/** Builds the whole stream. `input` is consumed only as far as it is needed: a lone "."
 *  stops reading (an interactive sendmail returns there), and -bv reads nothing. */
export async function buildSubmission(options: EnqueueOptions, input: AsyncIterable<InputRecord> | Iterable<InputRecord>): Promise<Submission> {
  const envelope = envelopeRecords(options);
  const records = envelope.records;
  let recipientCount = envelope.recipients;
  const extractor = options.extractRecipients ? new RecipientExtractor() : undefined;
  if (options.traceFlags & TraceFlag.userVerify) {
    records.push(...probeRecords(options));
  } else {
    const copier = new InputCopier(options, records, extractor);
    if (Symbol.iterator in input) {
      // Input already in memory (a pipe or file read whole): no turn per record.
      for (const item of input) if (!copier.take(item)) break;
    } else {
      for await (const item of input) if (!copier.take(item)) break;
    }
  }
  records.push(record(RecordType.extractedStart));
  for (const address of extractor?.result() ?? []) {
    if (options.dsnNotify) records.push(attributeRecord(SubmissionAttribute.dsnNotify, String(options.dsnNotify)));
    records.push(record(RecordType.recipient, address));
    recipientCount += 1;
  }
  records.push(record(RecordType.end));
  return { records, recipientCount };
}

/** "From " after any number of ">": a mailbox separator line, not part of the message. */
function isFromLine(payload: Uint8Array): boolean {
  let at = 0;
  while (at < payload.length && payload[at] === 0x3e) at += 1;
  const prefix = [0x46, 0x72, 0x6f, 0x6d, 0x20];
  return prefix.every((byte, index) => payload[at + index] === byte);
}
