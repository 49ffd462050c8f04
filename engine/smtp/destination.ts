// From a nexthop to the server addresses to try, as Postfix's SMTP client finds them:
// "[host]:port" and numeric hosts skip the MX lookup; a domain gets its MX hosts in
// preference order (equal preferences shuffled when smtp_randomize_addresses says so),
// each looked up for its addresses, with a fallback to the domain's own address records
// when it has no MX. When one of the addresses is this host's own (inet_interfaces,
// proxy_interfaces) and the port is the SMTP port, the list is cut before our own
// preference: nothing left means "mail for X loops back to myself". Failures leave a
// reason with its DSN code in the `Why` the caller passes, in Postfix's words.
// Called by api.ts. Trusts the platform's resolver (PlatformError codes NXDOMAIN, NODATA,
// SERVFAIL, ETIMEDOUT) and its random stream. Models src/smtp/smtp_addr.c, the
// destination parsing of smtp_connect.c and the error texts of src/dns/dns_lookup.c.

import type { Random, Resolver } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import type { ServiceContext } from '../master/contracts.ts';
import { parseAddress } from '../global/maps/cidr.ts';
import type { ClientSettings } from './settings.ts';
import { KNOWN_PORTS } from './settings.ts';

/** DSN_BUF: the status and reason of the latest failure, with the remote MTA and its
 *  reply when a server gave it. */
export interface Why {
  dsn: string;
  reason: string;
  /** The server's host name (Remote-MTA) when the failure came from a server. */
  mta?: string;
  /** The server's reply on one line (Diagnostic-Code "smtp; ..."). */
  reply?: string;
}

export interface ServerAddress {
  hostName: string;
  address: string;
  preference: number;
}

export interface Destination {
  /** The destination as written ("[10.0.0.1]:2525", "example.com"). */
  text: string;
  host: string;
  port: number;
  bracketed: boolean;
}

/** Records kept from one lookup, as var_dns_rr_list_limit bounds them. */
export const DNS_RECORDS_MAX = 100;
const MX_PREFERENCE_MAX = 65_535;

export type HostAddress = { family: 4 | 6; bytes: Uint8Array };

export function isSoft(why: Why | undefined): boolean { return why !== undefined && why.dsn.startsWith('4'); }
export function isHard(why: Why | undefined): boolean { return why !== undefined && why.dsn.startsWith('5'); }

/** host_port(): "[host]:port", "[host]", "host:port" or "host"; the port may be a service
 *  name. Returns an error text for a malformed destination (Postfix exits fatally). */
