// Queue files in Postfix's layout: writing one the way cleanup does, reading one back into
// a typed structure, and marking a recipient done in place.
// Layout: a size record first (six fixed-width fields, so cleanup can rewrite it in place
// once the sizes are known), the arrival time, create_time, the envelope records in the
// order they came, per recipient its DSN attributes + original recipient + recipient, then
// the content segment (M, text records, X), the extracted segment, and the end record.
// A file is complete only with its end record; cleanup makes it ready (owner execute bit)
// and syncs it before it reports success.
// Called by cleanup (write), qmgr and delivery agents (read, mark done), the queue tools.
// Trusts its caller for the envelope's meaning; trusts nothing in the bytes it reads.
// Models src/cleanup/cleanup_envelope.c, cleanup_out_recipient.c, cleanup_message.c,
// cleanup_extracted.c, cleanup_final.c, and qmgr's deliver_completed (rec_put_type).

import type { FileHandle, FileSystem } from '../../platform/types.ts';
import {
  RecordType, RecordReader, RecordBuffer, encodeRecord, latin1, LINE_LENGTH_LIMIT_DEFAULT,
  type ByteSource, type QueueRecord,
} from './record.ts';
import { QUEUE_FILE_MODE_READY, type PreciseTime } from './mail-queue.ts';
import { parseAttribute, sizeRecordPayload, parseSizeRecordBytes, type SizeRecord } from './queue-fields.ts';

export { parseAttribute, parseSizeRecord, sizeRecordPayload, type SizeRecord } from './queue-fields.ts';

/** Attribute names cleanup and its clients write (mail_proto.h). */
export const Attribute = {
  createTime: 'create_time',
  dsnOriginalRecipient: 'dsn_orig_rcpt',
  dsnNotify: 'notify_flags',
  dsnEnvelopeId: 'envelope_id',
  dsnReturn: 'ret_flags',
  rewriteContext: 'rewrite_context',
  logIdent: 'log_ident',
  encoding: 'encoding',
} as const;

/** qmgr hints in the size record's fourth field (qmgr_user.h). */
export const QMGR_FLAG_MIXED_RECIPIENT_OTHER = 1;
const qmgrFlagsFromDsnNotify = (notify: number): number => notify << 1;

/** One non-recipient envelope record, in the order the client sent it. */
export type EnvelopeEntry =
  | { kind: 'attribute'; name: string; value: string }
  | { kind: 'fullName'; value: string }
  | { kind: 'sender'; address: string }
  | { kind: 'record'; type: number; value: string };

export interface RecipientEntry {
  address: string;
  /** The address before rewriting; cleanup always writes it (defaults to address). */
  originalRecipient?: string;
  /** DSN ORCPT, e.g. "rfc822;friend@other.test". */
  dsnOriginalRecipient?: string;
  /** DSN NOTIFY bits (dsn.h: never 1, success 2, failure 4, delay 8). */
  dsnNotify?: number;
}

export interface QueueFileInput {
  arrivalTime: PreciseTime;
  /** cleanup's own clock reading, the base of queue lifetimes. */
  createTimeSeconds: number;
  /** Records a client sent ahead of its time record, written between the size and time
   *  records (pickup's content_filter record, which it sends before the maildrop file's
   *  envelope). */
  leading?: readonly EnvelopeEntry[];
  envelope: readonly EnvelopeEntry[];
  /** delay_warning_time: when the first "delayed mail" notice is due. */
  warningTimeSeconds?: number;
  recipients: readonly RecipientEntry[];
  /** Header and body as lines without their line ends; a string is latin1 text (one byte
   *  per character, its low 8 bits). */
  contentLines: readonly (Uint8Array | string)[];
  /** Records of the extracted segment other than recipients (e.g. encoding=8bit). */
  extracted?: readonly EnvelopeEntry[];
  extractedRecipients?: readonly RecipientEntry[];
  /** line_length_limit: longer text lines become continued-text records. */
  lineLengthLimit?: number;
  /** SMTPUTF8 flags, the size record's sixth field. */
  smtputf8?: number;
}

export interface QueueFileLayout {
  size: SizeRecord;
  /** Offsets of the recipient records, in order (envelope, then extracted). */
  recipientOffsets: number[];
  /** Total bytes written. */
  length: number;
}

