// Message header basics for cleanup: the table of headers Postfix knows (which carry sender
// or recipient addresses, which are Resent- or MIME headers, which message_drop_headers
// removes), is_header for a text line, the Received header each kind of client gets, and
// the date formats (RFC 2822 Date, the Message-Id time stamp).
// Called by message.ts and missing-headers.ts. Trusts its inputs; pure functions.
// Models src/global/header_opts.c, is_header.c, mail_date.c, and the Received headers
// written by src/pickup/pickup.c, src/smtpd/smtpd.c and src/global/post_mail.c.

import { quoteLocalPart } from '../global/address/quote.ts';
import type { PreciseTime } from '../global/queue/mail-queue.ts';
import type { CleanupClient } from '../master/contracts.ts';
import type { HeaderOptions } from './state.ts';
import { mailDate } from '../global/dsn/mail-date.ts';

/** mail_name: the product name in Received headers. */
export const MAIL_NAME = 'Postfix';

type Flags = Partial<Omit<HeaderOptions, 'name'>>;

const KNOWN: ReadonlyArray<[string, Flags]> = [
  ['Apparently-To', { recipient: true }],
  ['Bcc', { recipient: true }],
  ['Cc', { recipient: true }],
  ['Content-Description', { mime: true }],
  ['Content-Disposition', { mime: true }],
  ['Content-ID', { mime: true }],
  ['Content-Length', {}],
  ['Content-Transfer-Encoding', { mime: true }],
  ['Content-Type', { mime: true }],
  ['Delivered-To', {}],
  ['Disposition-Notification-To', { sender: true }],
  ['Date', {}],
  ['Errors-To', { sender: true }],
  ['From', { sender: true }],
  ['Mail-Followup-To', { sender: true }],
  ['Message-Id', {}],
  ['MIME-Version', { mime: true }],
  ['Received', {}],
  ['Reply-To', { sender: true }],
  ['Resent-Bcc', { recipient: true, resent: true }],
  ['Resent-Cc', { recipient: true, resent: true }],
  ['Resent-Date', { resent: true }],
  ['Resent-From', { sender: true, resent: true }],
  ['Resent-Message-Id', { resent: true }],
  ['Resent-Reply-To', { recipient: true, resent: true }],
  ['Resent-Sender', { sender: true, resent: true }],
  ['Resent-To', { recipient: true, resent: true }],
  ['Return-Path', { sender: true }],
  ['Return-Receipt-To', { sender: true }],
  ['Sender', { sender: true }],
  ['To', { recipient: true }],
];

const KNOWN_BY_NAME = new Map(KNOWN.map(([name, flags]) => [name.toLowerCase(), { name, ...flags }]));

/** The header's name: the text before ':' without trailing blanks. */
export function headerName(text: string): string {
  const colon = text.indexOf(':');
  let end = colon < 0 ? text.length : colon;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  return text.slice(0, end);
}

/** The header's value after "Name:", leading white space skipped. */
export function headerValue(text: string): string {
  const colon = text.indexOf(':');
  return colon < 0 ? '' : text.slice(colon + 1).replace(/^[ \t\r\n]+/, '');
}

/** header_opts_find with message_drop_headers applied; undefined for an unknown header. */
export function findHeaderOptions(text: string, dropHeaders: ReadonlySet<string>): Readonly<HeaderOptions> | undefined {
  const name = headerName(text).toLowerCase();
  const known = KNOWN_OPTIONS.get(name);
  const drop = dropHeaders.has(name);
  if (known === undefined) {
    return drop ? { name, drop: true, sender: false, recipient: false, resent: false, mime: false } : undefined;
  }
  return drop ? known.dropped : known.kept;
}

/** The options of each known header, made once (callers only read them): as kept, and as
 *  message_drop_headers drops it. */
const KNOWN_OPTIONS = new Map([...KNOWN_BY_NAME].map(([lower, known]) => {
  const kept: Readonly<HeaderOptions> = Object.freeze({
    name: known.name, drop: false, sender: known.sender === true, recipient: known.recipient === true,
    resent: known.resent === true, mime: known.mime === true,
  });
  return [lower, { kept, dropped: Object.freeze({ ...kept, drop: true }) }] as const;
}));

/** is_header: printable non-blank ASCII name, optional blanks, then ':'. */
export function isHeaderText(text: string): boolean {
  let state: 'start' | 'name' | 'blank' = 'start';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x3a) return state !== 'start';
    if (code === 0x20 || code === 0x09) {
      if (state === 'start') return false;
      state = 'blank';
      continue;
    }
    if (code <= 0x20 || code > 0x7e || state === 'blank') return false;
    state = 'name';
  }
  return false;
}

const two = (value: number): string => String(value).padStart(2, '0');

/** Calendar fields of a UTC time in seconds (days from the epoch, civil-from-days). */
function civil(seconds: number): { year: number; month: number; day: number; weekday: number; hour: number; minute: number; second: number } {
  const days = Math.floor(seconds / 86400);
  const rest = seconds - days * 86400;
  const shifted = days + 719468;
  const era = Math.floor(shifted / 146097);
  const dayOfEra = shifted - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year, month, day, weekday: ((days % 7) + 11) % 7,
    hour: Math.floor(rest / 3600), minute: Math.floor((rest % 3600) / 60), second: rest % 60,
  };
}

