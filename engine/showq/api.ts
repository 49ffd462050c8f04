// showq(8)'s core: what is in the mail queue. For every finished queue file in maildrop,
// active, incoming, deferred and hold (in that order, ids sorted within a queue) it
// reports the queue, id, arrival time, message size, forced-expiry flag and sender, then
// the recipients: first those in the message's defer log with the reason of their last
// deferral, then the queue file's undelivered recipients that the defer log did not name.
// postqueue -p/-j (and mailq, sendmail -bp) format what this returns (format.ts).
// Called by the showq service (service.ts) and, when the mail system is down, directly by
// postqueue as Postfix's runs `showq -S`. Trusts nothing in the files: a damaged one is
// listed as far as it reads, or skipped.
// Models src/showq/showq.c (Postfix 3.7: reasons from the defer log only).

import type { FileStat } from '../platform/types.ts';
import type { MailQueue } from '../global/queue/mail-queue.ts';
import { queueFilePath } from '../global/queue/mail-queue.ts';
import { queuePathOf } from '../global/queue/queue-id.ts';
import { readQueueFile, type QueueFile } from '../global/queue/queue-file.ts';
import { RecordType, latin1 } from '../global/queue/record.ts';
import { atol } from '../global/queue/record-text.ts';
import { quoteLocalPart, printable } from '../global/address/index.ts';
import { readRecipientLog } from '../global/dsn/recipient-log.ts';
import { walkQueue, checkQueueFileOpenable, QUEUE_STAT_EXPIRE } from '../global/queue/scan-dir.ts';

/** The queues showq lists, in its order. */
export const SHOWQ_QUEUE_NAMES: readonly string[] = ['maildrop', 'active', 'incoming', 'deferred', 'hold'];

/** Messages one listing holds at most (named limit; Postfix streams without one). */
export const SHOWQ_MESSAGES_MAX = 100_000;

export interface ShowqRecipient {
  /** External (quoted), printable form. */
  address: string;
  /** Why delivery was deferred; "" when the defer log does not name this recipient. */
  reason: string;
}

export interface ShowqMessage {
  queueName: string;
  queueId: string;
  /** Seconds since the epoch: the file's first time record, else its modification time. */
  arrivalTime: number;
  messageSize: number;
  /** postsuper -e / -f marked it for expiry (group execute bit). */
  forcedExpire: boolean;
  sender: string;
  recipients: ShowqRecipient[];
}

export interface ShowqSettings {
  /** empty_address_recipient: how the null sender and empty recipients are shown. */
  emptyAddress: string;
  /** duplicate_filter_limit: defer-log recipients remembered (0: no limit). */
  duplicateFilterLimit: number;
}

export interface ShowqOptions extends ShowqSettings {
  queue: MailQueue;
  /** showq's warnings (msg_warn), e.g. a malformed size record. */
  warn(text: string): void;
  messagesMax?: number;
}

/** What the showq service answers (the contract postqueue calls). */
export interface ShowqEndpoint {
  showQueue(): Promise<ShowqMessage[]>;
}

/** The whole listing, as showq_service() streams it. */
export async function showQueue(options: ShowqOptions): Promise<ShowqMessage[]> {
  const messagesMax = options.messagesMax ?? SHOWQ_MESSAGES_MAX;
  const messages: ShowqMessage[] = [];
  const { fs, queueDirectory } = options.queue;
  for (const queueName of SHOWQ_QUEUE_NAMES) {
    const entries = await walkQueue(fs, queueDirectory, queueName, { recurse: queueName !== 'maildrop' });
    for (const entry of entries) {
      if (messages.length >= messagesMax) return messages;
      const relative = `${queueName}/${entry.path.slice(queueDirectory.length + queueName.length + 2)}`;
      const verdict = await checkQueueFileOpenable(fs, entry.path, relative);
      if (!verdict.ok) {
        if (verdict.warning !== undefined) options.warn(verdict.warning);
        continue;
      }
      const message = await reportMessage(options, queueName, entry.name, entry.path, verdict.stat);
      if (message !== undefined) messages.push(message);
    }
  }
  return messages;
}

/** One message's report (showq_report), or undefined when the file vanished or has no
 *  sender before its first recipient. */