/** Bytes buffered before a write to the file. */
const WRITE_CHUNK_BYTES = 64 * 1024;

/** Appends records to a file handle from offset 0, buffering writes. Records are encoded
 *  into one growing buffer (RecordBuffer) with no promise per record: each time the buffer
 *  reaches WRITE_CHUNK_BYTES its bytes are cut into one write, made at the next drain(),
 *  so the file gets the same writes at the same offsets as before, and the writer awaits
 *  only real writes (Postfix's VSTREAM likewise writes when its buffer fills, not per
 *  record). */
class RecordWriter {
  private readonly records = new RecordBuffer();
  /** Bytes already cut into writes. */
  private cut = 0;
  private readonly writes: Array<{ bytes: Uint8Array; offset: number }> = [];
  constructor(private readonly handle: FileHandle) {}
  get position(): number { return this.cut + this.records.length; }
  /** True when cut writes wait for drain(). */
  get due(): boolean { return this.writes.length > 0; }
  put(type: number, value: string | Uint8Array): void {
    this.records.put(type, value);
    if (this.records.length >= WRITE_CHUNK_BYTES) this.cutWrite();
  }
  /** put() of latin1 text from start to end (see RecordBuffer.putLatin1). */
  putLatin1(type: number, text: string, start: number, end: number): void {
    this.records.putLatin1(type, text, start, end);
    if (this.records.length >= WRITE_CHUNK_BYTES) this.cutWrite();
  }
  /** Makes the cut writes, in order. */
  async drain(): Promise<void> {
    for (let index = 0; index < this.writes.length; index++) {
      const write = this.writes[index] as { bytes: Uint8Array; offset: number };
      await this.handle.write(write.bytes, write.offset);
    }
    this.writes.length = 0;
  }
  /** Cuts what is buffered into a write and makes every waiting write. */
  async flush(): Promise<void> {
    if (this.records.length > 0) this.cutWrite();
    await this.drain();
  }
  private cutWrite(): void {
    const bytes = this.records.take();
    this.writes.push({ bytes, offset: this.cut });
    this.cut += bytes.length;
  }
}

function putEntry(writer: RecordWriter, entry: EnvelopeEntry): void {
  switch (entry.kind) {
    case 'attribute': return writer.put(RecordType.attribute, `${entry.name}=${entry.value}`);
    case 'fullName': return writer.put(RecordType.fullName, entry.value);
    case 'sender': return writer.put(RecordType.sender, entry.address);
    case 'record': return writer.put(entry.type, entry.value);
  }
}

/** The four records cleanup_out_recipient writes per recipient; returns the R offset. */
function putRecipient(writer: RecordWriter, recipient: RecipientEntry): number {
  if (recipient.dsnNotify) writer.put(RecordType.attribute, `${Attribute.dsnNotify}=${recipient.dsnNotify}`);
  if (recipient.dsnOriginalRecipient) writer.put(RecordType.attribute, `${Attribute.dsnOriginalRecipient}=${recipient.dsnOriginalRecipient}`);
  writer.put(RecordType.originalRecipient, recipient.originalRecipient ?? recipient.address);
  const offset = writer.position;
  writer.put(RecordType.recipient, recipient.address);
  return offset;
}

/** Text lines as records: pieces of lineLengthLimit bytes as continued text, the rest
 *  (possibly empty) as a normal record, as cleanup_out does. A string is latin1 text. */
function putLine(writer: RecordWriter, line: Uint8Array | string, lineLengthLimit: number): void {
  if (typeof line === 'string') {
    let start = 0;
    while (line.length - start > lineLengthLimit) {
      writer.putLatin1(RecordType.continuedText, line, start, start + lineLengthLimit);
      start += lineLengthLimit;
    }
    writer.putLatin1(RecordType.normalText, line, start, line.length);
    return;
  }
  let rest = line;
  while (rest.length > lineLengthLimit) {
    writer.put(RecordType.continuedText, rest.subarray(0, lineLengthLimit));
    rest = rest.subarray(lineLengthLimit);
  }
  writer.put(RecordType.normalText, rest);
}

/** Writes a whole queue file from offset 0 and rewrites its size record; the caller then
 *  commits it (commitQueueFile). The handle must be open for writing on an empty file. */
