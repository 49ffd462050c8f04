// The record stream a local submission travels as: what sendmail writes into postdrop's
// standard input, what postdrop copies into a maildrop file after its own time record, and
// what pickup reads back. Three segments, each ended by the marker of the next: envelope
// (attributes, full name, sender, recipients) up to the message-content marker 'M', the
// message text as normal/continued text records up to the extracted marker 'X', and the
// extracted segment (recipients from -t) up to the end record 'E'.
// Called by sendmail (building), postdrop (checking), pickup and the tests. Trusts nothing
// it is given: checkSubmission() says what is wrong with a stream.
// Models rec_type.h's REC_TYPE_POST_* sets, postdrop.c's segment walk and the helpers
// sendmail.c uses (rec_fputs, rec_fprintf, REC_PUT_BUF).

import { RecordType, encodeRecord, toPayload } from '../global/queue/record.ts';

/** One record of the stream. */
export interface SubmissionRecord {
  type: number;
  payload: Uint8Array;
}

/** Record types a user may send in each segment; the first letter ends the segment. */
export const POST_ENVELOPE_TYPES = 'MFSRVAin';
export const POST_CONTENT_TYPES = 'XLN';
export const POST_EXTRACT_TYPES = 'EAR';
export const POST_SEGMENTS: readonly string[] = [POST_ENVELOPE_TYPES, POST_CONTENT_TYPES, POST_EXTRACT_TYPES];

/** Attribute names (mail_proto.h) that travel in a submission. */
export const SubmissionAttribute = {
  rewriteContext: 'rewrite_context',
  dsnEnvelopeId: 'envelope_id',
  dsnReturn: 'ret_flags',
  dsnNotify: 'notify_flags',
  dsnOriginalRecipient: 'dsn_orig_rcpt',
  createTime: 'create_time',
  traceFlags: 'trace_flags',
  encoding: 'encoding',
} as const;

/** trace_flags values (deliver_request.h): sendmail -bv and sendmail -v. */
export const TraceFlag = {
  userVerify: 1 << 9,
  record: 1 << 10,
} as const;

/** Records in one submission: far above any real message, a guard against a runaway. */
export const SUBMISSION_RECORDS_MAX = 50_000_000;

export function record(type: number, payload: string | Uint8Array = ''): SubmissionRecord {
  return { type, payload: toPayload(payload) };
}

export function attributeRecord(name: string, value: string): SubmissionRecord {
  return record(RecordType.attribute, `${name}=${value}`);
}

/** The bytes of the stream, as sendmail pipes them to postdrop. */
export function encodeSubmission(records: Iterable<SubmissionRecord>): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const item of records) {
    const bytes = encodeRecord(item.type, item.payload);
    parts.push(bytes);
    total += bytes.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/** Splits "name=value" as split_nameval does: white space may surround the name and the
 *  value, the name is one word; returns split_nameval's error text otherwise. */
export function splitNameValue(text: string): { name: string; value: string } | string {
  const match = /^\s*([^\s=]*)\s*(=?)/.exec(text);
  const name = match?.[1] ?? '';
  if (name === '') return 'missing attribute name';
  if (match?.[2] !== '=') return 'missing \'=\' after attribute name';
  return { name, value: text.slice(match[0].length).trim() };
}

/** Where a stream went wrong, as postdrop tells it. */
export type SubmissionProblem =
  | { kind: 'unexpected-type'; type: number }
  | { kind: 'incomplete' };

/** Walks the segments the way postdrop does: each record must belong to the current
 *  segment's set; the segment's first letter moves to the next set. Returns the first
 *  problem, or undefined for a complete stream that ends with the end record. */
export function checkSubmission(records: Iterable<SubmissionRecord>): SubmissionProblem | undefined {
  let segment = 0;
  let count = 0;
  for (const item of records) {
    if (++count > SUBMISSION_RECORDS_MAX) return { kind: 'incomplete' };
    const expected = POST_SEGMENTS[segment] ?? '';
    const letter = String.fromCharCode(item.type);
    if (item.type === 0 || !expected.includes(letter)) return { kind: 'unexpected-type', type: item.type };
    if (letter === expected[0]) segment += 1;
    if (item.type === RecordType.end) return undefined;
  }
  return { kind: 'incomplete' };
}
