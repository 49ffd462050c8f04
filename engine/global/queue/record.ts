// Postfix's record format: the unit of every queue file (and of the cleanup/pickup stream).
// A record is one type byte, its payload length as base-128 little-endian groups of 7 bits
// (the high bit says "another length byte follows"), then the payload bytes. This module
// encodes records and reads them back with a bounded, seekable, buffered decoder that
// reports a truncated or corrupt file with the warning Postfix prints.
// Called by queue-file.ts (cleanup's writer, qmgr's reader), postcat and the queue tools.
// Trusts nothing in the bytes it reads. Models src/global/record.c and rec_type.[ch].

/** Record types by their meaning; the byte values are Postfix's (rec_type.h). */
export const RecordType = {
  /** First record, written by cleanup: fixed-width sizes and offsets, rewritten in place. */
  size: 0x43, // 'C'
  /** Arrival time "seconds microseconds". */
  time: 0x54, // 'T'
  /** Queue file creation time (cleanup writes it as the create_time attribute instead). */
  createTime: 0x63, // 'c'
  fullName: 0x46, // 'F'
  contentInspector: 0x49, // 'I'
  /** Shares its byte with continuedText: content_filter in the envelope. */
  contentFilter: 0x4c, // 'L'
  sender: 0x53, // 'S'
  doneRecipient: 0x44, // 'D'
  recipient: 0x52, // 'R'
  originalRecipient: 0x4f, // 'O'
  canceledRecipient: 0x2f, // '/'
  warningTime: 0x57, // 'W'
  attribute: 0x41, // 'A'
  killed: 0x4b, // 'K'
  redirect: 0x3e, // '>'
  cleanupFlags: 0x66, // 'f'
  cleanupDelay: 0x64, // 'd'
  messageContentStart: 0x4d, // 'M'
  /** A piece of a text line longer than line_length_limit; the line goes on. */
  continuedText: 0x4c, // 'L'
  normalText: 0x4e, // 'N'
  padding: 0x77, // 'w'
  extractedStart: 0x58, // 'X'
  returnReceipt: 0x72, // 'r'
  errorsTo: 0x65, // 'e'
  priority: 0x50, // 'P'
  pointer: 0x70, // 'p'
  verpDelimiters: 0x56, // 'V'
  dsnReturn: 0x3c, // '<'
  dsnEnvelopeId: 0x69, // 'i'
  dsnOriginalRecipient: 0x6f, // 'o'
  dsnNotify: 0x6e, // 'n'
  milterCount: 0x6d, // 'm'
  end: 0x45, // 'E'
} as const;

/** Types allowed in the initial envelope (REC_TYPE_ENVELOPE); postcat checks the first byte. */
export const ENVELOPE_RECORD_TYPES = 'MCTcFILSDRO/WVA>K<ion';

/** Payload width of a pointer record and of each size-record field ("%15ld"). */
export const POINTER_PAYLOAD_BYTES = 15;

/** cleanup splits text records longer than this (line_length_limit's default). */
export const LINE_LENGTH_LIMIT_DEFAULT = 2048;

/** More length bytes than fit in a C int is corruption (record.c checks the shift). */
const LENGTH_SHIFT_MAX_BITS = 32;

/** A reverse pointer jump budget per file, as rec_goto's queue-file-loop guard. */
export const REVERSE_JUMPS_MAX = 10_000;

/** Bytes read from the source at a time. */
const READ_CHUNK_BYTES = 64 * 1024;

/** What a turn awaits: one settled promise for all of them. */
const SETTLED: Promise<void> = Promise.resolve();

