// One mail transaction on a session that passed its handshake: MAIL FROM (with SIZE,
// BODY, ENVID, RET when the server offers them), RCPT TO per recipient (ORCPT, NOTIFY),
// DATA, the content, and QUIT. With PIPELINING the commands go out in batches bounded by
// PIPELINING_BUFSIZE and the replies are read in order; DATA and end-of-data are the two
// points where the client waits. A rejected MAIL FROM or DATA, or no accepted recipient,
// ends the transaction with RSET. Each reply is processed by the stage it answers, in
// Postfix's words: "host X[A] said: 550 ... (in reply to RCPT TO command)".
// Called by api.ts. Trusts the session's features; reports through outcome.ts.
// Models smtp_xfer()/smtp_loop() in src/smtp/smtp_proto.c (without XFORWARD, MIME
// downgrading and header/body checks).

import type { DeliveryRecipient } from '../master/contracts.ts';
import { quoteLocalPart } from '../global/address/quote.ts';
import { streamFailure } from './handshake.ts';
import type { DeliveryState } from './outcome.ts';
import { oneLine, type ServerReply } from './reply.ts';
import type { ClientSession } from './session.ts';
import type { ClientSettings } from './settings.ts';
import { StreamError } from './stream.ts';
import type { WireContent } from './content.ts';

/** Bytes of commands sent ahead of their replies (VSTREAM_BUFSIZE). */
export const PIPELINING_BUFSIZE = 4096;

type Stage =
  | { kind: 'mail' }
  | { kind: 'rcpt'; recipient: DeliveryRecipient }
  | { kind: 'data' }
  | { kind: 'dot' }
  | { kind: 'rset' }
  | { kind: 'quit' };

const WHERE: Record<Stage['kind'], string> = {
  mail: 'sending MAIL FROM',
  rcpt: 'sending RCPT TO',
  data: 'sending DATA command',
  dot: 'sending end of data -- message may be sent more than once',
  rset: 'sending final RSET',
  quit: 'sending QUIT',
};

const IN_REPLY_TO: Record<'mail' | 'rcpt' | 'data' | 'dot', string> = {
  mail: 'MAIL FROM command', rcpt: 'RCPT TO command', data: 'DATA command', dot: 'end of DATA command',
};

export interface TransferInput {
  state: DeliveryState;
  session: ClientSession;
  settings: ClientSettings;
  /** The queue file's encoding attribute ("7bit", "8bit") if any. */
  encoding: string | undefined;
  content: () => Promise<WireContent>;
  /** The session goes back to the connection cache afterwards: no QUIT at the end (a
   *  transaction without a message still ends with RSET). */
  cacheable?: boolean;
}

/** xtext (RFC 3461): '+', '=' (and `specials`) and bytes outside '!'..'~' as +HH. */
export function xtext(text: string, specials = '+='): string {
  if (isPlainXtext(text, specials)) return text;
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const character = String.fromCharCode(byte);
    out += byte < 33 || byte > 126 || specials.includes(character) || character === '+'
      ? `+${byte.toString(16).toUpperCase().padStart(2, '0')}` : character;
  }
  return out;
}

/** Whether xtext() leaves `text` as it is: every character in '!'..'~' and none of '+'
 *  or `specials` (the common ORCPT=rfc822;user@domain). */
function isPlainXtext(text: string, specials: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 33 || code > 126 || code === 0x2b || specials.includes(text[index] as string)) return false;
  }
  return true;
}

/** dsn_notify_str(): NEVER, or SUCCESS,FAILURE,DELAY in that order. */
export function notifyText(mask: number): string {
  if ((mask & 1) !== 0) return 'NEVER';
  const words: string[] = [];
  if ((mask & 2) !== 0) words.push('SUCCESS');
  if ((mask & 4) !== 0) words.push('FAILURE');
  if ((mask & 8) !== 0) words.push('DELAY');
  return words.join(',');
}

function envelopeAddress(address: string, settings: ClientSettings): string {
  return settings.quoteEnvelope && address !== '' ? quoteLocalPart(address) : address;
}

function mailCommand(input: TransferInput): string {
  const { session, settings, state } = input;
  const request = state.request;
  let command = `MAIL FROM:<${envelopeAddress(request.sender, settings)}>`;
  if (session.has('size')) command += ` SIZE=${request.messageSize}`;
  if (session.has('8bitmime')) {
    if (input.encoding === '8bit') command += ' BODY=8BITMIME';
    else if (input.encoding === '7bit') command += ' BODY=7BIT';
  }
  if (session.has('dsn')) {
    if (request.dsnEnvelopeId !== undefined && request.dsnEnvelopeId !== '') command += ` ENVID=${xtext(request.dsnEnvelopeId)}`;
    if (request.dsnReturn !== undefined && request.dsnReturn !== '') command += ` RET=${request.dsnReturn.toUpperCase()}`;
  }
  return command;
}