export async function writeQueueFile(handle: FileHandle, input: QueueFileInput): Promise<QueueFileLayout> {
  const lineLengthLimit = input.lineLengthLimit ?? LINE_LENGTH_LIMIT_DEFAULT;
  if (!Number.isInteger(lineLengthLimit) || lineLengthLimit < 1) throw new RangeError(`bad line length limit ${lineLengthLimit}`);
  const writer = new RecordWriter(handle);
  const placeholder: SizeRecord = { contentSize: 0, dataOffset: 0, recipientCount: 0, qmgrFlags: 0, contentLength: 0, smtputf8: 0 };
  writer.put(RecordType.size, sizeRecordPayload(placeholder));
  for (const entry of input.leading ?? []) putEntry(writer, entry);
  writer.put(RecordType.time, `${input.arrivalTime.seconds} ${input.arrivalTime.microseconds}`);
  writer.put(RecordType.attribute, `${Attribute.createTime}=${input.createTimeSeconds}`);
  for (const entry of input.envelope) {
    putEntry(writer, entry);
    if (writer.due) await writer.drain();
  }
  if (input.warningTimeSeconds !== undefined) {
    writer.put(RecordType.warningTime, String(input.warningTimeSeconds).padStart(15, ' '));
  }
  const recipientOffsets: number[] = [];
  let qmgrFlags = 0;
  for (const recipient of input.recipients) {
    recipientOffsets.push(putRecipient(writer, recipient));
    if (writer.due) await writer.drain();
    qmgrFlags |= qmgrFlagsFromDsnNotify(recipient.dsnNotify ?? 0);
  }
  writer.put(RecordType.messageContentStart, '');
  const dataOffset = writer.position;
  for (const line of input.contentLines) {
    putLine(writer, line, lineLengthLimit);
    if (writer.due) await writer.drain();
  }
  const extractedOffset = writer.position;
  writer.put(RecordType.extractedStart, '');
  for (const entry of input.extracted ?? []) putEntry(writer, entry);
  for (const recipient of input.extractedRecipients ?? []) {
    recipientOffsets.push(putRecipient(writer, recipient));
    if (writer.due) await writer.drain();
    qmgrFlags |= qmgrFlagsFromDsnNotify(recipient.dsnNotify ?? 0);
  }
  writer.put(RecordType.end, '');
  await writer.flush();
  const size: SizeRecord = {
    contentSize: extractedOffset - dataOffset,
    dataOffset,
    recipientCount: recipientOffsets.length,
    qmgrFlags,
    contentLength: extractedOffset - dataOffset,
    smtputf8: input.smtputf8 ?? 0,
  };
  await handle.write(encodeRecord(RecordType.size, sizeRecordPayload(size)), 0);
  return { size, recipientOffsets, length: writer.position };
}

/** Makes a written queue file ready (owner execute bit) and syncs it, in Postfix's order
 *  (fchmod, then fsync): only then may cleanup report success. postdrop passes 0o744. */
export async function commitQueueFile(fs: FileSystem, path: string, handle: FileHandle, mode = QUEUE_FILE_MODE_READY): Promise<void> {
  await fs.chmod(path, mode);
  await handle.sync();
}

/** Splits message text into lines at LF; a final line without LF is still a line. */
export function splitContentLines(content: Uint8Array, linesMax = Number.MAX_SAFE_INTEGER): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  while (start < content.length && lines.length < linesMax) {
    const end = content.indexOf(0x0a, start);
    if (end < 0) { lines.push(content.subarray(start)); break; }
    lines.push(content.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

export type RecipientStatus = 'todo' | 'done' | 'canceled';

export interface QueueRecipient {
  address: string;
  originalRecipient?: string;
  dsnOriginalRecipient?: string;
  dsnNotify?: number;
  status: RecipientStatus;
  /** Offset of the recipient record: markRecipientDone rewrites its type byte there. */
  offset: number;
  segment: 'envelope' | 'extracted';
}

export interface QueueFile {
  path: string;
  size?: SizeRecord;
  arrivalTime?: PreciseTime;
  createTimeSeconds?: number;
  fullName?: string;
  sender?: string;
  warningTime?: { seconds: number; offset: number };
  /** Named attributes of both envelope segments, in file order. */
  attributes: Array<{ name: string; value: string }>;
  /** Every non-recipient envelope record as read (typed fields above are drawn from it). */
  records: QueueRecord[];
  recipients: QueueRecipient[];
  /** Offset of the first text record, and of the extracted segment marker. */
  contentOffset?: number;
  extractedOffset?: number;
  /** True only when the end record was read. */
  complete: boolean;
}

/** A queue file that is damaged beyond its record encoding (out of order, no sender...). */
export class QueueFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueFileError';
  }
}

