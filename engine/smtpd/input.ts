// The client's byte stream as smtpd reads it: bytes arrive in chunks (receive), the protocol
// core awaits one line (readLine, with a length bound) or a counted block (readBytes, for
// BDAT). A wait that lasts smtpd_timeout fails with InputTimeout; a closed stream fails with
// InputClosed once the buffered bytes are used up, like Postfix's vstream longjmp on
// timeout and EOF (LocalDataError is the third such exit, SMTP_ERR_DATA, thrown by a
// command that cannot go on). Line ends follow smtp_get(): LF ends a line, CRLF is stripped, a bare LF
// is reported (for smtpd_forbid_bare_newline); a line longer than the bound is returned in
// pieces (ended = false).
// Called by the protocol core (api.ts, data.ts). Trusts the timers it is given.
// Models src/global/smtp_stream.c (smtp_get, smtp_fread_buf) and vstream's buffer.

import type { Timers } from '../platform/types.ts';

/** Bytes buffered from the client beyond what the core has read: a client that floods the
 *  server while a command is being processed is cut off past this. */
export const INPUT_BUFFER_BYTES_MAX = 8 * 1024 * 1024;

export class InputClosed extends Error {
  constructor() { super('lost connection'); this.name = 'InputClosed'; }
}

export class InputTimeout extends Error {
  constructor() { super('timeout'); this.name = 'InputTimeout'; }
}

/** SMTP_ERR_DATA: the session ends with "421 4.3.0 <myhostname> Server local data error". */
export class LocalDataError extends Error {
  constructor() { super('local data error'); this.name = 'LocalDataError'; }
}

export interface Line {
  /** The line without its end (CRLF, LF). */
  bytes: Uint8Array;
  /** Whether a line end was seen (false: the bound was reached, or EOF in a BDAT chunk). */
  ended: boolean;
  /** The line ended in a bare LF (no CR before it). */
  bareLf: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

export class ClientInput {
  /** Received bytes; those before `head` have been read. Never changed in place (receive
   *  makes a new array), so the lines handed out can be views into it. */
  private buffer = new Uint8Array(0);
  private head = 0;
  private closed = false;
  private waiter: (() => void) | undefined;
  /** Called before waiting for more bytes: smtpd flushes its buffered replies then, as
   *  Postfix's vstream flushes a read-write stream's output before it refills input. */
  beforeWait: (() => void) | undefined;

  constructor(private readonly timers: Timers, private timeoutMs: number) {}

  changeTimeout(timeoutMs: number): void { this.timeoutMs = timeoutMs; }

  /** Bytes received and not yet read. */
  get pending(): Uint8Array { return this.buffer.subarray(this.head); }

  private get available(): number { return this.buffer.length - this.head; }

  get isClosed(): boolean { return this.closed; }

  receive(chunk: Uint8Array): boolean {
    if (this.closed) return true;
    const remaining = this.available;
    if (remaining + chunk.length > INPUT_BUFFER_BYTES_MAX) return false;
    if (remaining === 0) {
      this.buffer = chunk.slice();
    } else {
      const next = new Uint8Array(remaining + chunk.length);
      next.set(this.buffer.subarray(this.head), 0);
      next.set(chunk, remaining);
      this.buffer = next;
    }
    this.head = 0;
    this.wake();
    return true;
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Waits until more bytes arrive, the stream closes, or smtpd_timeout passes. */
  private async waitForMore(): Promise<void> {
    if (this.closed) throw new InputClosed();
    this.beforeWait?.();
    await new Promise<void>((resolve, reject) => {
      const cancel = this.timers.after(this.timeoutMs, () => {
        this.waiter = undefined;
        reject(new InputTimeout());
      });
      this.waiter = () => { cancel(); resolve(); };
    });
  }

  /** The next `count` buffered bytes (a view), consumed. */
  private take(count: number): Uint8Array {
    const taken = this.buffer.subarray(this.head, this.head + count);
    this.head += count;
    return taken;
  }

  /** A whole line of at most `bound` bytes when one is buffered, without waiting (the
   *  content loop reads most lines this way); undefined when readLine must wait. */
  lineIfBuffered(bound: number, stripAllCr = true): Line | undefined {
    const newline = this.buffer.indexOf(LF, this.head);
    if (newline < 0 || newline - this.head >= bound) return undefined;
    const start = this.head;
    this.head = newline + 1;
    return this.finishLine(start, newline, stripAllCr);
  }

  /** smtp_get(): one line of at most `bound` bytes. With `skipRest`, the remainder of an
   *  overlong line is read and dropped (SMTP_GET_FLAG_SKIP, for commands). `stripAllCr`
   *  removes every trailing CR (when bare newlines are not being detected). */
  async readLine(bound: number, options: { skipRest?: boolean; stripAllCr?: boolean } = {}): Promise<Line> {
    for (let waits = 0; ; waits++) {
      const line = this.lineIfBuffered(bound, options.stripAllCr ?? true);
      if (line !== undefined) return line;
      if (this.available >= bound) {
        const piece = this.take(bound);
        // A CR at the bound may be the first half of a CRLF: Postfix peeks at the next byte.
        if (options.skipRest) await this.skipLine();
        return { bytes: piece, ended: false, bareLf: false };
      }
      if (this.closed) throw new InputClosed();
      await this.waitForMore();
      if (waits > INPUT_BUFFER_BYTES_MAX) throw new InputClosed();
    }
  }

  /** The line buffer[start, newline) with its trailing CRs stripped as smtp_get() does,
   *  as one view into the buffer (no view of the raw line first). */
  private finishLine(start: number, newline: number, stripAllCr: boolean): Line {
    const raw = this.buffer;
    let end = newline;
    let bareLf = false;
    if (stripAllCr) {
      while (end > start && raw[end - 1] === CR) end--;
      bareLf = end === newline;
    } else if (end > start && raw[end - 1] === CR) {
      end--;
    } else {
      bareLf = true;
    }
    return { bytes: raw.subarray(start, end), ended: true, bareLf };
  }

  /** Drops bytes up to and including the next LF (the rest of an overlong command). */
  private async skipLine(): Promise<void> {
    for (;;) {
      const newline = this.buffer.indexOf(LF, this.head);
      if (newline >= 0) {
        this.head = newline + 1;
        return;
      }
      this.head = this.buffer.length;
      await this.waitForMore();
    }
  }

  /** smtp_fread_buf(): exactly `count` bytes, or at most `chunkMax` of them when the caller
   *  streams a large BDAT chunk. */
  async readBytes(count: number): Promise<Uint8Array> {
    while (this.available < count) await this.waitForMore();
    return this.take(count);
  }
}
