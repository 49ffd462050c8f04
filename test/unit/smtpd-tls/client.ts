// A line-oriented SMTP client on a sim host's network for the TLS/AUTH/anvil/policy tests:
// connect, read a reply (multi-line), send a line, and STARTTLS (the client end of the
// simulated handshake). Every wait is bounded in scheduler events and virtual time.
// Used by test/unit/smtpd-tls/*.test.ts.

import type { PipelineHost } from '../../pipeline/harness.ts';
import type { Connection, TlsInfo } from '../../../engine/platform/types.ts';
import { createSmtpHost, SMTPD_PORT } from '../smtpd/chat.ts';

export const WAIT_EVENTS_MAX = 200_000;
export const REPLY_TIMEOUT_MS = 30_000;

export const CERT_PEM = '-----BEGIN CERTIFICATE-----\nsimulated\n-----END CERTIFICATE-----\n';
export const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nsimulated\n-----END PRIVATE KEY-----\n';

/** Files for a host with a (simulated) certificate and a password table. */
export const SECURITY_FILES: Record<string, string> = {
  '/etc/postfix/cert.pem': CERT_PEM,
  '/etc/postfix/key.pem': KEY_PEM,
  '/etc/postfix/sasl_users': 'alice wonderland\nbob@example.com builder\n',
};

export function securityHost(settings: Record<string, string>, files: Record<string, string> = {}): Promise<PipelineHost> {
  return createSmtpHost({ settings, files: { ...SECURITY_FILES, ...files } });
}

export class SimClient {
  private buffer = '';
  closed = false;
  readonly transcript: string[] = [];

  private constructor(private readonly host: PipelineHost, readonly connection: Connection) {
    connection.onData((chunk) => { this.buffer += new TextDecoder('latin1').decode(chunk); });
    connection.onClose(() => { this.closed = true; });
  }

  static async connect(host: PipelineHost, localAddress?: string, port = SMTPD_PORT): Promise<SimClient> {
    let connection: Connection | undefined;
    void host.platform.net.connect('127.0.0.1', port, localAddress === undefined ? {} : { localAddress }).then((value) => { connection = value; });
    await host.scheduler.runUntil(() => connection !== undefined, { eventsMax: WAIT_EVENTS_MAX });
    if (connection === undefined) throw new Error('connect did not complete');
    return new SimClient(host, connection);
  }

  /** One reply's lines ("250-...", "250 ..."); [] when the server closed or went silent. */
  async reply(): Promise<string[]> {
    const scheduler = this.host.scheduler;
    const deadline = scheduler.nowMs() + REPLY_TIMEOUT_MS;
    const complete = (): boolean => /(^|\n)\d{3} [^\n]*\r?\n/.test(this.buffer);
    await scheduler.runUntil(() => complete() || this.closed || scheduler.nowMs() >= deadline, { eventsMax: WAIT_EVENTS_MAX });
    const match = /(^|\n)\d{3} [^\n]*\r?\n/.exec(this.buffer);
    if (match === null) return [];
    const end = match.index + match[0].length;
    const lines = this.buffer.slice(0, end).split(/\r?\n/).filter((line) => line !== '');
    this.buffer = this.buffer.slice(end);
    for (const line of lines) this.transcript.push(`S: ${line}`);
    return lines;
  }

  send(line: string): void {
    this.transcript.push(`C: ${line}`);
    this.connection.write(new TextEncoder().encode(`${line}\r\n`));
  }

  /** Sends a command and returns its reply's last line. */
  async command(line: string): Promise<string> {
    this.send(line);
    return (await this.reply()).at(-1) ?? '';
  }

  async startTls(): Promise<TlsInfo> {
    let info: TlsInfo | undefined;
    let failure: unknown;
    this.connection.startTls({ role: 'client', serverName: 'mail.example.com' }).then((value) => { info = value; }, (error: unknown) => { failure = error; });
    await this.host.scheduler.runUntil(() => info !== undefined || failure !== undefined, { eventsMax: WAIT_EVENTS_MAX });
    if (info === undefined) throw new Error(`TLS handshake failed: ${String(failure)}`);
    return info;
  }

  async quit(): Promise<void> {
    if (!this.closed) await this.command('QUIT');
    this.connection.end();
    await this.host.run({ quietMs: 3000 });
  }
}

/** smtpd's maillog lines without the prefix up to "smtpd[pid]: ". */
export async function smtpdLines(host: PipelineHost, program = 'smtpd'): Promise<string[]> {
  return (await host.maillog()).filter((line) => line.includes(`/${program}[`)).map((line) => line.replace(new RegExp(`^.*?${program}\\[\\d+\\]: `), ''));
}

export const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
