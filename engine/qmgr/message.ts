// Reading one queue file into the active queue: the envelope fields qmgr needs, checked the
// way qmgr_message_read checks them, with Postfix's warnings for a file that must go to
// corrupt/ ("message rejected: missing end record", "missing sender record", ...). The
// "(queue active)" line is due as soon as the sender record has been read, even when the
// file turns out to be damaged further on, as in Postfix.
// Called by api.ts when a file has been moved into active/. Trusts readQueueFile for the
// record layout, nothing in the file's contents.
// Models src/qmgr/qmgr_message.c (qmgr_message_read, qmgr_message_open).

import type { FileHandle } from '../platform/types.ts';
import type { DeliveryRequest } from '../master/contracts.ts';
import type { PreciseTime } from '../global/queue/mail-queue.ts';
import {
  readQueueFile, QueueFileError, Attribute, type QueueFile, type QueueRecipient,
} from '../global/queue/queue-file.ts';
import { RecordError, RecordReader, RecordType, latin1, type ByteSource, type QueueRecord } from '../global/queue/record.ts';
import { parseSizeRecord } from '../global/queue/queue-fields.ts';
import { storedNextAttempt, type StoredNextAttempt } from './retry-time.ts';

/** Postfix's DEL_REQ_FLAG_* trace bits (deliver_request.h). */
export const TraceFlag = {
  mtaVerify: 1 << 8,
  userVerify: 1 << 9,
  record: 1 << 10,
  recordDelayedSent: 1 << 13,
} as const;

/** The size record's qmgr flags Postfix accepts (QMGR_READ_FLAG_USER): the mixed-records
 *  hint and the DSN NOTIFY bits shifted left by one. */
const QMGR_READ_FLAGS_USER = 0x1 | (0xf << 1);
export const QMGR_READ_FLAG_NOTIFY_SUCCESS = 2 << 1;

/** The parts of a queue file a delivery needs, as qmgr holds them in core. */
export interface LoadedMessage {
  file: QueueFile;
  sender: string;
  arrivalTime: PreciseTime;
  createTimeSeconds: number;
  /** cont_length: the "size=" qmgr logs and hands to agents. */
  contentLength: number;
  dataOffset: number;
  /** The size record's recipient count: "nrcpt=". */
  recipientCount: number;
  qmgrFlags: number;
  /** Recipients not yet done, in file order. */
  recipients: QueueRecipient[];
  warnTime?: { seconds: number; offset: number };
  traceFlags: number;
  /** Offset of a trace_flags attribute that asked only to record (killed after the trace flush). */
  traceFlagsOffset?: number;
  dsnEnvelopeId?: string;
  dsnReturn?: 'full' | 'hdrs';
  /** The client attributes a delivery request carries (qmgr_message_read). */
  client: DeliveryClientAttributes;
  /** The last content_filter record (REC_TYPE_FILT): "transport:nexthop" or "transport". */
  filter?: string;
  /** The last redirect_to record (REC_TYPE_RDR): every recipient becomes this address. */
  redirect?: string;
  /** storedNextAttempt(file), found while the records just read are at hand (the deferral
   *  needs it; the file's records are not changed after the read). */
  nextAttempt: StoredNextAttempt | undefined;
}

export type LoadResult =
  | { kind: 'loaded'; message: LoadedMessage; warnings: string[] }
  /** The file must go to corrupt/. `opened` says whether the sender was read first, so
   *  that the "(queue active)" line is logged before the warnings, as Postfix does. */
  | { kind: 'corrupt'; warnings: string[]; opened?: { sender: string; contentLength: number; recipientCount: number } };

/** Records scanned when looking for the sender of a damaged file. */
const SALVAGE_RECORDS_MAX = 100_000;

/** A file handle as a byte source; a read error ends the data, as for a VSTREAM. */
export function handleSource(handle: FileHandle): ByteSource {
  return new HandleSource(handle);
}

/** handleSource's object (a class, so that no function is made per file read). */
class HandleSource implements ByteSource {
  constructor(private readonly handle: FileHandle) {}

  /** The handle's read; a failed one (thrown or rejected) is no data. Not an async
   *  function: the read's promise with one reaction answers after the same turns as an
   *  async function that awaited it, without its frame and the await's closures. */
  read(length: number, position?: number): Promise<Uint8Array> {
    let reading: Promise<Uint8Array>;
    try {
      reading = this.handle.read(length, position);
    } catch {
      return Promise.resolve(new Uint8Array(0));
    }
    return reading.then(undefined, noBytes);
  }
}

const noBytes = (): Uint8Array => new Uint8Array(0);

/** The payloads of the last content_filter and redirect_to records (qmgr_message_read
 *  keeps the last one of each), found in one walk over the records. */
