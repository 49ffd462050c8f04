// The tables and domain lists trivial-rewrite consults, opened once per (re)start:
// mydestination, virtual_alias_domains, virtual_mailbox_domains and relay_domains as
// match lists; relocated_maps; and per resolver context (regular, address verification)
// transport_maps and the sender-dependent maps. Tables named twice (transport_maps and
// address_verify_transport_maps = $transport_maps) are opened once, as Postfix shares
// an opened dictionary. Every map lookup that fails logs Postfix's
// `type:name lookup error for "key"` before the caller turns it into a resolver failure.
// Also gathers this host's own addresses for "user@[ip]" literals (inet_interfaces,
// proxy_interfaces). Called by api.ts. Trusts MainConfig; a table that cannot be opened
// becomes a surrogate that fails each lookup (engine/global/maps/maps.ts, maps_create).
// Models resolve_init(), transport_pre_init()/transport_post_init() (the wildcard probe),
// src/global/maps.c (maps_find warnings) and own_inet_addr.c.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Reporter } from '../global/msg.ts';
import { MapError, type LookupTable, type MapContext } from '../global/maps/index.ts';
import { openMaps } from '../global/maps/maps.ts';
import { findInTables } from '../global/maps/lookup-order.ts';
import { parseAddress } from '../global/maps/cidr.ts';
import { openMatchList, type MatchList } from '../global/address/match-list.ts';
import type { ResolverContextSettings, ResolveSettings } from './settings.ts';

export interface ContextTables {
  transportMaps: LookupTable[];
  senderDependentDefaultTransportMaps: LookupTable[];
  senderDependentRelayhostMaps: LookupTable[];
}

export interface HostAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

export interface ResolverTables {
  reporter: Reporter;
  mydestination: MatchList;
  virtualAliasDomains: MatchList;
  virtualMailboxDomains: MatchList;
  relayDomains: MatchList;
  relocatedMaps: LookupTable[];
  /** Addresses a literal must name to be local: inet_interfaces and proxy_interfaces. */
  ownAddresses: HostAddress[];
  /** transport_maps matches parent domains without a leading dot. */
  transportParentMatchesSubdomains: boolean;
  regular: ContextTables;
  verify: ContextTables;
}

export interface OpenTablesOptions {
  config: MainConfig;
  settings: ResolveSettings;
  context: MapContext;
  /** The machine's interface addresses, for inet_interfaces = all ("127.0.0.1/8" or
   *  bare). Default: loopback only. */
  interfaceAddresses?: readonly string[];
}

/** Opens the tables a parameter names (maps_create), sharing tables opened before. */
function openShared(value: string, context: MapContext, cache: Map<string, LookupTable>): Promise<LookupTable[]> {
  return openMaps(value, context, { cache, warnOnLookupError: true });
}

async function openContext(settings: ResolverContextSettings, context: MapContext, cache: Map<string, LookupTable>): Promise<ContextTables> {
  return {
    transportMaps: await openShared(settings.transportMaps.value, context, cache),
    senderDependentDefaultTransportMaps: await openShared(settings.senderDependentDefaultTransportMaps.value, context, cache),
    senderDependentRelayhostMaps: await openShared(settings.senderDependentRelayhostMaps.value, context, cache),
  };
}

/** own_inet_addr + proxy_inet_addr: the IP addresses this host answers to. Host names in
 *  these lists would need DNS; they are skipped. */
export function ownAddressesOf(config: MainConfig, interfaceAddresses: readonly string[]): HostAddress[] {
  const machine = interfaceAddresses.map((text) => text.replace(/\/\d+$/, ''));
  const words: string[] = [];
  for (const word of config.getList('inet_interfaces')) {
    const lower = word.toLowerCase();
    if (lower === 'all') words.push(...machine);
    else if (lower === 'loopback-only') words.push('127.0.0.1', '::1');
    else words.push(word);
  }
  words.push(...config.getList('proxy_interfaces'));
  const addresses: HostAddress[] = [];
  for (const word of words) {
    const parsed = parseAddress(word.replace(/^\[|\]$/g, ''));
    if (parsed !== undefined) addresses.push(parsed);
  }
  return addresses;
}

/** The wildcard probe Postfix makes when it opens transport_maps: a "*" lookup whose
 *  failure shows in the log at start-up. */
async function probeWildcard(tables: readonly LookupTable[]): Promise<void> {
  if (tables.length === 0) return;
  try {
    await findInTables(tables, '*', false);
  } catch (error) {
    if (!(error instanceof MapError)) throw error;
  }
}

export async function openResolverTables(options: OpenTablesOptions): Promise<ResolverTables> {
  const { config, context } = options;
  const cache = new Map<string, LookupTable>();
  const parentStyle = config.getList('parent_domain_matches_subdomains');
  const list = (name: string, kind: 'string' | 'domain'): Promise<MatchList> => openMatchList({
    parameterName: name, value: config.get(name) ?? '', kind, context,
    parentMatchesSubdomains: parentStyle.includes(name),
  });
  const tables: ResolverTables = {
    reporter: context.reporter,
    mydestination: await list('mydestination', 'string'),
    virtualAliasDomains: await list('virtual_alias_domains', 'string'),
    virtualMailboxDomains: await list('virtual_mailbox_domains', 'string'),
    relayDomains: await list('relay_domains', 'domain'),
    relocatedMaps: await openShared(config.get('relocated_maps') ?? '', context, cache),
    ownAddresses: ownAddressesOf(config, options.interfaceAddresses ?? ['127.0.0.1/8']),
    transportParentMatchesSubdomains: parentStyle.includes('transport_maps'),
    regular: await openContext(options.settings.regular, context, cache),
    verify: await openContext(options.settings.verify, context, cache),
  };
  await probeWildcard(tables.regular.transportMaps);
  await probeWildcard(tables.verify.transportMaps);
  return tables;
}
