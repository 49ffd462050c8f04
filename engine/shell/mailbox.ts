// Mailboxes as a mail reader sees them: an mbox file (messages that start with a "From "
// line, as local(8) writes them into mail_spool_directory) or a Maildir (one file per
// message under new/ and cur/, as local(8) and virtual(8) write them). Reads the messages
// with the facts a header listing shows (sender, date, lines/bytes, subject, status) and
// writes the changes back: deleted messages go, read ones get "Status: RO" (mbox) or move
// to cur/ with the S flag (Maildir). Mail delivered while the reader had the mbox open is
// kept: it is appended after the rewritten messages.
// Called by engine/shell/builtins/mail.ts. Trusts nothing in the files: every message and
// header count is bounded. Models what mailx(1) does with a spool file and mutt with a Maildir.

import type { FileSystem } from '../platform/types.ts';

/** Messages one mailbox shows; later ones are left alone (and kept on save). */
export const MAILBOX_MESSAGES_MAX = 1000;
/** Header lines read per message. */
export const HEADER_LINES_MAX = 500;

export type MessageStatus = 'new' | 'unread' | 'read';

export interface MailMessage {
  /** 1-based, as the reader numbers them. */
  number: number;
  /** The whole message as stored (mbox: with its From_ line, without the blank separator). */
  text: string;
  /** Envelope sender (From_ line or Return-Path), else the From: header. */
  sender: string;
  /** "Sun Nov 22 09:26" */
  date: string;
  subject: string;
  lines: number;
  bytes: number;
  status: MessageStatus;
  deleted: boolean;
  /** Read in this session. */
  seen: boolean;
  /** Maildir: the file's path. */
  path?: string;
}

