// Reads a maildrop file (written by postdrop, or by postsuper -r from a queue file) into
// what pickup hands to cleanup: arrival time, full name, sender, envelope attributes, the
// recipients with their DSN attributes, the message text, and the extracted recipients.
// Each segment accepts only the record types Postfix's pickup accepts there; the first
// record that does not belong (or a damaged record) ends the reading, and the caller learns
// in which segment, so that it logs and acts at the same point as pickup does.
// Called by engine/pickup/api.ts and tests. Trusts nothing in the file.
// Models copy_segment() of src/pickup/pickup.c with rec_get()'s transparency.

import { RecordError, RecordReader, RecordType, bytesSource, latin1, type QueueRecord } from '../global/queue/record.ts';
import type { PreciseTime } from '../global/queue/mail-queue.ts';
import type { EnvelopeEntry } from '../global/queue/queue-file.ts';
import type { SubmittedRecipient } from '../master/contracts.ts';
import { splitNameValue } from '../postdrop/stream.ts';

/** Record types pickup accepts per segment (rec_type.h REC_TYPE_ENVELOPE/CONTENT/EXTRACT);
 *  the first letter ends the segment. */
export const ENVELOPE_SEGMENT_TYPES = 'MCTcFILSDRO/WVA>K<ion';
export const CONTENT_SEGMENT_TYPES = 'XLNw';
export const EXTRACTED_SEGMENT_TYPES = 'EDRO/PreAFIL>Kon';

/** Records read from one file at most. */
export const MAILDROP_RECORDS_MAX = 50_000_000;

/** REC_TYPE_EOF and REC_TYPE_ERROR, as pickup's warning prints them. */
export const RECORD_END_OF_FILE = -1;
export const RECORD_ERROR = -2;

/** Attributes that survive in the extracted segment after postsuper -r (rec_attr_map). */
const MAPPED_ATTRIBUTES = new Set(['dsn_orig_rcpt', 'notify_flags', 'envelope_id', 'ret_flags', 'create_time']);

export type Segment = 'envelope' | 'content' | 'extracted';

/** A full name, sender or attribute record as pickup passes it on. */
export type MaildropEnvelopeEntry = Exclude<EnvelopeEntry, { kind: 'record' }>;

export interface MaildropMessage {
  arrivalTime?: PreciseTime;
  fullName?: string;
  sender?: string;
  /** Named attributes in file order (envelope first, then the extracted segment's). */
  attributes: Array<{ name: string; value: string }>;
  /** Full name, sender and attributes in file order: pickup copies records in the order it
   *  reads them, so the queue file keeps sendmail's order (rewrite_context, full name,
   *  sender). */
  envelope: MaildropEnvelopeEntry[];
  recipients: SubmittedRecipient[];
  /** The message text with LF line ends, one chunk per record. */
  content: Uint8Array[];
  /** The first content record, for pickup's "content starts with white space" guard. */
  firstContentByte?: number;
  extractedRecipients: SubmittedRecipient[];
}

export interface MaildropReadResult {
  message: MaildropMessage;
  /** Where reading stopped early, and the record type pickup names ("-2" for damage). */
  failure?: { segment: Segment; type: number; detail?: string };
}

interface PendingRecipient {
  originalRecipient?: string;
  dsnNotify?: number;
  dsnOriginalRecipient?: string;
}

const LINE_FEED = new Uint8Array([0x0a]);
const decoder = new TextDecoder();

