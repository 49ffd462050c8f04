// smtpd in stand-alone mode (smtpd -S), which `sendmail -bs` runs: one SMTP session on
// standard input and output with the invoking user's rights. The protocol core is the
// ordinary one (api.ts); what stand-alone mode changes is its environment: the client is
// "localhost[127.0.0.1]" port 0, no restriction stage runs (smtpd_check_*() are skipped:
// no access maps, no relay check, no address resolution), no anvil limits, no TLS, no SASL,
// no pipelining or bare-newline enforcement, ETRN answers "458 Unable to queue messages",
// and the message does not go to cleanup but through postdrop into maildrop/, owned by the
// user: the file is made at the first accepted recipient (so the queue id is known for the
// "client=" line and the reply) and completed after DATA with the records smtpd writes in
// this mode (sender, per recipient its DSN attributes, the message with smtpd's own
// Received header, the extracted and end markers). pickup takes it from there.
// Called by sendmail (engine/admin/sendmail.ts). Trusts the configuration and postdrop;
// trusts nothing on standard input. Models smtpd's SMTPD_STAND_ALONE() paths in
// src/smtpd/smtpd.c, smtpd_peer_not_inet() in smtpd_peer.c and mail_stream_command().

import type { InputStream, OutputStream } from '../admin/command.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import type { Host } from '../global/host.ts';
import { FatalExit, type Reporter } from '../global/msg.ts';
import { mailQueue } from '../global/queue/mail-queue.ts';
import { RecordType } from '../global/queue/record.ts';
import type { CleanupClient, CleanupEndpoint, CleanupResult, CleanupStream, ServiceTraceInput, SubmittedRecipient } from '../master/contracts.ts';
import { hashingFromConfig } from '../master/queue-hashing.ts';
import { receivedHeader } from '../cleanup/headers.ts';
import { openPostdrop, type OpenedPostdrop } from '../postdrop/api.ts';
import { attributeRecord, record, SubmissionAttribute, type SubmissionRecord } from '../postdrop/stream.ts';
import { SmtpdProtocol, type SmtpdEnvironment } from './api.ts';
import { Restrictions } from './checks/stages.ts';
import type { SmtpdResolution, SmtpdResolver } from './checks/resolve.ts';
import type { Session, Client } from './session.ts';
import { createSmtpdEnvironment } from './environment.ts';

/** smtpd_peer_not_inet(): a client on a pipe is taken to be local. */
export const STANDALONE_CLIENT: Client = {
  name: 'localhost', reverseName: 'localhost', address: '127.0.0.1', port: 0, nameStatus: 'ok', reverseNameStatus: 'ok',
};

/** Standard input is handed to the session in pieces of this size ... */
export const INPUT_PIECE_BYTES = 64 * 1024;
/** ... while fewer than this many bytes wait unread (the core's buffer is bounded). */
export const INPUT_BACKLOG_BYTES_MAX = 1024 * 1024;
/** Waits for the core to read its backlog before the input is given up. */
export const INPUT_BACKLOG_WAITS_MAX = 10_000_000;
/** Lines read from a terminal in one session. */
export const TERMINAL_LINES_MAX = 1_000_000;
/** Records one message may have in memory before it goes to postdrop. */
export const MESSAGE_RECORDS_MAX = 50_000_000;

export interface StandaloneOptions {
  host: Host;
  config: MainConfig;
  pid: number;
  /** The invoking user: the maildrop file's owner. */
  uid: number;
  /** The postdrop group, for the file's group. */
  gid?: number;
  stdin: InputStream;
  stdout: OutputStream;
  /** smtpd's warnings (to the maillog; a stand-alone smtpd prints nothing on stderr). */
  log: Reporter;
  /** A fresh postdrop process: its pid and its diagnostics. */
  postdropPid(): number;
  postdropLog(pid: number): Reporter;
  /** Wakes pickup once a file is complete. */
  trigger(): void | Promise<unknown>;
}

/** Runs the session to its end; the exit status smtpd -S would have (0, or 1 after a fatal). */
export async function runStandaloneSmtpd(options: StandaloneOptions): Promise<number> {
  const { host, config, pid } = options;
  const trace = (event: ServiceTraceInput): void => {
    // Stand-alone mode never looks for improper pipelining: a pipe delivers commands early.
    if (event.kind === 'smtpd.pipelining') return;
    host.platform.trace.emit({ ...event, host: host.name, service: 'smtpd', pid } as Parameters<typeof host.platform.trace.emit>[0]);
  };
  let protocol: SmtpdProtocol | undefined;
  // MAIL FROM's BODY= goes into the file right after the sender, as smtpd writes it.
  const encoding = (): string | undefined => {
    const value = protocol?.session.transaction?.encoding;
    return value === undefined ? undefined : value === '8bitmime' ? '8bit' : '7bit';
  };
  const env = await standaloneEnvironment(options, trace, encoding);
  const output = {
    write: (bytes: Uint8Array) => options.stdout.write(bytes),
    close: () => undefined,
  };
  protocol = new SmtpdProtocol(env, STANDALONE_CLIENT, `${host.name}/smtpd/${pid}/1`, output);
  let finished = false;
  const session = protocol;
  const running = session.run().finally(() => { finished = true; });
  const feeding = feedInput(options.stdin, session, env, () => finished);
  try {
    await running;
  } catch (error) {
    if (error instanceof FatalExit) return error.exitCode;
    throw error;
  } finally {
    session.input.close();
  }
  await feeding.catch(() => undefined);
  return 0;
}