export interface Mailbox {
  kind: 'mbox' | 'maildir';
  path: string;
  messages: MailMessage[];
  /** mbox: the bytes as read, to find mail that arrived meanwhile. */
  original?: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Opens PATH as a Maildir when it is a directory, else as an mbox file. Throws the
 *  platform's error when it cannot be read (ENOENT for a missing spool file). */
export async function openMailbox(fs: FileSystem, path: string): Promise<Mailbox> {
  const stat = await fs.stat(path);
  if (stat.isDirectory) return openMaildir(fs, path.replace(/\/+$/, ''));
  const original = await fs.readFile(path);
  const messages = splitMbox(decoder.decode(original)).slice(0, MAILBOX_MESSAGES_MAX)
    .map((text, index) => describe(text, index + 1, mboxStatus(text), fromLine(text)));
  return { kind: 'mbox', path, messages, original };
}

/** The header block of a message (its From_ line left out), unfolded, as name/value pairs. */
export function headerFields(text: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (index >= HEADER_LINES_MAX || line === '') break;
    if (index === 0 && line.startsWith('From ')) continue;
    if (/^[ \t]/.test(line) && fields.length > 0) {
      const last = fields[fields.length - 1]!;
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return fields;
}

export function headerValue(text: string, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return headerFields(text).find(([field]) => field.toLowerCase() === wanted)?.[1];
}

/** mbox messages: a line "From " at the start or after a blank line starts one. */
function splitMbox(text: string): string[] {
  const messages: string[] = [];
  let current: string[] | undefined;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const starts = line.startsWith('From ') && (index === 0 || lines[index - 1] === '');
    if (starts) {
      if (current !== undefined) messages.push(closeMessage(current));
      if (messages.length >= MAILBOX_MESSAGES_MAX) return messages;
      current = [];
    }
    current?.push(line);
  }
  if (current !== undefined) messages.push(closeMessage(current));
  return messages;
}

/** A message's lines with the blank separator line before the next From_ dropped. */
function closeMessage(lines: string[]): string {
  const kept = lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
  return `${kept.join('\n')}\n`;
}

function mboxStatus(text: string): MessageStatus {
  const status = headerValue(text, 'Status');
  if (status === undefined) return 'new';
  return status.includes('R') ? 'read' : 'unread';
}

/** The sender and date of a From_ line: "From bob@example.test  Sun Nov 22 09:26:23 2026". */
function fromLine(text: string): { sender: string; date: string } {
  const first = text.slice(0, text.indexOf('\n'));
  const match = /^From (\S+)\s+(.*)$/.exec(first);
  return { sender: match?.[1] ?? '', date: (match?.[2] ?? '').slice(0, 16) };
}

function describe(text: string, number: number, status: MessageStatus, envelope: { sender: string; date: string }): MailMessage {
  const fromHeader = headerValue(text, 'From') ?? '';
  const angle = /<([^>]*)>/.exec(fromHeader);
  const sender = envelope.sender !== '' ? envelope.sender : (angle?.[1] ?? fromHeader);
  // mailx counts the blank line that separates messages in the file.
  return {
    number, text, sender, date: envelope.date, subject: headerValue(text, 'Subject') ?? '',
    lines: text.split('\n').length, bytes: encoder.encode(text).length + 1,
    status, deleted: false, seen: false,
  };
}

async function openMaildir(fs: FileSystem, path: string): Promise<Mailbox> {
  const entries: Array<{ file: string; sub: 'new' | 'cur'; name: string }> = [];
  for (const sub of ['new', 'cur'] as const) {
    let names: string[];
    try {
      names = await fs.readdir(`${path}/${sub}`);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      entries.push({ file: `${path}/${sub}/${name}`, sub, name });
    }
  }
  // Delivery names start with the arrival time in seconds: name order is arrival order.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const messages: MailMessage[] = [];
  for (const entry of entries.slice(0, MAILBOX_MESSAGES_MAX)) {
    const text = decoder.decode(await fs.readFile(entry.file));
    const flags = entry.name.includes(':2,') ? entry.name.slice(entry.name.indexOf(':2,') + 3) : '';
    const status: MessageStatus = entry.sub === 'new' ? 'new' : flags.includes('S') ? 'read' : 'unread';
    const returnPath = /<([^>]*)>/.exec(headerValue(text, 'Return-Path') ?? '')?.[1] ?? '';
    const message = describe(text, messages.length + 1, status, { sender: returnPath, date: headerDate(text) });
    message.bytes = encoder.encode(text).length;
    message.lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
    message.path = entry.file;
    messages.push(message);
  }
  return { kind: 'maildir', path, messages };
}

/** "Sun, 22 Nov 2026 09:26:23 +0000" -> "Sun Nov 22 09:26", as a From_ line shows it. */
function headerDate(text: string): string {
  const date = headerValue(text, 'Date') ?? '';
  const match = /^(?:([A-Za-z]{3}),\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+\d{2,4}\s+(\d{1,2}:\d{2})/.exec(date);
  if (match === null || !MONTHS.includes(match[3]!)) return '';
  return `${match[1] ?? '   '} ${match[3]} ${match[2]!.padStart(2, ' ')} ${match[4]!.padStart(5, '0')}`;
}

/** Sets (or adds, as the last header line) "Status: VALUE". */
function withStatus(text: string, value: string): string {
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text.replace(/\n$/, '') : text.slice(0, end);
  const rest = end < 0 ? '\n' : text.slice(end + 1);
  const lines = head.split('\n').filter((line) => !/^Status:/i.test(line));
  return `${[...lines, `Status: ${value}`].join('\n')}\n${rest}`;
}

export interface SaveResult {
  /** Messages left in the mailbox. */
  kept: number;
  /** Messages that arrived while the mailbox was open (mbox). */
  arrived: number;
}

/** Writes the session's changes back (mailx's `quit`). */
export async function saveMailbox(fs: FileSystem, mailbox: Mailbox): Promise<SaveResult> {
  return mailbox.kind === 'mbox' ? saveMbox(fs, mailbox) : saveMaildir(fs, mailbox);
}

async function saveMbox(fs: FileSystem, mailbox: Mailbox): Promise<SaveResult> {
  const kept = mailbox.messages.filter((message) => !message.deleted);
  const changed = kept.length !== mailbox.messages.length
    || kept.some((message) => message.status === 'new' || message.seen);
  if (!changed) return { kept: kept.length, arrived: 0 };
  const original = mailbox.original ?? new Uint8Array();
  let tail: Uint8Array = new Uint8Array();
  try {
    const current = await fs.readFile(mailbox.path);
    const unchanged = current.length >= original.length && original.every((byte, index) => current[index] === byte);
    if (unchanged) tail = current.subarray(original.length);
  } catch {
    // The file went away meanwhile: write what the session keeps.
  }
  const text = kept.map((message) => `${withStatus(message.text, message.seen || message.status === 'read' ? 'RO' : 'O')}\n`).join('');
  const body = encoder.encode(text);
  const all = new Uint8Array(body.length + tail.length);
  all.set(body, 0);
  all.set(tail, body.length);
  await fs.writeFile(mailbox.path, all);
  const arrived = tail.length === 0 ? 0 : splitMbox(decoder.decode(tail)).length;
  return { kept: kept.length, arrived };
}

async function saveMaildir(fs: FileSystem, mailbox: Mailbox): Promise<SaveResult> {
  let kept = 0;
  for (const message of mailbox.messages) {
    const path = message.path;
    if (path === undefined) continue;
    if (message.deleted) {
      await fs.unlink(path);
      continue;
    }
    kept++;
    if (!message.seen) continue;
    const name = path.slice(path.lastIndexOf('/') + 1);
    const base = name.includes(':2,') ? name.slice(0, name.indexOf(':2,')) : name;
    const flags = name.includes(':2,') ? name.slice(name.indexOf(':2,') + 3) : '';
    const newFlags = [...new Set(`${flags}S`)].sort().join('');
    const target = `${mailbox.path}/cur/${base}:2,${newFlags}`;
    if (target !== path) await fs.rename(path, target);
  }
  return { kept, arrived: 0 };
}
