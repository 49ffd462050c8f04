// The simulated DNS: a zone object of records per name (A, AAAA, MX, PTR, TXT, CNAME) and
// per-name failures (NXDOMAIN, SERVFAIL, timeout). The zone is read at every query, so a
// World can change records or inject failures while a run is in progress. Answers come back
// through the Scheduler after `answerDelayMs`; a timeout rejects after `timeoutMs` of virtual
// time. Called as Platform.dns by sim hosts. Models a recursive resolver as Postfix's
// dns_lookup(3) sees it: "Host not found" (NXDOMAIN) vs "Host not found, try again".

import type { MxRecord, Resolver } from '../types.ts';
import { quietPlatformError, type PlatformErrorCode } from '../types.ts';
import type { Scheduler } from './scheduler.ts';

export type SimDnsFailure = 'NXDOMAIN' | 'SERVFAIL' | 'timeout';

export interface SimDnsRecords {
  a?: string[];
  aaaa?: string[];
  mx?: MxRecord[];
  ptr?: string[];
  txt?: string[];
  /** An alias: the other record kinds of this name are ignored, as in DNS. */
  cname?: string;
}

export interface SimZone {
  /** Records by owner name (case and a trailing dot do not matter). PTR records may be
   *  keyed by the reverse name (4.3.2.1.in-addr.arpa) or by the address itself. */
  records: Record<string, SimDnsRecords>;
  /** Failures by name; they win over records. */
  failures?: Record<string, SimDnsFailure>;
}

export const defaultDnsTimeoutMs = 5_000;
/** CNAME chains longer than this fail with SERVFAIL, as a resolver gives up on a loop. */
export const cnameChainMax = 8;

export interface SimResolverOptions {
  answerDelayMs?: number;
  timeoutMs?: number;
}

export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Whether normalizeName(owner) === name, without making the normalized string when the
 *  owner is ASCII (a zone's owners are searched once per query). */
function ownerIs(owner: string, name: string): boolean {
  const length = owner.length > 0 && owner.charCodeAt(owner.length - 1) === 0x2e ? owner.length - 1 : owner.length;
  for (let index = 0; index < owner.length; index++) {
    if (owner.charCodeAt(index) >= 0x80) return normalizeName(owner) === name;
  }
  if (length !== name.length) return false;
  for (let index = 0; index < length; index++) {
    let code = owner.charCodeAt(index);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== name.charCodeAt(index)) return false;
  }
  return true;
}

/** The in-addr.arpa / ip6.arpa name of an address, or undefined when it is not one. */
export function reverseName(address: string): string | undefined {
  const octets = address.split('.');
  if (octets.length === 4 && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) < 256)) {
    return `${octets.reverse().join('.')}.in-addr.arpa`;
  }
  if (!address.includes(':')) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' || halves[0] === undefined ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? (halves[1] as string).split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  const nibbles = groups.map((group) => group.toLowerCase().padStart(4, '0')).join('').split('');
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

type RecordKind = 'a' | 'aaaa' | 'mx' | 'ptr' | 'txt';

/** The sim resolver also answers CNAME queries without following them, for the shell's
 *  dig and host (the MTA never asks: its lookups follow aliases). */
export interface SimResolver extends Resolver {
  /** The alias target of `name`; NODATA when the name is no alias, NXDOMAIN when absent. */
  cname(name: string): Promise<string[]>;
}

export function createSimResolver(zone: SimZone, scheduler: Scheduler, options: SimResolverOptions = {}): SimResolver {
  const answerDelayMs = options.answerDelayMs ?? 0;
  const timeoutMs = options.timeoutMs ?? defaultDnsTimeoutMs;

  // The zone may change between queries (faults, the shell): it is searched afresh each time.
  const findRecords = (name: string): SimDnsRecords | undefined => {
    const records = zone.records;
    for (const owner of Object.keys(records)) {
      if (ownerIs(owner, name)) return records[owner];
    }
    return undefined;
  };

  const findFailure = (name: string): SimDnsFailure | undefined => {
    const failures = zone.failures;
    if (failures === undefined) return undefined;
    for (const owner of Object.keys(failures)) {
      if (ownerIs(owner, name)) return failures[owner];
    }
    return undefined;
  };

  /** Follows CNAMEs; returns the answer or the error code to fail with. */
  const answer = <T>(kind: RecordKind, queried: string): { values: T[] } | { code: PlatformErrorCode | 'timeout' } => {
    let name = normalizeName(queried);
    for (let hop = 0; hop <= cnameChainMax; hop++) {
      const failure = findFailure(name);
      if (failure !== undefined) return { code: failure === 'timeout' ? 'timeout' : failure };
      const records = findRecords(name);
      if (records === undefined) return { code: 'NXDOMAIN' };
      if (records.cname !== undefined) {
        name = normalizeName(records.cname);
        continue;
      }
      const values = records[kind] as T[] | undefined;
      return values === undefined || values.length === 0 ? { code: 'NODATA' } : { values: values.slice() };
    }
    return { code: 'SERVFAIL' };
  };

  /** The CNAME record of the name itself, not followed. */
  const aliasAnswer = (queried: string): { values: string[] } | { code: PlatformErrorCode | 'timeout' } => {
    const name = normalizeName(queried);
    const failure = findFailure(name);
    if (failure !== undefined) return { code: failure === 'timeout' ? 'timeout' : failure };
    const records = findRecords(name);
    if (records === undefined) return { code: 'NXDOMAIN' };
    return records.cname === undefined ? { code: 'NODATA' } : { values: [records.cname] };
  };

  const query = <T>(kind: RecordKind | 'cname', name: string, queriedAs = name): Promise<T[]> =>
    new Promise<T[]>((resolve, reject) => {
      const result = kind === 'cname' ? aliasAnswer(name) as { values: T[] } | { code: PlatformErrorCode | 'timeout' } : answer<T>(kind, name);
      if ('values' in result) {
        if (answerDelayMs === 0) resolve(result.values);
        else scheduler.after(answerDelayMs, () => resolve(result.values), 'dns.answer');
        return;
      }
      const code: PlatformErrorCode = result.code === 'timeout' ? 'ETIMEDOUT' : result.code;
      const delayMs = result.code === 'timeout' ? timeoutMs : answerDelayMs;
      // An expected answer (a name that does not exist, a server down): no stack trace.
      const error = quietPlatformError(code, `query${kind.toUpperCase()}`, queriedAs);
      if (delayMs === 0) reject(error);
      else scheduler.after(delayMs, () => reject(error), 'dns.answer');
    });

  return {
    a: (name) => query<string>('a', name),
    aaaa: (name) => query<string>('aaaa', name),
    txt: (name) => query<string>('txt', name),
    cname: (name) => query<string>('cname', name),
    mx: (name) => query<MxRecord>('mx', name).then((records) => records.map((record) => ({ ...record }))),
    ptr: (address) => {
      const reverse = reverseName(address);
      if (reverse !== undefined && findRecords(reverse) === undefined && findRecords(normalizeName(address)) !== undefined) {
        return query<string>('ptr', address);
      }
      return query<string>('ptr', reverse ?? address, address);
    },
  };
}
