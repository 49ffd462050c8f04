// Test helpers for smtpd: a sim host shaped like the reference instance ref1 (myhostname
// mail.example.com, smtpd on 127.0.0.1:10025, users alice, bob, carol), and a scripted SMTP
// client that runs shared/reference/postfix-3.7/scripts/smtpchat.py's directives over the
// simulated network and prints the same transcript ("S: ..." / "C: ..."). Every wait is
// bounded in virtual time and scheduler events.
// Used by test/unit/smtpd, test/pipeline/smtpd.test.ts and test/interop/smtpd-dialogs.test.ts.

import { createPipelineHost, DEFAULT_MASTER_CF, type PipelineHost } from '../../pipeline/harness.ts';
import type { Connection } from '../../../engine/platform/types.ts';

export const REF1_MAIN_CF = `compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
biff = no
`;

export const SMTPD_PORT = 10025;
export const SMTPD_MASTER_CF = DEFAULT_MASTER_CF.replace(/^smtp\s+inet.*$/m, `127.0.0.1:${SMTPD_PORT} inet n       -       n       -       -       smtpd`);

/** Events one wait may take; virtual time one reply may take. */
export const WAIT_EVENTS_MAX = 200_000;
export const REPLY_TIMEOUT_MS = 15_000;
/** Virtual time a send waits for a close already in flight. */
export const SETTLE_MS = 5;

export interface SmtpHostOptions {
  /** main.cf lines added to (or replacing, by name) REF1_MAIN_CF. */
  settings?: Record<string, string>;
  files?: Record<string, string>;
}

/** main.cf text with `settings` applied (postconf -e style). */
export function mainCfWith(settings: Record<string, string> = {}): string {
  let text = REF1_MAIN_CF;
  for (const [name, value] of Object.entries(settings)) {
    const pattern = new RegExp(`^${name} =.*$`, 'm');
    text = pattern.test(text) ? text.replace(pattern, `${name} = ${value}`) : `${text}${name} = ${value}\n`;
  }
  return text;
}

export async function createSmtpHost(options: SmtpHostOptions = {}): Promise<PipelineHost> {
  return createPipelineHost({
    mainCf: mainCfWith(options.settings),
    masterCf: SMTPD_MASTER_CF,
    files: { '/etc/hosts': '127.0.0.1 localhost\n', ...options.files },
  });
}

/** smtpchat.py's show(): printable ASCII, escapes for the rest, CRLF not shown. */
export function show(bytes: Uint8Array): string {
  let text = '';
  let end = bytes.length;
  if (end >= 2 && bytes[end - 2] === 0x0d && bytes[end - 1] === 0x0a) end -= 2;
  for (const byte of bytes.subarray(0, end)) {
    if (byte === 0x5c) text += '\\\\';
    else if (byte >= 32 && byte < 127) text += String.fromCharCode(byte);
    else if (byte === 0x0d) text += '\\r';
    else if (byte === 0x0a) text += '\\n';
    else if (byte === 0x09) text += '\\t';
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return text;
}

const latin1 = (text: string): Uint8Array => Uint8Array.from([...text].map((character) => character.charCodeAt(0) & 0xff));
const concat = (parts: Uint8Array[]): Uint8Array => {
  const result = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) { result.set(part, at); at += part.length; }
  return result;
};

/** A Python bytes literal b'...' (or a str literal) with its escapes. */
function pythonLiteral(text: string): { bytes: Uint8Array; rest: string; isBytes: boolean } {
  const match = /^(b?)'((?:[^'\\]|\\.)*)'/.exec(text);
  if (match === null) throw new Error(`chat: cannot parse literal: ${text}`);
  const body = (match[2] as string).replace(/\\(x[0-9a-fA-F]{2}|r|n|t|\\|'|0)/g, (_, escape: string) => {
    if (escape.startsWith('x')) return String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return ({ r: '\r', n: '\n', t: '\t', '\\': '\\', "'": "'", 0: '\0' } as Record<string, string>)[escape] ?? escape;
  });
  const isBytes = match[1] === 'b';
  const bytes = isBytes ? latin1(body) : new TextEncoder().encode(body);
  return { bytes, rest: text.slice(match[0].length).trim(), isBytes };
}

