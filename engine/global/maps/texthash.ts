// texthash:NAME -- a table read from its source text at open time, with no index file.
// Models util/dict_thash.c: the same "key whitespace value" parser as postmap, keys folded
// to lower case unless folding is off, duplicates warned ("PATH, line N: duplicate entry")
// and the first entry kept. Called through openLookupTable; trusts the reporter and fs.

import { splitKeyValue, readLogicalLines, type LogicalLine } from './source-lines.ts';
import { foldKey, type LookupTable, type MapContext } from './types.ts';
import type { Reporter } from '../msg.ts';

/** Parsed source entries in file order, duplicates resolved as the flags say.
 *  Shared with postmap's build so both agree on every warning. */
export function parseKeyValueSource(
  lines: LogicalLine[], path: string, reporter: Reporter,
  options: { foldCase: boolean; formatSuffix?: string; duplicates: 'warn' | 'replace' | 'ignore'; duplicateWarning: (sourceKey: string, storedKey: string, line: LogicalLine) => string },
): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of lines) {
    const pair = splitKeyValue(line, path, reporter, options.formatSuffix);
    if (pair === undefined) continue;
    const key = options.foldCase ? foldKey(pair.key) : pair.key;
    if (entries.has(key)) {
      if (options.duplicates === 'replace') entries.set(key, pair.value);
      else if (options.duplicates === 'warn') reporter.warn(options.duplicateWarning(pair.key, key, line));
      continue;
    }
    entries.set(key, pair.value);
  }
  return entries;
}

export function createTexthashTable(
  name: string, path: string, text: string, context: MapContext,
): LookupTable {
  const foldCase = context.flags?.foldFixed ?? true;
  const entries = parseKeyValueSource(readLogicalLines(text, path, context.reporter), path, context.reporter, {
    foldCase,
    formatSuffix: ' -- ignoring this line',
    duplicates: context.flags?.duplicates ?? 'warn',
    duplicateWarning: (sourceKey, _storedKey, line) => `${path}, line ${line.lineNumber}: duplicate entry: "${sourceKey}"`,
  });
  return {
    type: 'texthash',
    name,
    foldsCase: foldCase,
    lookup: async (key) => entries.get(foldCase ? foldKey(key) : key),
    entries: async () => [...entries],
  };
}
