// Opening lookup tables by their "type:name" spec, the way every Postfix parameter that
// takes a table names one. openLookupTable picks the module for the type; a table that
// cannot be opened behaves as Postfix's surrogate dictionary: fatal for commands such as
// postmap (context.allowSurrogate false), or an error now plus a MapError on every lookup
// for daemons that keep running ("type:name is unavailable. reason").
// Models util/dict_open.c and util/dict_surrogate.c. Called by postmap, postalias and,
// later, by smtpd, cleanup, trivial-rewrite and local through the maps they configure.

import { createCidrTable } from './cidr.ts';
import { createCompositeTable } from './composite.ts';
import { createFailTable } from './fail.ts';
import { isIndexedType, openIndexedTable } from './indexed.ts';
import { createInlineTable } from './inline.ts';
import { createRegexpTable } from './regexp-table.ts';
import { readSourceText } from './source-lines.ts';
import { createStaticTable } from './static.ts';
import { createTexthashTable } from './texthash.ts';
import { MapError, mapNestingMax, resolvePath, type LookupTable, type MapContext } from './types.ts';

export { MapError, type LookupTable, type MapContext, type MapFlags } from './types.ts';

const types = [
  'btree', 'cidr', 'fail', 'hash', 'inline', 'lmdb', 'pcre', 'pipemap', 'regexp', 'static',
  'texthash', 'unionmap',
] as const;

/** The table types mtalab implements, sorted as `postconf -m` lists them. */
export function supportedMapTypes(): string[] {
  return [...types];
}

/** Splits "type:name" at the first colon; undefined when either part is missing. */
export function splitMapSpec(spec: string): { type: string; name: string } | undefined {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) return undefined;
  return { type: spec.slice(0, colon), name: spec.slice(colon + 1) };
}

export async function openLookupTable(spec: string, context: MapContext): Promise<LookupTable> {
  const parts = splitMapSpec(spec);
  if (parts === undefined) {
    return surrogate(spec, '', `open dictionary: expecting "type:name" form instead of "${spec}"`, context);
  }
  return openTypedTable(parts.type, parts.name, context);
}

/** dict_open3: opens NAME as a table of TYPE. */
export async function openTypedTable(type: string, name: string, context: MapContext): Promise<LookupTable> {
  const opened = await openByType(type, name, context);
  if ('reason' in opened) return surrogate(type, name, opened.reason, context);
  return opened;
}

async function openByType(type: string, name: string, context: MapContext): Promise<LookupTable | { reason: string }> {
  const path = resolvePath(context.cwd, name);
  if (isIndexedType(type)) return openIndexedTable(type, name, path, context);
  switch (type) {
    case 'texthash': case 'regexp': case 'pcre': case 'cidr': {
      const source = await readSourceText(context.fs, path, name);
      if (!source.ok) return { reason: source.reason };
      if (type === 'texthash') return createTexthashTable(name, name, source.text, context);
      if (type === 'cidr') return createCidrTable(name, name, source.text, context);
      return createRegexpTable(type, name, name, source.text, context);
    }
    case 'static': return createStaticTable(name);
    case 'inline': return createInlineTable(name, context);
    case 'fail': return createFailTable(name);
    case 'unionmap': case 'pipemap': {
      const budget = context.nestingBudget ?? mapNestingMax;
      if (budget <= 0) return { reason: `${type}:${name}: table nesting is too deep` };
      return createCompositeTable(type, name, { ...context, nestingBudget: budget - 1 }, openLookupTable);
    }
    default:
      return { reason: `unsupported dictionary type: ${type}` };
  }
}

/** A stand-in for a table that failed to open (dict_surrogate). */
function surrogate(type: string, name: string, reason: string, context: MapContext): LookupTable {
  if (context.allowSurrogate !== true) context.reporter.fatal(reason);
  context.reporter.error(reason);
  const fail = (): never => {
    context.reporter.warn(`${type}:${name} is unavailable. ${reason}`);
    throw new MapError('retry', `${type}:${name}`, reason);
  };
  return {
    type,
    name,
    foldsCase: false,
    lookup: async () => fail(),
    entries: async () => fail(),
  };
}