/** The names postcat prints (rec_type_name); the first entry wins for 'L'. */
const recordTypeNames: ReadonlyArray<readonly [number, string]> = [
  [RecordType.size, 'message_size'],
  [RecordType.time, 'message_arrival_time'],
  [RecordType.createTime, 'queue_file_create_time'],
  [RecordType.fullName, 'sender_fullname'],
  [RecordType.contentInspector, 'content_inspector'],
  [RecordType.contentFilter, 'content_filter'],
  [RecordType.sender, 'sender'],
  [RecordType.doneRecipient, 'done_recipient'],
  [RecordType.canceledRecipient, 'canceled_recipient'],
  [RecordType.recipient, 'recipient'],
  [RecordType.originalRecipient, 'original_recipient'],
  [RecordType.warningTime, 'warning_message_time'],
  [RecordType.attribute, 'named_attribute'],
  [RecordType.pointer, 'pointer_record'],
  [RecordType.killed, 'killed_record'],
  [RecordType.messageContentStart, 'message_content'],
  [RecordType.normalText, 'regular_text'],
  [RecordType.padding, 'padding'],
  [RecordType.extractedStart, 'extracted_info'],
  [RecordType.returnReceipt, 'return_receipt'],
  [RecordType.errorsTo, 'errors_to'],
  [RecordType.priority, 'priority'],
  [RecordType.verpDelimiters, 'verp_delimiters'],
  [RecordType.end, 'message_end'],
  [RecordType.redirect, 'redirect_to'],
  [RecordType.cleanupFlags, 'flags'],
  [RecordType.dsnReturn, 'dsn_return_flags'],
  [RecordType.dsnEnvelopeId, 'dsn_envelope_id'],
  [RecordType.dsnOriginalRecipient, 'dsn_original_recipient'],
  [RecordType.dsnNotify, 'dsn_notify_flags'],
];

export function recordTypeName(type: number): string {
  for (const [code, name] of recordTypeNames) if (code === type) return name;
  return 'unknown_record_type';
}

export interface QueueRecord {
  type: number;
  payload: Uint8Array;
  /** Where the record's type byte is in the file. */
  offset: number;
}

const encoder = new TextEncoder();
const latin1Decoder = new TextDecoder('latin1');

export function toPayload(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** Bytes of a payload length in base-128 groups (1 for lengths below 128). */
export function lengthByteCount(length: number): number {
  let count = 1;
  for (let rest = Math.floor(length / 128); rest !== 0; rest = Math.floor(rest / 128)) count++;
  return count;
}

/** Writes a payload length's base-128 groups at `at`; returns the offset after them. */
export function putLengthBytes(bytes: Uint8Array, at: number, length: number): number {
  let rest = length;
  let position = at;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    bytes[position++] = byte;
  } while (rest !== 0);
  return position;
}

/** The bytes of one record. */
export function encodeRecord(type: number, value: string | Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError(`bad record type ${type}`);
  const payload = toPayload(value);
  const headerBytes = 1 + lengthByteCount(payload.length);
  const bytes = new Uint8Array(headerBytes + payload.length);
  bytes[0] = type;
  putLengthBytes(bytes, 1, payload.length);
  bytes.set(payload, headerBytes);
  return bytes;
}

const EMPTY_BYTES = new Uint8Array(0);

/** Records appended to one growing buffer, strings encoded straight into it (no payload
 *  or record arrays of their own): what the queue file writer puts out. */
export class RecordBuffer {
  private bytes: Uint8Array;
  private used = 0;

  constructor(private readonly initialBytes = 4096) {
    this.bytes = new Uint8Array(initialBytes);
  }

  get length(): number { return this.used; }