export function parseDestination(text: string, defaultService: string): Destination | { error: string } {
  let host: string;
  let service: string | undefined;
  const bracketed = text.startsWith('[');
  if (bracketed) {
    const close = text.indexOf(']');
    if (close < 0) return { error: `missing "]" in server description: ${text}` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return { error: `garbage after "]" in server description: ${text}` };
    service = rest === '' ? undefined : rest.slice(1);
    if (host.toLowerCase().startsWith('ipv6:')) host = host.slice(5);
  } else {
    const colon = text.lastIndexOf(':');
    const single = colon >= 0 && text.indexOf(':') === colon;
    host = single ? text.slice(0, colon) : text;
    service = single ? text.slice(colon + 1) : undefined;
  }
  const chosen = service === undefined || service === '' ? defaultService : service;
  const port = /^\d+$/.test(chosen) ? Number(chosen) : KNOWN_PORTS[chosen.toLowerCase()];
  if (port === undefined) return { error: `unknown service: ${chosen}/tcp` };
  if (port <= 0 || port >= 65_536) return { error: `bad network port: ${chosen} for destination: ${text}` };
  if (host === '') return { error: `empty host in server description: ${text}` };
  return { text, host, port, bracketed };
}

/** dns_strerror() of the resolver failure, and how dns_lookup() classes it. */
function classify(error: unknown): { kind: 'notfound' | 'retry' | 'fail'; text: string } {
  const code = error instanceof PlatformError ? error.code : 'EIO';
  switch (code) {
    case 'NXDOMAIN': return { kind: 'notfound', text: 'Host not found' };
    case 'NODATA': return { kind: 'notfound', text: 'Host found but no data record of requested type' };
    case 'SERVFAIL':
    case 'ETIMEDOUT': return { kind: 'retry', text: 'Host not found, try again' };
    default: return { kind: 'fail', text: 'Non-recoverable error' };
  }
}

const lookupText = (name: string, type: string, text: string): string =>
  `Host or domain name not found. Name service error for name=${name} type=${type}: ${text}`;

/** A soft status dominates past and future hard ones (smtp_addr.c's rule). */
function setStatus(why: Why, wantedSoft: string, wantedHard: string, soft: boolean): void {
  why.dsn = soft || isSoft(why) ? wantedSoft : wantedHard;
}

export interface Lookup {
  context: ServiceContext;
  settings: ClientSettings;
  dns: Resolver;
  random: Random;
  own: readonly HostAddress[];
  queueId: string;
}

function traceDns(lookup: Lookup, name: string, type: 'MX' | 'A' | 'AAAA', answers: string[], error?: string): void {
  if (error === undefined) lookup.context.trace({ kind: 'smtp-client.dns', queueId: lookup.queueId, name, type, answers });
  else lookup.context.trace({ kind: 'smtp-client.dns', queueId: lookup.queueId, name, type, answers, error });
}

function isNumeric(host: string): boolean { return parseAddress(host) !== undefined; }

/** smtp_addr_one(): the addresses of one host, in the order the resolver gave them. */
async function hostAddresses(lookup: Lookup, host: string, preference: number, why: Why): Promise<ServerAddress[]> {
  if (isNumeric(host)) return [{ hostName: host, address: host, preference }];
  const { settings, dns } = lookup;
  const found: ServerAddress[] = [];
  const types: Array<'A' | 'AAAA'> = [];
  if (settings.ipv4) types.push('A');
  if (settings.ipv6) types.push('AAAA');
  if (settings.hostLookup.dns) {
    let failure: { kind: 'notfound' | 'retry' | 'fail'; text: string; type: string } | undefined;
    for (const type of types) {
      try {
        const answers = (type === 'A' ? await dns.a(host) : await dns.aaaa(host)).slice(0, DNS_RECORDS_MAX);
        traceDns(lookup, host, type, answers);
        for (const address of answers) found.push({ hostName: host, address, preference });
      } catch (error) {
        const classified = classify(error);
        traceDns(lookup, host, type, [], classified.text);
        if (failure === undefined || failure.kind === 'notfound') failure = { ...classified, type };
      }
    }
    if (found.length > 0) return found;
    if (failure !== undefined) {
      why.reason = lookupText(host, failure.type, failure.text);
      why.mta = undefined;
      why.reply = undefined;
      if (failure.kind === 'retry') { why.dsn = '4.4.3'; return []; }
      if (failure.kind === 'fail') { setStatus(why, '4.4.3', '5.4.3', false); return []; }
      setStatus(why, '4.4.4', '5.4.4', false);
    }
  }
  if (settings.hostLookup.native) return nativeAddresses(lookup, host, preference, why);
  return [];
}

/** The native (getaddrinfo) path: the same resolver, with getaddrinfo's words. */
async function nativeAddresses(lookup: Lookup, host: string, preference: number, why: Why): Promise<ServerAddress[]> {
  try {
    const answers = (await lookup.dns.a(host)).slice(0, DNS_RECORDS_MAX);
    return answers.map((address) => ({ hostName: host, address, preference }));
  } catch (error) {
    const classified = classify(error);
    const retry = classified.kind === 'retry';
    why.reason = `unable to look up host ${host}: ${retry ? 'Temporary failure in name resolution' : 'Name or service not known'}`;
    why.dsn = retry || isSoft(why) ? '4.4.4' : '5.4.4';
    return [];
  }
}

function sameAddress(text: string, own: readonly HostAddress[]): boolean {
  const parsed = parseAddress(text);
  if (parsed === undefined) return false;
  return own.some((mine) => mine.family === parsed.family && mine.bytes.length === parsed.bytes.length
    && mine.bytes.every((byte, index) => byte === parsed.bytes[index]));
}

/** Shuffles (Fisher-Yates on the platform's stream), for equal preferences. */
function shuffle<T>(items: T[], random: Random): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = random.int(index + 1);
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
  return items;
}

