// Composes a delivery status notification: an RFC 3464 multipart/report message with a
// human-readable part, the message/delivery-status part (per-message fields, then one
// block per recipient) and the original message or its headers. The header lines, their
// order and the MIME layout follow Postfix's bounce service so that a student can compare
// the two; the prose comes from templates.ts.
// Called by the bounce service (engine/bounce/). Trusts its input: entries come from the
// recipient logs, the original from the queue file.
// Models src/bounce/bounce_notify_util.c (bounce_header, bounce_diagnostic_log,
// bounce_header_dsn, bounce_recipient_dsn, bounce_original).

import type { RecipientLogEntry } from './recipient-log.ts';
import type { NoticeTemplate } from './templates.ts';
import { lineWrap } from './line-wrap.ts';
import { mailDate } from './mail-date.ts';

/** DSN NOTIFY bits (dsn_mask.h). */
export const DsnNotify = { never: 1, success: 2, failure: 4, delay: 8 } as const;
/** Every bit: postmaster copies list every recipient (DSN_NOTIFY_OVERRIDE). */
export const DSN_NOTIFY_OVERRIDE = 15;

/** DSN RET (dsn_mask.h): the full message or its headers. */
export const DsnReturn = { full: 1, headers: 2 } as const;

/** The original message as the bounce service found it in the queue file. */
export interface OriginalMessage {
  /** The envelope sender in external form; "" for the null sender. */
  sender: string;
  /** Content lines (header and body) without line ends; undefined when unavailable. */
  lines?: readonly string[];
  /** Content size from the size record (0: unknown). */
  size: number;
}

export interface NoticeInput {
  template: NoticeTemplate;
  /** The human-readable text, already expanded; omitted for postmaster copies. */
  text?: readonly string[];
  /** Who receives the notice (the To: header). */
  to: string;
  postmasterCopy: boolean;
  myhostname: string;
  /** mail_name ("Postfix"), for the X-Postfix-* fields. */
  mailName: string;
  queueId: string;
  /** Seconds: names the MIME boundary "ID.SECONDS/HOST". */
  nowSeconds: number;
  arrivalSeconds: number;
  /** DSN ENVID of the original, if any. */
  envelopeId?: string;
  entries: readonly RecipientLogEntry[];
  /** Which recipients to list: those whose NOTIFY has one of these bits (or no NOTIFY). */
  notifyFilter: number;
  /** DSN_RET_FULL or DSN_RET_HDRS after the caller applied its defaults. */
  returnContent: number;
  /** bounce_size_limit: larger (or unknown-size) originals are returned as headers. */
  bounceSizeLimit: number;
  original: OriginalMessage;
  /** For delay notices: the time until which delivery is retried (Will-Retry-Until). */
  willRetryUntilSeconds?: number;
  /** MIME encoding of the notice: "8bit" (as Postfix with smtputf8_enable = yes or an 8bit
   *  original), "7bit", or "none" (the original declared no encoding: no such headers). */
  mimeEncoding?: MimeEncoding;
  /** The template's MIME charset (bounce_template_charset); us-ascii when omitted. */
  charset?: string;
  /** The template text's encoding (bounce_template_encoding): "8bit" when it has non-ASCII. */
  templateEncoding?: '7bit' | '8bit';
}

export type MimeEncoding = '8bit' | '7bit' | 'none';

/** NOT_7BIT_MIME(): part headers carry the encoding only for 8bit. */
const is8bit = (encoding: MimeEncoding): boolean => encoding === '8bit';

export interface ComposedNotice {
  /** The whole message, LF line ends, ready for cleanup. */
  text: string;
  /** How many recipients it lists: 0 means there is nothing to send. */
  recipientCount: number;
  boundary: string;
}