  /** Appends one record, encoded exactly as encodeRecord does. */
  put(type: number, value: string | Uint8Array): void {
    if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError(`bad record type ${type}`);
    if (typeof value !== 'string') {
      const headerBytes = 1 + lengthByteCount(value.length);
      this.reserve(headerBytes + value.length);
      this.bytes[this.used] = type;
      putLengthBytes(this.bytes, this.used + 1, value.length);
      this.bytes.set(value, this.used + headerBytes);
      this.used += headerBytes + value.length;
      return;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the header is sized for that bound and
    // the payload moved down when its real length needs fewer length bytes.
    const boundBytes = value.length * 3;
    const boundHeader = 1 + lengthByteCount(boundBytes);
    this.reserve(boundHeader + boundBytes);
    const payloadAt = this.used + boundHeader;
    const { written } = encoder.encodeInto(value, this.bytes.subarray(payloadAt, payloadAt + boundBytes));
    const header = 1 + lengthByteCount(written);
    if (header !== boundHeader) this.bytes.copyWithin(this.used + header, payloadAt, payloadAt + written);
    this.bytes[this.used] = type;
    putLengthBytes(this.bytes, this.used + 1, written);
    this.used += header + written;
  }

  /** Appends one record whose payload is `text` from `start` to `end` as latin1 bytes (one
   *  byte per character, its low 8 bits, as latin1Bytes makes them): cleanup's content
   *  lines go in without a byte array of their own. */
  putLatin1(type: number, text: string, start: number, end: number): void {
    if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError(`bad record type ${type}`);
    const length = end - start;
    const headerBytes = 1 + lengthByteCount(length);
    this.reserve(headerBytes + length);
    const bytes = this.bytes;
    bytes[this.used] = type;
    let at = putLengthBytes(bytes, this.used + 1, length);
    for (let index = start; index < end; index++) bytes[at++] = text.charCodeAt(index) & 0xff;
    this.used = at;
  }

  /** The bytes appended so far, in a buffer of their own; the buffer starts empty again. */
  take(): Uint8Array {
    const taken = this.bytes.subarray(0, this.used);
    this.bytes = EMPTY_BYTES;
    this.used = 0;
    return taken;
  }

  private reserve(extra: number): void {
    const needed = this.used + extra;
    if (needed <= this.bytes.length) return;
    let size = Math.max(this.bytes.length * 2, this.initialBytes);
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }
}

/** A pointer record's payload: the target offset in 15 columns; 0 is a dummy. */
export function pointerPayload(target: number): string {
  return String(target).padStart(POINTER_PAYLOAD_BYTES, ' ');
}

/** What kind of damage a read found. */
export type RecordErrorKind =
  | 'too-many-length-bits' | 'truncated-length' | 'illegal-length' | 'truncated-data'
  | 'bad-pointer' | 'pointer-loop';

/** A truncated or corrupt record; message is Postfix's warning text ("PATH: ..."). */
export class RecordError extends Error {
  readonly kind: RecordErrorKind;
  readonly offset: number;
  constructor(kind: RecordErrorKind, message: string, offset: number) {
    super(message);
    this.name = 'RecordError';
    this.kind = kind;
    this.offset = offset;
  }
}

/** Random-access bytes: a FileHandle fits, and so does an in-memory buffer. */
export interface ByteSource {
  /** Up to `length` bytes at `position`; fewer (or none) at end of data. */
  read(length: number, position: number): Promise<Uint8Array>;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return { read: (length, position) => Promise.resolve(bytes.subarray(Math.min(position, bytes.length), Math.min(position + length, bytes.length))) };
}

export interface RecordReaderOptions {
  /** Shown in warnings, as VSTREAM_PATH. */
  path: string;
  /** A longer record is "illegal length"; 0 means only the data's end bounds it. */
  recordLengthMax?: number;
  /** rec_get's transparency (REC_FLAG_DEFAULT): follow pointers, skip padding, and stop
   *  at the end record. postcat -v reads raw. */
  transparent?: boolean;
  /** Payloads may be views into the bytes the source returned (never written to again)
   *  instead of copies: for a caller that decodes them and keeps no payload, or copies
   *  the ones it keeps. */
  borrowPayloads?: boolean;
  /** With borrowPayloads: a chunk the source returns of at most this many bytes is copied
   *  once as it is read, so that payloads lent from it are views into bytes of the reader's
   *  own, which a caller may keep (see payloadsOwned). 0 (the default) copies nothing. */
  ownChunkBytesMax?: number;
}

/** Chunk copies (at most ownChunkBytesMax bytes each, 4 KB for a queue file) are carved
 *  out of a shared slab of this size, at 8-byte aligned offsets: one ArrayBuffer, which V8
 *  must allocate, zero and later sweep, per dozen or so reads instead of one per read (a
 *  slice() of 1 KB cost ~700 ns, a carved copy ~160 ns). A kept copy holds its slab: a
 *  message in core pins at most one slab, shared with the files read around it. A larger
 *  copy gets an ArrayBuffer of its own. */
const OWNED_SLAB_BYTES = 16384;
let ownedSlab = new ArrayBuffer(OWNED_SLAB_BYTES);
let ownedSlabUsedBytes = 0;

/** A copy of `bytes` that no one else writes to: a view on the current slab when it fits. */
function ownedCopy(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  if (length > OWNED_SLAB_BYTES / 4) return bytes.slice();
  if (ownedSlabUsedBytes + length > OWNED_SLAB_BYTES) {
    ownedSlab = new ArrayBuffer(OWNED_SLAB_BYTES);
    ownedSlabUsedBytes = 0;
  }
  const copy = new Uint8Array(ownedSlab, ownedSlabUsedBytes, length);
  ownedSlabUsedBytes += (length + 7) & ~7;
  copy.set(bytes);
  return copy;
}

/** Reads records one at a time from a ByteSource, with a read buffer and seek. */
export class RecordReader {
  readonly path: string;
  private readonly source: ByteSource;
  private readonly recordLengthMax: number;
  private readonly transparent: boolean;
  private readonly borrowPayloads: boolean;
  private readonly ownChunkBytesMax: number;
  /** False once a chunk was read that was not copied (larger than ownChunkBytesMax). */
  private chunksOwned = true;
  private buffer: Uint8Array = EMPTY_BYTES;
  private bufferStart = 0;
  private offset = 0;
  private atEndOfData = false;
  private reverseJumps = 0;
  private lastJumpTarget = 0;
  /** Pointer and padding records nextBuffered() passed on its way to a record it could not
   *  decode yet: the next() that goes on counts them, as one next() call would have. */
  private hopsPassed = 0;

