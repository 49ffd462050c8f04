// The session-level commands: HELO and EHLO (with the ESMTP keyword list and
// smtpd_discard_ehlo_keywords), RSET, NOOP, VRFY, ETRN, QUIT, and the replies a server
// without XCLIENT and XFORWARD gives (STARTTLS and AUTH are starttls.ts and auth.ts). Each returns whether it succeeded
// (the disconnect line counts "vrfy=3/5").
// Called through the command table (commands.ts). Models helo_cmd(), ehlo_cmd(),
// rset_cmd(), noop_cmd(), vrfy_cmd(), etrn_cmd(), quit_cmd(), unimpl_cmd() and the
// XCLIENT/XFORWARD refusals of src/smtpd/smtpd.c.

import { checkHostname, checkMailhostLiteral } from '../global/address/domain.ts';
import type { SmtpdProtocol } from './api.ts';
import { extractAddress } from './commands-mail.ts';
import { replies } from './replies.ts';
import { announcesStartTls } from './starttls.ts';
import { authEhloKeywords } from './auth.ts';
import type { Word } from './tokens.ts';
import { flushSendSite } from '../flush/client.ts';
import { XFORWARD_EHLO_KEYWORD, xforwardUndecided } from './xforward.ts';

/** collapse_args(): the words after the verb as one argument. */
export function collapse(words: readonly Word[], from = 1): string {
  return words.slice(from).map((word) => word.text).join(' ');
}

/** Characters that would confuse log parsers or header syntax in a HELO name. */
const NEUTER_CHARACTERS = ' <>()\\";@';

/** printable() + neuter(): the HELO name as stored and logged. */
function storedHeloName(name: string): string {
  let result = '';
  for (const character of name) {
    const code = character.charCodeAt(0);
    result += code < 0x20 || code === 0x7f || NEUTER_CHARACTERS.includes(character) ? '?' : character;
  }
  return result;
}

async function heloCommon(protocol: SmtpdProtocol, words: readonly Word[], extended: boolean): Promise<boolean> {
  const session = protocol.session;
  if (words.length < 2) {
    await protocol.reply(extended ? replies.ehloSyntax : replies.heloSyntax);
    return false;
  }
  const name = collapse(words);
  if (!protocol.settings.delayReject) {
    const denied = await protocol.env.restrictions.helo(session, name);
    if (denied !== undefined) {
      await protocol.replyText(denied);
      return false;
    }
  }
  await protocol.resetTransaction();
  session.heloName = storedHeloName(name);
  if (extended) session.protocol = 'ESMTP';
  else if (session.protocol !== 'ESMTP' && session.protocol !== 'SMTP') session.protocol = 'SMTP';
  return true;
}

export async function heloCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  if (!await heloCommon(protocol, words, false)) return false;
  await protocol.reply(replies.helo(protocol.settings.myhostname));
  return true;
}

/** The EHLO keyword list in Postfix's order, without the discarded ones. */
export function ehloKeywords(protocol: SmtpdProtocol): string[] {
  const settings = protocol.settings;
  const discarded = protocol.session.discardedEhloKeywords;
  const keep = (keyword: string): boolean => !discarded.has(keyword.toLowerCase());
  const lines = [settings.myhostname];
  if (keep('pipelining')) lines.push('PIPELINING');
  if (keep('size')) lines.push(settings.messageSizeLimit > 0 ? `SIZE ${settings.messageSizeLimit}` : 'SIZE');
  if (keep('vrfy') && !settings.disableVrfy) lines.push('VRFY');
  if (keep('etrn')) lines.push('ETRN');
  if (announcesStartTls(protocol)) lines.push('STARTTLS');
  lines.push(...authEhloKeywords(protocol));
  if (keep('xforward') && protocol.session.xforwardAllowed) lines.push(XFORWARD_EHLO_KEYWORD);
  if (keep('enhancedstatuscodes')) lines.push('ENHANCEDSTATUSCODES');
  if (keep('8bitmime')) lines.push('8BITMIME');
  if (keep('dsn')) lines.push('DSN');
  if (settings.smtputf8Enable && keep('smtputf8')) lines.push('SMTPUTF8');
  if (keep('chunking')) lines.push('CHUNKING');
  return lines;
}

