// unionmap:{type:name, ...} and pipemap:{type:name, ...} -- tables made of tables.
// unionmap asks every member and joins what they found with commas; pipemap feeds each
// member's result to the next as its key, and finds something only if the last one does.
// A member that fails makes the whole lookup fail. Models util/dict_union.c and
// util/dict_pipe.c. Called through openLookupTable, which passes itself in as `open` so
// that members can be any type (including more unionmaps, within a nesting budget).

import { balancedLength, splitOutsideBraces } from './brace-list.ts';
import type { LookupTable, MapContext } from './types.ts';

type Opener = (spec: string, context: MapContext) => Promise<LookupTable>;

export async function createCompositeTable(
  type: 'unionmap' | 'pipemap', name: string, context: MapContext, open: Opener,
): Promise<LookupTable | { reason: string }> {
  const syntaxError = { reason: `bad syntax: "${type}:${name}"; need "${type}:{type:name...}"` };
  const length = balancedLength(name);
  const inner = length > 0 ? name.slice(1, length - 1) : '';
  const specs = splitOutsideBraces(inner);
  if (length === 0 || length !== name.length || inner === '' || specs.length === 0) return syntaxError;
  if (specs.some((spec) => !spec.includes(':'))) return syntaxError;
  const members: LookupTable[] = [];
  for (const spec of specs) members.push(await open(spec, context));
  const lookup = type === 'unionmap'
    ? async (key: string): Promise<string | undefined> => {
      const found: string[] = [];
      for (const member of members) {
        const value = await member.lookup(key);
        if (value !== undefined) found.push(value);
      }
      return found.length > 0 ? found.join(',') : undefined;
    }
    : async (key: string): Promise<string | undefined> => {
      let query = key;
      for (const member of members) {
        const value = await member.lookup(query);
        if (value === undefined) return undefined;
        query = value;
      }
      return query;
    };
  return { type, name, foldsCase: members[0]?.foldsCase ?? false, lookup };
}
