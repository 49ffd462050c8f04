// XFORWARD: a trusted content filter or proxy in front of smtpd (one that
// smtpd_authorized_xforward_hosts lists) tells it who the original client was, so that the
// queue file's log_* attributes and the "client=" log line name that client instead of the
// filter. Only logging changes: restrictions still see the real client. The forwarded
// values hold until the transaction ends (mail_reset), as in Postfix. ADDR takes only the
// address families of inet_protocols. When the host list's table fails at connect, EHLO and
// XFORWARD end the session with 421, as Postfix's cant_announce_feature/cant_permit_command.
// Called by the command table (commands.ts), ehloKeywords() (the EHLO keyword), the core's
// greeting (the access decision), resetTransaction() (api.ts), and stream-attributes.ts and
// commands-mail.ts (the forwarded values). Trusts nothing in the command's words.
// Models xforward_cmd() in src/smtpd/smtpd.c, smtpd_xforward.c and the FORWARD_* macros of
// smtpd.h.

import type { SmtpdProtocol } from './api.ts';
import { checkHostname, mailhostAddress } from '../global/address/domain.ts';
import { parseIpv6 } from '../global/maps/cidr.ts';
import { xtextDecode } from './commands-mail.ts';
import type { Session } from './session.ts';
import type { Word } from './tokens.ts';
import type { InetProtocols } from './settings.ts';
import { LocalDataError } from './input.ts';

/** What smtpd stores for an attribute the client knows nothing about. */
const UNKNOWN = 'unknown';
/** The value an upstream MTA sends for an attribute it does not have. */
const UNAVAILABLE = '[UNAVAILABLE]';
/** Longest attribute value accepted (after "NAME=", before xtext decoding). */
const VALUE_LENGTH_MAX = 255;
/** Longest PROTO value. */
const PROTOCOL_LENGTH_MAX = 64;
/** Longest PORT value: "65535". */
const PORT_DIGITS_MAX = 5;
/** Characters that would confuse log parsers or header syntax (NEUTER_CHARACTERS). */
const NEUTER_CHARACTERS = ' <>()\\";@';

/** inet_protocols = all on a host with IPv6. */
const BOTH_FAMILIES: InetProtocols = { ipv4: true, ipv6: true };

/** The EHLO line an authorized client sees. */
export const XFORWARD_EHLO_KEYWORD = 'XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT';

/** The forwarded client (SMTPD_XFORWARD_ATTR). `updated` holds the attribute names the
 *  client has sent; the others keep their preset "unknown" values. */
export interface Xforward {
  updated: Set<string>;
  name: string;
  address: string;
  /** The address as Received headers and log_client_address show it ("IPv6:..."). */
  rfcAddress: string;
  port: string;
  namaddr: string;
  protocol: string;
  heloName: string | undefined;
  ident: string | undefined;
  rewriteContext: 'local' | 'remote' | undefined;
}

/** smtpd_xforward_preset(): every client attribute "unknown", HELO, IDENT and SOURCE absent. */
function presetXforward(): Xforward {
  return {
    updated: new Set(), name: UNKNOWN, address: UNKNOWN, rfcAddress: UNKNOWN, port: UNKNOWN,
    namaddr: `${UNKNOWN}[${UNKNOWN}]`, protocol: UNKNOWN, heloName: undefined, ident: undefined, rewriteContext: undefined,
  };
}

/** At connect: whether this client may send XFORWARD (never in stand-alone mode, whose
 *  environment lists no hosts). A table that fails leaves it not allowed and marks the
 *  lookup failed: EHLO and XFORWARD then end the session (xforwardUndecided). */
export async function decideXforwardAccess(protocol: SmtpdProtocol): Promise<void> {
  const hosts = protocol.env.tables.xforwardHosts;
  const session = protocol.session;
  const client = session.client;
  session.xforwardAllowed = false;
  session.xforwardLookupFailed = false;
  if (hosts === undefined || hosts.isEmpty) return;
  try {
    session.xforwardAllowed = await hosts.match(client.name, client.address);
  } catch {
    session.xforwardLookupFailed = true;
  }
}

/** cant_announce_feature() / cant_permit_command(): when smtpd_authorized_xforward_hosts
 *  failed at connect, the warning and the end of the session ("421 4.3.0 ... Server local
 *  data error", written by the core on LocalDataError). `command`: XFORWARD itself, else the
 *  EHLO keyword. */
