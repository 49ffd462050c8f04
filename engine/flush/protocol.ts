// The flush service's wire format at queue_directory/public/flush, as Postfix 3.7's
// flush(8) and its clients (flush_clnt.c through mail_command_client) speak it: attribute
// records in attr_print0 form ("name\0value\0" pairs, a record ended by an empty name).
// The server announces itself first (protocol=queue_flush_protocol); the client sends one
// request record (request=add|send_site|send_file|rfrsh|purge, then site and/or
// queue_id); the server answers status=N (flush_clnt.h: 0 ok, -1 fail, 3 bad, 4 deny) and
// closes. A request the server does not know gets no answer at all (flush.c falls through),
// and the client sees end of input (a failure). A request of at most two bytes is master's
// wakeup in the string+null form ("W\0"), as flush.c's request-size kluge reads it.
// Because the format is Postfix's, the real postqueue can flush an mtalab host and mtalab's
// postqueue a real one. Pure code: the sockets are engine/cli's (control-channel.ts serves,
// mail-system-link.ts connects). Trusts nothing it decodes; sizes are bounded.
// Models src/flush/flush.c (flush_service, flush_request_receive), src/global/flush_clnt.c,
// src/global/mail_command_client.c and src/util/attr_scan0.c's strict mode.

import type { FlushEndpoint, FlushStatus } from './api.ts';
import type { PlatformErrorCode } from '../platform/types.ts';

export const FLUSH_PROTOCOL_NAME = 'queue_flush_protocol';
/** Bytes one request may hold before the server gives up on it (named limit). */
export const FLUSH_REQUEST_BYTES_MAX = 64 * 1024;
/** Bytes of a server's answer a client reads at most. */
export const FLUSH_RESPONSE_BYTES_MAX = 4096;
/** flush.c's kluge: a request this short is master's trigger, not an attribute list. */
export const FLUSH_TRIGGER_BYTES_MAX = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** flush_clnt.h's status numbers. */
const STATUS_NUMBERS: Record<FlushStatus, number> = { ok: 0, fail: -1, bad: 3, deny: 4 };

function record(pairs: ReadonlyArray<readonly [string, string]>): Uint8Array {
  return encoder.encode(`${pairs.map(([name, value]) => `${name}\0${value}\0`).join('')}\0`);
}

/** The server's announcement. */
export function encodeFlushGreeting(): Uint8Array {
  return record([['protocol', FLUSH_PROTOCOL_NAME]]);
}

/** The server's answer. */
export function encodeFlushStatus(status: FlushStatus): Uint8Array {
  return record([['status', String(STATUS_NUMBERS[status])]]);
}

/** What a client sends. */
export type FlushRequest =
  | { request: 'add'; site: string; queueId: string }
  | { request: 'send_site'; site: string }
  | { request: 'send_file'; queueId: string }
  | { request: 'rfrsh' }
  | { request: 'purge' };

/** A client's request record. */
export function encodeFlushRequest(request: FlushRequest): Uint8Array {
  const pairs: Array<[string, string]> = [['request', request.request]];
  if ('site' in request) pairs.push(['site', request.site]);
  if ('queueId' in request) pairs.push(['queue_id', request.queueId]);
  return record(pairs);
}

/** The NUL-terminated strings of a buffer, or undefined while a record is incomplete. */
function tokensOfRecord(bytes: Uint8Array): string[] | undefined {
  const tokens: string[] = [];
  let offset = 0;
  for (let count = 0; count <= bytes.length; count++) {
    const end = bytes.indexOf(0, offset);
    if (end < 0) return undefined;
    const token = decoder.decode(bytes.subarray(offset, end));
    offset = end + 1;
    // A name position (even index) that is empty ends the record.
    if (tokens.length % 2 === 0 && token === '') return tokens;
    tokens.push(token);
  }
  return undefined;
}

/** What the server makes of the bytes received so far: 'incomplete' (read more), a
 *  trigger (master's wakeup), a request, or a bad one (status 3, with the warning strict
 *  attribute scanning logs), or an unknown request name (no answer). */
export type FlushServerInput =
  | { kind: 'incomplete' }
  | { kind: 'trigger'; text: string }
  | { kind: 'request'; request: FlushRequest }
  | { kind: 'bad'; warning?: string }
  | { kind: 'unknown' };

/** attr_scan0's complaint about an attribute it did not expect. */
function unexpected(name: string, expecting: string): string {
  return `unexpected attribute ${name} from flush socket (expecting: ${expecting})`;
}