function lastFilterAndRedirect(file: QueueFile): { filter: string | undefined; redirect: string | undefined } | undefined {
  let filter: QueueRecord | undefined;
  let redirect: QueueRecord | undefined;
  const { records } = file;
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    if (record.type === RecordType.contentFilter) filter = record;
    else if (record.type === RecordType.redirect) redirect = record;
  }
  if (filter === undefined && redirect === undefined) return undefined;
  return { filter: textOf(filter), redirect: textOf(redirect) };
}

const utf8Decoder = new TextDecoder();
const textOf = (record: QueueRecord | undefined): string | undefined => (record === undefined ? undefined : utf8Decoder.decode(record.payload));

/** The value of the first attribute of a name. */
function attributeValue(file: QueueFile, name: string): string | undefined {
  const { attributes } = file;
  for (let index = 0; index < attributes.length; index++) {
    const attribute = attributes[index]!;
    if (attribute.name === name) return attribute.value;
  }
  return undefined;
}

function offsetOfAttribute(file: QueueFile, name: string): number | undefined {
  for (const record of file.records) {
    if (record.type !== RecordType.attribute) continue;
    if (latin1(record.payload).startsWith(`${name}=`)) return record.offset;
  }
  return undefined;
}

/** The client attributes of a delivery request (a subset of DeliveryRequest). */
export type DeliveryClientAttributes = Pick<DeliveryRequest, 'clientName' | 'clientAddress' | 'clientPort' |
  'clientProtocol' | 'clientHelo' | 'saslMethod' | 'saslUsername' | 'saslSender' | 'logIdent' | 'rewriteContext'>;
type ClientKey = keyof DeliveryClientAttributes;

/** How an attribute names the client: the original client as logged (log_*), the actual
 *  client (older queue files), or an attribute of which the first one counts (a repeat is
 *  warned about). One table, one probe per attribute. */
const LOGGED = 0;
const ACTUAL = 1;
const FIRST_WINS = 2;
const CLIENT_ATTRIBUTES: ReadonlyMap<string, { kind: number; key: ClientKey }> = new Map([
  ['log_client_name', { kind: LOGGED, key: 'clientName' }], ['log_client_address', { kind: LOGGED, key: 'clientAddress' }],
  ['log_client_port', { kind: LOGGED, key: 'clientPort' }], ['log_protocol_name', { kind: LOGGED, key: 'clientProtocol' }],
  ['log_helo_name', { kind: LOGGED, key: 'clientHelo' }],
  ['client_name', { kind: ACTUAL, key: 'clientName' }], ['client_address', { kind: ACTUAL, key: 'clientAddress' }],
  ['client_port', { kind: ACTUAL, key: 'clientPort' }], ['protocol_name', { kind: ACTUAL, key: 'clientProtocol' }],
  ['helo_name', { kind: ACTUAL, key: 'clientHelo' }],
  ['sasl_method', { kind: FIRST_WINS, key: 'saslMethod' }], ['sasl_username', { kind: FIRST_WINS, key: 'saslUsername' }],
  ['sasl_sender', { kind: FIRST_WINS, key: 'saslSender' }], ['log_ident', { kind: FIRST_WINS, key: 'logIdent' }],
  ['rewrite_context', { kind: FIRST_WINS, key: 'rewriteContext' }],
]);

/** Client attributes in file order, as qmgr_message_read reads them: a log_* attribute
 *  replaces its value; an actual client_* one fills a value still unset, but only until
 *  the first log_* attribute is seen (then the file carries the original client's). */
function clientAttributes(file: QueueFile, warnings: string[], queueId: string): DeliveryClientAttributes {
  const client: DeliveryClientAttributes = {};
  let sawLogged = false;
  const { attributes } = file;
  for (let index = 0; index < attributes.length; index++) {
    const { name, value } = attributes[index]!;
    const known = CLIENT_ATTRIBUTES.get(name);
    if (known === undefined) continue;
    const { key } = known;
    if (known.kind === LOGGED) {
      client[key] = value;
      sawLogged = true;
    } else if (known.kind === ACTUAL) {
      if (!sawLogged && client[key] === undefined) client[key] = value;
    } else if (client[key] === undefined) {
      client[key] = value;
    } else {
      warnings.push(`${queueId}: ignoring multiple ${name} attribute: ${value}`);
    }
  }
  return client;
}

function dsnReturnOf(file: QueueFile, warnings: string[], queueId: string): 'full' | 'hdrs' | undefined {
  const value = attributeValue(file, Attribute.dsnReturn);
  if (value === undefined) return undefined;
  if (value === '1') return 'full';
  if (value === '2') return 'hdrs';
  warnings.push(`${queueId}: ignoring malformed DSN RET flags in queue file record:${value.slice(0, 100)}`);
  return undefined;
}