  constructor(source: ByteSource, options: RecordReaderOptions) {
    this.source = source;
    this.path = options.path;
    this.recordLengthMax = options.recordLengthMax ?? 0;
    this.transparent = options.transparent ?? true;
    this.borrowPayloads = options.borrowPayloads ?? false;
    this.ownChunkBytesMax = options.ownChunkBytesMax ?? 0;
    if (this.ownChunkBytesMax <= 0) this.chunksOwned = false;
  }

  /** True when every payload returned so far is a view into a copy of the source's bytes
   *  made by this reader (or a copy of its own): its caller may keep them as they are. */
  get payloadsOwned(): boolean { return this.chunksOwned || !this.borrowPayloads; }

  /** A chunk the source returned, copied when ownChunkBytesMax allows. */
  private chunkOf(bytes: Uint8Array): Uint8Array {
    if (!this.chunksOwned) return bytes;
    if (bytes.length > this.ownChunkBytesMax) {
      this.chunksOwned = false;
      return bytes;
    }
    return ownedCopy(bytes);
  }

  /** The offset of the next byte to read (vstream_ftell). */
  get position(): number { return this.offset; }

  seek(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`bad seek offset ${offset}`);
    this.offset = offset;
    this.atEndOfData = false;
    this.hopsPassed = 0;
  }

  /** Seeks to the end of the data; reads after it find end of file. */
  seekEnd(): void {
    this.offset = Number.MAX_SAFE_INTEGER;
    this.atEndOfData = true;
  }

  /** One byte, or -1 at end of data. */
  async readByte(): Promise<number> {
    if (!(await this.fill(1))) return -1;
    return this.takeByte();
  }

  /** The buffered byte at the offset (-1 if none), and the offset moves past it. */
  private takeByte(): number {
    const byte = this.buffer[this.offset - this.bufferStart] ?? -1;
    this.offset++;
    return byte;
  }

  /** Whether the read buffer holds the byte at `offset` (fill(1) would not read). */
  private holds(offset: number): boolean {
    const start = offset - this.bufferStart;
    return start >= 0 && start + 1 <= this.buffer.length;
  }