/** flush_request_receive() and flush_service()'s attribute scans. `ended` says that the
 *  client has sent all it will (a short request is complete then). */
export function decodeFlushServerInput(bytes: Uint8Array, ended: boolean): FlushServerInput {
  if (bytes.length <= FLUSH_TRIGGER_BYTES_MAX && (ended || bytes.indexOf(0) >= 0) && bytes.length > 0) {
    const end = bytes.indexOf(0);
    return { kind: 'trigger', text: decoder.decode(bytes.subarray(0, end < 0 ? bytes.length : end)) };
  }
  const tokens = tokensOfRecord(bytes);
  if (tokens === undefined) return ended || bytes.length > FLUSH_REQUEST_BYTES_MAX ? { kind: 'bad' } : { kind: 'incomplete' };
  if (tokens[0] !== 'request') return { kind: 'bad', warning: tokens[0] === undefined ? undefined : unexpected(tokens[0], 'request') };
  const request = tokens[1] ?? '';
  const expected: Record<string, string[]> = { add: ['site', 'queue_id'], send_site: ['site'], send_file: ['queue_id'], rfrsh: [], purge: [] };
  const names = expected[request];
  if (names === undefined) return { kind: 'unknown' };
  const values: string[] = [];
  for (let index = 0; index < names.length; index++) {
    const name = tokens[2 + 2 * index];
    if (name === undefined) return { kind: 'bad' };
    if (name !== names[index]) return { kind: 'bad', warning: unexpected(name, names[index]!) };
    values.push(tokens[3 + 2 * index] ?? '');
  }
  const extra = tokens[2 + 2 * names.length];
  if (extra !== undefined && names.length > 0) return { kind: 'bad', warning: unexpected(extra, 'END') };
  switch (request) {
    case 'add': return { kind: 'request', request: { request, site: values[0]!, queueId: values[1]! } };
    case 'send_site': return { kind: 'request', request: { request, site: values[0]! } };
    case 'send_file': return { kind: 'request', request: { request, queueId: values[0]! } };
    case 'rfrsh': return { kind: 'request', request: { request } };
    default: return { kind: 'request', request: { request: 'purge' } };
  }
}

/** flush_service(): runs a decoded request on the service. Sites are lower-cased as the
 *  server does; a bad queue id in an add is status 3 without asking the core. */
export function runFlushRequest(endpoint: FlushEndpoint, request: FlushRequest): Promise<FlushStatus> {
  switch (request.request) {
    case 'add': return endpoint.flushAdd(request.site.toLowerCase(), request.queueId);
    case 'send_site': return endpoint.flushSendSite(request.site.toLowerCase());
    case 'send_file': return endpoint.flushSendFile(request.queueId);
    case 'rfrsh': return endpoint.flushRefresh();
    case 'purge': return endpoint.flushPurge();
  }
}

/** What a client reads: the announcement, then the status. 'incomplete' while bytes are
 *  missing; a protocol mismatch or a malformed answer is 'fail' (mail_command_client's -1). */
export function decodeFlushResponse(bytes: Uint8Array, ended: boolean): FlushStatus | 'incomplete' {
  const greeting = tokensOfRecord(bytes);
  if (greeting === undefined) return ended ? 'fail' : 'incomplete';
  if (greeting.length !== 2 || greeting[0] !== 'protocol' || greeting[1] !== FLUSH_PROTOCOL_NAME) return 'fail';
  const rest = bytes.subarray(encodeFlushGreeting().length);
  const answer = tokensOfRecord(rest);
  if (answer === undefined) return ended ? 'fail' : 'incomplete';
  if (answer.length !== 2 || answer[0] !== 'status' || !/^-?\d{1,10}$/.test(answer[1] ?? '')) return 'fail';
  switch (Number(answer[1])) {
    case 0: return 'ok';
    case 3: return 'bad';
    case 4: return 'deny';
    default: return 'fail';
  }
}

/** Whether the bytes so far hold the server's announcement (the client then writes). */
export function hasFlushGreeting(bytes: Uint8Array): boolean {
  return tokensOfRecord(bytes) !== undefined;
}

/** A connection to the flush service that could not be made (mail_connect failed): the
 *  client warns "connect to public/flush: ..." with this error code. */
export class FlushConnectError extends Error {
  constructor(readonly code: PlatformErrorCode) {
    super(`connect: ${code}`);
    this.name = 'FlushConnectError';
  }
}