/** mail_date: the one implementation lives with the DSN code (space-padded day, as
 *  Postfix's %e format on Debian's build); re-exported for cleanup's callers. */
export { mailDate };

/** strftime("%Y%m%d%H%M%S") in UTC, for Message-Id. */
export function messageIdStamp(seconds: number): string {
  const time = civil(Math.floor(seconds));
  return `${time.year}${two(time.month)}${two(time.day)}${two(time.hour)}${two(time.minute)}${two(time.second)}`;
}

/** comment_sanitize: printable ASCII only, backslashes and unbalanced ")" become "?",
 *  unclosed "(" are closed at the end. */
export function sanitizeComment(text: string): string {
  let depth = 0;
  let result = '';
  // Byte by byte, as Postfix sees the UTF-8 text: each non-ASCII byte becomes one "?".
  for (const byte of new TextEncoder().encode(text)) {
    const character = String.fromCharCode(byte);
    if (byte < 0x20 || byte > 0x7e || character === '\\') {
      result += '?';
    } else if (character === '(') {
      depth++;
      result += character;
    } else if (character === ')') {
      if (depth > 0) {
        depth--;
        result += character;
      } else {
        result += '?';
      }
    } else {
      result += character;
    }
  }
  return result + ')'.repeat(depth);
}

/** The "(using ...)" comment lines of smtpd_tls_received_header and the client
 *  certificate line under them, each starting with a tab. */
function tlsCommentLines(client: CleanupClient): string[] {
  const tls = client.tls;
  if (tls === undefined) return [];
  const lines: string[] = [];
  let buffer = `\t(using ${tls.protocol} with cipher ${tls.cipher} (${tls.usedBits}/${tls.algorithmBits} bits)`;
  let continued = false;
  if (tls.keyExchange !== undefined && tls.keyExchange !== '') {
    lines.push(buffer);
    buffer = `\t key-exchange ${tls.keyExchange}`;
    continued = true;
  }
  if (tls.serverSignature !== undefined && tls.serverSignature !== '') {
    if (continued) {
      buffer += ` server-signature ${tls.serverSignature}`;
    } else {
      lines.push(buffer);
      buffer = `\t server-signature ${tls.serverSignature}`;
    }
    if ((tls.serverSignatureBits ?? 0) > 0) buffer += ` (${tls.serverSignatureBits} bits)`;
    if (tls.serverDigest !== undefined && tls.serverDigest !== '') buffer += ` server-digest ${tls.serverDigest}`;
  }
  lines.push(`${buffer})`);
  lines.push(client.tlsAskClientCertificate === true ? '\t(Client did not present a certificate)' : '\t(No client certificate requested)');
  return lines;
}

/** The "with" protocol of smtpd's Received header: UTF8SMTP for an SMTPUTF8 transaction,
 *  else the session's protocol; RFC 3848's S (TLS) and A (AUTH) only after ESMTP. */
export function receivedProtocol(client: CleanupClient): string {
  const protocol = client.protocol ?? 'ESMTP';
  const base = client.smtputf8 === true ? 'UTF8SMTP' : protocol;
  const esmtp = protocol === 'ESMTP';
  return `${base}${esmtp && client.tls !== undefined ? 'S' : ''}${esmtp && client.saslUsername !== undefined ? 'A' : ''}`;
}

/** The Received header the submitting program writes, as one header with "\n\t" folds:
 *  pickup "by HOST (Postfix, from userid N)", smtpd "from HELO (NAME [ADDR])" with the
 *  optional TLS and login comments, "with ESMTP[S][A]", and "for <rcpt>" when there is
 *  exactly one recipient; anything else "by HOST (Postfix)". */
export function receivedHeader(client: CleanupClient, options: {
  myhostname: string; queueId: string; time: PreciseTime; recipients: readonly string[];
}): string {
  const date = mailDate(options.time.seconds);
  if (client.clientAddress !== undefined) {
    const name = client.clientName ?? 'unknown';
    const address = client.clientAddress.includes(':') ? `IPv6:${client.clientAddress}` : client.clientAddress;
    const lines = [`Received: from ${client.helo ?? name} (${name} [${address}])`];
    if (client.tlsReceivedHeader === true) lines.push(...tlsCommentLines(client));
    if (client.saslReceivedHeader === true && client.saslUsername !== undefined) {
      lines.push(`\t(Authenticated sender: ${sanitizeComment(client.saslUsername)})`);
    }
    const by = `\tby ${options.myhostname} (${MAIL_NAME}) with ${receivedProtocol(client)} id ${options.queueId}`;
    const [only] = options.recipients;
    if (options.recipients.length === 1 && only !== undefined) {
      lines.push(by, `\tfor <${quoteLocalPart(only, { eightBitClean: true })}>; ${date}`);
    } else {
      lines.push(`${by};`, `\t${date}`);
    }
    return lines.join('\n');
  }
  const comment = client.uid === undefined ? MAIL_NAME : `${MAIL_NAME}, from userid ${client.uid}`;
  return `Received: by ${options.myhostname} (${comment})\n\tid ${options.queueId}; ${date}`;
}
