// A plain SMTP client for the interop tests that talk to a server on a real loopback port
// (smtp-durability, smtpd-workers, smtpd-queue-file): it writes a command and waits for
// its whole reply, multi-line replies joined with "\n". A reply that does not complete
// before the timeout or the close fails with IncompleteReply, which carries the lines that
// did arrive. Every wait and buffer is bounded. Trusts node:net; the server is the subject.

import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Lines one reply may have, and bytes one unfinished line may grow to. */
const REPLY_LINES_MAX = 1000;
const LINE_BYTES_MAX = 64 * 1024;
const REPLY_TIMEOUT_MS_DEFAULT = 15_000;

export class IncompleteReply extends Error {
  constructor(readonly lines: readonly string[], why: string) {
    super(`${why} after ${JSON.stringify(lines)}`);
    this.name = 'IncompleteReply';
  }
}

export interface SmtpLineClientOptions {
  host?: string;
  /** The source address to connect from (e.g. 127.0.0.2 for a client outside mynetworks). */
  localAddress?: string;
  replyTimeoutMs?: number;
}

export class SmtpLineClient {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket, private readonly replyTimeoutMs: number) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let index = this.buffer.indexOf('\n'); index >= 0; index = this.buffer.indexOf('\n')) {
        this.lines.push(this.buffer.slice(0, index).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(index + 1);
      }
      if (this.buffer.length > LINE_BYTES_MAX) socket.destroy(new Error('reply line too long'));
      this.wake();
    });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => { this.closed = true; this.wake(); });
  }

  static open(port: number, options: SmtpLineClientOptions = {}): Promise<SmtpLineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host ?? '127.0.0.1', port, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new SmtpLineClient(socket, options.replyTimeoutMs ?? REPLY_TIMEOUT_MS_DEFAULT));
      });
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  /** The next whole reply; IncompleteReply when the server closes or is silent too long. */
  async reply(): Promise<string> {
    const texts: string[] = [];
    const deadline = performance.now() + this.replyTimeoutMs;
    for (let count = 0; count < REPLY_LINES_MAX; count++) {
      while (this.lines.length === 0) {
        if (this.closed) throw new IncompleteReply(texts, 'connection lost');
        const left = deadline - performance.now();
        if (left <= 0) throw new IncompleteReply(texts, 'reply timeout');
        await Promise.race([new Promise<void>((done) => { this.waiting = done; }), sleep(left)]);
      }
      const line = this.lines.shift()!;
      texts.push(line);
      if (line[3] !== '-') return texts.join('\n');
    }
    throw new IncompleteReply(texts, 'reply too long');
  }

  async command(text: string): Promise<string> {
    this.socket.write(`${text}\r\n`);
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The reply code of a reply text ("250 2.0.0 Ok" -> 250). */
export const replyCode = (text: string): number => Number.parseInt(text.slice(0, 3), 10);
