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

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

export class ClientStream {
  private readonly lines: string[] = [];
  private partial: number[] = [];
  private skipping = false;
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
    for (const byte of chunk) {
      if (byte === 0x0a) {
        if (this.lines.length < PENDING_LINES_MAX) this.lines.push(this.takeLine());
        else this.partial = [];
        this.skipping = false;
        continue;
      }
      if (this.skipping) continue;
      if (this.lineLimit > 0 && this.partial.length >= this.lineLimit) {
        this.skipping = true;
        continue;
      }
      this.partial.push(byte);
    }
    this.wake();
  }

  private takeLine(): string {
    let bytes = this.partial;
    this.partial = [];
    if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.slice(0, -1);
    return censor(latin1(Uint8Array.from(bytes)));
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
