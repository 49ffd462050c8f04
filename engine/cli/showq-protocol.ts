// The showq service's wire format, as Postfix 3.7's showq(8) writes it to public/showq and
// postqueue(1) reads it: attribute records in attr_print0 form (each attribute "name\0
// value\0", a record ended by an empty name "\0"). First a protocol record
// (protocol=mail_queue_list_protocol); then one record per message (queue_name, queue_id,
// time, size, forced_expire, sender, then recipient and reason for every recipient; 3.7
// sends no original_recipient/log_class, which later versions added); an empty record ends
// the listing. Because the format is Postfix's,
// the real postqueue can list an mtalab host's queue and mtalab's can list a real one's.
// Called by engine/cli/control-channel.ts (server) and engine/cli/mail-system-link.ts
// (client). Trusts nothing it decodes: malformed input is an error, sizes are bounded.
// Models src/showq/showq.c, src/postqueue/showq_compat.c and src/util/attr_print0.c.

import type { ShowqMessage } from '../showq/api.ts';

export const SHOWQ_PROTOCOL_NAME = 'mail_queue_list_protocol';
/** Recipients one decoded message may hold (named limit; Postfix streams without one). */
export const SHOWQ_RECIPIENTS_MAX = 1_000_000;
/** Messages one decoded listing may hold. */
export const SHOWQ_DECODED_MESSAGES_MAX = 1_000_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function attributes(pairs: ReadonlyArray<readonly [string, string]>, more: boolean): string {
  return pairs.map(([name, value]) => `${name}\0${value}\0`).join('') + (more ? '' : '\0');
}

/** The protocol announcement showq sends first. */
export function encodeShowqGreeting(): Uint8Array {
  return encoder.encode(attributes([['protocol', SHOWQ_PROTOCOL_NAME]], false));
}

/** One message's record. */
export function encodeShowqMessage(message: ShowqMessage): Uint8Array {
  let text = attributes([
    ['queue_name', message.queueName], ['queue_id', message.queueId],
    ['time', String(Math.max(0, Math.trunc(message.arrivalTime)))], ['size', String(Math.max(0, Math.trunc(message.messageSize)))],
    ['forced_expire', message.forcedExpire ? '1' : '0'], ['sender', message.sender],
  ], true);
  for (const recipient of message.recipients) {
    text += attributes([
      ['recipient', recipient.address], ['reason', recipient.reason],
    ], true);
  }
  return encoder.encode(`${text}\0`);
}

/** The empty record that ends the listing. */
export function encodeShowqEnd(): Uint8Array {
  return encoder.encode('\0');
}

/** A whole listing: greeting, messages, end. */
export function encodeShowqListing(messages: readonly ShowqMessage[]): Uint8Array {
  const parts = [encodeShowqGreeting(), ...messages.map(encodeShowqMessage), encodeShowqEnd()];
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

export class ShowqProtocolError extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'ShowqProtocolError';
  }
}

/** Reads NUL-terminated strings off a buffer. */
class Tokens {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  next(): string {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw new ShowqProtocolError('premature end of showq server response');
    const text = decoder.decode(this.bytes.subarray(this.offset, end));
    this.offset = end + 1;
    return text;
  }

  /** One record: name/value pairs up to the empty name. */
  record(pairsMax: number): Array<[string, string]> {
    const pairs: Array<[string, string]> = [];
    for (let count = 0; count <= pairsMax; count++) {
      const name = this.next();
      if (name === '') return pairs;
      pairs.push([name, this.next()]);
    }
    throw new ShowqProtocolError('showq record too long');
  }
}

function expectName(pair: [string, string] | undefined, name: string): string {
  if (pair === undefined || pair[0] !== name) throw new ShowqProtocolError(`malformed showq server response: expected ${name}`);
  return pair[1];
}

function decimal(text: string, name: string): number {
  if (!/^\d{1,20}$/.test(text)) throw new ShowqProtocolError(`malformed showq server response: bad ${name}`);
  return Number(text);
}

const HEADER_PAIRS = 6;
const RECIPIENT_PAIRS = 2;

function decodeMessage(pairs: Array<[string, string]>): ShowqMessage {
  if ((pairs.length - HEADER_PAIRS) % RECIPIENT_PAIRS !== 0 || pairs.length < HEADER_PAIRS) {
    throw new ShowqProtocolError('malformed showq server response: bad message record');
  }
  const message: ShowqMessage = {
    queueName: expectName(pairs[0], 'queue_name'),
    queueId: expectName(pairs[1], 'queue_id'),
    arrivalTime: decimal(expectName(pairs[2], 'time'), 'time'),
    messageSize: decimal(expectName(pairs[3], 'size'), 'size'),
    forcedExpire: decimal(expectName(pairs[4], 'forced_expire'), 'forced_expire') !== 0,
    sender: expectName(pairs[5], 'sender'),
    recipients: [],
  };
  for (let index = HEADER_PAIRS; index < pairs.length; index += RECIPIENT_PAIRS) {
    const address = expectName(pairs[index], 'recipient');
    message.recipients.push({ address, reason: expectName(pairs[index + 1], 'reason') });
  }
  return message;
}

/** Decodes a whole showq response; throws ShowqProtocolError on anything malformed. */
export function decodeShowqListing(bytes: Uint8Array): ShowqMessage[] {
  const tokens = new Tokens(bytes);
  const greeting = tokens.record(1);
  if (expectName(greeting[0], 'protocol') !== SHOWQ_PROTOCOL_NAME || greeting.length !== 1) {
    throw new ShowqProtocolError('malformed showq server response');
  }
  const messages: ShowqMessage[] = [];
  const pairsMax = HEADER_PAIRS + RECIPIENT_PAIRS * SHOWQ_RECIPIENTS_MAX;
  for (let count = 0; count <= SHOWQ_DECODED_MESSAGES_MAX; count++) {
    const pairs = tokens.record(pairsMax);
    if (pairs.length === 0) return messages;
    messages.push(decodeMessage(pairs));
  }
  throw new ShowqProtocolError('showq listing too long');
}
