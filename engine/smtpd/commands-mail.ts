// MAIL and RCPT: address extraction (RFC 821 <...> or bare, source routes dropped, one
// address only), the ESMTP parameters (SIZE, BODY, SMTPUTF8, RET, ENVID on MAIL; NOTIFY,
// ORCPT on RCPT), the sender/recipient restrictions, smtpd_recipient_limit, and the cleanup
// stream that opens at the first accepted recipient ("ID: client=NAME[ADDR]") with the
// envelope attributes of stream-attributes.ts.
// Called through the command table (commands.ts) and by VRFY. Models extract_addr(),
// mail_cmd(), rcpt_cmd() and mail_open_stream() of src/smtpd/smtpd.c.

import { forwardedLogFields } from './xforward.ts';
import { internalize, parseAddressTokens, type Token } from '../global/address/index.ts';
import type { SmtpdProtocol } from './api.ts';
import { replies } from './replies.ts';
import { eventLimit } from './limits.ts';
import { saslLogFields } from './auth.ts';
import { tlsSession } from './starttls.ts';
import { attributesAfterSender, attributesBeforeSender } from './stream-attributes.ts';
import type { CleanupClient } from '../master/contracts.ts';
import type { Transaction } from './session.ts';
import type { Word } from './tokens.ts';

/** DSN NOTIFY bits (dsn.h). */
const NOTIFY_BITS: Readonly<Record<string, number>> = { NEVER: 1, SUCCESS: 2, FAILURE: 4, DELAY: 8 };
/** DSN RET values as the queue file stores them (dsn.h: DSN_RET_FULL 1, DSN_RET_HDRS 2). */
const RET_VALUES: Readonly<Record<string, number>> = { FULL: 1, HDRS: 2 };

/** dsn_notify_mask(): "SUCCESS,FAILURE" -> 6; NEVER alone; 0 for bad syntax. */
export function notifyMask(text: string): number {
  let mask = 0;
  for (const word of text.split(',')) {
    const bit = NOTIFY_BITS[word.toUpperCase()];
    if (bit === undefined) return 0;
    mask |= bit;
  }
  return (mask & NOTIFY_BITS.NEVER as number) !== 0 && mask !== NOTIFY_BITS.NEVER ? 0 : mask;
}

/** xtext_unquote(): "+2B" escapes; undefined for bad syntax. */
export function xtextDecode(text: string): string | undefined {
  let result = '';
  for (let index = 0; index < text.length; index++) {
    const character = text[index] as string;
    if (character === '+') {
      const hex = text.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      result += String.fromCharCode(Number.parseInt(hex, 16));
      index += 2;
    } else {
      result += character;
    }
  }
  return result;
}

/** The largest code point a "\x{...}" escape may name (uxtext.c). */
const UNICODE_MAX = 0x10ffff;
/** Significant hex digits of one escape: more would exceed UNICODE_MAX anyway. */
const UXTEXT_DIGITS_MAX = 6;

/** uxtext_unquote() (RFC 6533): "\x{HEX}" escapes name Unicode code points, everything
 *  else is literal; undefined for a bad escape. Used for ORCPT=utf-8;... */
export function uxtextDecode(text: string): string | undefined {
  let result = '';
  for (let index = 0; index < text.length; index++) {
    if (text.startsWith('\\x{', index)) {
      const close = text.indexOf('}', index + 3);
      const hex = close < 0 ? '' : text.slice(index + 3, close);
      if (close < 0 || !/^[0-9A-Fa-f]*$/.test(hex) || hex.replace(/^0+/, '').length > UXTEXT_DIGITS_MAX) return undefined;
      const codePoint = hex === '' ? 0 : Number.parseInt(hex, 16);
      if (codePoint > UNICODE_MAX) return undefined;
      result += String.fromCodePoint(codePoint);
      index = close;
    } else {
      result += text[index] as string;
    }
  }
  return result;
}

const isPrintable = (text: string): boolean => [...text].every((character) => character >= ' ' && character <= '~');

/** extract_addr(): the internal-form address, or undefined (with Postfix's warning for an
 *  address that does not parse as one address). */
