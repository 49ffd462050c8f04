// virtual(8)'s three tables (virtual_mailbox_maps, virtual_uid_maps, virtual_gid_maps) and
// the lookups it makes in them: the recipient address in the virtual(5) order (user+ext@domain,
// user@domain, user+ext and user when the domain is local, @domain) through
// engine/global/maps/lookup-order.ts. A table that cannot be opened becomes a surrogate
// that fails every lookup, so the agent defers instead of stopping; each failed lookup is
// logged as Postfix's maps_find() logs it.
// Called by api.ts. Trusts engine/global/maps (maps.ts opens the tables). Models
// maps_create()/mail_addr_find() as post_init() and deliver_mailbox() of src/virtual use them.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Reporter } from '../global/msg.ts';
import type { FileSystem } from '../platform/types.ts';
import { MapError, type LookupTable, type MapContext } from '../global/maps/index.ts';
import { openMaps } from '../global/maps/maps.ts';
import { virtualOrder } from '../global/maps/lookup-order.ts';
import { openMatchList, parentStyleFor, type MatchList } from '../global/address/match-list.ts';

/** One parameter's tables, as Postfix's MAPS: the title is the parameter name. */
export interface VirtualMaps {
  title: string;
  tables: LookupTable[];
}

export interface VirtualTables {
  mailbox: VirtualMaps;
  uid: VirtualMaps;
  gid: VirtualMaps;
  /** mydestination, for the "local part alone when the domain is local" keys. */
  mydestination: MatchList;
}

export type LookupOutcome = { found: string } | { notFound: true } | { error: MapError };

async function openParameter(config: MainConfig, title: string, context: MapContext): Promise<VirtualMaps> {
  return { title, tables: await openMaps(config.get(title) ?? '', context, { warnOnLookupError: true }) };
}

export async function openVirtualTables(config: MainConfig, fs: FileSystem, reporter: Reporter): Promise<VirtualTables> {
  const context: MapContext = { fs, reporter, cwd: config.configDirectory };
  return {
    mailbox: await openParameter(config, 'virtual_mailbox_maps', context),
    uid: await openParameter(config, 'virtual_uid_maps', context),
    gid: await openParameter(config, 'virtual_gid_maps', context),
    mydestination: await openMatchList({
      parameterName: 'mydestination', value: config.get('mydestination') ?? '', kind: 'domain',
      parentMatchesSubdomains: parentStyleFor('mydestination', config.getList('parent_domain_matches_subdomains')),
      context,
    }),
  };
}

/** mail_addr_find(maps, address, IGNORE_EXTENSION). */
export async function findAddress(maps: VirtualMaps, address: string, tables: VirtualTables,
  recipientDelimiter: string): Promise<LookupOutcome> {
  try {
    const hit = await virtualOrder(maps.tables, address, {
      recipientDelimiter,
      isLocalDomain: (domain) => tables.mydestination.match(domain),
    });
    return hit === undefined ? { notFound: true } : { found: hit.value };
  } catch (error) {
    if (error instanceof MapError) return { error };
    throw error;
  }
}
