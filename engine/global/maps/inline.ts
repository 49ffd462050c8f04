// inline:{ key=value, { key = text with, comma } } -- a small table written in main.cf.
// Models util/dict_inline.c: balanced braces, elements split at commas or whitespace,
// braced elements stripped, "name = value" pairs; errors read
// 'missing '=' after attribute name: "inline:{...}"; need "inline:{name=value...}"'.
// Keys fold to lower case like the other fixed-string tables. Called through
// openLookupTable.

import { balancedLength, extractBraced, splitNameValue, splitOutsideBraces } from './brace-list.ts';
import { foldKey, type LookupTable, type MapContext } from './types.ts';

/** An inline table holds at most this many pairs. */
export const inlinePairsMax = 10_000;

export function createInlineTable(name: string, context: MapContext): LookupTable | { reason: string } {
  const need = 'need "inline:{name=value...}"';
  const length = balancedLength(name);
  const inner = length > 0 ? name.slice(1, length - 1) : '';
  if (length === 0 || length !== name.length || inner === '') {
    return { reason: `bad syntax: "inline:${name}"; ${need}` };
  }
  const foldCase = context.flags?.foldFixed ?? true;
  const entries = new Map<string, string>();
  let error: string | undefined;
  for (const element of splitOutsideBraces(inner).slice(0, inlinePairsMax)) {
    let text = element;
    if (text.startsWith('{')) {
      const braced = extractBraced(text);
      if (!braced.ok) { error = braced.error; break; }
      text = braced.text;
    }
    const pair = splitNameValue(text);
    if (!pair.ok) { error = pair.error; break; }
    // Later pairs replace earlier ones, as dict_ht updates do (no duplicate checks).
    entries.set(foldCase ? foldKey(pair.name) : pair.name, pair.value);
  }
  if (error !== undefined || entries.size === 0) {
    return { reason: `${error ?? 'empty table'}: "inline:${name}"; ${need}` };
  }
  return {
    type: 'inline',
    name,
    foldsCase: foldCase,
    lookup: async (key) => entries.get(foldCase ? foldKey(key) : key),
    entries: async () => [...entries],
  };
}