export async function extractAddress(protocol: SmtpdProtocol, word: Word,
  options: { allowEmpty: boolean; strict: boolean; smtputf8: boolean }): Promise<string | undefined> {
  const session = protocol.session;
  const raw = word.text;
  let text = raw.startsWith('<') && raw.endsWith('>') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  if (text.startsWith('@')) {
    const colon = text.indexOf(':');
    if (colon >= 0) text = text.slice(colon + 1);
  }
  const tokens: Token[] = parseAddressTokens(text);
  const addresses = tokens.filter((token) => token.kind === 'address');
  const nonAddress = tokens.filter((token) => token.kind !== 'address' && !(token.kind === 'operator' && (token.text === '<' || token.text === '>')));
  const warn = (): undefined => {
    protocol.env.log.warn(`Illegal address syntax from ${session.namaddr} in ${session.where} command: ${raw}`);
    return undefined;
  };
  if (addresses.length > 1 || (options.strict && (nonAddress.length > 0 || !raw.startsWith('<')))) return warn();
  const first = addresses[0];
  const address = first === undefined ? '' : internalize(first.kind === 'address' ? first.tokens : []);
  if (address === '' && !options.allowEmpty) return warn();
  if (options.strict && address.startsWith('@')) return warn();
  if (address !== '') {
    const sender = session.where === 'MAIL' ? session.transaction?.firstRecipient : session.transaction?.sender;
    const resolved = await protocol.env.resolver.resolve(sender, address);
    const domain = resolved.recipient.includes('@') ? resolved.recipient.slice(resolved.recipient.lastIndexOf('@') + 1) : '';
    if (resolved.error || (!options.smtputf8 && domain !== '' && /[^\x00-\x7f]/.test(domain))) return warn();
  }
  return address;
}

export async function mailCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  const session = protocol.session;
  const settings = protocol.settings;
  if (settings.heloRequired && session.heloName === undefined) {
    await protocol.reply(replies.needHelo);
    return false;
  }
  if (session.inTransaction) {
    await protocol.reply(replies.nestedMail);
    return false;
  }
  if (session.bdatState !== 'none') {
    await protocol.reply(replies.mailAfterBdat);
    return false;
  }
  if (words.length < 3 || (words[1] as Word).text.toLowerCase() !== 'from:') {
    await protocol.reply(replies.mailSyntax);
    return false;
  }
  if (!await eventLimit(protocol, 'mail')) return false;
  const addressWord = words[2] as Word;
  if (addressWord.error) {
    await protocol.reply(replies.badSender);
    return false;
  }
  const parameters = words.slice(3).map((word) => word.text);
  const smtputf8Allowed = settings.smtputf8Enable && !session.discardedEhloKeywords.has('smtputf8');
  const smtputf8 = smtputf8Allowed && parameters.some((parameter) => parameter.toUpperCase() === 'SMTPUTF8');
  const sender = await extractAddress(protocol, addressWord, { allowEmpty: true, strict: settings.strictRfc821Envelopes, smtputf8 });
  if (sender === undefined) {
    await protocol.reply(replies.badSender);
    return false;
  }
  const parsed = await parseMailParameters(protocol, parameters, smtputf8Allowed);
  if (parsed === undefined) return false;
  const sizeDenied = protocol.env.restrictions.size(session, sender, session.declaredSize);
  if (sizeDenied !== undefined) {
    await protocol.replyText(sizeDenied);
    return false;
  }
  if (!settings.delayReject) {
    const denied = await protocol.env.restrictions.mail(session, sender);
    if (denied !== undefined) {
      await protocol.resetTransaction();
      await protocol.replyText(denied);
      return false;
    }
  }
  const rewriteContext = await protocol.env.restrictions.rewriteContext(session);
  const noSpace = await protocol.env.restrictions.queue(session);
  if (noSpace !== undefined) {
    await protocol.resetTransaction();
    await protocol.replyText(noSpace);
    return false;
  }
  const transaction = protocol.startTransaction(sender);
  transaction.rewriteContext = rewriteContext;
  transaction.smtputf8 = smtputf8;
  transaction.encoding = parsed.encoding;
  transaction.dsnReturn = parsed.dsnReturn;
  transaction.dsnEnvelopeId = parsed.envelopeId;
  transaction.saslSender = parsed.saslSender;
  await protocol.reply(replies.mailOk);
  return true;
}

