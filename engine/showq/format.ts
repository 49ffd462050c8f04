// The two ways postqueue prints a showq listing: the classic mailq table (postqueue -p,
// mailq, sendmail -bp) and one JSON object per message (postqueue -j), byte for byte as
// Postfix 3.7 prints them: column widths for short and long queue ids, '*' after an active
// message's id, '!' after a held one, '#' after a force-expired one, the deferral reason
// right-aligned in parentheses (flush left when it is longer than the indent), a blank
// line between messages, and the "-- N Kbytes in M Requests." summary.
// Called by engine/admin/postqueue.ts. Trusts the listing (printable text already).
// Models src/postqueue/showq_compat.c and src/postqueue/showq_json.c.

import { asctime } from '../global/queue/record-text.ts';
import type { ShowqMessage } from './api.ts';

/** showq_compat's right edge for the "(reason)" line. */
export const REASON_COLUMN = 76;

interface Columns {
  id: number;
  size: number;
  time: number;
  headings: [string, string, string, string];
}

const SHORT_COLUMNS: Columns = {
  id: 11, size: 7, time: 20,
  headings: ['-Queue ID-', '--Size--', '----Arrival Time----', '-Sender/Recipient-------'],
};
const LONG_COLUMNS: Columns = {
  id: 17, size: 8, time: 19,
  headings: ['----Queue ID-----', '--Size--', '---Arrival Time----', '--Sender/Recipient------'],
};

const left = (text: string, width: number): string => text.padEnd(width, ' ');
const right = (text: string, width: number): string => text.padStart(width, ' ');

/** "%-11s %7s %-20s %s\n" (or the long-id widths). */
function stringLine(columns: Columns, id: string, size: string, time: string, text: string): string {
  return `${left(id, columns.id)} ${right(size, columns.size)} ${left(time, columns.time)} ${text}\n`;
}

/** The id with its state marks: '*' active, '!' hold, then '#' when force-expired. */
export function decoratedId(message: ShowqMessage): string {
  let id = message.queueId;
  if (message.queueName === 'active') id += '*';
  else if (message.queueName === 'hold') id += '!';
  if (message.forcedExpire) id += '#';
  return id;
}

/** One message: the sender line, then per recipient an optional reason line and the
 *  address. A reason line appears whenever the reason differs from the previous one;
 *  a recipient without one after one with a reason gets "(reason unavailable)". */
export function formatMessage(message: ShowqMessage, longQueueIds: boolean): string {
  const columns = longQueueIds ? LONG_COLUMNS : SHORT_COLUMNS;
  // "%20.20s" of asctime(): the first 20 (or 19) characters, right-aligned.
  const time = right(asctime(message.arrivalTime).slice(0, columns.time), columns.time);
  let text = `${left(decoratedId(message), columns.id)} ${right(String(message.messageSize), columns.size)} ${time} ${message.sender}\n`;
  let savedReason = '';
  for (const recipient of message.recipients) {
    if (recipient.reason !== savedReason) {
      savedReason = recipient.reason;
      const shown = savedReason === '' ? 'reason unavailable' : savedReason;
      text += `${' '.repeat(Math.max(0, REASON_COLUMN - shown.length))}(${shown})\n`;
    }
    text += stringLine(columns, '', '', '', recipient.address);
  }
  return text;
}

/** The whole mailq listing (showq_compat). */
export function formatMailq(messages: readonly ShowqMessage[], longQueueIds: boolean): string {
  if (messages.length === 0) return 'Mail queue is empty\n';
  const columns = longQueueIds ? LONG_COLUMNS : SHORT_COLUMNS;
  let text = stringLine(columns, ...columns.headings);
  let queueBytes = 0;
  messages.forEach((message, index) => {
    if (index > 0) text += '\n';
    text += formatMessage(message, longQueueIds);
    queueBytes += message.messageSize;
  });
  const count = messages.length;
  text += `\n-- ${Math.floor(queueBytes / 1024)} Kbytes in ${count} Request${count === 1 ? '' : 's'}.\n`;
  return text;
}

const JSON_SHORT_ESCAPES: Readonly<Record<number, string>> = { 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t' };

/** json_quote(): short escapes for common control characters, \u00XX for the others
 *  (DEL included), backslash before '"' and '\\'. */
export function jsonQuote(text: string): string {
  let result = '';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (code < 32 || code === 127) {
      result += JSON_SHORT_ESCAPES[code] ?? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    } else if (character === '"' || character === '\\') {
      result += `\\${character}`;
    } else {
      result += character;
    }
  }
  return result;
}

/** One line of postqueue -j, fields in Postfix's order. */
export function formatJsonMessage(message: ShowqMessage): string {
  const recipients = message.recipients.map((recipient) => {
    const reason = recipient.reason === '' ? '' : `, "delay_reason": "${jsonQuote(recipient.reason)}"`;
    return `{"address": "${jsonQuote(recipient.address)}"${reason}}`;
  });
  return `{"queue_name": "${jsonQuote(message.queueName)}", "queue_id": "${jsonQuote(message.queueId)}", `
    + `"arrival_time": ${message.arrivalTime}, "message_size": ${message.messageSize}, `
    + `"forced_expire": ${message.forcedExpire ? 'true' : 'false'}, "sender": "${jsonQuote(message.sender)}", `
    + `"recipients": [${recipients.join(', ')}]}\n`;
}

export function formatJson(messages: readonly ShowqMessage[]): string {
  return messages.map(formatJsonMessage).join('');
}
