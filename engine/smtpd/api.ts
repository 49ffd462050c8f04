// smtpd's protocol core (CONVENTIONS.md rule 1): one SMTP session as a state machine driven
// by bytes. openSmtpdSession() takes the environment (settings, restrictions, cleanup, the
// address resolver, timers), the client, and a sink for the bytes it writes; the caller
// feeds received bytes with receive() and reports the peer's close with close(). The core
// greets, reads command lines, dispatches them through the command table (commands.ts),
// receives DATA/BDAT content into a cleanup stream and replies "250 2.0.0 Ok: queued as ID"
// only after cleanup has the message safely queued. Every command and reply is traced; the
// connect/disconnect, "client=", reject and abnormal-end lines go to the maillog through
// the trace. Errors count towards smtpd_soft_error_limit (then smtpd_error_sleep_time
// before each reply) and smtpd_hard_error_limit (421 and hang up).
// Replies are buffered and written when the core needs more input from the client (so a
// pipelined batch of commands gets its replies in one write, as smtpd's output stream is
// flushed only when its input buffer runs dry), after an error sleep, when 10 seconds
// passed since the last I/O, before STARTTLS and at the end of the session.
// Called by service.ts (a listener on Platform.net) and by tests with byte scripts.
// Models smtpd_proto(), smtpd_service() and the chat routines of src/smtpd/smtpd.c and
// smtpd_chat.c (Postfix 3.7).

import type { Reporter } from '../global/msg.ts';
import type { FlushClient } from '../flush/client.ts';
import type { CleanupEndpoint, ServiceTraceInput } from '../master/contracts.ts';
import type { Clock, Timers, TlsInfo, TlsOptions } from '../platform/types.ts';
import type { SmtpdSecurity } from './security.ts';
import { connectLimits, disconnectLimits } from './limits.ts';
import { saslLogFields } from './auth.ts';
import type { TraceDetail } from '../global/trace.ts';
import { COMMAND_NAMES, lookupCommand } from './commands.ts';
import { ClientInput, InputClosed, InputTimeout, LocalDataError } from './input.ts';
import { replies, replyLines, type Reply } from './replies.ts';
import { formatCommandCounts, Session, Transaction, type Client } from './session.ts';
import type { SmtpdSettings } from './settings.ts';
import type { Restrictions } from './checks/stages.ts';
import type { SmtpdTables } from './checks/tables.ts';
import type { SmtpdResolver } from './checks/resolve.ts';
import type { CheckNames } from './checks/run.ts';
import { tokenize } from './tokens.ts';
import { decideXforwardAccess } from './xforward.ts';

export { replies, replyLines, replyText, type Reply } from './replies.ts';
export type { Client } from './session.ts';

/** What the core needs from its host; service.ts builds it from a ServiceContext. */
export interface SmtpdEnvironment {
  settings: SmtpdSettings;
  restrictions: Restrictions;
  tables: SmtpdTables;
  resolver: SmtpdResolver;
  cleanup(): CleanupEndpoint;
  timers: Timers;
  /** For the 10-second flush of buffered replies; absent: only the input-driven flush. */
  clock?: Clock;
  log: Reporter;
  /** Emits a trace event stamped with smtpd's host, name and pid. */
  trace(event: ServiceTraceInput): void;
  /** TLS, SASL, anvil limits, sender login maps (security.ts); absent: all off. */
  security?: SmtpdSecurity;
  /** The fast flush client ETRN asks (engine/flush/client.ts); absent: ETRN is refused as
   *  for a site that fast_flush_domains does not list. */
  flush?: FlushClient;
}

/** Where the core writes: bytes to the client, and the end of the connection. */
export interface SmtpdOutput {
  write(bytes: Uint8Array): void;
  close(): void;
  /** Turns on TLS on the connection (STARTTLS); absent where the transport cannot. */
  startTls?(options: TlsOptions): Promise<TlsInfo>;
}

export interface SmtpdConnection {
  readonly session: Session;
  /** Bytes from the client. */
  receive(chunk: Uint8Array): void;
  /** The client closed the connection (or it failed). */
  close(): void;
  /** Resolves when the session has ended and the disconnect line is logged. */
  readonly finished: Promise<void>;
}

const encoder = new TextEncoder();