interface MailParameters {
  encoding: '7bit' | '8bitmime' | undefined;
  dsnReturn: 'full' | 'hdrs' | undefined;
  envelopeId: string | undefined;
  /** AUTH=<xtext> (RFC 4954); "<>" is not kept. */
  saslSender: string | undefined;
}

/** The MAIL FROM parameters; replies and returns undefined for a bad one. */
async function parseMailParameters(protocol: SmtpdProtocol, parameters: readonly string[], smtputf8Allowed: boolean): Promise<MailParameters | undefined> {
  const session = protocol.session;
  const result: MailParameters = { encoding: undefined, dsnReturn: undefined, envelopeId: undefined, saslSender: undefined };
  let authSeen = false;
  const dsnDisabled = session.discardedEhloKeywords.has('dsn');
  for (const parameter of parameters) {
    const upper = parameter.toUpperCase();
    if (upper === 'BODY=8BITMIME') {
      result.encoding = '8bitmime';
    } else if (upper === 'BODY=7BIT') {
      result.encoding = '7bit';
    } else if (upper.startsWith('SIZE=')) {
      const digits = parameter.slice(5);
      if (!/^\d+$/.test(digits)) {
        await protocol.reply(replies.badSize);
        return undefined;
      }
      const size = Number(digits);
      if (!Number.isSafeInteger(size)) {
        await protocol.reply(replies.sizeTooLargeForFileSystem);
        return undefined;
      }
      session.declaredSize = size;
    } else if (smtputf8Allowed && upper === 'SMTPUTF8') {
      // Noted by the caller.
    } else if (upper.startsWith('RET=')) {
      if (dsnDisabled) return void await protocol.reply(replies.dsnDisabled);
      const value = RET_VALUES[upper.slice(4)];
      if (result.dsnReturn !== undefined || value === undefined) return void await protocol.reply(replies.badRet);
      result.dsnReturn = value === 1 ? 'full' : 'hdrs';
    } else if (upper.startsWith('ENVID=')) {
      if (dsnDisabled) return void await protocol.reply(replies.dsnDisabled);
      const decoded = xtextDecode(parameter.slice(6));
      if (result.envelopeId !== undefined || decoded === undefined || !isPrintable(decoded)) return void await protocol.reply(replies.badEnvid);
      result.envelopeId = decoded;
    } else if (upper.startsWith('AUTH=')) {
      // smtpd_sasl_mail_opt(): accepted whether or not AUTH is enabled, as in Postfix.
      if (authSeen) return void await protocol.reply(replies.multipleAuthOptions);
      authSeen = true;
      const value = parameter.slice(5);
      if (value !== '<>') result.saslSender = value.replace(/[\x00-\x1f\x7f]/g, '?');
    } else {
      await protocol.reply(replies.unsupportedOption(parameter));
      return undefined;
    }
  }
  return result;
}

interface RecipientParameters {
  notify: number;
  orcpt: string | undefined;
}

async function parseRecipientParameters(protocol: SmtpdProtocol, parameters: readonly string[]): Promise<RecipientParameters | undefined> {
  const dsnDisabled = protocol.session.discardedEhloKeywords.has('dsn');
  const result: RecipientParameters = { notify: 0, orcpt: undefined };
  for (const parameter of parameters) {
    const upper = parameter.toUpperCase();
    if (upper.startsWith('NOTIFY=')) {
      if (dsnDisabled) return void await protocol.reply(replies.dsnDisabled);
      if (result.notify !== 0 || (result.notify = notifyMask(parameter.slice(7))) === 0) return void await protocol.reply(replies.badNotify);
    } else if (upper.startsWith('ORCPT=')) {
      if (dsnDisabled) return void await protocol.reply(replies.dsnDisabled);
      const value = parameter.slice(6);
      const semicolon = value.indexOf(';');
      const type = semicolon < 0 ? '' : value.slice(0, semicolon);
      const coded = value.slice(semicolon + 1);
      const decoded = semicolon < 0 ? undefined : type.toLowerCase() === 'utf-8' ? uxtextDecode(coded) : xtextDecode(coded);
      if (result.orcpt !== undefined || type === '' || decoded === undefined) return void await protocol.reply(replies.badOrcpt);
      result.orcpt = `${type};${decoded}`;
    } else {
      await protocol.reply(replies.unsupportedOption(parameter));
      return undefined;
    }
  }
  return result;
}