/** Reads the sender and size of a file that failed to read whole. */
async function salvageOpened(source: ByteSource, path: string): Promise<{ sender: string; contentLength: number; recipientCount: number } | undefined> {
  const reader = new RecordReader(source, { path, transparent: true });
  let contentLength = 0;
  let recipientCount = 0;
  try {
    for (let count = 0; count < SALVAGE_RECORDS_MAX; count++) {
      const record = await reader.next();
      if (record === null || record.type === RecordType.messageContentStart) return undefined;
      if (record.type === RecordType.size) {
        const size = parseSizeRecord(latin1(record.payload));
        contentLength = size === undefined ? 0 : (size.contentLength || size.contentSize);
        recipientCount = size?.recipientCount ?? 0;
      }
      if (record.type === RecordType.sender) return { sender: new TextDecoder().decode(record.payload), contentLength, recipientCount };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Reads and checks a queue file in active/ (qmgr_message_read). */
export async function loadMessage(handle: FileHandle, path: string, queueId: string): Promise<LoadResult> {
  const source = handleSource(handle);
  const warnings: string[] = [];
  let file: QueueFile;
  try {
    file = await readQueueFile(source, path);
  } catch (error) {
    if (error instanceof RecordError) warnings.push(error.message, `${queueId}: message rejected: missing end record`);
    else if (error instanceof QueueFileError) warnings.push(`${queueId}: message rejected: ${error.message}`);
    else throw error;
    return { kind: 'corrupt', warnings, opened: await salvageOpened(source, path) };
  }
  const size = file.size;
  const contentLength = size === undefined ? 0 : (size.contentLength || size.contentSize);
  const opened = file.sender === undefined ? undefined
    : { sender: file.sender, contentLength, recipientCount: size?.recipientCount ?? 0 };
  const sizeProblem = size === undefined ? undefined
    : size.dataOffset <= 0 || size.contentSize <= 0 || size.contentLength < 0 ? 'invalid size record'
      : (size.qmgrFlags & ~QMGR_READ_FLAGS_USER) !== 0 ? 'invalid flags in size record' : undefined;
  if (sizeProblem !== undefined) {
    warnings.push(`${queueId}: ${sizeProblem}: ${latin1(file.records[0]?.payload ?? new Uint8Array(0)).slice(0, 100)}`);
    return { kind: 'corrupt', warnings, opened };
  }
  if (!file.complete) warnings.push(`${queueId}: message rejected: missing end record`);
  else if (file.arrivalTime === undefined || file.arrivalTime.seconds === 0) warnings.push(`${queueId}: message rejected: missing arrival time record`);
  else if (file.sender === undefined) warnings.push(`${queueId}: message rejected: missing sender record`);
  else if (size === undefined) warnings.push(`${queueId}: message rejected: missing size record`);
  if (warnings.length > 0 || size === undefined || file.sender === undefined || file.arrivalTime === undefined) {
    return { kind: 'corrupt', warnings, opened };
  }
  const recipients: QueueRecipient[] = [];
  for (let index = 0; index < file.recipients.length; index++) {
    const recipient = file.recipients[index]!;
    if (recipient.status === 'todo') recipients.push(recipient);
  }
  const unread = size.recipientCount - file.recipients.length;
  if (unread !== 0) warnings.push(`${queueId}: rcpt count mismatch (${unread})`);
  const traceFlagsText = attributeValue(file, 'trace_flags');
  const traceFlags = traceFlagsText === undefined ? 0 : (Number.parseInt(traceFlagsText, 10) || 0);
  const message: LoadedMessage = {
    file,
    sender: file.sender,
    arrivalTime: file.arrivalTime,
    createTimeSeconds: file.createTimeSeconds || file.arrivalTime.seconds,
    contentLength,
    dataOffset: size.dataOffset,
    recipientCount: size.recipientCount,
    qmgrFlags: size.qmgrFlags,
    recipients,
    warnTime: file.warningTime,
    traceFlags,
    traceFlagsOffset: traceFlags === TraceFlag.record ? offsetOfAttribute(file, 'trace_flags') : undefined,
    dsnEnvelopeId: attributeValue(file, Attribute.dsnEnvelopeId),
    dsnReturn: dsnReturnOf(file, warnings, queueId),
    client: clientAttributes(file, warnings, queueId),
    nextAttempt: storedNextAttempt(file),
  };
  const found = lastFilterAndRedirect(file);
  if (found?.filter !== undefined) message.filter = found.filter;
  if (found?.redirect !== undefined) message.redirect = found.redirect;
  return { kind: 'loaded', message, warnings };
}
