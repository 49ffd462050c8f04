// Domain and string lists: the values of mydestination, relay_domains,
// virtual_alias_domains, virtual_mailbox_domains and their kin. A list is a sequence of
// patterns separated by commas or whitespace; each pattern is a name, "type:table" (looked
// up with the candidate as key), "/file/name" (whose lines are patterns in turn), or any of
// these after '!' (negation). The first pattern that matches decides. A domain list also
// matches subdomains: of ".example.com" always, of "example.com" when
// parent_domain_matches_subdomains names the list's parameter; table lookups then try the
// parent domains too. A table that fails stops the search with a MapError, after Postfix's
// warning "<parameter>: type:name: table lookup problem".
// Called by trivial-rewrite (local, alias, virtual and relay classes), later smtpd.
// Trusts the parameter value only as text. Models src/util/match_list.c, match_ops.c
// (match_string, match_hostname), src/global/domain_list.c and string_list.c.

import type { Reporter } from '../msg.ts';
import { PlatformError, describeCode } from '../../platform/types.ts';
import { splitListKeepingBraces } from '../config/values.ts';
import { openLookupTable, MapError, type LookupTable, type MapContext } from '../maps/index.ts';
import { resolvePath } from '../maps/types.ts';

/** How deep "/file/name" patterns may include further files. */
export const MATCH_LIST_FILE_DEPTH_MAX = 8;
/** The most patterns one list may hold after files are expanded. */
export const MATCH_LIST_PATTERNS_MAX = 100_000;
/** The most parent domains a table lookup walks (a name has at most 128 labels). */
const PARENT_DOMAINS_MAX = 128;

type Pattern =
  | { kind: 'text'; negated: boolean; text: string }
  | { kind: 'table'; negated: boolean; table: LookupTable }
  | { kind: 'unreadable-file'; negated: boolean; path: string; reason: string };

export interface MatchList {
  /** The parameter the list came from, for warnings ("mydestination"). */
  readonly parameterName: string;
  /** Whether the list has no patterns (an empty parameter). */
  readonly isEmpty: boolean;
  /** true on a match, false on no match or a negated match; throws MapError when a table
   *  fails before a decision is reached. */
  match(candidate: string): Promise<boolean>;
}

export interface MatchListOptions {
  parameterName: string;
  value: string;
  kind: 'string' | 'domain';
  /** For domain lists: "example.com" matches its subdomains too. */
  parentMatchesSubdomains?: boolean;
  context: MapContext;
}

/** Whether a pattern names a table ("type:name"), not an address literal "[...]". */
const isTablePattern = (pattern: string): boolean => !pattern.startsWith('[') && pattern.includes(':');
const patternTableTypes = new Set(['regexp', 'pcre', 'cidr']);

/** parent_domain_matches_subdomains, as a test for one parameter name. */
export function parentStyleFor(parameterName: string, parentDomainMatchesSubdomains: readonly string[]): boolean {
  return parentDomainMatchesSubdomains.includes(parameterName);
}

export async function openMatchList(options: MatchListOptions): Promise<MatchList> {
  const context: MapContext = { ...options.context, allowSurrogate: true };
  const patterns: Pattern[] = [];
  await parsePatterns(options.value, false, 0, patterns, options.parameterName, context);
  const reporter = context.reporter;
  return {
    parameterName: options.parameterName,
    isEmpty: patterns.length === 0,
    match: async (candidate) => {
      const folded = candidate.toLowerCase();
      for (const pattern of patterns) {
        const matched = options.kind === 'domain'
          ? await matchHostname(pattern, folded, options.parentMatchesSubdomains ?? false, options.parameterName, reporter)
          : await matchString(pattern, folded, options.parameterName, reporter);
        if (matched) return !pattern.negated;
      }
      return false;
    },
  };
}