/** Who cleanup is told the message comes from: the client, HELO and protocol, and what the
 *  Received header shows of TLS and AUTH (receive_data_message() in smtpd.c). */
function cleanupClient(protocol: SmtpdProtocol, transaction: Transaction): CleanupClient {
  const session = protocol.session;
  const security = protocol.env.security;
  const info = session.tls;
  return {
    service: 'smtpd', rewriteContext: transaction.rewriteContext, clientName: session.client.name,
    clientAddress: session.client.address, protocol: session.protocol,
    ...(session.heloName === undefined ? {} : { helo: session.heloName }),
    ...(info === undefined ? {} : {
      tls: tlsSession(info),
      tlsReceivedHeader: security?.tls.receivedHeader === true,
      tlsAskClientCertificate: security?.tls.askClientCertificate === true,
    }),
    ...(session.saslUsername === undefined ? {} : {
      saslUsername: session.saslUsername, saslReceivedHeader: security?.sasl.authenticatedHeader === true,
    }),
    ...(transaction.smtputf8 ? { smtputf8: true } : {}),
  };
}

/** mail_open_stream(): the queue file is created at the first accepted recipient. */
async function openStream(protocol: SmtpdProtocol, transaction: Transaction): Promise<void> {
  const session = protocol.session;
  const client = session.client;
  const stream = await protocol.env.cleanup().open(cleanupClient(protocol, transaction));
  transaction.stream = stream;
  transaction.queueId = stream.queueId;
  protocol.trace({ kind: 'smtpd.client', clientName: client.name, clientAddress: client.address, ...saslLogFields(session), ...forwardedLogFields(session) }, stream.queueId);
  if (protocol.settings.contentFilter !== '') stream.setContentFilter?.(protocol.settings.contentFilter);
  for (const [name, value] of attributesBeforeSender(session, transaction, stream.queueId)) stream.setAttribute(name, value);
  stream.setSender(transaction.sender);
  for (const [name, value] of attributesAfterSender(session, transaction)) stream.setAttribute(name, value);
}

export async function rcptCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  const session = protocol.session;
  const settings = protocol.settings;
  const transaction = session.transaction;
  if (transaction === undefined) {
    await protocol.reply(replies.needMail);
    return false;
  }
  if (session.bdatState !== 'none') {
    await protocol.reply(replies.rcptAfterBdat);
    return false;
  }
  if (words.length < 3 || (words[1] as Word).text.toLowerCase() !== 'to:') {
    await protocol.reply(replies.rcptSyntax);
    return false;
  }
  if (!await eventLimit(protocol, 'recipient')) return false;
  const addressWord = words[2] as Word;
  const recipient = addressWord.error ? undefined
    : await extractAddress(protocol, addressWord, { allowEmpty: false, strict: settings.strictRfc821Envelopes, smtputf8: transaction.smtputf8 });
  if (recipient === undefined) {
    await protocol.reply(replies.badRecipient);
    return false;
  }
  const parameters = await parseRecipientParameters(protocol, words.slice(3).map((word) => word.text));
  if (parameters === undefined) return false;
  if (settings.recipientLimit > 0 && transaction.recipientCount >= settings.recipientLimit) {
    await protocol.reply(replies.tooManyRecipients);
    return transaction.recipientOvershoot++ < settings.recipientOvershootLimit;
  }
  const denied = await protocol.env.restrictions.recipient(session, recipient);
  if (denied !== undefined) {
    await protocol.replyText(denied);
    return false;
  }
  if (transaction.stream === undefined) await openStream(protocol, transaction);
  transaction.recipientCount++;
  transaction.firstRecipient ??= recipient;
  let original = addressWord.text;
  if (original.startsWith('<') && original.endsWith('>')) original = original.slice(1, -1);
  transaction.stream?.addRecipient({
    address: recipient,
    dsnOriginalRecipient: parameters.orcpt ?? `rfc822;${original}`,
    ...(parameters.notify === 0 ? {} : { dsnNotify: parameters.notify }),
  });
  await protocol.reply(replies.rcptOk);
  return true;
}