function sortByPreference<T extends { preference: number }>(items: T[], lookup: Lookup): T[] {
  const shuffled = lookup.settings.randomizeAddresses && items.length > 1 ? shuffle(items, lookup.random) : items;
  return shuffled.sort((left, right) => left.preference - right.preference);
}

/** smtp_host_addr(): a host without MX lookup ([host], relayhost without MX, LMTP). */
export async function resolveHost(lookup: Lookup, host: string, loopDetect: boolean, why: Why): Promise<ServerAddress[]> {
  let addresses = await hostAddresses(lookup, host, 0, why);
  if (addresses.length > 0 && loopDetect && addresses.some((entry) => sameAddress(entry.address, lookup.own))) {
    Object.assign(why, { dsn: '5.4.6', reason: `mail for ${host} loops back to myself`, mta: undefined, reply: undefined });
    return [];
  }
  if (addresses.length > 1) addresses = sortByPreference(addresses, lookup);
  return addresses;
}

/** smtp_domain_addr(): MX hosts in preference order, then their addresses. */
export async function resolveDomain(lookup: Lookup, name: string, loopDetect: boolean, why: Why):
  Promise<{ addresses: ServerAddress[]; iAmMx: boolean }> {
  let records;
  try {
    records = (await lookup.dns.mx(name)).slice(0, DNS_RECORDS_MAX);
    traceDns(lookup, name, 'MX', records.map((record) => `${record.preference} ${record.exchange}`));
  } catch (error) {
    const classified = classify(error);
    traceDns(lookup, name, 'MX', [], classified.text);
    if (classified.kind === 'notfound') return { addresses: await resolveHost(lookup, name, loopDetect, why), iAmMx: false };
    Object.assign(why, { dsn: classified.kind === 'retry' ? '4.4.3' : '5.4.3', reason: lookupText(name, 'MX', classified.text), mta: undefined, reply: undefined });
    if (lookup.settings.ignoreMxLookupError) return { addresses: await resolveHost(lookup, name, loopDetect, why), iAmMx: false };
    return { addresses: [], iAmMx: false };
  }
  if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.') && records[0]!.preference === 0) {
    Object.assign(why, { dsn: '5.1.0', reason: `Domain ${name} does not accept mail (nullMX)`, mta: undefined, reply: undefined });
    return { addresses: [], iAmMx: false };
  }
  const exchangers = records.map((record) => ({
    exchange: record.exchange.replace(/\.$/, ''), preference: Math.min(record.preference, MX_PREFERENCE_MAX),
  })).sort((left, right) => left.preference - right.preference);
  const bestPreference = exchangers[0]?.preference ?? Number.MAX_SAFE_INTEGER;
  let addresses: ServerAddress[] = [];
  for (const exchanger of exchangers) addresses.push(...await hostAddresses(lookup, exchanger.exchange, exchanger.preference, why));
  if (addresses.length === 0) {
    if (lookup.settings.deferIfNoMxAddress && isHard(why)) why.dsn = `4${why.dsn.slice(1)}`;
    lookup.context.log.warn(`no MX host for ${name} has a valid address record`);
    return { addresses, iAmMx: false };
  }
  const bestFound = addresses[0]!.preference;
  let iAmMx = false;
  if (loopDetect) {
    const self = addresses.find((entry) => sameAddress(entry.address, lookup.own));
    if (self !== undefined) {
      iAmMx = true;
      addresses = addresses.filter((entry) => entry.preference < self.preference);
      if (addresses.length === 0) {
        Object.assign(why, bestPreference !== bestFound
          ? { dsn: '4.4.4', reason: `unable to find primary relay for ${name}` }
          : { dsn: '5.4.6', reason: `mail for ${name} loops back to myself` }, { mta: undefined, reply: undefined });
      }
    }
  }
  if (addresses.length > 1) addresses = sortByPreference(addresses, lookup);
  return { addresses, iAmMx };
}