export function xforwardUndecided(protocol: SmtpdProtocol, command: boolean): void {
  const session = protocol.session;
  if (session.xforwardAllowed || !session.xforwardLookupFailed) return;
  protocol.env.log.warn(command
    ? `don't know if command XFORWARD should be allowed from ${session.namaddr}`
    : `don't know if EHLO feature XFORWARD should be announced to ${session.namaddr}`);
  throw new LocalDataError();
}

/** printable(value, '?') then neuter(): control characters and header specials become '?'. */
function censor(value: string, neuter: boolean): string {
  let result = '';
  for (const character of value) {
    const code = character.charCodeAt(0);
    const unprintable = code < 0x20 || code >= 0x7f;
    result += unprintable || (neuter && NEUTER_CHARACTERS.includes(character)) ? '?' : character;
  }
  return result;
}

/** inet_ntop()'s text of an IPv6 address (glibc): the first longest run of two or more zero
 *  groups as "::", and an address whose first five groups are zero and sixth 0 or ffff
 *  ("::a.b.c.d", "::ffff:a.b.c.d") with its last four bytes as a dotted quad. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) { start++; continue; }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength && end - start >= 2) { bestStart = start; bestLength = end - start; }
    start = end;
  }
  const hex = (list: number[]): string => list.map((group) => group.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  if (bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    return `::${bestLength === 5 ? 'ffff:' : ''}${[...bytes.slice(12, 16)].join('.')}`;
  }
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** normalize_mailhost_addr(): the bare and the mailhost form of "1.2.3.4" or "IPv6:...";
 *  undefined when it is no address or its family is not in inet_protocols. As getaddrinfo()
 *  with inet_protocols' family does: an IPv4-only host takes an IPv4-mapped IPv6 address as
 *  IPv4 and refuses every other IPv6 one; an IPv6-only host refuses IPv4 text and keeps a
 *  mapped address as IPv6 ("IPv6:::ffff:1.2.3.4"); with both, a mapped address becomes IPv4. */
export function normalizeMailhostAddress(text: string, protocols: InetProtocols = BOTH_FAMILIES):
  { address: string; rfcAddress: string } | undefined {
  const parsed = mailhostAddress(text);
  if (!('address' in parsed)) return undefined;
  if (!parsed.address.includes(':')) {
    if (!protocols.ipv4) return undefined;
    const address = parsed.address.split('.').map(Number).join('.');
    return { address, rfcAddress: address };
  }
  const bytes = parseIpv6(parsed.address);
  if (bytes === undefined) return undefined;
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped && protocols.ipv4) {
    const address = [...bytes.slice(12)].join('.');
    return { address, rfcAddress: address };
  }
  if (!protocols.ipv6) return undefined;
  const address = formatIpv6(bytes);
  return { address, rfcAddress: `IPv6:${address}` };
}

/** One NAME=value pair applied to `state`; the error reply text, or undefined. */
function applyAttribute(state: Xforward, name: string, value: string, protocols: InetProtocols): string | undefined {
  const unavailable = value === UNAVAILABLE;
  const badSyntax = `501 5.5.4 Bad ${name} syntax: `;
  switch (name) {
    case 'NAME': {
      const neutered = censor(value, true);
      if (!unavailable && !checkHostname(neutered).ok) return badSyntax + neutered;
      state.name = unavailable ? UNKNOWN : neutered;
      return undefined;
    }
    case 'ADDR': {
      if (unavailable) {
        state.address = UNKNOWN;
        return undefined;
      }
      const neutered = censor(value, true);
      const normal = normalizeMailhostAddress(neutered, protocols);
      if (normal === undefined) return badSyntax + neutered;
      state.address = normal.address;
      state.rfcAddress = normal.rfcAddress;
      return undefined;
    }
    case 'PORT':
      if (!unavailable && (!/^[0-9]+$/.test(value) || value.length > PORT_DIGITS_MAX)) return badSyntax + value;
      state.port = unavailable ? UNKNOWN : value;
      return undefined;
    case 'HELO':
      // CLIENT_HELO_UNKNOWN is no value at all: log_helo_name is then left out.
      state.heloName = unavailable ? undefined : censor(value, true);
      return undefined;
    case 'PROTO':
      if (!unavailable && value.length > PROTOCOL_LENGTH_MAX) return badSyntax + value;
      state.protocol = unavailable ? UNKNOWN : censor(value, true);
      return undefined;
    case 'IDENT':
      // CLIENT_IDENT_UNKNOWN likewise: log_ident falls back to smtpd's own queue id.
      state.ident = unavailable ? undefined : censor(value, true);
      return undefined;
    default: {
      const source = unavailable ? 'LOCAL' : value.toUpperCase();
      if (source !== 'LOCAL' && source !== 'REMOTE') return badSyntax + value;
      state.rewriteContext = source === 'LOCAL' ? 'local' : 'remote';
      return undefined;
    }
  }
}