/** The core's environment in stand-alone mode: smtpd's settings and tables, no security,
 *  no checks, and postdrop in place of cleanup. */
async function standaloneEnvironment(options: StandaloneOptions, trace: (event: ServiceTraceInput) => void,
  encoding: () => string | undefined): Promise<SmtpdEnvironment> {
  const { config, host } = options;
  const unreachable = (): never => { throw new Error('stand-alone smtpd resolves no addresses'); };
  const base = await createSmtpdEnvironment({
    config, platform: host.platform, log: options.log, trace,
    cleanup: () => maildropEndpoint(options, encoding),
    rewrite: () => ({ rewrite: unreachable, resolve: unreachable }),
  });
  // Bare newlines are neither rejected nor normalised for a local pipe; pipelining is
  // never enforced.
  const settings = { ...base.settings, forbidBareNewline: 'no' as const, forbidUnauthPipelining: false };
  const checks = { ...base.restrictions.env, settings };
  delete (checks as { security?: unknown }).security;
  const { security: _dropped, ...rest } = base;
  // SMTPD_STAND_ALONE(): XFORWARD is never allowed, whatever smtpd_authorized_xforward_hosts says.
  const { xforwardHosts: _noXforward, ...tables } = base.tables;
  return {
    ...rest, settings, tables,
    restrictions: new StandaloneRestrictions(checks, options.log),
    resolver: acceptingResolver,
  };
}

/** smtpd_check_addr() is skipped: every address is taken as given. */
const acceptingResolver = {
  resolve: async (_sender: string | undefined, _recipient: string): Promise<SmtpdResolution> => ({
    addressClass: 'local', transport: '', nexthop: '', recipient: '', flags: [],
    final: true, fail: false, routed: false, error: false,
  }),
} as unknown as SmtpdResolver;

/** Every smtpd_check_*() that stand-alone mode skips answers "no objection"; the size
 *  check still applies; ETRN is refused. */
class StandaloneRestrictions extends Restrictions {
  constructor(env: Restrictions['env'], private readonly log: Reporter) { super(env); }
  override async client(): Promise<string | undefined> { return undefined; }
  override async helo(): Promise<string | undefined> { return undefined; }
  override async mail(): Promise<string | undefined> { return undefined; }
  override async recipient(): Promise<string | undefined> { return undefined; }
  override async data(): Promise<string | undefined> { return undefined; }
  override async endOfData(): Promise<string | undefined> { return undefined; }
  override async queue(): Promise<string | undefined> { return undefined; }
  override async rewriteContext(): Promise<'local' | 'remote'> { return 'local'; }
  override async etrn(_session: Session, _domain: string): Promise<string | undefined> {
    this.log.warn('do not use ETRN in "sendmail -bs" mode');
    return '458 Unable to queue messages';
  }
}

/** Standard input into the session: a pipe in pieces (waiting while the core has a backlog),
 *  a terminal line by line; end of input closes the session's input. */
async function feedInput(stdin: InputStream, protocol: SmtpdProtocol, env: SmtpdEnvironment, finished: () => boolean): Promise<void> {
  const encoder = new TextEncoder();
  if (stdin.isTty) {
    for (let lines = 0; lines < TERMINAL_LINES_MAX && !finished(); lines++) {
      const line = await stdin.readLine();
      if (line === null || finished()) break;
      protocol.input.receive(encoder.encode(`${line}\r\n`));
    }
    protocol.input.close();
    return;
  }
  const bytes = await stdin.readAll();
  let waits = 0;
  for (let start = 0; start < bytes.length && !finished(); start += INPUT_PIECE_BYTES) {
    while (protocol.input.pending.length > INPUT_BACKLOG_BYTES_MAX && !finished() && waits++ < INPUT_BACKLOG_WAITS_MAX) {
      await new Promise<void>((resolve) => { env.timers.after(1, resolve); });
    }
    protocol.input.receive(bytes.subarray(start, start + INPUT_PIECE_BYTES));
  }
  protocol.input.close();
}

