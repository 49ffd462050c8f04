// Real DNS for real mode: node:dns/promises behind the Resolver seam, with an optional
// static override table (the same shape as a sim zone) consulted first, so a live host can
// run offline or in tests with fixed MX/A answers. `offline: true` makes names outside the
// table NXDOMAIN instead of asking the network. Node's error codes (ENOTFOUND, ESERVFAIL,
// ETIMEOUT, ...) map to NXDOMAIN / SERVFAIL / NODATA / ETIMEDOUT. Called through
// Platform.dns. Models what Postfix's dns_lookup(3) asks of the system resolver.

import * as dns from 'node:dns/promises';
import type { MxRecord, PlatformErrorCode, Resolver } from '../types.ts';
import { PlatformError } from '../types.ts';
import { normalizeName, reverseName, type SimDnsRecords, type SimZone } from '../sim/resolver.ts';

export interface NodeResolverOptions {
  overrides?: SimZone;
  /** Answer only from the overrides; every other name is NXDOMAIN. */
  offline?: boolean;
  /** Per-query timeout for real lookups. */
  timeoutMs?: number;
}

export const defaultNodeDnsTimeoutMs = 5_000;
/** CNAME hops followed inside the override table. */
export const overrideChainMax = 8;

const nodeCodes: Readonly<Record<string, PlatformErrorCode>> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NODATA',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'SERVFAIL',
  ECONNREFUSED: 'SERVFAIL',
  ETIMEOUT: 'ETIMEDOUT',
  ECANCELLED: 'ETIMEDOUT',
  EBADRESP: 'SERVFAIL',
  EBADNAME: 'NXDOMAIN',
  EFORMERR: 'SERVFAIL',
};

function dnsError(error: unknown, syscall: string, name: string): PlatformError {
  const code = (error as { code?: string } | null)?.code ?? '';
  return new PlatformError(nodeCodes[code] ?? 'SERVFAIL', syscall, name);
}

type Kind = 'a' | 'aaaa' | 'mx' | 'ptr' | 'txt';

/** The override answer for a name: values, an error, or undefined when the table is silent. */
function fromOverrides<T>(zone: SimZone, kind: Kind, queried: string): T[] | PlatformError | undefined {
  const lookup = <V>(table: Record<string, V> | undefined, name: string): V | undefined => {
    for (const [owner, value] of Object.entries(table ?? {})) if (normalizeName(owner) === name) return value;
    return undefined;
  };
  const syscall = `query${kind.toUpperCase()}`;
  let name = normalizeName(queried);
  for (let hop = 0; hop <= overrideChainMax; hop++) {
    const failure = lookup(zone.failures, name);
    if (failure !== undefined) return new PlatformError(failure === 'timeout' ? 'ETIMEDOUT' : failure, syscall, queried);
    const records: SimDnsRecords | undefined = lookup(zone.records, name);
    if (records === undefined) return hop === 0 ? undefined : new PlatformError('NXDOMAIN', syscall, queried);
    if (records.cname !== undefined) {
      name = normalizeName(records.cname);
      continue;
    }
    const values = records[kind] as T[] | undefined;
    return values === undefined || values.length === 0 ? new PlatformError('NODATA', syscall, queried) : values.slice();
  }
  return new PlatformError('SERVFAIL', syscall, queried);
}

export function createNodeResolver(options: NodeResolverOptions = {}): Resolver {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? defaultNodeDnsTimeoutMs, tries: 2 });

  const ask = async <T>(kind: Kind, name: string, real: () => Promise<T[]>, overrideName = name): Promise<T[]> => {
    const overridden = options.overrides === undefined ? undefined : fromOverrides<T>(options.overrides, kind, overrideName);
    if (overridden instanceof PlatformError) throw overridden;
    if (overridden !== undefined) return overridden;
    if (options.offline === true) throw new PlatformError('NXDOMAIN', `query${kind.toUpperCase()}`, name);
    try {
      return await real();
    } catch (error) {
      throw dnsError(error, `query${kind.toUpperCase()}`, name);
    }
  };

  return {
    a: (name) => ask<string>('a', name, () => resolver.resolve4(name)),
    aaaa: (name) => ask<string>('aaaa', name, () => resolver.resolve6(name)),
    mx: (name) => ask<MxRecord>('mx', name, async () =>
      (await resolver.resolveMx(name)).map((record) => ({ preference: record.priority, exchange: record.exchange }))),
    txt: (name) => ask<string>('txt', name, async () => (await resolver.resolveTxt(name)).map((parts) => parts.join(''))),
    ptr: (address) => {
      const reverse = reverseName(address) ?? address;
      const inTable = options.overrides !== undefined && fromOverrides<string>(options.overrides, 'ptr', address) !== undefined;
      return ask<string>('ptr', address, () => resolver.reverse(address), inTable ? address : reverse);
    },
  };
}
