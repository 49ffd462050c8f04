// The message as it goes out after DATA: the content records of the queue file, each
// normal record a line ended by CRLF, continued records joined, a leading '.' doubled
// (dot-stuffing), lines longer than smtp_line_length_limit broken with CRLF SPACE, and
// the closing ".CRLF". Bytes are copied unchanged otherwise (8-bit text included).
// Called by protocol.ts. Trusts the queue file's record layout (RecordReader).
// Models smtp_text_out() in src/smtp/smtp_proto.c.

import type { FileSystem } from '../platform/types.ts';
import { RecordReader, RecordType } from '../global/queue/record.ts';

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

class ByteSink {
  private chunks: Uint8Array[] = [];
  private current: number[] = [];
  length = 0;
  push(byte: number): void {
    this.current.push(byte);
    this.length++;
    if (this.current.length >= 65_536) this.flush();
  }
  pushAll(bytes: Uint8Array): void {
    this.flush();
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  private flush(): void {
    if (this.current.length === 0) return;
    this.chunks.push(Uint8Array.from(this.current));
    this.current = [];
  }
  result(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) { out.set(chunk, at); at += chunk.length; }
    return out;
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
        this.sink.pushAll(data.subarray(start, start + this.spaceLeft));
        this.sink.push(CR);
        this.sink.push(LF);
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
      this.sink.pushAll(data.subarray(start, start + left));
      if (continued) {
        this.spaceLeft -= left;
      } else {
        this.sink.push(CR);
        this.sink.push(LF);
        this.spaceLeft = this.limit;
      }
      return;
    }
  }
}

/** Reads the content segment at `contentOffset` and renders it for the wire. */
export async function readWireContent(fs: FileSystem, path: string, contentOffset: number, lineLimit: number): Promise<WireContent> {
  const handle = await fs.open(path, 'r');
  try {
    const reader = new RecordReader({ read: (length, position) => handle.read(length, position) }, { path, transparent: true });
    reader.seek(contentOffset);
    const sink = new ByteSink();
    const writer = new LineWriter(sink, lineLimit > 0 ? lineLimit : 0);
    for (let count = 0; count < CONTENT_RECORDS_MAX; count++) {
      const record = await reader.next();
      if (record === null) break;
      if (record.type !== RecordType.normalText && record.type !== RecordType.continuedText) break;
      writer.record(record.payload, record.type === RecordType.continuedText);
    }
    sink.pushAll(new Uint8Array([DOT, CR, LF]));
    return { bytes: sink.result(), brokeLongLine: writer.brokeLongLine };
  } finally {
    await handle.close();
  }
}