  /** The next record, or null at end of file; rejects with RecordError on damage.
   *  While the buffer holds the records, no async function runs: the answer is a settled
   *  promise, which its caller's await takes in the same one turn as an async function's
   *  that never awaited. Once bytes must be read, nextFrom() goes on exactly as this loop
   *  did in one async function, so every caller resumes after as many turns as before. */
  next(): Promise<QueueRecord | null> {
    // Pointers and padding nextBuffered() passed before it found no whole record count too.
    const firstHop = this.hopsPassed;
    this.hopsPassed = 0;
    try {
      for (let hops = firstHop; hops <= REVERSE_JUMPS_MAX + 1; hops++) {
        const record = this.decodeBuffered();
        if (record === undefined) return this.nextFrom(hops);
        if (!this.transparent) return Promise.resolve(record);
        if (record.type === RecordType.pointer) {
          this.follow(record);
          continue;
        }
        if (record.type === RecordType.padding) continue;
        if (record.type === RecordType.end) this.seekEnd();
        return Promise.resolve(record);
      }
      throw new RecordError('pointer-loop', `${this.path}: too many reverse jump records`, this.offset);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** next() without a promise when the read buffer already holds the record (and any
   *  padding or pointers before it); undefined when bytes must be read first, and then
   *  next() goes on from where this stopped. Throws RecordError where next() rejects. For
   *  readers whose caller may resume without a turn per record (Postfix's rec_get takes a
   *  buffered record without a system call); a daemon whose turns order its file
   *  operations against other daemons' keeps next(). */
  nextBuffered(): QueueRecord | undefined {
    for (let hops = this.hopsPassed; hops <= REVERSE_JUMPS_MAX + 1; hops++) {
      const record = this.decodeBuffered();
      if (record === undefined) {
        this.hopsPassed = hops;
        return undefined;
      }
      this.hopsPassed = 0;
      if (!this.transparent) return record;
      const kept = this.passThrough(record);
      if (kept !== undefined) return kept;
    }
    this.hopsPassed = 0;
    throw new RecordError('pointer-loop', `${this.path}: too many reverse jump records`, this.offset);
  }

  /** next()'s loop from hop `firstHop` on, reading bytes when the buffer runs out. */
  private async nextFrom(firstHop: number): Promise<QueueRecord | null> {
    for (let hops = firstHop; hops <= REVERSE_JUMPS_MAX + 1; hops++) {
      const record = this.decodeBuffered() ?? await this.nextRaw();
      if (record === null || !this.transparent) return record;
      const kept = this.passThrough(record);
      if (kept !== undefined) return kept;
    }
    throw new RecordError('pointer-loop', `${this.path}: too many reverse jump records`, this.offset);
  }

  /** A transparent reader's handling of one record: a pointer is followed and padding
   *  skipped (undefined: read on), the end record also moves to the file's end. */
  private passThrough(record: QueueRecord): QueueRecord | undefined {
    if (record.type === RecordType.pointer) {
      this.follow(record);
      return undefined;
    }
    if (record.type === RecordType.padding) return undefined;
    if (record.type === RecordType.end) this.seekEnd();
    return record;
  }

  /** Jumps to a pointer record's target; a zero target is a dummy that goes nowhere. */
  follow(record: QueueRecord): void {
    const text = latin1Decoder.decode(record.payload).replace(/^\s+/, '');
    const digits = /^\d+$/.test(text) ? Number(text) : -1;
    if (digits < 0 || !Number.isSafeInteger(digits)) {
      throw new RecordError('bad-pointer', `${this.path}: malformed pointer record value: ${cString(record.payload)}`, record.offset);
    }
    if (digits === 0) return;
    if (digits <= this.lastJumpTarget && ++this.reverseJumps > REVERSE_JUMPS_MAX) {
      throw new RecordError('pointer-loop', `${this.path}: too many reverse jump records`, record.offset);
    }
    this.lastJumpTarget = digits;
    this.seek(digits);
  }

  /** The next record decoded straight from the read buffer with a plain loop, when the
   *  buffer holds all of it (the common case: a queue file is one chunk); undefined when
   *  bytes must be read first or the record is damaged, and then nothing has moved, so
   *  the byte-wise reader below starts over at the same offset and reports as before. */
  private decodeBuffered(): QueueRecord | undefined {
    if (this.atEndOfData) return undefined;
    const buffer = this.buffer;
    const offset = this.offset;
    let at = offset - this.bufferStart;
    if (at < 0 || at >= buffer.length) return undefined;
    const type = buffer[at++] as number;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= LENGTH_SHIFT_MAX_BITS || at >= buffer.length) return undefined;
      const byte = buffer[at++] as number;
      length |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
    }
    if (length < 0 || (this.recordLengthMax > 0 && length > this.recordLengthMax) || at + length > buffer.length) return undefined;
    this.offset = this.bufferStart + at + length;
    const payload = this.borrowPayloads ? buffer.subarray(at, at + length) : buffer.slice(at, at + length);
    return { type, payload, offset };
  }

