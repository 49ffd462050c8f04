// What the bounce service needs to know about the message it reports on: the sender, the
// arrival time, the DSN ENVID/RET and trace flags, the content size and the content lines.
// Read from the queue file in its current queue (active, deferred, ...), never changed.
// Called by engine/bounce/notify.ts. Trusts nothing: a missing or damaged queue file gives
// "unavailable" content, as Postfix's notice then says.
// Models the queue-file scan of bounce_mail_alloc() in src/bounce/bounce_notify_util.c.

import type { FileSystem } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import { readContent, readQueueFile, Attribute, type QueueFile } from '../global/queue/queue-file.ts';
import { bytesSource } from '../global/queue/record.ts';
import { byteString } from '../global/dsn/recipient-log.ts';

/** MAIL_ATTR_TRACE_FLAGS: sendmail -v/-bv requests (DEL_REQ_FLAG_*). */
export const TRACE_FLAGS_ATTRIBUTE = 'trace_flags';
/** DEL_REQ_FLAG_USR_VRFY and DEL_REQ_FLAG_RECORD (deliver_request.h). */
export const TraceFlag = { userVerify: 1 << 9, record: 1 << 10, recordDelayedSent: 1 << 13 } as const;

/** Content lines returned at most (bounded like the content itself). */
const CONTENT_LINES_MAX = 1_000_000;

export interface OriginalInfo {
  found: boolean;
  /** The sender as stored: "" is the null sender. */
  sender: string;
  arrivalSeconds: number;
  contentSize: number;
  envelopeId?: string;
  /** DSN RET bits (1 full, 2 headers; 0 unspecified). */
  dsnReturn: number;
  traceFlags: number;
  /** The message's encoding attribute ("7bit", "8bit", or absent). */
  encoding?: string;
  /** Content lines as byte strings, without line ends; undefined when unreadable. */
  lines?: string[];
}

function attribute(file: QueueFile, name: string): string | undefined {
  return file.attributes.find((entry) => entry.name === name)?.value;
}

/** Splits content bytes into byte-string lines (the final line end does not start a line). */
function contentLines(content: Uint8Array): string[] {
  const text = byteString(content);
  const lines = text.split('\n', CONTENT_LINES_MAX);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Reads the queue file at `path`; a missing file reads as not found. */
export async function readOriginal(fs: FileSystem, path: string): Promise<OriginalInfo> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') {
      return { found: false, sender: '', arrivalSeconds: 0, contentSize: 0, dsnReturn: 0, traceFlags: 0 };
    }
    throw error;
  }
  const source = bytesSource(bytes);
  let file: QueueFile;
  try {
    file = await readQueueFile(source, path);
  } catch {
    return { found: false, sender: '', arrivalSeconds: 0, contentSize: 0, dsnReturn: 0, traceFlags: 0 };
  }
  const info: OriginalInfo = {
    found: true,
    sender: file.sender ?? '',
    arrivalSeconds: Math.max(0, file.arrivalTime?.seconds ?? 0),
    contentSize: Math.max(0, file.size?.contentSize ?? 0),
    dsnReturn: Number.parseInt(attribute(file, Attribute.dsnReturn) ?? '0', 10) || 0,
    traceFlags: Number.parseInt(attribute(file, TRACE_FLAGS_ATTRIBUTE) ?? '0', 10) || 0,
  };
  const envelopeId = attribute(file, Attribute.dsnEnvelopeId);
  if (envelopeId !== undefined && envelopeId !== '') info.envelopeId = envelopeId;
  const encoding = attribute(file, Attribute.encoding);
  if (encoding !== undefined) info.encoding = encoding;
  if (file.contentOffset !== undefined) {
    try {
      info.lines = contentLines(await readContent(source, file));
    } catch {
      // Damaged content: the notice says the message is unavailable.
    }
  }
  return info;
}
