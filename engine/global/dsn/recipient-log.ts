// The per-message recipient logs under the queue directory: bounce/ID (recipients that
// failed), defer/ID (recipients that are being retried) and trace/ID (what happened to
// every recipient, for sendmail -v/-bv and NOTIFY=SUCCESS). One entry per recipient: a
// blank line, the old "<rcpt>: reason" line, then name=value attribute lines, then a blank
// line -- the layout Postfix's bounce service writes and its bounce log reader reads.
// Written by the bounce service (engine/bounce/), read back for DSN messages and by the
// queue tools (postqueue -p shows the first deferral reason). Trusts nothing it reads:
// malformed lines are skipped with a warning, as Postfix's reader does.
// Models src/bounce/bounce_append_service.c (writer) and src/global/bounce_log.c (reader).

import type { FileSystem } from '../../platform/types.ts';
import { PlatformError } from '../../platform/types.ts';
import { quoteLocalPart } from '../address/index.ts';

/** One recipient's record as stored in a log file (RECIPIENT + DSN in Postfix). */
export interface RecipientLogEntry {
  /** The recipient, external (quoted) form; "" is the null address. */
  recipient: string;
  /** The address before aliasing/rewriting (orig_to), when it differs. */
  originalRecipient?: string;
  /** Offset of the recipient record in the queue file (0: unknown). */
  offset: number;
  /** DSN ORCPT, "rfc822;addr". */
  dsnOriginalRecipient?: string;
  /** DSN NOTIFY bits (0: not specified). */
  dsnNotify: number;
  /** "5.1.1" style. */
  status: string;
  /** failed, delayed, delivered, relayed, expanded, deliverable, undeliverable. */
  action: string;
  /** Diagnostic type and text from a remote server ("smtp", "550 5.1.1 ..."). */
  diagnosticType?: string;
  diagnosticText?: string;
  /** Remote MTA type and name ("dns", "mx.example.com"). */
  mtaType?: string;
  mtaName?: string;
  /** The reason text, as logged in parentheses. */
  reason: string;
}

/** The three kinds of per-message log (Postfix's queue names). */
export type RecipientLogName = 'bounce' | 'defer' | 'trace';

/** Entries of one log read at most (a message has at most this many recipients logged). */
export const RECIPIENT_LOG_ENTRIES_MAX = 100_000;

/** Lines of one log read at most. */
export const RECIPIENT_LOG_LINES_MAX = 2_000_000;

const notEmpty = (value: string | undefined): value is string => value !== undefined && value !== '';

/** Equal apart from case (equal texts, the usual case, without lowercasing both). */
function sameIgnoringCase(left: string, right: string): boolean {
  return left === right || left.toLowerCase() === right.toLowerCase();
}

/** The external form of an address for the log: the local part quoted where needed, and
 *  the null address as "<>" in the recipient= line. */
function logAddress(address: string): string {
  return address === '' ? '' : quoteLocalPart(address);
}

/** Formats one entry exactly as bounce_append_service() appends it (with the backwards
 *  compatible "<rcpt>: reason" line, backwards_bounce_logfile_compatibility = yes). */
export function formatRecipientLogEntry(entry: RecipientLogEntry): string {
  // One string built in order (called for every deferral and bounce): no line array to join.
  const recipient = logAddress(entry.recipient);
  let text = `\n<${recipient}>: ${entry.reason}\nrecipient=${recipient === '' ? '<>' : recipient}\n`;
  if (notEmpty(entry.originalRecipient) && !sameIgnoringCase(entry.originalRecipient, entry.recipient)) {
    text += `original_recipient=${logAddress(entry.originalRecipient)}\n`;
  }
  if (entry.offset > 0) text += `offset=${entry.offset}\n`;
  if (notEmpty(entry.dsnOriginalRecipient)) text += `dsn_orig_rcpt=${entry.dsnOriginalRecipient}\n`;
  if (entry.dsnNotify !== 0) text += `notify_flags=${entry.dsnNotify}\n`;
  if (notEmpty(entry.status)) text += `status=${entry.status}\n`;
  if (notEmpty(entry.action)) text += `action=${entry.action}\n`;
  if (notEmpty(entry.diagnosticType) && notEmpty(entry.diagnosticText)) {
    text += `diag_type=${entry.diagnosticType}\ndiag_text=${entry.diagnosticText}\n`;
  }
  if (notEmpty(entry.mtaType) && notEmpty(entry.mtaName)) {
    text += `mta_type=${entry.mtaType}\nmta_mname=${entry.mtaName}\n`;
  }
  if (notEmpty(entry.reason)) text += `reason=${entry.reason}\n`;
  return `${text}\n`;
}