/** Records read per file before it counts as a runaway. */
export const QUEUE_FILE_RECORDS_MAX = 10_000_000;

/** Reads the envelope and extracted segments; the content is skipped (readContent reads
 *  it). Throws RecordError for corrupt bytes; a missing end record gives complete=false. */
export async function readQueueFile(source: ByteSource, path: string): Promise<QueueFile> {
  // Payloads are views into the chunk read. A small file's chunk is the reader's own copy,
  // whose views the file keeps as they are; otherwise ownRecords copies the kept ones.
  const reader = new RecordReader(source, { path, transparent: true, borrowPayloads: true, ownChunkBytesMax: OWNED_CHUNK_BYTES_MAX });
  const file: QueueFile = { path, attributes: [], records: [], recipients: [], complete: false };
  let segment: 'envelope' | 'content' | 'extracted' = 'envelope';
  const pending = new PendingRecipient();
  for (let count = 0; count < QUEUE_FILE_RECORDS_MAX; count++) {
    // reader.next(), with a record already in the read buffer taken without a promise of
    // its own: it is had after the one turn next()'s settled promise took (and a damaged
    // one fails after that turn too).
    let record: QueueRecord | null | undefined;
    try {
      record = reader.nextBuffered();
    } catch (error) {
      await SETTLED;
      throw error;
    }
    if (record === undefined) record = await reader.next();
    else await SETTLED;
    if (record === null) return reader.payloadsOwned ? file : ownRecords(file);
    if (segment === 'content') {
      if (record.type === RecordType.extractedStart) {
        file.extractedOffset = record.offset;
        segment = 'extracted';
      } else if (record.type !== RecordType.normalText && record.type !== RecordType.continuedText) {
        throw new QueueFileError(`${path}: unexpected record type ${record.type} in message content`);
      }
      continue;
    }
    if (record.type === RecordType.end) {
      file.complete = true;
      return reader.payloadsOwned ? file : ownRecords(file);
    }
    if (record.type === RecordType.messageContentStart) {
      if (segment !== 'envelope') throw new QueueFileError(`${path}: out-of-order message content marker`);
      file.contentOffset = reader.position;
      segment = 'content';
      const size = file.size;
      if (size !== undefined && size.contentSize >= 0 && size.dataOffset === reader.position) {
        reader.seek(size.dataOffset + size.contentSize);
      }
      continue;
    }
    absorbRecord(file, record, pending, segment);
  }
  throw new QueueFileError(`${path}: too many records`);
}

const utf8Decoder = new TextDecoder();

/** A chunk read of at most this many bytes (a small queue file, read whole) is copied once
 *  and the QueueFile keeps views into it (no view and copy per kept payload): a message in
 *  core then holds at most this many bytes of its file (the kept payloads alone: a few
 *  hundred). */
const OWNED_CHUNK_BYTES_MAX = 4096;

/** What a turn awaits: one settled promise for all of them. */
const SETTLED: Promise<void> = Promise.resolve();

/** A recipient record's status by its type; undefined for any other record. */
function recipientStatusOf(type: number): RecipientStatus | undefined {
  switch (type) {
    case RecordType.recipient: return 'todo';
    case RecordType.doneRecipient: return 'done';
    case RecordType.canceledRecipient: return 'canceled';
    default: return undefined;
  }
}

/** The DSN attributes and original recipient read since the last recipient record: they
 *  go to the next recipient. `order` lists the fields in the order they were first set
 *  (PENDING_* codes, PENDING_CODE_BITS each, first set lowest): the recipient made gets
 *  them in that order, as a spread of an object filled in that order gave them. One per
 *  file read, emptied by each recipient (no object per recipient). */
class PendingRecipient {
  originalRecipient = '';
  dsnOriginalRecipient = '';
  dsnNotify = 0;
  order = 0;
  /** How many fields `order` holds. */
  count = 0;

