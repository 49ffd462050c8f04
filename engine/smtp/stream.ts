// One client connection as the SMTP client uses it: lines in (assembled into replies),
// commands and content out, and the two stream exceptions of Postfix's smtp_stream: the
// peer went away (EOF) or a read took longer than the timeout of the current protocol
// stage. Every byte held is bounded: a reply line by line_length_limit (the rest of a
// longer line is skipped), a multi-line reply by the same limit, unread replies by
// PENDING_LINES_MAX. Commands and replies are traced ('smtp-client.command'/'.reply').
// Called by protocol.ts and api.ts. Trusts the Connection and Timers of the platform.
// Models src/smtp/smtp_chat.c (smtp_chat_cmd, smtp_chat_resp) over src/global/smtp_stream.c.

import type { Connection, Timers } from '../platform/types.ts';
import type { ServiceContext } from '../master/contracts.ts';
import { censor, finishReply, lineKind, type ServerReply } from './reply.ts';

/** Complete lines received but not yet read, before the peer counts as misbehaving. */
export const PENDING_LINES_MAX = 10_000;
/** Lines in one multi-line reply, past which the rest is read but not kept. */
export const REPLY_LINES_MAX = 1_000;

export type StreamFailure = 'eof' | 'timeout';

/** A stream exception (smtp_stream's SMTP_ERR_EOF, SMTP_ERR_TIME). */
export class StreamError extends Error {
  constructor(readonly failure: StreamFailure) {
    super(failure === 'eof' ? 'lost connection' : 'timed out');
    this.name = 'StreamError';
  }
}

const encoder = new TextEncoder();

/** Bytes decoded per String.fromCharCode call (its arguments go on the stack). */
const DECODE_CHUNK_BYTES = 8192;

/** Bytes as text, one character per byte (0-255). */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let at = 0; at < bytes.length; at += DECODE_CHUNK_BYTES) {
    text += String.fromCharCode.apply(null, bytes.subarray(at, at + DECODE_CHUNK_BYTES) as unknown as number[]);
  }
  return text;
}

export class ClientStream {
  private readonly lines: string[] = [];
  /** The line being received, one character per byte, at most lineLimit of them (the rest
   *  of a longer line is dropped up to its LF). */
  private partial = '';
  private closed = false;
  private waiter: (() => void) | undefined;

  constructor(
    readonly connection: Connection,
    private readonly timers: Timers,
    private readonly context: ServiceContext,
    /** host[addr]:port, for the trace. */
    readonly server: string,
    private readonly lineLimit: number,
    /** The request being served, for the trace (a cached connection serves several). */
    public queueId: string,
  ) {
    connection.onData((chunk) => this.receive(chunk));
    connection.onClose(() => {
      this.closed = true;
      this.wake();
    });
  }

  get isClosed(): boolean { return this.closed; }

  /** Bytes the server sent that no reply read has taken (e.g. a 421 while idle). */
  get hasUnread(): boolean { return this.lines.length > 0 || this.partial.length > 0; }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private receive(chunk: Uint8Array): void {
    let start = 0;
    for (let guard = 0; guard <= chunk.length && start <= chunk.length; guard++) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      let take = end - start;
      if (this.lineLimit > 0) take = Math.min(take, Math.max(this.lineLimit - this.partial.length, 0));
      if (take > 0) this.partial += latin1(chunk.subarray(start, start + take));
      if (newline < 0) break;
      if (this.lines.length < PENDING_LINES_MAX) this.lines.push(this.takeLine());
      else this.partial = '';
      start = newline + 1;
    }
    this.wake();
  }

  private takeLine(): string {
    let text = this.partial;
    this.partial = '';
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return censor(text);
  }

  /** The next line, or a StreamError after `timeoutSeconds` (0: no limit) or at EOF. */
  private async readLine(deadlineMs: number): Promise<string> {
    const clock = this.context.host.platform.clock;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.closed) throw new StreamError('eof');
      const remainingMs = deadlineMs - clock.nowMs();
      if (deadlineMs > 0 && remainingMs <= 0) throw new StreamError('timeout');
      await new Promise<void>((resolve) => {
        const cancel = deadlineMs > 0 ? this.timers.after(remainingMs, () => { this.waiter = undefined; resolve(); }) : () => undefined;
        this.waiter = () => { cancel(); resolve(); };
      });
    }
  }

  /** Reads one complete reply within `timeoutSeconds`. */
  async readReply(timeoutSeconds: number): Promise<ServerReply> {
    const nowMs = this.context.host.platform.clock.nowMs();
    const deadlineMs = timeoutSeconds > 0 ? nowMs + timeoutSeconds * 1000 : 0;
    const kept: string[] = [];
    let keptLength = 0;
    let malformed = false;
    for (;;) {
      const line = await this.readLine(deadlineMs);
      if (keptLength < this.lineLimit && kept.length < REPLY_LINES_MAX) {
        kept.push(line);
        keptLength += line.length;
      }
      const kind = lineKind(line);
      if (kind === 'continue') continue;
      // Garbage is kept in the text and reading goes on, as smtp_chat_resp does: only a
      // well-formed last line ends the reply.
      if (kind === 'garbage') {
        malformed = true;
        continue;
      }
      const reply = finishReply(kept, line, malformed);
      this.context.trace({ kind: 'smtp-client.reply', queueId: this.queueId, server: this.server, code: reply.code, text: reply.text });
      return reply;
    }
  }

  /** Sends one command line (CRLF appended). */
  writeCommand(text: string): void {
    this.context.trace({ kind: 'smtp-client.command', queueId: this.queueId, server: this.server, text });
    if (!this.closed) this.connection.write(encoder.encode(`${text}\r\n`));
  }

  writeBytes(bytes: Uint8Array): void {
    if (!this.closed) this.connection.write(bytes);
  }

  /** Closes after pending output (QUIT sent), or at once after a failure. */
  close(graceful: boolean, reason: string): void {
    this.context.trace({ kind: 'smtp-client.disconnect', queueId: this.queueId, server: this.server, reason });
    if (graceful) this.connection.end();
    else this.connection.destroy();
    this.closed = true;
    this.wake();
  }
}