function rcptCommand(input: TransferInput, recipient: DeliveryRecipient): string {
  const { session, settings } = input;
  let command = `RCPT TO:<${envelopeAddress(recipient.address, settings)}>`;
  if (session.has('dsn')) {
    let orcpt = recipient.dsnOriginalRecipient ?? '';
    if (orcpt === '' && recipient.originalRecipient !== '') orcpt = `rfc822;${quoteLocalPart(recipient.originalRecipient)}`;
    if (orcpt !== '') command += ` ORCPT=${xtext(orcpt, '=')}`;
    if (recipient.dsnNotify !== 0) command += ` NOTIFY=${notifyText(recipient.dsnNotify)}`;
  }
  return command;
}

/** The sender/receiver pair of smtp_loop(), with its course corrections. */
class Transaction {
  private readonly pending: Stage[] = [];
  private pendingBytes = 0;
  mailRejected = false;
  /** Accepted recipients; -1 once DATA was refused. */
  accepted = 0;
  readonly survivors: DeliveryRecipient[] = [];
  /** Set when a reply could not be read while mail was in flight (already reported). */
  broken = false;
  private lmtpDone = 0;

  constructor(private readonly input: TransferInput) {}

  private get pipelined(): boolean { return this.input.session.has('pipelining'); }

  private timeoutFor(stage: Stage): number {
    const timeouts = this.input.settings.timeouts;
    switch (stage.kind) {
      case 'mail': return timeouts.mailSeconds;
      case 'rcpt': return timeouts.rcptSeconds;
      case 'data': return timeouts.dataInitSeconds;
      case 'dot': return timeouts.dataDoneSeconds;
      case 'rset': return timeouts.rsetSeconds;
      case 'quit': return timeouts.quitSeconds;
    }
  }

  /** Sends a command whose reply will be read (now, or after the batch). */
  async send(stage: Stage, text: string): Promise<void> {
    if (this.broken) return;
    if (this.pipelined && this.pending.length > 0 && this.pendingBytes + text.length + 2 > PIPELINING_BUFSIZE) await this.drain();
    if (this.broken) return;
    this.input.session.stream.writeCommand(text);
    this.pending.push(stage);
    this.pendingBytes += text.length + 2;
    if (!this.pipelined) await this.drain();
  }

  /** Waits for the reply to something already written (the end-of-data dot). */
  async expect(stage: Stage): Promise<void> {
    if (this.broken) return;
    this.pending.push(stage);
    if (!this.pipelined) await this.drain();
  }

  /** Sends a command whose reply is not read (QUIT with smtp_skip_quit_response). */
  sendOnly(text: string): void {
    if (!this.broken) this.input.session.stream.writeCommand(text);
  }

  /** Reads the replies of every command sent so far. */
  async drain(): Promise<void> {
    for (let guard = 0; guard < 1_000_000 && this.pending.length > 0 && !this.broken; guard++) {
      const stage = this.pending[0]!;
      let reply: ServerReply;
      try {
        reply = await this.input.session.stream.readReply(this.timeoutFor(stage));
      } catch (error) {
        if (!(error instanceof StreamError)) throw error;
        this.broken = true;
        this.pending.length = 0;
        if (stage.kind !== 'rset' && stage.kind !== 'quit') await streamFailure(this.input.state, this.input.session, error, WHERE[stage.kind]);
        return;
      }
      if (stage.kind === 'dot' && this.input.settings.protocol === 'lmtp' && this.accepted > 0) {
        await this.lmtpReply(reply);
        if (this.lmtpDone < this.survivors.length) continue;
      } else {
        await this.process(stage, reply);
      }
      this.pending.shift();
    }
    this.pendingBytes = 0;
  }

  private said(reply: ServerReply, stage: 'mail' | 'rcpt' | 'data' | 'dot'): string {
    return `host ${this.input.session.namaddr} said: ${oneLine(reply)} (in reply to ${IN_REPLY_TO[stage]})`;
  }

  private async messageFail(reply: ServerReply, stage: 'mail' | 'data' | 'dot'): Promise<void> {
    this.input.state.fill(reply.dsn, this.said(reply, stage), this.input.session.hostName, reply);
    await this.input.state.bulkFail(false);
  }