  set(code: number, text: string | number): void {
    switch (code) {
      case PENDING_ORIGINAL: this.originalRecipient = text as string; break;
      case PENDING_DSN_ORIGINAL: this.dsnOriginalRecipient = text as string; break;
      default: this.dsnNotify = text as number; break;
    }
    if (!this.has(code)) this.order |= code << (PENDING_CODE_BITS * this.count++);
  }

  private has(code: number): boolean {
    for (let index = 0; index < this.count; index++) {
      if (((this.order >> (PENDING_CODE_BITS * index)) & PENDING_CODE_MASK) === code) return true;
    }
    return false;
  }

  /** The recipient record's entry, the pending fields first, and empty again. */
  take(address: string, status: RecipientStatus, offset: number, segment: 'envelope' | 'extracted'): QueueRecipient {
    const order = this.order;
    this.order = 0;
    this.count = 0;
    // The common files: cleanup always writes the original recipient, after the ORCPT it
    // makes for an address without one (sendmail's, pickup's).
    if (order === PENDING_ORIGINAL) return { originalRecipient: this.originalRecipient, address, status, offset, segment };
    if (order === PENDING_DSN_ORIGINAL_THEN_ORIGINAL) {
      return { dsnOriginalRecipient: this.dsnOriginalRecipient, originalRecipient: this.originalRecipient, address, status, offset, segment };
    }
    if (order === 0) return { address, status, offset, segment };
    const recipient = {} as Partial<QueueRecipient>;
    for (let rest = order; rest !== 0; rest >>= PENDING_CODE_BITS) {
      switch (rest & PENDING_CODE_MASK) {
        case PENDING_ORIGINAL: recipient.originalRecipient = this.originalRecipient; break;
        case PENDING_DSN_ORIGINAL: recipient.dsnOriginalRecipient = this.dsnOriginalRecipient; break;
        default: recipient.dsnNotify = this.dsnNotify; break;
      }
    }
    recipient.address = address;
    recipient.status = status;
    recipient.offset = offset;
    recipient.segment = segment;
    return recipient as QueueRecipient;
  }
}

const PENDING_ORIGINAL = 1;
const PENDING_DSN_ORIGINAL = 2;
const PENDING_DSN_NOTIFY = 3;
const PENDING_CODE_BITS = 2;
const PENDING_CODE_MASK = 3;
const PENDING_DSN_ORIGINAL_THEN_ORIGINAL = PENDING_DSN_ORIGINAL | (PENDING_ORIGINAL << PENDING_CODE_BITS);

/** Folds one envelope record into the typed structure; the DSN attributes and original
 *  recipient wait in `pending` for the next recipient record.
 *  The record's payload may be borrowed: readQueueFile copies the kept ones at the end. */
function absorbRecord(file: QueueFile, record: QueueRecord, pending: PendingRecipient, segment: 'envelope' | 'extracted'): void {
  const type = record.type;
  if (type === RecordType.size) {
    file.records.push(record);
    file.size ??= parseSizeRecordBytes(record.payload);
    return;
  }
  if (type === RecordType.time) {
    // The digits are the same bytes in the UTF-8 text (a decoder never takes an ASCII
    // byte into a replacement character), so the time is read without decoding it.
    file.records.push(record);
    file.arrivalTime ??= arrivalTimeOf(record.payload);
    return;
  }
  const text = utf8Decoder.decode(record.payload);
  const status = recipientStatusOf(type);
  if (status !== undefined) {
    file.recipients.push(pending.take(text, status, record.offset, segment));
    return;
  }
  switch (type) {
    case RecordType.originalRecipient: pending.set(PENDING_ORIGINAL, text); return;
    case RecordType.dsnOriginalRecipient: pending.set(PENDING_DSN_ORIGINAL, text); return;
    case RecordType.dsnNotify: pending.set(PENDING_DSN_NOTIFY, Number(text)); return;
  }
  if (type === RecordType.attribute) {
    const attribute = parseAttribute(text);
    if (attribute !== undefined) {
      if (attribute.name === Attribute.dsnOriginalRecipient) {
        pending.set(PENDING_DSN_ORIGINAL, attribute.value);
        file.records.push(record);
        return;
      }
      if (attribute.name === Attribute.dsnNotify) {
        pending.set(PENDING_DSN_NOTIFY, Number(attribute.value));
        file.records.push(record);
        return;
      }
      if (attribute.name === Attribute.createTime) file.createTimeSeconds ??= Number(attribute.value);
      file.attributes.push(attribute);
    }
    file.records.push(record);
    return;
  }
  file.records.push(record);
  switch (type) {
    case RecordType.fullName: file.fullName ??= text; break;
    case RecordType.sender: file.sender ??= text; break;
    case RecordType.warningTime: file.warningTime = { seconds: Number.parseInt(text.trim(), 10) || 0, offset: record.offset }; break;
  }
}