/** The Python expressions the reference chat scripts use with raw/rawr. */
export function evaluatePython(expression: string): Uint8Array {
  const lambda = /^\(lambda x: b'BDAT %d( LAST)?\\r\\n' % len\(x\) \+ x\)\((.*)\)$/.exec(expression.trim());
  if (lambda !== null) {
    const inner = evaluatePython(lambda[2] as string);
    return concat([latin1(`BDAT ${inner.length}${lambda[1] ?? ''}\r\n`), inner]);
  }
  const parts: Uint8Array[] = [];
  let rest = expression.trim();
  for (let guard = 0; rest !== '' && guard < 100; guard++) {
    const literal = pythonLiteral(rest);
    let bytes: Uint8Array = literal.bytes;
    rest = literal.rest;
    const repeat = /^\*\s*(\d+)/.exec(rest);
    if (repeat !== null) {
      const count = Number(repeat[1]);
      bytes = concat(Array.from({ length: count }, () => bytes));
      rest = rest.slice(repeat[0].length).trim();
    }
    const encode = /^\.encode\((?:'utf-8')?\)/.exec(rest);
    if (encode !== null) rest = rest.slice(encode[0].length).trim();
    parts.push(bytes);
    if (rest.startsWith('+')) rest = rest.slice(1).trim();
  }
  return concat(parts);
}

/** A client connection on the sim network with smtpchat.py's reading rules. */
export class ChatClient {
  private buffer: Uint8Array = new Uint8Array(0);
  closed = false;
  readonly transcript: string[] = [];

  private constructor(private readonly host: PipelineHost, private readonly connection: Connection) {
    connection.onData((chunk) => { this.buffer = concat([this.buffer, chunk]); });
    connection.onClose(() => { this.closed = true; });
  }

  /** `earlyData` goes out the moment the connection is up (ConnectOptions.earlyData): a
   *  client that talks before the greeting, as scripts/03b-talk-before-greeting.py does. */
  static async connect(host: PipelineHost, localAddress?: string, port = SMTPD_PORT, earlyData?: Uint8Array): Promise<ChatClient> {
    const pending = host.platform.net.connect('127.0.0.1', port, {
      ...(localAddress === undefined ? {} : { localAddress }), ...(earlyData === undefined ? {} : { earlyData }),
    });
    let connection: Connection | undefined;
    void pending.then((value) => { connection = value; });
    await host.scheduler.runUntil(() => connection !== undefined, { eventsMax: WAIT_EVENTS_MAX });
    if (connection === undefined) throw new Error('chat: connect did not complete');
    const client = new ChatClient(host, connection);
    if (earlyData !== undefined) client.record(earlyData);
    return client;
  }

  /** The "C: " transcript lines of bytes sent. */
  private record(bytes: Uint8Array): void {
    const text = new TextDecoder('latin1').decode(bytes);
    const parts = text.endsWith('\r\n') ? text.split('\r\n').slice(0, -1) : [text];
    for (const part of parts) this.transcript.push(`C: ${show(latin1(part))}`);
  }

  /** Waits for a full line; undefined on close or after the timeout. */
  private async line(timeoutMs: number): Promise<Uint8Array | undefined> {
    const deadline = this.host.scheduler.nowMs() + timeoutMs;
    await this.host.scheduler.runUntil(() => this.buffer.includes(0x0a) || this.closed || this.host.scheduler.nowMs() >= deadline,
      { eventsMax: WAIT_EVENTS_MAX });
    if (!this.buffer.includes(0x0a) && !this.closed && this.host.scheduler.nowMs() < deadline) {
      await this.host.scheduler.runUntil(deadline, { eventsMax: WAIT_EVENTS_MAX });
    }
    const newline = this.buffer.indexOf(0x0a);
    if (newline < 0) {
      if (this.closed) {
        if (!this.reportedClose) this.transcript.push('[connection closed by server]');
        this.reportedClose = true;
      } else {
        this.transcript.push('[timeout waiting for server]');
      }
      return undefined;
    }
    const line = this.buffer.slice(0, newline + 1);
    this.buffer = this.buffer.slice(newline + 1);
    return line;
  }

  private reportedClose = false;

  /** One (possibly multi-line) reply, into the transcript; returns its lines. */
  async reply(timeoutMs = REPLY_TIMEOUT_MS): Promise<string[]> {
    const lines: string[] = [];
    for (let count = 0; count < 1000; count++) {
      const line = await this.line(timeoutMs);
      if (line === undefined) break;
      const text = show(line);
      this.transcript.push(`S: ${text}`);
      lines.push(text);
      if (line.length < 4 || line[3] !== 0x2d) break;
    }
    return lines;
  }