/** mail_name with the characters that cannot appear in a field name replaced by '-'. */
function fieldMailName(mailName: string): string {
  return mailName.replace(/[ \t\r\n()<>@,;:\\".[\]]/g, '-');
}

const isFailure = (template: NoticeTemplate): boolean => template.kind === 'failure';
const isUndelivered = (template: NoticeTemplate): boolean => template.kind === 'failure' || template.kind === 'delay';

function selected(entries: readonly RecipientLogEntry[], notifyFilter: number): RecipientLogEntry[] {
  return entries.filter((entry) => entry.dsnNotify === 0 || (entry.dsnNotify & notifyFilter) !== 0);
}

/** The top-level header and the first (human-readable) part's header. */
function noticeHeader(input: NoticeInput, boundary: string): string[] {
  const template = input.template;
  const encoding = input.mimeEncoding ?? '8bit';
  const charset = input.charset ?? 'us-ascii';
  const subject = input.postmasterCopy && template.postmasterSubject !== undefined ? template.postmasterSubject : template.subject;
  const lines = [
    `From: ${template.from}`,
    `Subject: ${subject}`,
    `To: ${input.to}`,
    `Auto-Submitted: ${input.postmasterCopy ? 'auto-generated' : 'auto-replied'}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    `\tboundary="${boundary}"`,
    ...(encoding === 'none' ? [] : [`Content-Transfer-Encoding: ${encoding === '7bit' ? input.templateEncoding ?? '7bit' : encoding}`]),
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    `Content-Type: text/plain; charset=${charset.toLowerCase() !== 'us-ascii' ? charset : is8bit(encoding) ? 'utf-8' : 'us-ascii'}`,
  ];
  if (is8bit(encoding)) lines.push(`Content-Transfer-Encoding: ${encoding}`);
  lines.push('');
  return lines;
}

/** One recipient in the human-readable part: "<rcpt>: reason", wrapped. */
function readableRecipient(entry: RecipientLogEntry): string[] {
  const text = entry.originalRecipient !== undefined && entry.originalRecipient !== ''
    ? `<${entry.recipient}> (expanded from <${entry.originalRecipient}>): ${entry.reason}`
    : `<${entry.recipient}>: ${entry.reason}`;
  return ['', ...lineWrap(text)];
}

/** The message/delivery-status part's per-message fields. */
function perMessageFields(input: NoticeInput, boundary: string): string[] {
  const mailName = fieldMailName(input.mailName);
  const lines = ['', `--${boundary}`, 'Content-Description: Delivery report', 'Content-Type: message/delivery-status', '',
    `Reporting-MTA: dns; ${input.myhostname}`];
  if (input.envelopeId !== undefined && input.envelopeId !== '') lines.push(`Original-Envelope-Id: ${input.envelopeId}`);
  lines.push(`X-${mailName}-Queue-ID: ${input.queueId}`);
  if (input.original.sender !== '') lines.push(`X-${mailName}-Sender: rfc822; ${input.original.sender}`);
  if (input.arrivalSeconds > 0) lines.push(`Arrival-Date: ${mailDate(input.arrivalSeconds)}`);
  return lines;
}

/** One recipient's block of the delivery-status part. */
function perRecipientFields(input: NoticeInput, entry: RecipientLogEntry): string[] {
  const mailName = fieldMailName(input.mailName);
  const lines = ['', `Final-Recipient: rfc822; ${entry.recipient}`];
  if (entry.dsnOriginalRecipient !== undefined && entry.dsnOriginalRecipient !== '') {
    lines.push(`Original-Recipient: ${entry.dsnOriginalRecipient}`);
  } else if (entry.originalRecipient !== undefined && entry.originalRecipient !== '') {
    lines.push(`Original-Recipient: rfc822; ${entry.originalRecipient}`);
  }
  lines.push(`Action: ${isFailure(input.template) ? 'failed' : entry.action}`, `Status: ${entry.status}`);
  if (entry.mtaType !== undefined && entry.mtaName !== undefined) lines.push(...lineWrap(`Remote-MTA: ${entry.mtaType}; ${entry.mtaName}`));
  if (entry.diagnosticType !== undefined && entry.diagnosticText !== undefined) {
    lines.push(...lineWrap(`Diagnostic-Code: ${entry.diagnosticType}; ${entry.diagnosticText}`));
  } else {
    lines.push(...lineWrap(`Diagnostic-Code: X-${mailName}; ${entry.reason}`));
  }
  if (input.template.kind === 'delay' && input.willRetryUntilSeconds !== undefined) {
    lines.push(`Will-Retry-Until: ${mailDate(input.willRetryUntilSeconds)}`);
  }
  return lines;
}

/** A header line or its continuation, as is_header() and a leading blank decide. */
function isHeaderLine(line: string): boolean {
  return /^[ \t]/.test(line) || /^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(line);
}

/** The third part: the original message, or only its headers. */
function originalPart(input: NoticeInput, boundary: string): string[] {
  let headersOnly = input.returnContent === DsnReturn.headers;
  const original = input.original;
  if (input.bounceSizeLimit > 0 && original.lines !== undefined && (original.size <= 0 || original.size > input.bounceSizeLimit)) {
    headersOnly = true;
  }
  const undelivered = isUndelivered(input.template) ? 'Undelivered ' : '';
  const lines = ['', `--${boundary}`, `Content-Description: ${undelivered}${headersOnly ? 'Message Headers' : 'Message'}`,
    `Content-Type: ${headersOnly ? 'text/rfc822-headers' : 'message/rfc822'}`];
  if (is8bit(input.mimeEncoding ?? '8bit')) lines.push('Content-Transfer-Encoding: 8bit');
  lines.push('');
  if (original.lines === undefined) {
    lines.push('\t--- Undelivered message unavailable ---');
    return lines;
  }
  lines.push(`Return-Path: <${original.sender}>`);
  for (const line of original.lines) {
    if (headersOnly && !isHeaderLine(line)) break;
    lines.push(line);
  }
  lines.push('', `--${boundary}--`);
  return lines;
}

/** Builds the notice; recipientCount 0 means none of the entries passed the filter. */
export function composeNotice(input: NoticeInput): ComposedNotice {
  const boundary = `${input.queueId}.${Math.floor(input.nowSeconds)}/${input.myhostname}`;
  const chosen = selected(input.entries, input.notifyFilter);
  const lines = noticeHeader(input, boundary);
  if (!input.postmasterCopy && input.text !== undefined) lines.push(...input.text);
  if (input.entries.length === 0 && isFailure(input.template)) {
    lines.push('', '\t--- Delivery report unavailable ---');
  }
  for (const entry of chosen) lines.push(...readableRecipient(entry));
  lines.push(...perMessageFields(input, boundary));
  for (const entry of chosen) lines.push(...perRecipientFields(input, entry));
  lines.push(...originalPart(input, boundary));
  const recipientCount = input.entries.length === 0 && isFailure(input.template) ? 1 : chosen.length;
  return { text: `${lines.join('\n')}\n`, recipientCount, boundary };
}