  /** One record exactly as stored (rec_get_raw without transparency). */
  async nextRaw(): Promise<QueueRecord | null> {
    const buffered = this.decodeBuffered();
    if (buffered !== undefined) return buffered;
    const offset = this.offset;
    let type: number;
    if (this.atEndOfData || this.holds(offset)) {
      type = await this.readByte();
    } else {
      // The type byte's readByte() would read a chunk in fill(): that read is made here, at
      // the same moment, and the turns fill() and readByte() took to return are taken here.
      this.buffer = this.chunkOf(await this.source.read(READ_CHUNK_BYTES, offset));
      this.bufferStart = offset;
      // A record the chunk holds whole is decoded at once, and answered after the turns the
      // byte-wise reads below would have taken (two per length byte, one for the payload).
      const record = this.decodeBuffered();
      if (record !== undefined) {
        const length = record.payload.length;
        const lengthBytes = this.offset - offset - 1 - length;
        const turns = 3 + 2 * lengthBytes + (length > 0 ? 1 : 0);
        for (let turn = 0; turn < turns; turn++) await SETTLED;
        return record;
      }
      await SETTLED; // fill() returns to readByte()
      type = this.buffer.length >= 1 ? this.takeByte() : -1;
      await SETTLED; // readByte() returns here
    }
    if (type < 0) return null;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= LENGTH_SHIFT_MAX_BITS) {
        throw new RecordError('too-many-length-bits', `${this.path}: too many length bits, record type ${type}`, offset);
      }
      const byte = await this.readByte();
      if (byte < 0) {
        throw new RecordError('truncated-length', `${this.path}: unexpected EOF reading length, record type ${type}`, offset);
      }
      // C int arithmetic: a fifth length byte can overflow into the sign bit.
      length |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
    }
    if (length < 0 || (this.recordLengthMax > 0 && length > this.recordLengthMax)) {
      throw new RecordError('illegal-length', `${this.path}: illegal length ${length}, record type ${type}`, offset);
    }
    const payload = await this.readBytes(length);
    if (payload.length !== length) {
      throw new RecordError('truncated-data', `${this.path}: unexpected EOF in data, record type ${type} length ${length}`, offset);
    }
    return { type, payload, offset };
  }

  /** Up to `length` bytes; fewer only at end of data. Never buffers past what exists. */
  private async readBytes(length: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let collected = 0;
    while (collected < length) {
      if (!(await this.fill(1))) break;
      const start = this.offset - this.bufferStart;
      const take = Math.min(length - collected, this.buffer.length - start);
      parts.push(this.buffer.slice(start, start + take));
      collected += take;
      this.offset += take;
    }
    if (parts.length === 1) return parts[0] ?? new Uint8Array(0);
    const result = new Uint8Array(collected);
    let at = 0;
    for (const part of parts) { result.set(part, at); at += part.length; }
    return result;
  }

  /** Makes at least `count` bytes at the offset available; false at end of data. */
  private async fill(count: number): Promise<boolean> {
    if (this.atEndOfData) return false;
    const start = this.offset - this.bufferStart;
    if (start >= 0 && start + count <= this.buffer.length) return true;
    this.buffer = this.chunkOf(await this.source.read(READ_CHUNK_BYTES, this.offset));
    this.bufferStart = this.offset;
    return this.buffer.length >= count;
  }
}

/** Bytes up to the first NUL: what a C "%s" of the record prints. */
export function cStringBytes(payload: Uint8Array): Uint8Array {
  const end = payload.indexOf(0);
  return end < 0 ? payload : payload.subarray(0, end);
}

/** The same as text, one character per byte, for warnings and parsing. */
export function cString(payload: Uint8Array): string {
  return latin1(cStringBytes(payload));
}

/** Bytes as text one byte per character (lossless; for parsing numbers and names). */
export function latin1(payload: Uint8Array): string {
  if (payload.length <= LATIN1_SLICE_BYTES) return String.fromCharCode.apply(null, payload as unknown as number[]);
  let text = '';
  for (let start = 0; start < payload.length; start += LATIN1_SLICE_BYTES) {
    text += String.fromCharCode.apply(null, payload.subarray(start, start + LATIN1_SLICE_BYTES) as unknown as number[]);
  }
  return text;
}

/** Bytes turned into characters per fromCharCode call (its arguments go on the stack). */
const LATIN1_SLICE_BYTES = 4096;