  /** A send after the server closed: it fails (a TCP reset) when the server left input
   *  unread, and goes out into a half-closed connection otherwise, as on a real network. */
  send(bytes: Uint8Array): void {
    if (this.closed && this.serverReset()) {
      this.transcript.push(`[not sent, connection closed]: ${show(bytes)}`);
      return;
    }
    this.connection.write(bytes);
    this.record(bytes);
  }

  private serverReset(): boolean {
    const last = [...this.host.events].reverse().find((event) => event.kind === 'smtpd.disconnect');
    return last !== undefined && last.kind === 'smtpd.disconnect' && (last.unreadBytes ?? 0) > 0;
  }

  private queued: Uint8Array[] = [];

  /** A pipelined line: sent with the next flush(). */
  queue(bytes: Uint8Array): void {
    if (this.closed && this.serverReset()) {
      this.transcript.push(`[not sent, connection closed]: ${show(bytes)}`);
      return;
    }
    const text = new TextDecoder('latin1').decode(bytes);
    for (const part of text.split('\r\n').slice(0, -1)) this.transcript.push(`C: ${show(latin1(part))}`);
    this.queued.push(bytes);
  }

  flush(): void {
    if (this.queued.length === 0) return;
    const bytes = concat(this.queued.splice(0));
    if (!this.closed || !this.serverReset()) this.connection.write(bytes);
  }

  /** Lets a close that is already on its way arrive before the next send (a real client's
   *  send sees a reset the kernel already has). */
  async settle(): Promise<void> {
    await this.host.scheduler.runUntil(this.host.scheduler.nowMs() + SETTLE_MS, { eventsMax: WAIT_EVENTS_MAX });
  }

  async sleep(seconds: number): Promise<void> {
    await this.host.scheduler.runUntil(this.host.scheduler.nowMs() + seconds * 1000, { eventsMax: WAIT_EVENTS_MAX });
  }

  /** The final drain: whatever arrives within 2 seconds. */
  async drain(): Promise<void> {
    const deadline = this.host.scheduler.nowMs() + 2000;
    await this.host.scheduler.runUntil(deadline, { eventsMax: WAIT_EVENTS_MAX });
    if (this.buffer.length === 0) return;
    for (const piece of new TextDecoder('latin1').decode(this.buffer).split('\n')) {
      if (piece !== '') this.transcript.push(`S: ${show(latin1(`${piece}\n`))}`);
    }
    this.buffer = new Uint8Array(0);
  }

  close(): void {
    this.connection.end();
  }
}

/** Runs a .chat script as smtpchat.py does; returns the transcript lines. */
export async function runChat(host: PipelineHost, script: string, options: { localAddress?: string; greeting?: boolean } = {}): Promise<string[]> {
  const client = await ChatClient.connect(host, options.localAddress);
  if (options.greeting !== false) await client.reply();
  for (const directive of script.split('\n')) {
    if (directive.trim() === '' || directive.startsWith('#')) continue;
    // Pipelined lines go out back to back, in one write (as the kernel coalesces a burst);
    // other sends first see a close already on its way.
    if (directive.startsWith('>> ')) { client.queue(latin1(`${directive.slice(3)}\r\n`)); continue; }
    client.flush();
    await client.settle();
    if (directive.startsWith('> ')) { client.send(latin1(`${directive.slice(2)}\r\n`)); await client.reply(); }
    else if (directive.startsWith('< ')) { for (let index = 0; index < Number(directive.slice(2)); index++) await client.reply(); }
    else if (directive.startsWith('rawr ')) { client.send(evaluatePython(directive.slice(5))); await client.reply(); }
    else if (directive.startsWith('raw ')) client.send(evaluatePython(directive.slice(4)));
    else if (directive.startsWith('body ')) client.send(latin1(`${'x'.repeat(76)}\r\n`.repeat(Number(directive.slice(5)))));
    else if (directive.startsWith('sleep ')) await client.sleep(Number(directive.slice(6)));
    else throw new Error(`chat: bad directive: ${directive}`);
  }
  client.flush();
  await client.drain();
  client.close();
  await host.run({ quietMs: 3000 });
  return client.transcript;
}
