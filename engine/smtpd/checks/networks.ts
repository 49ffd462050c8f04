// A client list such as mynetworks: network/mask patterns ("127.0.0.0/8", "[::1]/128"),
// addresses, host and domain names, "type:name" tables (looked up with the client name,
// then its address), "/file" patterns and "!" negation; the first pattern that matches
// decides; a table that fails logs "<parameter>: type:name: table lookup problem" and throws
// (MATCH_FLAG_RETURN). Called by tables.ts for mynetworks and smtpd_forbid_bare_newline_exclusions.
// Trusts the cidr parser of engine/global/maps/cidr.ts. Models util/match_list.c with
// match_hostname and match_hostaddr (namadr_list).

import { cidrMatches, parseAddress, parseCidrPattern, type CidrPattern } from '../../global/maps/cidr.ts';
import { splitListKeepingBraces } from '../../global/config/values.ts';
import type { LookupTable, MapContext } from '../../global/maps/index.ts';
import { MapError, openLookupTable } from '../../global/maps/index.ts';

/** The most patterns one list holds; files are read at most this deep. */
export const NETWORK_PATTERNS_MAX = 10_000;
export const NETWORK_FILE_DEPTH_MAX = 4;

type Pattern =
  | { kind: 'network'; negated: boolean; cidr: CidrPattern }
  | { kind: 'name'; negated: boolean; text: string }
  | { kind: 'table'; negated: boolean; table: LookupTable };

export interface NetworkList {
  readonly isEmpty: boolean;
  /** namadr_list_match(name, address); a failing table throws MapError. */
  match(name: string, address: string): Promise<boolean>;
}

async function parse(value: string, negated: boolean, depth: number, patterns: Pattern[], parameter: string, context: MapContext): Promise<void> {
  for (const item of splitListKeepingBraces(value)) {
    if (patterns.length >= NETWORK_PATTERNS_MAX) return;
    let body = item;
    let flip = negated;
    while (body.startsWith('!')) { flip = !flip; body = body.slice(1); }
    if (body.startsWith('/') && depth < NETWORK_FILE_DEPTH_MAX) {
      try {
        const text = new TextDecoder().decode(await context.fs.readFile(body));
        for (const line of text.split('\n')) if (!line.startsWith('#')) await parse(line, flip, depth + 1, patterns, parameter, context);
      } catch {
        context.reporter.warn(`${parameter}: open file ${body}: No such file or directory`);
      }
      continue;
    }
    if (!body.startsWith('[') && body.includes(':') && !/^[0-9a-fA-F:.]+(\/\d+)?$/.test(body)) {
      patterns.push({ kind: 'table', negated: flip, table: await openLookupTable(body, { ...context, allowSurrogate: true }) });
      continue;
    }
    const cidr = parseCidrPattern(body, true);
    if (!('error' in cidr)) patterns.push({ kind: 'network', negated: flip, cidr });
    else patterns.push({ kind: 'name', negated: flip, text: body.toLowerCase() });
  }
}

export async function openNetworkList(parameter: string, value: string, parentMatchesSubdomains: boolean,
  context: MapContext): Promise<NetworkList> {
  const patterns: Pattern[] = [];
  await parse(value, false, 0, patterns, parameter, context);
  return {
    isEmpty: patterns.length === 0,
    async match(name, address) {
      const parsed = parseAddress(address);
      const lowerName = name.toLowerCase();
      for (const pattern of patterns) {
        let matched = false;
        if (pattern.kind === 'network') {
          matched = parsed !== undefined && cidrMatches(pattern.cidr, parsed.family, parsed.bytes);
        } else if (pattern.kind === 'table') {
          const table = pattern.table;
          try {
            matched = (lowerName !== 'unknown' && await table.lookup(lowerName) !== undefined)
              || await table.lookup(address) !== undefined;
          } catch (error) {
            // match_list's MATCH_FLAG_RETURN: the warning, then the caller sees the failure.
            if (error instanceof MapError) context.reporter.warn(`${parameter}: ${table.type}:${table.name}: table lookup problem`);
            throw error;
          }
        } else {
          const text = pattern.text;
          matched = lowerName === text
            || (parentMatchesSubdomains && lowerName.endsWith(`.${text}`))
            || (text.startsWith('.') && lowerName.endsWith(text));
        }
        if (matched) return !pattern.negated;
      }
      return false;
    },
  };
}