export async function reportMessage(options: ShowqOptions, queueName: string, queueId: string, path: string, stat: FileStat): Promise<ShowqMessage | undefined> {
  const file = await readMessageFile(options, path);
  if (file === undefined) return undefined;
  const senderRecords = file.records.filter((record) => record.type === RecordType.sender);
  const firstSender = senderRecords[0];
  const firstRecipient = file.recipients[0];
  if (firstSender === undefined || (firstRecipient !== undefined && firstRecipient.offset < firstSender.offset)) {
    if (firstRecipient !== undefined) options.warn(`${queueId}: missing sender address:  -- skipping remainder of this file`);
    return undefined;
  }
  const sender = externalForm(file.sender ?? '', options.emptyAddress);
  // A second sender record ends the listing of this file (showq_report's duplicate check).
  const secondSender = senderRecords[1];
  if (secondSender !== undefined) {
    options.warn(`${queueId}: duplicate sender address: ${externalForm(new TextDecoder().decode(secondSender.payload), options.emptyAddress)} -- skipping remainder of this file`);
  }
  const cutOff = secondSender?.offset ?? Number.POSITIVE_INFINITY;
  const message: ShowqMessage = {
    queueName, queueId,
    arrivalTime: arrivalTimeOf(file, stat),
    messageSize: messageSizeOf(options, file, queueId, stat),
    forcedExpire: (stat.mode & QUEUE_STAT_EXPIRE) !== 0,
    sender,
    recipients: [],
  };
  const listed = await deferredRecipients(options, queueId, message.recipients);
  for (const recipient of file.recipients) {
    if (recipient.offset > cutOff) break;
    if (recipient.status !== 'todo') continue;
    const address = externalForm(recipient.address, options.emptyAddress);
    if (listed.has(address)) continue;
    message.recipients.push({ address, reason: '' });
  }
  return message;
}

async function readMessageFile(options: ShowqOptions, path: string): Promise<QueueFile | undefined> {
  let handle;
  try {
    handle = await options.queue.fs.open(path, 'r');
  } catch {
    return undefined; // lost a race with qmgr or postsuper: not worth a word, as in showq
  }
  try {
    return await readQueueFile(handle, path);
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/** quote_822_local() then printable(), with empty_address_recipient for "". */
function externalForm(address: string, emptyAddress: string): string {
  return printable(quoteLocalPart(address === '' ? emptyAddress : address));
}

function arrivalTimeOf(file: QueueFile, stat: FileStat): number {
  const seconds = file.arrivalTime?.seconds ?? 0;
  return seconds > 0 ? seconds : Math.floor(stat.mtimeMs / 1000);
}

/** The size record's first field; without one, or with a malformed one, the file size.
 *  (3.7 reads the size record in maildrop too: a requeued file keeps its old one.) */
function messageSizeOf(options: ShowqOptions, file: QueueFile, queueId: string, stat: FileStat): number {
  const record = file.records.find((candidate) => candidate.type === RecordType.size);
  if (record === undefined) return stat.size;
  const text = latin1(record.payload);
  if (/^[0-9 ]*$/.test(text) && atol(text) >= 0) return atol(text);
  options.warn(`${queueId}: malformed size record: ${printable(text.slice(0, 100))} -- using file size instead`);
  return stat.size;
}

/** Appends the defer log's recipients with their reasons; returns the duplicate filter. */
async function deferredRecipients(options: ShowqOptions, queueId: string, recipients: ShowqRecipient[]): Promise<Set<string>> {
  const filter = new Set<string>();
  const path = queueFilePath(options.queue, 'defer', queueId);
  let log;
  try {
    log = await readRecipientLog(options.queue.fs, path, 'defer');
  } catch (error) {
    options.warn(`open ${queuePathOf('defer', queueId, options.queue.hashing)}: ${error instanceof Error ? error.message : String(error)}`);
    return filter;
  }
  for (const entry of log.entries) {
    const limit = options.duplicateFilterLimit;
    if (limit === 0 || filter.size < limit) filter.add(entry.recipient);
    recipients.push({ address: printable(entry.recipient), reason: printable(entry.reason) });
  }
  return filter;
}
