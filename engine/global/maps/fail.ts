// fail:NAME -- a table whose every lookup fails (a temporary error), for testing how callers
// handle a broken table. Models util/dict_fail.c (DICT_ERR_RETRY on each lookup).
// Called through openLookupTable.

import { MapError, type LookupTable } from './types.ts';

export function createFailTable(name: string): LookupTable {
  return {
    type: 'fail',
    name,
    foldsCase: false,
    lookup: async () => { throw new MapError('retry', `fail:${name}`, `table fail:${name}: lookup failed`); },
    entries: async () => { throw new MapError('retry', `fail:${name}`, `table fail:${name}: sequence failed`); },
  };
}