/** DSN NOTIFY bits that make sense together (dsn_mask.h DSN_NOTIFY_OK): NEVER alone, or
 *  any of SUCCESS/FAILURE/DELAY. */
function notifyOk(notify: number): boolean {
  return notify === 1 || (notify > 0 && notify <= 14 && (notify & 1) === 0);
}

/** Replaces control characters with '?', as Postfix's printable() does (UTF-8 text and, in
 *  byte-string form, its bytes are kept: smtputf8_enable = yes allows them). */
function printableText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}

interface EntryBuilder {
  recipient: string; originalRecipient: string; offset: number; dsnOriginalRecipient: string;
  dsnNotify: number; status: string; action: string; diagnosticType: string; diagnosticText: string;
  mtaType: string; mtaName: string; reason: string;
}

function emptyBuilder(): EntryBuilder {
  return { recipient: '', originalRecipient: '', offset: 0, dsnOriginalRecipient: '', dsnNotify: 0,
    status: '', action: '', diagnosticType: '', diagnosticText: '', mtaType: '', mtaName: '', reason: '' };
}

/** Applies one name=value line; returns a warning for an unknown name. */
function applyAttribute(entry: EntryBuilder, name: string, value: string): string | undefined {
  switch (name) {
    case 'recipient': entry.recipient = value === '' ? '(MAILER-DAEMON)' : value; return undefined;
    case 'original_recipient': entry.originalRecipient = value === '' ? '(MAILER-DAEMON)' : value; return undefined;
    case 'dsn_orig_rcpt': entry.dsnOriginalRecipient = value; return undefined;
    case 'notify_flags': {
      const notify = Number.parseInt(value, 10);
      if (notify > 0 && notifyOk(notify)) entry.dsnNotify = notify;
      return undefined;
    }
    case 'offset': {
      const offset = Number.parseInt(value, 10);
      if (offset > 0) entry.offset = offset;
      return undefined;
    }
    case 'status': entry.status = value; return undefined;
    case 'action': entry.action = value; return undefined;
    case 'diag_type': entry.diagnosticType = value; return undefined;
    case 'diag_text': entry.diagnosticText = value; return undefined;
    case 'mta_type': entry.mtaType = value; return undefined;
    case 'mta_mname': entry.mtaName = value; return undefined;
    case 'reason': entry.reason = value; return undefined;
    default: return `unknown attribute name: ${name}, ignored`;
  }
}

/** Fills in what bounce_log_read() supplies for missing fields (old-style logs). */
function finishEntry(entry: EntryBuilder, logName: RecipientLogName): RecipientLogEntry {
  const result: RecipientLogEntry = {
    recipient: entry.recipient === '' ? '(recipient address unavailable)' : entry.recipient,
    offset: entry.offset,
    dsnNotify: entry.dsnNotify,
    status: entry.status === '' ? (logName === 'defer' ? '4.0.0' : '5.0.0') : entry.status,
    action: entry.action === '' ? (logName === 'defer' ? 'delayed' : 'failed') : entry.action,
    reason: entry.reason === '' ? '(description unavailable)' : entry.reason,
  };
  if (entry.originalRecipient !== '') result.originalRecipient = entry.originalRecipient;
  if (entry.dsnOriginalRecipient !== '') result.dsnOriginalRecipient = entry.dsnOriginalRecipient;
  if (entry.diagnosticType !== '') result.diagnosticType = entry.diagnosticType;
  if (entry.diagnosticText !== '') result.diagnosticText = entry.diagnosticText;
  if (entry.mtaType !== '') result.mtaType = entry.mtaType;
  if (entry.mtaName !== '') result.mtaName = entry.mtaName;
  return result;
}

