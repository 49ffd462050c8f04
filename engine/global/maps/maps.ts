// A parameter's list of tables, opened for a daemon (maps_create): each "type:name" in the
// value (commas, spaces, braces kept together) is opened with allowSurrogate, so a table
// that cannot be opened fails each lookup instead of stopping the service; a table named
// twice is opened once when the caller passes a cache (Postfix shares an opened dictionary);
// and, when asked, each lookup that fails is logged as maps_find() logs it
// (`type:name lookup error for "key"`) before the error reaches the caller.
// Called by trivial-rewrite, cleanup and virtual. Trusts openLookupTable.
// Models src/global/maps.c (maps_create, maps_find's warning).

import { splitListKeepingBraces } from '../config/values.ts';
import type { Reporter } from '../msg.ts';
import { openLookupTable } from './index.ts';
import { MapError, type LookupTable, type MapContext } from './types.ts';

/** The most tables one parameter may name. */
export const TABLES_PER_PARAMETER_MAX = 64;

export interface OpenMapsOptions {
  /** Tables opened before, by spec; shared and added to. */
  cache?: Map<string, LookupTable>;
  /** Log a failed lookup as maps_find does. */
  warnOnLookupError?: boolean;
}

/** Opens the tables a parameter's value names, in order. */
export async function openMaps(value: string, context: MapContext, options: OpenMapsOptions = {}): Promise<LookupTable[]> {
  const tables: LookupTable[] = [];
  for (const spec of splitListKeepingBraces(value).slice(0, TABLES_PER_PARAMETER_MAX)) {
    let table = options.cache?.get(spec);
    if (table === undefined) {
      table = await openLookupTable(spec, { ...context, allowSurrogate: true });
      if (options.warnOnLookupError) table = warnOnLookupError(table, context.reporter);
      options.cache?.set(spec, table);
    }
    tables.push(table);
  }
  return tables;
}

/** A table whose failures are logged as maps_find logs them. */
export function warnOnLookupError(table: LookupTable, reporter: Reporter): LookupTable {
  return {
    type: table.type,
    name: table.name,
    foldsCase: table.foldsCase,
    lookup: async (key) => {
      try {
        return await table.lookup(key);
      } catch (error) {
        if (error instanceof MapError) reporter.warn(`${table.type}:${table.name} lookup error for "${key}"`);
        throw error;
      }
    },
  };
}