export async function ehloCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  if (!await heloCommon(protocol, words, true)) return false;
  const discarded = protocol.session.discardedEhloKeywords;
  if (discarded.size > 0 && !discarded.has('silent-discard') && !discarded.has('enhancedstatuscodes')) {
    protocol.env.log.info(`discarding EHLO keywords: ${[...discarded].map((word) => word.toUpperCase()).join(' ')}`);
  }
  if (!discarded.has('xforward')) xforwardUndecided(protocol, false);
  await protocol.reply(replies.ehlo(ehloKeywords(protocol)));
  return true;
}

export async function rsetCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  if (words.length !== 1) {
    await protocol.reply(replies.rsetSyntax);
    return false;
  }
  await protocol.resetTransaction();
  await protocol.reply(replies.ok);
  return true;
}

export async function noopCommand(protocol: SmtpdProtocol): Promise<boolean> {
  await protocol.reply(replies.ok);
  return true;
}

export async function quitCommand(protocol: SmtpdProtocol): Promise<boolean> {
  await protocol.reply(replies.bye);
  return true;
}

export async function vrfyCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  const settings = protocol.settings;
  if (settings.disableVrfy) {
    await protocol.reply(replies.vrfyDisabled);
    return false;
  }
  let count = words.length;
  let smtputf8 = false;
  if (settings.smtputf8Enable && !protocol.session.discardedEhloKeywords.has('smtputf8') && count > 1
    && (words[count - 1] as Word).text.toUpperCase() === 'SMTPUTF8') {
    count--;
    smtputf8 = true;
  }
  if (count < 2) {
    await protocol.reply(replies.vrfySyntax(settings.smtputf8Enable));
    return false;
  }
  const argument = collapse(words.slice(0, count));
  const address = await extractAddress(protocol, { text: argument, error: false }, { allowEmpty: false, strict: false, smtputf8 });
  if (address === undefined) {
    await protocol.reply(replies.badRecipient);
    return false;
  }
  const denied = await protocol.env.restrictions.recipient(protocol.session, address);
  if (denied !== undefined) {
    await protocol.replyText(denied);
    return false;
  }
  await protocol.reply(replies.vrfyOk(argument));
  return true;
}

export async function etrnCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  const session = protocol.session;
  if (protocol.settings.heloRequired && session.heloName === undefined) {
    await protocol.reply(replies.etrnNeedHelo);
    return false;
  }
  if (session.inTransaction) {
    await protocol.reply(replies.etrnInTransaction);
    return false;
  }
  if (words.length !== 2) {
    await protocol.reply(replies.etrnSyntax);
    return false;
  }
  let domain = (words[1] as Word).text;
  if (domain.startsWith('@') || domain.startsWith('#')) domain = domain.slice(1);
  if (!checkHostname(domain).ok && !checkMailhostLiteral(domain).ok) {
    await protocol.reply(replies.etrnInvalid);
    return false;
  }
  const denied = await protocol.env.restrictions.etrn(session, domain);
  if (denied !== undefined) {
    await protocol.replyText(denied);
    return false;
  }
  // flush_send_site(): the fast flush service moves the site's deferred mail to incoming.
  // Without a flush client (a core built without master) the site counts as not eligible.
  const status = protocol.env.flush === undefined ? 'deny' : await flushSendSite(protocol.env.flush, domain);
  switch (status) {
    case 'ok':
      await protocol.reply(replies.etrnStarted);
      return true;
    case 'deny':
      protocol.env.log.warn(`reject: ETRN ${domain.slice(0, 100)}... from ${session.namaddr}`);
      await protocol.reply(replies.etrnDenied(domain));
      return false;
    case 'bad':
      protocol.env.log.warn(`bad ETRN ${domain.slice(0, 100)}... from ${session.namaddr}`);
      await protocol.reply(replies.etrnUnable);
      return false;
    case 'fail':
      protocol.env.log.warn('unable to talk to fast flush service');
      await protocol.reply(replies.etrnUnable);
      return false;
  }
}

/** XCLIENT and XFORWARD from a client that smtpd_authorized_xclient_hosts does not list. */
export async function xclientCommand(protocol: SmtpdProtocol): Promise<boolean> {
  await protocol.reply(replies.xclientDenied);
  return false;
}