export interface ParsedRecipientLog {
  entries: RecipientLogEntry[];
  /** "malformed record: ..." texts, for the caller to report with the file's path. */
  warnings: string[];
}

/** Parses a log's text. `logName` selects the defaults for old-style entries (defer: 4.0.0
 *  delayed; bounce and trace: 5.0.0 failed), as bounce_log_open() does. */
export function parseRecipientLog(text: string, logName: RecipientLogName): ParsedRecipientLog {
  const entries: RecipientLogEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n', RECIPIENT_LOG_LINES_MAX);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let current: EntryBuilder | undefined;
  for (const rawLine of lines) {
    if (entries.length >= RECIPIENT_LOG_ENTRIES_MAX) break;
    if (rawLine === '') {
      if (current !== undefined) entries.push(finishEntry(current, logName));
      current = undefined;
      continue;
    }
    const line = printableText(rawLine);
    current ??= emptyBuilder();
    if (/^[A-Za-z0-9]/.test(line)) {
      const equals = line.indexOf('=');
      if (equals < 0) { warnings.push('malformed record: missing \'=\' after attribute name'); continue; }
      const warning = applyAttribute(current, line.slice(0, equals).trim(), line.slice(equals + 1).trim());
      if (warning !== undefined) warnings.push(warning);
      continue;
    }
    const separator = line.startsWith('<') ? line.indexOf('>: ') : -1;
    if (separator < 0) { warnings.push(`malformed record: ${line.slice(0, 30)}...`); continue; }
    const recipient = line.slice(1, separator);
    current.recipient = recipient === '' ? '(MAILER-DAEMON)' : recipient;
    current.reason = line.slice(separator + 2).replace(/^\s+/, '');
  }
  // bounce_log_read() returns an entry at end of file only if a blank line ended it; a
  // partial entry (a crash mid-append) is dropped, which is what Postfix's reader does.
  return { entries, warnings };
}

/** Reads a per-message log file; a missing file reads as no entries. Used by the bounce
 *  service for DSNs and by postqueue/showq for the deferral reason. */
export async function readRecipientLog(fs: FileSystem, path: string, logName?: RecipientLogName,
  encoding: 'utf-8' | 'latin1' = 'utf-8'): Promise<ParsedRecipientLog> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return { entries: [], warnings: [] };
    throw error;
  }
  const name = logName ?? logNameOfPath(path);
  // latin1 gives a byte string (one character per byte) that the bounce service passes
  // on unchanged into a notice; utf-8 gives text for display (postqueue -p).
  const text = encoding === 'latin1' ? byteString(bytes) : new TextDecoder().decode(bytes);
  return parseRecipientLog(text, name);
}

/** One character per byte, so that any bytes survive a round trip. */
export function byteString(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chunkBytes = 8192;
  for (let start = 0; start < bytes.length; start += chunkBytes) {
    parts.push(String.fromCharCode(...bytes.subarray(start, start + chunkBytes)));
  }
  return parts.join('');
}

/** The log kind from a path such as /var/spool/postfix/defer/7/7E5F61681FF. */
export function logNameOfPath(path: string): RecipientLogName {
  const parts = path.split('/');
  for (let index = parts.length - 2; index >= 0; index--) {
    const part = parts[index];
    if (part === 'defer' || part === 'bounce' || part === 'trace') return part;
  }
  return 'bounce';
}