/** Digits a field may have to be summed exactly (below 2^53); longer ones go through
 *  Number() as the text did. */
const EXACT_DIGITS_MAX = 15;

/** The arrival time record /^(\d+)\D*(\d*)/ read from the bytes: seconds, then after any
 *  non-digits the microseconds (0 when the record does not start with a digit). */
function arrivalTimeOf(payload: Uint8Array): PreciseTime {
  const length = payload.length;
  // The decoder drops a leading byte order mark before the expression saw the text.
  const first = payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf ? 3 : 0;
  let end = first;
  while (end < length && isDigitByte(payload[end] as number)) end++;
  if (end === first) return { seconds: 0, microseconds: 0 };
  const seconds = digitsValue(payload, first, end);
  let start = end;
  while (start < length && !isDigitByte(payload[start] as number)) start++;
  end = start;
  while (end < length && isDigitByte(payload[end] as number)) end++;
  return { seconds, microseconds: end === start ? 0 : digitsValue(payload, start, end) };
}

const isDigitByte = (byte: number): boolean => byte >= 0x30 && byte <= 0x39;

/** Number() of a run of digit bytes. */
function digitsValue(payload: Uint8Array, start: number, end: number): number {
  if (end - start > EXACT_DIGITS_MAX) return Number(latin1(payload.subarray(start, end)));
  let value = 0;
  for (let index = start; index < end; index++) value = value * 10 + ((payload[index] as number) - 0x30);
  return value;
}

/** Gives the kept records payloads of their own (the reader lent views into a chunk the
 *  source returned, not copied because it was large):
 *  copies of them, side by side in one new array, so that the file keeps no chunk alive. */
function ownRecords(file: QueueFile): QueueFile {
  let total = 0;
  for (const record of file.records) total += record.payload.length;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const record of file.records) {
    const length = record.payload.length;
    bytes.set(record.payload, at);
    record.payload = bytes.subarray(at, at + length);
    at += length;
  }
  return file;
}

/** Upper bound on the content readContent assembles (message_size_limit's default x 5). */
export const CONTENT_BYTES_MAX = 51_200_000;

/** The message text (header and body) with LF line ends, as delivery agents copy it. */
export async function readContent(source: ByteSource, file: QueueFile, bytesMax = CONTENT_BYTES_MAX): Promise<Uint8Array> {
  if (file.contentOffset === undefined) throw new QueueFileError(`${file.path}: no message content`);
  // Payloads are views into the chunk read: each is copied into the content below.
  const reader = new RecordReader(source, { path: file.path, transparent: true, borrowPayloads: true });
  reader.seek(file.contentOffset);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const record = reader.nextBuffered() ?? await reader.next();
    if (record === null || record.type === RecordType.extractedStart) break;
    if (record.type !== RecordType.normalText && record.type !== RecordType.continuedText) {
      throw new QueueFileError(`${file.path}: unexpected record type ${record.type} in message content`);
    }
    total += record.payload.length + (record.type === RecordType.normalText ? 1 : 0);
    if (total > bytesMax) throw new QueueFileError(`${file.path}: message content exceeds ${bytesMax} bytes`);
    parts.push(record.payload);
    if (record.type === RecordType.normalText) parts.push(LINE_FEED);
  }
  const content = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { content.set(part, at); at += part.length; }
  return content;
}

const LINE_FEED = new Uint8Array([0x0a]);

/** Marks a delivered recipient done by rewriting its record's type byte in place, as qmgr
 *  and the delivery agents do. Already done is fine; any other byte there is an error. */
export async function markRecipientDone(handle: FileHandle, offset: number): Promise<void> {
  const [current] = await handle.read(1, offset);
  if (current === RecordType.doneRecipient) return;
  if (current !== RecordType.recipient) {
    throw new QueueFileError(`offset ${offset}: not a recipient record (type ${current ?? 'EOF'})`);
  }
  await handle.write(new Uint8Array([RecordType.doneRecipient]), offset);
}
