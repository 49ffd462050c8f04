// The message as the delivery agents (local, virtual, pipe) copy it: the content records
// of the queue file (header and body, each record a whole line or a piece of a long one),
// the Delivered-To addresses in its header for loop detection, and mail_copy(): the From_ line, Return-Path,
// X-Original-To and Delivered-To headers, ">From " quoting and the blank line after an
// mbox message. Called by engine/local, engine/virtual and engine/pipe.
// Trusts nothing in the queue file: a content segment that does not end in the extracted
// marker is "corrupt" (Postfix defers and moves the file aside).
// Models src/global/mail_copy.c and src/global/delivered_hdr.c.

import type { FileSystem } from '../platform/types.ts';
import { RecordReader, RecordType } from './queue/record.ts';
import { asctime, isHeader } from './queue/record-text.ts';
import { quoteLocalPart } from './address/index.ts';

/** One content record: a whole line ('normal') or a piece that the next record continues. */
export interface ContentLine {
  bytes: Uint8Array;
  continued: boolean;
}

export interface MessageContent {
  lines: ContentLine[];
  /** False when the content did not end with the extracted-segment marker. */
  intact: boolean;
}

/** Records read from one content segment before it counts as runaway. */
export const CONTENT_RECORDS_MAX = 5_000_000;
/** Delivered-To headers remembered, as DELIVERED_HDR_LIMIT. */
export const DELIVERED_HEADERS_MAX = 1000;

/** Reads the content segment starting at `contentOffset`. */
export async function readMessage(fs: FileSystem, path: string, contentOffset: number): Promise<MessageContent> {
  const handle = await fs.open(path, 'r');
  try {
    // The lines are views into the chunks read (each chunk is the reader's own copy).
    const reader = new RecordReader({ read: (length, position) => handle.read(length, position) }, { path, transparent: true, borrowPayloads: true });
    reader.seek(contentOffset);
    const lines: ContentLine[] = [];
    for (let count = 0; count < CONTENT_RECORDS_MAX; count++) {
      const record = await reader.next();
      if (record === null) break;
      if (record.type === RecordType.normalText || record.type === RecordType.continuedText) {
        lines.push({ bytes: record.payload, continued: record.type === RecordType.continuedText });
        continue;
      }
      return { lines, intact: record.type === RecordType.extractedStart };
    }
    return { lines, intact: false };
  } finally {
    await handle.close();
  }
}

const decoder = new TextDecoder();

/** Folds an address as fold_addr(FOLD_ADDR_ALL): all of it to lower case. */
export function foldAddress(address: string): string {
  return address.toLowerCase();
}

/** The Delivered-To addresses of the primary header (delivered_hdr_init). */
export function scanDeliveredTo(message: MessageContent): Set<string> {
  const found = new Set<string>();
  let previousContinued = false;
  for (const line of message.lines) {
    if (found.size >= DELIVERED_HEADERS_MAX) break;
    const skip = previousContinued;
    previousContinued = line.continued;
    if (skip) continue;
    if (isHeader(line.bytes)) {
      const text = decoder.decode(line.bytes);
      const colon = text.indexOf(':');
      if (text.slice(0, colon).trim().toLowerCase() === 'delivered-to') {
        found.add(foldAddress(text.slice(colon + 1).replace(/^[ \t]+/, '')));
      }
    } else if (line.bytes[0] === 0x20 || line.bytes[0] === 0x09) {
      continue;
    } else {
      break;
    }
  }
  return found;
}

/** delivered_hdr_find(): whether `address`, quoted as mail_copy writes it, is listed. */
export function isDelivered(deliveredTo: ReadonlySet<string>, address: string): boolean {
  return deliveredTo.has(foldAddress(quoteLocalPart(address)));
}

/** mail_copy() flags (mail_copy.h). */
export interface CopyOptions {
  fromLine?: boolean;
  returnPath?: boolean;
  originalRecipient?: boolean;
  delivered?: boolean;
  /** ">From " quoting of body lines. */
  quote?: boolean;
  /** A blank line after the message (mbox). */
  blank?: boolean;
  /** Whether X-Original-To is written at all (enable_original_recipient). */
  enableOriginalRecipient?: boolean;
}

/** MAIL_COPY_MBOX: everything an mbox needs. */
export const MBOX_COPY: CopyOptions = {
  fromLine: true, returnPath: true, originalRecipient: true, delivered: true, quote: true, blank: true,
};

export interface CopyEnvelope {
  sender: string;
  originalRecipient: string;
  delivered: string;
  nowMs: number;
}

const encoder = new TextEncoder();
/** Shared, never written: concatenate() only copies from them. */
const LINE_FEED = encoder.encode('\n');
const GREATER_THAN = encoder.encode('>');

/** The bytes mail_copy() writes for one delivery. */
export function mailCopy(message: MessageContent, envelope: CopyEnvelope, options: CopyOptions): Uint8Array {
  const parts: Uint8Array[] = [];
  const quotedSender = quoteLocalPart(envelope.sender);
  if (options.fromLine) {
    const stamp = asctime(Math.floor(envelope.nowMs / 1000)).slice(0, 24);
    parts.push(encoder.encode(`From ${envelope.sender === '' ? 'MAILER-DAEMON' : quotedSender}  ${stamp}\n`));
  }
  if (options.returnPath) parts.push(encoder.encode(`Return-Path: <${envelope.sender === '' ? '' : quotedSender}>\n`));
  if (options.originalRecipient && (options.enableOriginalRecipient ?? true) && envelope.originalRecipient !== '') {
    parts.push(encoder.encode(`X-Original-To: ${quoteLocalPart(envelope.originalRecipient)}\n`));
  }
  if (options.delivered) parts.push(encoder.encode(`Delivered-To: ${quoteLocalPart(envelope.delivered)}\n`));
  let previousContinued = false;
  for (const line of message.lines) {
    if (!previousContinued && options.quote && startsWithFrom(line.bytes)) parts.push(GREATER_THAN);
    parts.push(line.bytes);
    if (!line.continued) parts.push(LINE_FEED);
    previousContinued = line.continued;
  }
  if (previousContinued) parts.push(LINE_FEED);
  if (options.blank) parts.push(LINE_FEED);
  return concatenate(parts);
}

function startsWithFrom(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && bytes[0] === 0x46 && bytes[1] === 0x72 && bytes[2] === 0x6f && bytes[3] === 0x6d && bytes[4] === 0x20;
}

export function concatenate(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { bytes.set(part, at); at += part.length; }
  return bytes;
}
