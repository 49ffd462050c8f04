// The message as it goes out after DATA: the content records of the queue file, each
// normal record a line ended by CRLF, continued records joined, a leading '.' doubled
// (dot-stuffing), lines longer than smtp_line_length_limit broken with CRLF SPACE, and
// the closing ".CRLF". Bytes are copied unchanged otherwise (8-bit text included).
// The active queue file is opened once per delivery request (ActiveQueueFile), as
// Postfix's smtp reads the envelope and the content through the one stream
// deliver_request_get() opened: the envelope's first chunk is kept, and a small message's
// content is rendered from it without a second read. It is opened read-write: the
// recipients are marked done through the same descriptor (delivery-status.ts markDone),
// as Postfix's smtp marks them through the stream it opened (deliver_completed()).
// Called by api.ts. Trusts the queue file's record layout (RecordReader).
// Models smtp_text_out() in src/smtp/smtp_proto.c.

import type { FileHandle, FileSystem } from '../platform/types.ts';
import { readQueueFile } from '../global/queue/queue-file.ts';
import { RecordReader, RecordType, type ByteSource } from '../global/queue/record.ts';

/** Records read from one content segment before it counts as runaway. */
export const CONTENT_RECORDS_MAX = 5_000_000;

export interface WireContent {
  bytes: Uint8Array;
  /** Whether a line had to be broken (logged once, as Postfix does). */
  brokeLongLine: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const SPACE = 0x20;
const END_OF_DATA: Uint8Array = new Uint8Array([DOT, CR, LF]);

/** The first size of the output buffer; it doubles as needed. */
const SINK_INITIAL_BYTES = 4096;

/** The rendered bytes, in one buffer that grows by doubling. */
class ByteSink {
  private buffer = new Uint8Array(SINK_INITIAL_BYTES);
  length = 0;
  private room(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
  push(byte: number): void {
    this.room(1);
    this.buffer[this.length++] = byte;
  }
  pushAll(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }
  /** `count` bytes of `bytes` from `start`, then CR LF when `lineEnd`. */
  pushRange(bytes: Uint8Array, start: number, count: number, lineEnd: boolean): void {
    this.room(count + 2);
    this.buffer.set(start === 0 && count === bytes.length ? bytes : bytes.subarray(start, start + count), this.length);
    this.length += count;
    if (lineEnd) {
      this.buffer[this.length++] = CR;
      this.buffer[this.length++] = LF;
    }
  }
  /** The bytes (a view of the buffer, which nothing writes after this). */
  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

/** State across records: how much room the current output line has left. */
class LineWriter {
  private spaceLeft: number;
  brokeLongLine = false;
  constructor(private readonly sink: ByteSink, private readonly limit: number) {
    this.spaceLeft = limit;
  }
  private get atLineStart(): boolean { return this.spaceLeft === this.limit; }

  /** smtp_text_out() for one record. */
  record(data: Uint8Array, continued: boolean): void {
    let start = 0;
    let left = data.length;
    for (let guard = 0; guard <= data.length + 1; guard++) {
      if (this.atLineStart && left > 0 && data[start] === DOT) this.sink.push(DOT);
      if (this.limit > 0 && left >= this.spaceLeft) {
        this.sink.pushRange(data, start, this.spaceLeft, true);
        start += this.spaceLeft;
        left -= this.spaceLeft;
        this.spaceLeft = this.limit;
        if (left > 0 || continued) {
          this.sink.push(SPACE);
          this.spaceLeft -= 1;
          this.brokeLongLine = true;
        }
        if (left > 0) continue;
        return;
      }
      this.sink.pushRange(data, start, left, !continued);
      if (continued) {
        this.spaceLeft -= left;
      } else {
        this.spaceLeft = this.limit;
      }
      return;
    }
  }
}

/** Renders the content segment at `contentOffset` of `source` for the wire. */
async function renderWireContent(source: ByteSource, path: string, contentOffset: number, lineLimit: number): Promise<WireContent> {
  const reader = new RecordReader(source, { path, transparent: true });
  reader.seek(contentOffset);
  const sink = new ByteSink();
  const writer = new LineWriter(sink, lineLimit > 0 ? lineLimit : 0);
  for (let count = 0; count < CONTENT_RECORDS_MAX; count++) {
    const record = await reader.next();
    if (record === null) break;
    if (record.type !== RecordType.normalText && record.type !== RecordType.continuedText) break;
    writer.record(record.payload, record.type === RecordType.continuedText);
  }
  sink.pushAll(END_OF_DATA);
  return { bytes: sink.result(), brokeLongLine: writer.brokeLongLine };
}

/** The bytes the first read returned (from offset 0), and whether they reach the end of
 *  the file (a short read). */
interface FirstChunk {
  bytes: Uint8Array;
  toEnd: boolean;
}

/** One delivery request's view of its active queue file: one read-write descriptor from
 *  open() to close(), through which recipients are also marked done. The first chunk read is kept, and later reads inside it (the content of a
 *  message smaller than a chunk) are served from it. Only the content is read again after
 *  the envelope, and nothing rewrites the content while the file is active (done marks
 *  change recipient records only), so the kept bytes stay true for it. */
export class ActiveQueueFile {
  private first: FirstChunk | undefined;
  private readonly source: ByteSource;

  private constructor(readonly handle: FileHandle, readonly path: string) {
    this.source = { read: (length, position) => this.read(length, position) };
  }

  static async open(fs: FileSystem, path: string): Promise<ActiveQueueFile> {
    return new ActiveQueueFile(await fs.open(path, 'r+'), path);
  }

  private async read(length: number, position: number): Promise<Uint8Array> {
    const first = this.first;
    if (first !== undefined && position <= first.bytes.length && (first.toEnd || position + length <= first.bytes.length)) {
      return first.bytes.subarray(position, Math.min(first.bytes.length, position + length));
    }
    const bytes = await this.handle.read(length, position);
    if (position === 0 && this.first === undefined) this.first = { bytes, toEnd: bytes.length < length };
    return bytes;
  }

  /** The encoding attribute ("7bit"/"8bit") that decides BODY=. */
  async encoding(): Promise<string | undefined> {
    const file = await readQueueFile(this.source, this.path);
    return file.attributes.find((attribute) => attribute.name === 'encoding')?.value;
  }

  /** The content segment at `contentOffset`, rendered for the wire. */
  wireContent(contentOffset: number, lineLimit: number): Promise<WireContent> {
    return renderWireContent(this.source, this.path, contentOffset, lineLimit);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
