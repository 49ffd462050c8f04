// static:VALUE -- every lookup finds VALUE; "static:{text with spaces}" allows whitespace.
// Models util/dict_static.c. Called through openLookupTable.

import { extractBraced } from './brace-list.ts';
import type { LookupTable } from './types.ts';

export function createStaticTable(name: string): LookupTable | { reason: string } {
  let value = name;
  if (name.startsWith('{')) {
    const braced = extractBraced(name);
    if (!braced.ok) return { reason: `bad static:name syntax: ${braced.error}` };
    value = braced.text;
  }
  return { type: 'static', name, foldsCase: false, lookup: async () => value };
}