const ATTRIBUTE_NAMES = new Set(['NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'IDENT', 'SOURCE']);

/** XFORWARD attribute=value ... */
export async function xforwardCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  const session = protocol.session;
  const fail = async (text: string): Promise<boolean> => {
    await protocol.replyText(text);
    return false;
  };
  if (session.inTransaction) return fail('503 5.5.1 Error: MAIL transaction in progress');
  if (words.length < 2) return fail('501 5.5.4 Syntax: XFORWARD attribute=value...');
  xforwardUndecided(protocol, true);
  if (!session.xforwardAllowed) return fail('550 5.7.0 Error: insufficient authorization');
  session.xforward ??= presetXforward();
  const state = session.xforward;
  let updatedAddress = false;
  for (const word of words.slice(1)) {
    const equals = word.text.indexOf('=');
    const rawValue = equals < 0 ? '' : word.text.slice(equals + 1);
    if (rawValue === '') return fail('501 5.5.4 Error: attribute=value expected');
    if (rawValue.length > VALUE_LENGTH_MAX) return fail('501 5.5.4 Error: attribute value too long');
    const value = censor(xtextDecode(rawValue) ?? rawValue, false);
    const attributeName = word.text.slice(0, equals);
    const name = attributeName.toUpperCase();
    if (!ATTRIBUTE_NAMES.has(name)) return fail(`501 5.5.4 Bad XFORWARD attribute name: ${attributeName}`);
    const error = applyAttribute(state, name, value, protocol.settings.inetProtocols ?? BOTH_FAMILIES);
    if (error !== undefined) return fail(error);
    state.updated.add(name);
    if (name === 'NAME' || name === 'ADDR' || name === 'PORT') updatedAddress = true;
  }
  if (updatedAddress) {
    const portPart = protocol.settings.clientPortLogging ? `:${state.port}` : '';
    state.namaddr = state.address === UNKNOWN ? state.name : `${state.name}[${state.address}]${portPart}`;
  }
  await protocol.replyText('250 2.0.0 Ok');
  return true;
}

/** HAVE_FORWARDED_CLIENT_ATTR: NAME, ADDR, PORT, PROTO or HELO was forwarded. */
function forwardsClient(session: Session): boolean {
  const updated = session.xforward?.updated;
  if (updated === undefined) return false;
  return updated.has('NAME') || updated.has('ADDR') || updated.has('PORT') || updated.has('PROTO') || updated.has('HELO');
}

/** The client as logs and log_* attributes show it: FORWARD_NAME() ... FORWARD_PROTO(). */
export interface LoggedClient {
  name: string;
  rfcAddress: string;
  port: string;
  namaddr: string;
  heloName: string | undefined;
  protocol: string;
}

/** FORWARD_*(): the forwarded client when any of its attributes came with XFORWARD,
 *  else the real one (given by the caller in the same shape). */
export function loggedClient(session: Session, actual: LoggedClient): LoggedClient {
  const forwarded = session.xforward;
  if (forwarded === undefined || !forwardsClient(session)) return actual;
  return {
    name: forwarded.name, rfcAddress: forwarded.rfcAddress, port: forwarded.port,
    namaddr: forwarded.namaddr, heloName: forwarded.heloName, protocol: forwarded.protocol,
  };
}

/** For the "client=" line: ", orig_queue_id=" and ", orig_client=" parts, when forwarded. */
export function forwardedLogFields(session: Session): { origQueueId?: string; origClient?: string } {
  const forwarded = session.xforward;
  if (forwarded === undefined) return {};
  return {
    ...(forwarded.ident === undefined ? {} : { origQueueId: forwarded.ident }),
    ...(forwardsClient(session) ? { origClient: forwarded.namaddr } : {}),
  };
}

/** FORWARD_IDENT(): the forwarded message id, else smtpd's own queue id. */
export function loggedIdent(session: Session, queueId: string): string {
  return session.xforward?.ident ?? queueId;
}

/** FORWARD_DOMAIN(): SOURCE's rewriting context, else the one smtpd chose. */
export function loggedRewriteContext(session: Session, context: 'local' | 'remote'): 'local' | 'remote' {
  return session.xforward?.rewriteContext ?? context;
}