  private async process(stage: Stage, reply: ServerReply): Promise<void> {
    const state = this.input.state;
    const success = Math.floor(reply.code / 100) === 2;
    switch (stage.kind) {
      case 'mail':
        if (!success) {
          await this.messageFail(reply, 'mail');
          this.mailRejected = true;
        }
        return;
      case 'rcpt':
        if (this.mailRejected) return;
        if (success) {
          this.accepted++;
          this.survivors.push(stage.recipient);
          if (state.request.flags?.verify === true) await state.recipientDone(stage.recipient, reply);
        } else {
          state.fill(reply.dsn, this.said(reply, 'rcpt'), this.input.session.hostName, reply);
          await state.recipientFail(stage.recipient);
        }
        return;
      case 'data':
        if (Math.floor(reply.code / 100) !== 3) {
          if (this.accepted > 0) await this.messageFail(reply, 'data');
          this.accepted = -1;
        }
        return;
      case 'dot':
        state.deliverDoneMs = state.nowMs();
        if (this.accepted <= 0) return;
        if (!success) {
          await this.messageFail(reply, 'dot');
          return;
        }
        for (const recipient of this.survivors) {
          if (!state.isMarked(recipient)) await state.recipientDone(recipient, reply);
        }
        return;
      case 'rset':
        if (!success) this.input.session.rsetRejected = true;
        return;
      case 'quit':
        return;
    }
  }

  /** LMTP: one end-of-data reply per accepted recipient, in RCPT order. */
  private async lmtpReply(reply: ServerReply): Promise<void> {
    const state = this.input.state;
    state.deliverDoneMs = state.nowMs();
    const recipient = this.survivors[this.lmtpDone++];
    if (recipient === undefined || state.isMarked(recipient)) return;
    if (Math.floor(reply.code / 100) === 2) {
      await state.recipientDone(recipient, reply);
      return;
    }
    state.fill(reply.dsn, this.said(reply, 'dot'), this.input.session.hostName, reply);
    await state.recipientFail(recipient);
  }

  /** RSET then QUIT: the transaction ends without a message. */
  async abort(): Promise<void> {
    await this.send({ kind: 'rset' }, 'RSET');
    await this.quit();
  }

  /** QUIT, unless the session stays open for the connection cache (SMTP_STATE_LAST). */
  async quit(): Promise<void> {
    if (this.input.cacheable === true) {
      await this.drain();
      return;
    }
    if (this.input.settings.skipQuitResponse) {
      this.sendOnly('QUIT');
      await this.drain();
    } else {
      await this.send({ kind: 'quit' }, 'QUIT');
      await this.drain();
    }
  }
}

/** smtp_xfer(): returns true when the conversation reached its end (the session is then
 *  "complete" even if the server refused some recipients). */
export async function transfer(input: TransferInput): Promise<boolean> {
  const { session, state } = input;
  const request = state.request;
  if (session.sizeLimit > 0 && session.sizeLimit < request.messageSize) {
    state.fill('5.3.4', `message size ${request.messageSize} exceeds size limit ${session.sizeLimit} of server ${session.namaddr}`);
    await state.bulkFail(false);
    state.sessionComplete = true;
    return true;
  }
  const transaction = new Transaction(input);
  state.reuseCount = session.reuseCount;
  state.setupDoneMs = state.nowMs();
  await transaction.send({ kind: 'mail' }, mailCommand(input));
  if (transaction.mailRejected) {
    await transaction.abort();
    return !transaction.broken;
  }
  for (const recipient of state.unmarked()) {
    await transaction.send({ kind: 'rcpt', recipient }, rcptCommand(input, recipient));
    if (transaction.broken || transaction.mailRejected) break;
  }
  if (request.flags?.verify === true || transaction.mailRejected || (!session.has('pipelining') && transaction.accepted === 0)) {
    await transaction.drain();
    await transaction.abort();
    return !transaction.broken;
  }
  await transaction.send({ kind: 'data' }, 'DATA');
  await transaction.drain();
  if (transaction.broken) return false;
  if (transaction.accepted < 0 || transaction.mailRejected) {
    await transaction.abort();
    return !transaction.broken;
  }
  await sendContent(input, transaction);
  await transaction.quit();
  return !transaction.broken;
}

/** The content after 354 (or only "." when no recipient was accepted, as RFC 2197 asks). */
async function sendContent(input: TransferInput, transaction: Transaction): Promise<void> {
  const { session, state, settings } = input;
  const stream = session.stream;
  if (transaction.accepted > 0) {
    const content = await input.content();
    if (content.brokeLongLine) {
      state.context.log.info(`${state.request.queueId}: breaking line > ${settings.lineLengthLimit} bytes with <CR><LF>SPACE`);
    }
    stream.writeBytes(content.bytes);
    state.context.trace({ kind: 'smtp-client.content', queueId: state.request.queueId, server: stream.server, bytes: content.bytes.length });
  } else {
    stream.writeBytes(new TextEncoder().encode('.\r\n'));
  }
  await transaction.expect({ kind: 'dot' });
}
