// Virtual alias expansion of one recipient: look the address up in virtual_alias_maps,
// replace it by the result list, and repeat for every address of the list until none maps
// further. An address that maps to itself (directly, as in "a@x  a@x, b@x") is expanded
// once and then kept. Two limits guard against loops and explosions:
// virtual_alias_recursion_limit (lookups of one list position) and
// virtual_alias_expansion_limit (the list's length). Exceeding either, or a table that
// fails, defers the message with "4.6.0 Alias expansion error" and keeps the address
// unexpanded.
// Called by envelope.ts (outputRecipient). Trusts address-maps.ts for the lookup order.
// Models src/cleanup/cleanup_map1n.c (cleanup_map1n_internal).

import { CleanupStatus } from '../master/contracts.ts';
import { MapError } from '../global/maps/types.ts';
import { mapAddress, mapsTitle } from './address-maps.ts';
import type { CleanupCore } from './core.ts';
import type { CleanupState } from './state.ts';

export const ALIAS_EXPANSION_ERROR = '4.6.0 Alias expansion error';

export async function expandVirtualAlias(core: CleanupCore, state: CleanupState, address: string): Promise<string[]> {
  const { settings, tables } = core;
  const title = mapsTitle('virtual_alias_maps', tables.virtualAliasMaps);
  const addresses = [address];
  const expandedToSelf = new Set<string>();
  const giveUp = (status: number, warning: string): string[] => {
    core.log.warn(`${state.queueId}: ${warning} -- message not accepted, try again later`);
    state.fail(status, ALIAS_EXPANSION_ERROR);
    return [address];
  };
  for (let position = 0; position < addresses.length; position++) {
    if (addresses.length > settings.virtualAliasExpansionLimit) {
      return giveUp(CleanupStatus.defer, `unreasonable ${title} map expansion size for ${address}`);
    }
    for (let count = 0; ; count++) {
      const current = addresses[position] ?? '';
      if (expandedToSelf.has(current.toLowerCase())) break;
      if (count >= settings.virtualAliasRecursionLimit) {
        return giveUp(CleanupStatus.defer, `unreasonable ${title} map nesting for ${address}`);
      }
      let lookup: string[] | undefined;
      try {
        lookup = await mapAddress(core.mapper, tables.virtualAliasMaps, current, settings.propagateVirtual, title);
      } catch (error) {
        if (!(error instanceof MapError)) throw error;
        return giveUp(CleanupStatus.write, `${title} map lookup problem for ${address}`);
      }
      if (lookup === undefined) break;
      core.trace(state.queueId, { kind: 'cleanup.address-rewritten', where: 'recipient', table: 'virtual_alias_maps', from: current, to: lookup });
      for (const [index, result] of lookup.entries()) {
        if (result.length > settings.virtualAliasAddressLengthLimit) {
          return giveUp(CleanupStatus.defer, `unreasonable ${title} result ${result.slice(0, 300)}...`);
        }
        if (index === 0) addresses[position] = result;
        else addresses.push(result);
        if (current.toLowerCase() === result.toLowerCase()) expandedToSelf.add(current.toLowerCase());
      }
    }
  }
  return addresses;
}