async function parsePatterns(value: string, negatedAlready: boolean, depth: number, patterns: Pattern[],
  parameterName: string, context: MapContext): Promise<void> {
  const items = splitListKeepingBraces(value);
  for (let index = 0; index < items.length && patterns.length < MATCH_LIST_PATTERNS_MAX; index++) {
    const item = items[index] ?? '';
    if (item.startsWith('#')) {
      context.reporter.warn(`${parameterName}: comment at end of line is not supported: ${items.slice(index).join(' ')}`);
      return;
    }
    let negated = negatedAlready;
    let body = item;
    while (body.startsWith('!')) {
      negated = !negated;
      body = body.slice(1);
    }
    if (body === '') context.reporter.fatal(`${parameterName}: no pattern after '!'`);
    if (body.startsWith('/')) {
      await parseFile(body, negated, depth, patterns, parameterName, context);
    } else if (isTablePattern(body)) {
      patterns.push({ kind: 'table', negated, table: await openLookupTable(body, context) });
    } else {
      patterns.push({ kind: 'text', negated, text: body.toLowerCase() });
    }
  }
}

async function parseFile(path: string, negated: boolean, depth: number, patterns: Pattern[],
  parameterName: string, context: MapContext): Promise<void> {
  let text: string;
  try {
    if (depth >= MATCH_LIST_FILE_DEPTH_MAX) throw new Error('too many nested files');
    text = new TextDecoder().decode(await context.fs.readFile(resolvePath(context.cwd, path)));
  } catch (error) {
    const reason = error instanceof PlatformError ? describeCode(error.code) : String(error instanceof Error ? error.message : error);
    patterns.push({ kind: 'unreadable-file', negated, path, reason: `open file ${path}: ${reason}` });
    return;
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    await parsePatterns(line, negated, depth + 1, patterns, parameterName, context);
  }
}

/** Looks `key` up in a pattern's table, turning a failure into Postfix's warning. */
async function lookupPattern(pattern: Pattern, key: string, parameterName: string, reporter: Reporter): Promise<boolean> {
  if (pattern.kind === 'unreadable-file') {
    reporter.warn(`non-existent:${pattern.path} is unavailable. ${pattern.reason}`);
    reporter.warn(`${parameterName}: non-existent:${pattern.path}: table lookup problem`);
    throw new MapError('config', `non-existent:${pattern.path}`, pattern.reason);
  }
  if (pattern.kind !== 'table') return false;
  try {
    return (await pattern.table.lookup(key)) !== undefined;
  } catch (error) {
    if (error instanceof MapError) reporter.warn(`${parameterName}: ${pattern.table.type}:${pattern.table.name}: table lookup problem`);
    throw error;
  }
}

/** match_string: a table lookup or an exact (case-folded) comparison. */
async function matchString(pattern: Pattern, candidate: string, parameterName: string, reporter: Reporter): Promise<boolean> {
  if (pattern.kind === 'text') return pattern.text === candidate;
  return lookupPattern(pattern, candidate, parameterName, reporter);
}

/** match_hostname: a table lookup of the name and (fixed-string tables only) its parents,
 *  or an exact or parent-domain comparison. */
async function matchHostname(pattern: Pattern, name: string, parentStyle: boolean, parameterName: string, reporter: Reporter): Promise<boolean> {
  if (pattern.kind !== 'text') {
    const fixed = pattern.kind !== 'table' || !patternTableTypes.has(pattern.table.type);
    let entry = name;
    for (let step = 0; step < PARENT_DOMAINS_MAX && entry !== ''; step++) {
      if (step === 0 || fixed) {
        if (await lookupPattern(pattern, entry, parameterName, reporter)) return true;
      }
      const dot = entry.indexOf('.', 1);
      if (dot < 0) break;
      entry = parentStyle ? entry.slice(dot + 1) : entry.slice(dot);
    }
    return false;
  }
  const text = pattern.text;
  if (name === text) return true;
  if (parentStyle) {
    const offset = name.length - text.length;
    return offset > 0 && name.charAt(offset - 1) === '.' && name.endsWith(text);
  }
  if (text.startsWith('.')) {
    const offset = name.length - text.length;
    return offset > 0 && name.endsWith(text);
  }
  return false;
}