/** smtpd_chat_reply(): buffered replies go out at once when the client's stream saw no
 *  I/O for longer than this. */
export const REPLY_FLUSH_IDLE_MS = 10_000;

/** What reply() answers when it did not sleep: one settled promise for all. */
const REPLIED: Promise<void> = Promise.resolve();

/** Replies waiting for the next flush; past this many the buffer is written at once. */
const PENDING_REPLIES_MAX = 1000;

/** is_header(): "Name:" at the start of a line, as a mail header would begin. */
export function isHeaderWord(word: string): boolean {
  return /^[\x21-\x39\x3b-\x7e]+:/.test(word);
}

/** escape() as smtpd logs pending input: C-style escapes for \r, \n and other bytes. */
export function escapeBytes(bytes: Uint8Array, lengthMax: number): string {
  let text = '';
  for (const byte of bytes.subarray(0, lengthMax)) {
    if (byte === 0x0d) text += '\\r';
    else if (byte === 0x0a) text += '\\n';
    else if (byte === 0x09) text += '\\t';
    else if (byte === 0x5c) text += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return text;
}

/** Whether bytes are well-formed UTF-8 (valid_utf8_string). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  for (let index = 0; index < bytes.length; index++) {
    if ((bytes[index] as number) >= 0x80) return isValidUtf8Strict(bytes);
  }
  return true;
}

/** Whether every byte is below 0x80. */
function isAscii(bytes: Uint8Array): boolean {
  for (let index = 0; index < bytes.length; index++) {
    if ((bytes[index] as number) >= 0x80) return false;
  }
  return true;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextDecoder();

function isValidUtf8Strict(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export class SmtpdProtocol {
  readonly session: Session;
  readonly input: ClientInput;
  /** smtp_detect_bare_lf: smtpd_forbid_bare_newline applies to this client. */
  detectBareNewline = false;
  /** The client's stream as the commands see it: replies are buffered (see the header). */
  readonly output: SmtpdOutput;
  private readonly pendingReplies: string[] = [];
  /** Platform time of the last read or write on the client stream. */
  private lastIoMs: number;

  constructor(readonly env: SmtpdEnvironment, client: Client, sessionId: string, private readonly connection: SmtpdOutput) {
    this.session = new Session(client, sessionId);
    this.input = new ClientInput(env.timers, env.settings.timeoutMs);
    this.input.beforeWait = () => this.flushReplies();
    this.lastIoMs = env.clock?.nowMs() ?? 0;
    const start = connection.startTls;
    this.output = {
      write: (bytes) => {
        this.flushReplies();
        connection.write(bytes);
      },
      close: () => {
        this.flushReplies();
        connection.close();
      },
      ...(start === undefined ? {} : {
        startTls: (options: TlsOptions) => {
          this.flushReplies();
          return start.call(connection, options);
        },
      }),
    };
  }

  /** Writes the buffered replies in one write (smtp_flush). */
  flushReplies(): void {
    if (this.pendingReplies.length === 0) return;
    const text = this.pendingReplies.join('');
    this.pendingReplies.length = 0;
    this.lastIoMs = this.env.clock?.nowMs() ?? 0;
    this.connection.write(encoder.encode(text));
  }

  /** Bytes arrived from the client (the stream's last I/O time). */
  noteInput(): void {
    if (this.env.clock !== undefined) this.lastIoMs = this.env.clock.nowMs();
  }

  get settings(): SmtpdSettings { return this.env.settings; }

  /** Trace with this session's id and the current queue id. */
  trace(detail: TraceDetail, queueId = this.session.transaction?.queueId): void {
    // Every caller passes a fresh literal: the session's fields are stamped on it in place,
    // in the key order a spread into a new object would give (an existing key keeps its
    // place and takes the new value), without a copy and a spread per event.
    const input = detail as TraceDetail & { sessionId: string; queueId?: string };
    input.sessionId = this.session.sessionId;
    if (queueId !== undefined) input.queueId = queueId;
    this.env.trace(input as unknown as ServiceTraceInput);
  }

  /** log_whatsup() with the session's current names. */
  whatsup(action: string, text: string, names?: Partial<CheckNames>): void {
    const session = this.session;
    const sender = names !== undefined && 'sender' in names ? names.sender : session.transaction?.sender;
    const recipient = names !== undefined && 'recipient' in names ? names.recipient : session.transaction?.firstRecipient;
    const helo = names !== undefined && 'helo' in names ? names.helo : session.heloName;
    this.trace({
      kind: 'smtpd.whatsup', action, where: session.where, clientName: session.client.name,
      clientAddress: session.client.address, text,
      ...(sender === undefined ? {} : { sender }),
      ...(recipient === undefined ? {} : { recipient }),
      protocol: session.protocol,
      ...(helo === undefined ? {} : { helo }),
      ...saslLogFields(session),
    });
  }

  /** smtpd_chat_reply(): the error sleep, soft_bounce, the write, and 421/521 hang-up. */
  reply(value: Reply): Promise<void> {
    if (this.session.errorCount >= this.settings.softErrorLimit && this.settings.errorSleepMs > 0) return this.sleepThenReply(value);
    // Without the sleep nothing waits: the answer is a settled promise, as the async
    // function's was, without making one per reply.
    try {
      this.writeReply(value, false);
      return REPLIED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async sleepThenReply(value: Reply): Promise<void> {
    await new Promise<void>((resolve) => { this.env.timers.after(this.settings.errorSleepMs, resolve); });
    this.writeReply(value, true);
  }

  private writeReply(value: Reply, slept: boolean): void {
    let lines = replyLines(value);
    if (this.settings.softBounce) lines = lines.map((line) => (line.startsWith('5') ? `4${line.slice(1, 4)}${line.slice(4, 5) === '5' ? '4' : line.slice(4, 5)}${line.slice(5)}` : line));
    for (const line of lines) this.trace({ kind: 'smtpd.reply', text: line });
    if (this.session.phase !== 'closed') {
      for (const line of lines) this.pendingReplies.push(`${line}\r\n`);
      const idle = this.env.clock !== undefined && this.env.clock.nowMs() - this.lastIoMs > REPLY_FLUSH_IDLE_MS;
      if (slept || idle || this.pendingReplies.length >= PENDING_REPLIES_MAX) this.flushReplies();
    }
    if (value.code === 421 || value.code === 521) this.session.hangup = true;
  }

  /** A reply text from a restriction ("554 5.7.1 ..."). */
  async replyText(text: string): Promise<void> {
    const code = Number.parseInt(text.slice(0, 3), 10);
    await this.reply({ code, lines: [text.slice(4)] });
  }

  /** smtpd_flag_ill_pipelining(): unread input where the client should have waited. */
  flagIllegalPipelining(): boolean {
    const pending = this.input.pending;
    if (pending.length === 0) return false;
    this.trace({
      kind: 'smtpd.pipelining', where: this.session.where, clientName: this.session.client.name,
      clientAddress: this.session.client.address, pending: escapeBytes(pending, 100),
    });
    this.session.illegalPipelining = true;
    return true;
  }

  /** mail_reset() + rcpt_reset(): drops the transaction; an open stream is aborted. */
  async resetTransaction(): Promise<void> {
    const transaction = this.session.transaction;
    this.session.transaction = undefined;
    this.session.declaredSize = 0;
    this.session.bdatState = 'none';
    this.session.xforward = undefined;
    if (transaction?.stream !== undefined) await transaction.stream.abort();
  }

  /** The declared size survives a MAIL that failed, as Postfix's state->msg_size does. */
  startTransaction(sender: string): Transaction {
    const transaction = new Transaction(sender);
    this.session.transaction = transaction;
    return transaction;
  }

  /** The greeting, the command loop, and the session's end (smtpd_proto). */
  async run(): Promise<void> {
    const session = this.session;
    // The caller hands over the bytes that arrived during the client name lookup first.
    await Promise.resolve();
    try {
      if (await this.greet()) await this.commandLoop();
    } catch (error) {
      if (error instanceof InputTimeout) {
        session.reason = 'timeout';
        await this.reply(replies.timeout(this.settings.myhostname));
      } else if (error instanceof InputClosed) {
        session.reason = 'lost connection';
      } else if (error instanceof LocalDataError) {
        const reply = replies.localError(this.settings.myhostname);
        this.env.log.info(`${session.transaction?.queueId ?? 'NOQUEUE'}: reject: ${session.where} from ${session.namaddr}: ${replyLines(reply).join(' ')}`);
        await this.reply(reply);
      } else {
        throw error;
      }
    } finally {
      await this.finish();
    }
  }

  private async greet(): Promise<boolean> {
    const session = this.session;
    const client = session.client;
    this.trace({ kind: 'smtpd.connect', clientName: client.name, clientAddress: client.address, clientPort: client.port });
    this.detectBareNewline = this.settings.forbidBareNewline !== 'no'
      && !await this.env.tables.bareNewlineExclusions.match(client.name, client.address).catch(() => false);
    await decideXforwardAccess(this);
    session.phase = 'command';
    if (this.flagIllegalPipelining() && this.settings.forbidUnauthPipelining) {
      await this.reply(replies.synchronization);
      return false;
    }
    if (!await connectLimits(this)) return false;
    for (const keyword of this.settings.discardEhloKeywords) session.discardedEhloKeywords.add(keyword.toLowerCase());
    if (!this.settings.delayReject) {
      const denied = await this.env.restrictions.client(session);
      if (denied !== undefined) {
        session.accessDenied = denied;
        await this.replyText(denied);
        session.errorCount++;
        return true;
      }
    }
    await this.reply(replies.greeting(this.settings.banner));
    return true;
  }

  /** The command read/execute loop. */
  private async commandLoop(): Promise<void> {
    const session = this.session;
    const settings = this.settings;
    for (let commands = 0; !session.hangup; commands++) {
      if (session.errorCount >= settings.hardErrorLimit) {
        session.reason = 'too many errors';
        await this.reply(replies.tooManyErrors(settings.myhostname));
        return;
      }
      const line = await this.input.readLine(settings.lineLengthLimit, { skipRest: true, stripAllCr: !this.detectBareNewline });
      let bytes = line.bytes;
      const nul = bytes.indexOf(0);
      if (nul >= 0) bytes = bytes.subarray(0, nul);
      const latin1 = latin1Prefix(bytes, COMMAND_TEXT_BYTES_MAX);
      if (!line.ended) {
        this.env.log.warn(`${session.namaddr}: request longer than ${settings.lineLengthLimit}: ${printableExcerpt(latin1, 30)}...`);
      }
      if (this.detectBareNewline && settings.forbidBareNewline === 'reject' && line.bareLf) {
        this.whatsup('reject', 'bare <LF> received');
        await this.reply(replies.bareLf(settings.forbidBareNewlineRejectCode, settings.myhostname));
        return;
      }
      // An all-ASCII command is valid UTF-8 and its UTF-8 text is its latin1 text.
      const ascii = bytes.length <= COMMAND_TEXT_BYTES_MAX && isAscii(bytes);
      if (settings.smtputf8Enable && !ascii && !isValidUtf8(bytes)) {
        this.trace({ kind: 'smtpd.command', line: latin1 });
        await this.reply(replies.badUtf8);
        session.errorCount++;
        continue;
      }
      const text = settings.smtputf8Enable && !ascii ? utf8.decode(bytes) : latin1;
      this.trace({ kind: 'smtpd.command', line: text });
      if (await this.dispatch(text) === 'quit') return;
    }
  }

  /** One command: tokenize, look up, apply the access, pipelining and junk rules, run it. */
  private async dispatch(text: string): Promise<'continue' | 'quit'> {
    const session = this.session;
    const words = tokenize(text);
    if (words.length === 0) {
      await this.reply(replies.badSyntax);
      session.errorCount++;
      return 'continue';
    }
    const verb = (words[0] as { text: string }).text;
    if (this.settings.noopCommands.some((name) => name.toLowerCase() === verb.toLowerCase())) {
      await this.reply(replies.ok);
      if (session.junkCommands++ > this.settings.junkCommandLimit) session.errorCount++;
      return 'continue';
    }
    const command = lookupCommand(verb);
    if (command === undefined) {
      session.where = 'UNKNOWN';
      session.count('unknown', false);
      if (isHeaderWord(verb) || await this.env.tables.isForbiddenCommand(verb)) {
        this.env.log.warn(`non-SMTP command from ${session.namaddr}: ${printableExcerpt(text, 100)}`);
        await this.reply(replies.breakRules);
        return 'quit';
      }
    }
    if (session.accessDenied !== undefined && command?.name !== 'quit') {
      if (command !== undefined) session.count(command.name, false);
      if (session.accessDenied.slice(1, 3) === '21') {
        await this.replyText(session.accessDenied);
        return 'continue';
      }
      await this.reply(replies.accessDenied(session.namaddr));
      session.errorCount++;
      return 'continue';
    }
    if (command === undefined) {
      await this.reply(replies.notRecognized);
      session.errorCount++;
      return 'continue';
    }
    if (this.env.security?.tls.enforce === true && session.tls === undefined && !command.preTls) {
      session.count(command.name, false);
      await this.reply(replies.needStartTls);
      session.errorCount++;
      return 'continue';
    }
    session.where = command.name.toUpperCase();
    if ((session.protocol.toUpperCase() !== 'ESMTP' || command.last) && !session.illegalPipelining
      && this.flagIllegalPipelining() && this.settings.forbidUnauthPipelining) {
      session.count(command.name, false);
      await this.reply(replies.synchronization);
      return 'quit';
    }
    session.count(command.name);
    const success = await command.run(this, words, text);
    if (success) session.countSuccess(command.name);
    else session.errorCount++;
    if (command.limit && session.junkCommands++ > this.settings.junkCommandLimit) session.errorCount++;
    return command.name === 'quit' ? 'quit' : 'continue';
  }

  /** The end of the session: the abnormal-end line, the transaction dropped, the
   *  disconnect line with the command counts, and the connection closed. */
  private async finish(): Promise<void> {
    const session = this.session;
    const client = session.client;
    if (session.reason !== undefined) {
      const base = { kind: 'smtpd.session-end' as const, reason: session.reason, clientName: client.name, clientAddress: client.address };
      if (session.where === 'DATA content') {
        const bytes = (session.transaction?.actualSize ?? 0) + this.input.pending.length;
        this.trace({ ...base, where: 'DATA', bytes });
      } else if (session.where === 'BDAT content') {
        const bytes = (session.transaction?.actualSize ?? 0) + this.input.pending.length;
        this.trace({ ...base, where: 'BDAT', bytes });
      } else if (session.where !== 'END-OF-MESSAGE' || session.reason !== 'lost connection') {
        this.trace({ ...base, where: session.where });
      }
    }
    await this.resetTransaction();
    disconnectLimits(this);
    session.phase = 'closed';
    this.trace({
      kind: 'smtpd.disconnect', clientName: client.name, clientAddress: client.address,
      counters: formatCommandCounts(session.counts, COMMAND_NAMES), unreadBytes: this.input.pending.length,
    }, undefined);
    this.output.close();
  }
}

/** Bytes of a command that become its text (a longer one is cut here). */
const COMMAND_TEXT_BYTES_MAX = 4096;

/** The first `lengthMax` bytes as latin1 text, one character per byte (apply takes the
 *  typed array as its argument list without the iterator a spread would run). */
function latin1Prefix(bytes: Uint8Array, lengthMax: number): string {
  const prefix = bytes.length > lengthMax ? bytes.subarray(0, lengthMax) : bytes;
  return String.fromCharCode.apply(null, prefix as unknown as number[]);
}

/** printable() of a log excerpt: non-printable characters become '?'. */
export function printableExcerpt(text: string, lengthMax: number): string {
  let result = '';
  for (const character of text.slice(0, lengthMax)) {
    const code = character.charCodeAt(0);
    result += code < 0x20 || code === 0x7f ? '?' : character;
  }
  return result;
}

/** Starts a session: the greeting goes out once the caller has set up its output. */
export function openSmtpdSession(env: SmtpdEnvironment, client: Client, sessionId: string, output: SmtpdOutput): SmtpdConnection {
  const protocol = new SmtpdProtocol(env, client, sessionId, output);
  const finished = protocol.run();
  return {
    session: protocol.session,
    receive: (chunk) => {
      protocol.noteInput();
      if (!protocol.input.receive(chunk)) {
        env.log.warn(`${protocol.session.namaddr}: input buffer overflow, closing the connection`);
        protocol.input.close();
      }
    },
    close: () => protocol.input.close(),
    finished,
  };
}