/** mail_stream_command(postdrop): what the core opens instead of a cleanup stream. */
function maildropEndpoint(options: StandaloneOptions, encoding: () => string | undefined): CleanupEndpoint {
  return {
    open: async (client: CleanupClient): Promise<CleanupStream> => {
      const { config, host } = options;
      const postdropPid = options.postdropPid();
      const opened = await openPostdrop({
        host, queue: mailQueue(host.platform.fs, config.get('queue_directory') ?? '/var/spool/postfix', hashingFromConfig(config)),
        uid: options.uid, ...(options.gid === undefined ? {} : { gid: options.gid }),
        reporter: options.postdropLog(postdropPid), pid: postdropPid, messageSizeLimit: config.getSize('message_size_limit'),
        longQueueIds: config.getBool('enable_long_queue_ids'), trigger: options.trigger,
      });
      if (!('complete' in opened)) {
        return options.log.fatal(`unable to execute ${config.get('command_directory') ?? '/usr/sbin'}/postdrop`);
      }
      return new MaildropStream(opened, client, {
        myhostname: config.get('myhostname') ?? options.host.name,
        lineLengthLimit: Math.max(1, config.getInt('line_length_limit')),
        nowMs: () => host.platform.clock.nowMs(), encoding,
      });
    },
  };
}

/** The records smtpd writes in stand-alone mode, held until the end of DATA. */
class MaildropStream implements CleanupStream {
  private readonly envelope: SubmissionRecord[] = [];
  private readonly content: SubmissionRecord[] = [];
  private readonly recipients: string[] = [];
  private line: Uint8Array[] = [];
  private lineBytes = 0;
  private readonly arrivalSeconds: number;

  constructor(private readonly file: OpenedPostdrop, private readonly client: CleanupClient,
    private readonly options: { myhostname: string; lineLengthLimit: number; nowMs(): number; encoding(): string | undefined }) {
    this.arrivalSeconds = Math.floor(options.nowMs() / 1000);
  }

  get queueId(): string { return this.file.queueId; }

  setSender(address: string): void {
    this.envelope.push(record(RecordType.sender, address));
    const encoding = this.options.encoding();
    if (encoding !== undefined) this.envelope.push(attributeRecord(SubmissionAttribute.encoding, encoding));
  }
  /** Only sendmail's -F has a full name. */
  setFullName(): void { /* not in an SMTP submission */ }
  /** Stand-alone smtpd records no ENVID/RET and no client attributes. */
  setAttribute(): void { /* skipped in stand-alone mode */ }
  setArrivalTime(): void { /* postdrop writes its own time record */ }

  addRecipient(recipient: SubmittedRecipient): void {
    if (recipient.dsnNotify !== undefined && recipient.dsnNotify !== 0) {
      this.envelope.push(attributeRecord(SubmissionAttribute.dsnNotify, String(recipient.dsnNotify)));
    }
    if (recipient.dsnOriginalRecipient !== undefined) {
      this.envelope.push(attributeRecord(SubmissionAttribute.dsnOriginalRecipient, recipient.dsnOriginalRecipient));
    }
    this.envelope.push(record(RecordType.recipient, recipient.address));
    this.recipients.push(recipient.address);
  }

  /** Bytes with LF line ends; each line becomes a normal record, longer ones continued
   *  records of line_length_limit bytes first. */
  addContent(bytes: Uint8Array): void {
    let start = 0;
    for (let newline = bytes.indexOf(0x0a); newline >= 0; newline = bytes.indexOf(0x0a, start)) {
      this.appendToLine(bytes.subarray(start, newline));
      this.endLine();
      start = newline + 1;
    }
    this.appendToLine(bytes.subarray(start));
  }

  private appendToLine(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.line.push(bytes.slice());
    this.lineBytes += bytes.length;
  }

  private endLine(): void {
    const whole = new Uint8Array(this.lineBytes);
    let at = 0;
    for (const part of this.line) { whole.set(part, at); at += part.length; }
    this.line = [];
    this.lineBytes = 0;
    const limit = this.options.lineLengthLimit;
    let start = 0;
    for (; whole.length - start >= limit; start += limit) this.pushContent(record(RecordType.continuedText, whole.subarray(start, start + limit)));
    this.pushContent(record(RecordType.normalText, whole.subarray(start)));
  }

  private pushContent(item: SubmissionRecord): void {
    if (this.content.length < MESSAGE_RECORDS_MAX) this.content.push(item);
  }

  async finish(): Promise<CleanupResult> {
    if (this.lineBytes > 0) this.endLine();
    const received = receivedHeader(this.client, {
      myhostname: this.options.myhostname, queueId: this.queueId,
      time: { seconds: this.arrivalSeconds, microseconds: 0 }, recipients: this.recipients,
    });
    const records: SubmissionRecord[] = [
      ...this.envelope, record(RecordType.messageContentStart),
      ...received.split('\n').map((text) => record(RecordType.normalText, text)),
      ...this.content, record(RecordType.extractedStart), record(RecordType.end),
    ];
    const result = await this.file.complete(records);
    return { status: result.status, queueId: result.queueId, ...(result.reason === '' ? {} : { reason: result.reason }) };
  }

  async abort(): Promise<void> {
    await this.file.abandon();
  }
}