/** Reads the whole file. `recordLengthMax` is line_length_limit, as pickup's rec_get. */
export async function readMaildropFile(bytes: Uint8Array, path: string, recordLengthMax: number): Promise<MaildropReadResult> {
  const reader = new RecordReader(bytesSource(bytes), { path, recordLengthMax, transparent: true });
  const message: MaildropMessage = { attributes: [], envelope: [], recipients: [], content: [], extractedRecipients: [] };
  const segments: Array<[Segment, string]> = [
    ['envelope', ENVELOPE_SEGMENT_TYPES], ['content', CONTENT_SEGMENT_TYPES], ['extracted', EXTRACTED_SEGMENT_TYPES],
  ];
  let pending: PendingRecipient = {};
  for (const [segment, expected] of segments) {
    for (let count = 0; ; count++) {
      let item: QueueRecord | null;
      try {
        // The file is in memory: every record is buffered, no await per record.
        item = count < MAILDROP_RECORDS_MAX ? reader.nextBuffered() ?? await reader.next() : null;
      } catch (error) {
        if (!(error instanceof RecordError)) throw error;
        return { message, failure: { segment, type: RECORD_ERROR, detail: error.message } };
      }
      if (item === null) return { message, failure: { segment, type: RECORD_END_OF_FILE } };
      if (!expected.includes(String.fromCharCode(item.type))) return { message, failure: { segment, type: item.type } };
      if (item.type === expected.charCodeAt(0)) break;
      pending = absorb(message, segment, item, pending);
    }
  }
  return { message };
}

/** Folds one record into the message; returns the DSN data waiting for the next recipient. */
function absorb(message: MaildropMessage, segment: Segment, item: QueueRecord, pending: PendingRecipient): PendingRecipient {
  if (segment === 'content') {
    message.firstContentByte ??= item.payload[0] ?? 0x0a;
    message.content.push(item.payload);
    if (item.type === RecordType.normalText) message.content.push(LINE_FEED);
    return pending;
  }
  const text = decoder.decode(item.payload);
  switch (item.type) {
    case RecordType.time: {
      const [seconds = 0, microseconds = 0] = latin1(item.payload).trim().split(/\s+/).map((part) => Number.parseInt(part, 10) || 0);
      message.arrivalTime ??= { seconds, microseconds };
      return pending;
    }
    case RecordType.fullName:
      if (message.fullName === undefined) message.envelope.push({ kind: 'fullName', value: text });
      message.fullName ??= text;
      return pending;
    case RecordType.sender:
      if (message.sender === undefined) message.envelope.push({ kind: 'sender', address: text });
      message.sender ??= text;
      return pending;
    case RecordType.originalRecipient: return { ...pending, originalRecipient: text };
    case RecordType.dsnNotify: return { ...pending, dsnNotify: Number.parseInt(text, 10) || 0 };
    case RecordType.dsnOriginalRecipient: return { ...pending, dsnOriginalRecipient: text };
    case RecordType.dsnEnvelopeId: addAttribute(message, 'envelope_id', text); return pending;
    case RecordType.dsnReturn: addAttribute(message, 'ret_flags', text); return pending;
    case RecordType.recipient: {
      const recipient: SubmittedRecipient = { address: text, ...pending };
      (segment === 'envelope' ? message.recipients : message.extractedRecipients).push(recipient);
      return {};
    }
    // Recipients already delivered before postsuper -r: not to be delivered again.
    case RecordType.doneRecipient: case RecordType.canceledRecipient: return {};
    case RecordType.attribute: return absorbAttribute(message, segment, text, pending);
    // Size, create time, warning time, content filter, redirect, VERP, killed, priority,
    // return-receipt and errors-to records: cleanup makes its own or postsuper -r drops them.
    default: return pending;
  }
}

function absorbAttribute(message: MaildropMessage, segment: Segment, text: string, pending: PendingRecipient): PendingRecipient {
  const split = splitNameValue(text);
  if (typeof split === 'string') return pending;
  const { name, value } = split;
  if (segment === 'extracted' && !MAPPED_ATTRIBUTES.has(name)) return pending;
  if (name === 'notify_flags') return { ...pending, dsnNotify: Number.parseInt(value, 10) || 0 };
  if (name === 'dsn_orig_rcpt') return { ...pending, dsnOriginalRecipient: value };
  addAttribute(message, name, value);
  return pending;
}

function addAttribute(message: MaildropMessage, name: string, value: string): void {
  message.attributes.push({ name, value });
  message.envelope.push({ kind: 'attribute', name, value });
}
