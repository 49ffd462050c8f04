// A scripted SMTP client on the world's network: connects, waits for the greeting (unless
// it is rude), plays its dialog steps (lines, message content, pauses, an abrupt close) and
// records every line it sends and every reply it receives as 'sim.actor' trace events --
// including replies nobody asked for, such as smtpd's "421 4.4.2 ... timeout exceeded" to a
// client that paused too long. A spammer (spammer.ts) is this client with a generated
// dialog. Called by engine/sim/actors/index.ts. Trusts its spec; waits only for network
// events and the world's scheduler.

import type { Connection, Network, Timers } from '../../platform/types.ts';
import type { TraceSink } from '../../global/trace.ts';
import type { ClientStep } from './types.ts';

/** Bytes of an unfinished reply line a client keeps before it gives up on the server. */
const REPLY_LINE_BYTES_MAX = 64 * 1024;
/** Lines of one multi-line reply. */
const REPLY_LINES_MAX = 1000;
/** Steps one dialog may have. */
export const CLIENT_STEPS_MAX = 10_000;

export interface ClientRun {
  name: string;
  net: Network;
  timers: Timers;
  trace: TraceSink;
  /** The actor's host name in trace events. */
  host: string;
  to: string;
  port: number;
  greeting: boolean;
  steps: readonly ClientStep[];
}

/** What the client saw, in order: its own lines ("> ...") and the replies ("< ..."). */
export interface ClientTranscript {
  lines: string[];
  replies: string[];
  closed: boolean;
  error?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Message content as DATA sends it: CRLF line ends, leading dots doubled, "." at the end. */
export function dataPayload(text: string): string {
  const body = text.replace(/\r\n/g, '\n').replace(/\n$/, '');
  const lines = body === '' ? [] : body.split('\n');
  return `${lines.map((line) => (line.startsWith('.') ? `.${line}` : line)).map((line) => `${line}\r\n`).join('')}.\r\n`;
}

export async function runClient(run: ClientRun): Promise<ClientTranscript> {
  const transcript: ClientTranscript = { lines: [], replies: [], closed: false };
  const emit = (step: 'connect' | 'send' | 'reply' | 'pause' | 'close' | 'closed' | 'error', text: string): void => {
    run.trace.emit({ kind: 'sim.actor', actor: run.name, role: 'client', step, text, host: run.host, service: 'actor', pid: 0 });
  };
  let connection: Connection;
  try {
    connection = await run.net.connect(run.to, run.port);
  } catch (error) {
    transcript.error = error instanceof Error ? error.message : String(error);
    emit('error', `connect to ${run.to}:${run.port}: ${transcript.error}`);
    return transcript;
  }
  emit('connect', `${run.to}:${run.port}`);
  const replies = new ReplyReader((reply) => {
    transcript.replies.push(reply);
    emit('reply', reply);
  });
  connection.onData((chunk) => replies.push(decoder.decode(chunk)));
  connection.onClose(() => {
    transcript.closed = true;
    emit('closed', 'connection closed');
    replies.close();
  });
  const send = (text: string): void => {
    transcript.lines.push(text);
    emit('send', text.replace(/\r\n$/, ''));
    connection.write(encoder.encode(text));
  };
  if (run.greeting && await replies.next() === undefined) return transcript;
  for (const step of run.steps.slice(0, CLIENT_STEPS_MAX)) {
    if (transcript.closed) break;
    if (typeof step === 'string') {
      send(`${step}\r\n`);
      if (await replies.next() === undefined) break;
    } else if ('send' in step) {
      send(step.raw === true ? step.send : `${step.send}\r\n`);
      if (step.wait !== false && await replies.next() === undefined) break;
    } else if ('read' in step) {
      let ended = false;
      for (let count = 0; count < Math.min(step.read, CLIENT_STEPS_MAX) && !ended; count++) ended = await replies.next() === undefined;
      if (ended) break;
    } else if ('data' in step) {
      send(dataPayload(step.data));
      if (await replies.next() === undefined) break;
    } else if ('pauseMs' in step) {
      emit('pause', `${step.pauseMs} ms`);
      await new Promise<void>((resolve) => { run.timers.after(step.pauseMs, resolve); });
    } else {
      emit('close', 'drops the connection');
      connection.destroy();
      transcript.closed = true;
      return transcript;
    }
  }
  if (!transcript.closed) connection.end();
  return transcript;
}

/** Splits the server's bytes into replies ("250-a\n250 b" is one) and hands each to the
 *  waiting step, or keeps it until a step asks. */
class ReplyReader {
  private partial = '';
  private lines: string[] = [];
  private readonly ready: string[] = [];
  private waiting: ((reply: string | undefined) => void) | undefined;
  private ended = false;

  constructor(private readonly onReply: (reply: string) => void) {}

  push(text: string): void {
    this.partial += text;
    for (let newline = this.partial.indexOf('\n'); newline !== -1; newline = this.partial.indexOf('\n')) {
      const line = this.partial.slice(0, newline).replace(/\r$/, '');
      this.partial = this.partial.slice(newline + 1);
      if (this.lines.length < REPLY_LINES_MAX) this.lines.push(line);
      if (/^\d{3}-/.test(line)) continue;
      const reply = this.lines.join('\n');
      this.lines = [];
      this.onReply(reply);
      this.deliver(reply);
    }
    if (this.partial.length > REPLY_LINE_BYTES_MAX) this.partial = '';
  }

  close(): void {
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(undefined);
  }

  /** The next reply, or undefined once the connection has closed. */
  next(): Promise<string | undefined> {
    const ready = this.ready.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  private deliver(reply: string): void {
    const waiting = this.waiting;
    if (waiting === undefined) {
      this.ready.push(reply);
      return;
    }
    this.waiting = undefined;
    waiting(reply);
  }
}
