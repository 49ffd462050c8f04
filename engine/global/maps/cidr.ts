// cidr:FILE -- network blocks in first-match order: "192.168.0.0/16 result", "10.1.2.3
// result" (all bits), IPv6 "2001:db8::/32" or "[2001:db8::]/32", "!pattern" negation and
// if/endif blocks. Bad entries are skipped with "cidr map F, line N: why: skipping this
// rule". Models util/dict_cidr.c and util/cidr_match.c, including inet_pton(3)'s strict
// address syntax. Also exports the address parser for matchlists (mynetworks) later.
// Called through openLookupTable.

import { readLogicalLines, trimTrailing } from './source-lines.ts';
import type { LookupTable, MapContext } from './types.ts';

export interface CidrPattern {
  family: 4 | 6;
  network: Uint8Array;
  maskBits: number;
  match: boolean;
}

type CidrRule =
  | { kind: 'match'; pattern: CidrPattern; value: string }
  | { kind: 'if'; pattern: CidrPattern; endIndex: number; line: number }
  | { kind: 'endif' };

/** inet_pton(AF_INET): four decimal parts 0..255, no leading zeros. */
export function parseIpv4(text: string): Uint8Array | undefined {
  // One pass over the text (called for every client address a matchlist looks at): each
  // of the four parts 1-3 digits, no leading zero, at most 255.
  if (text.length < 7 || text.length > 15) return undefined;
  const bytes = new Uint8Array(4);
  let at = 0;
  for (let index = 0; index < 4; index++) {
    const start = at;
    let value = 0;
    while (at < text.length && at - start <= 3) {
      const code = text.charCodeAt(at);
      if (code === 0x2e) break;
      if (code < 0x30 || code > 0x39) return undefined;
      value = value * 10 + (code - 0x30);
      at++;
    }
    const digits = at - start;
    if (digits < 1 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 0x30) || value > 255) return undefined;
    bytes[index] = value;
    if (index < 3) {
      if (text.charCodeAt(at) !== 0x2e) return undefined;
      at++;
    }
  }
  return at === text.length ? bytes : undefined;
}

/** inet_pton(AF_INET6): hex groups, at most one "::", an optional dotted IPv4 tail. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const pieces = part.split(':');
    const words: number[] = [];
    for (let index = 0; index < pieces.length; index++) {
      const piece = pieces[index] ?? '';
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        words.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
      words.push(parseInt(piece, 16));
    }
    return words;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((word, index) => { bytes[index * 2] = word >> 8; bytes[index * 2 + 1] = word & 0xff; });
  return bytes;
}

export function parseAddress(text: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  const family = text.includes(':') ? 6 : 4;
  const bytes = family === 6 ? parseIpv6(text) : parseIpv4(text);
  return bytes === undefined ? undefined : { family, bytes };
}

function formatAddress(family: 4 | 6, bytes: Uint8Array): string {
  if (family === 4) return [...bytes].join('.');
  const words: number[] = [];
  for (let index = 0; index < 16; index += 2) words.push(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0));
  // RFC 5952 style, as inet_ntop: the longest run (of two or more) of zero words becomes "::".
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8;) {
    if (words[start] !== 0) { start++; continue; }
    let end = start;
    while (end < 8 && words[end] === 0) end++;
    if (end - start > bestLength && end - start >= 2) { bestStart = start; bestLength = end - start; }
    start = end;
  }
  const hex = (list: number[]): string => list.map((word) => word.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

function applyMask(bytes: Uint8Array, maskBits: number): Uint8Array {
  const masked = new Uint8Array(bytes.length);
  for (let index = 0; index < bytes.length; index++) {
    const bits = Math.max(0, Math.min(8, maskBits - index * 8));
    const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    masked[index] = (bytes[index] ?? 0) & mask;
  }
  return masked;
}

/** cidr_match_parse: returns the pattern or Postfix's reason text. */
export function parseCidrPattern(input: string, match: boolean): CidrPattern | { error: string } {
  let pattern = input;
  let maskSearch: string;
  if (pattern.startsWith('[')) {
    pattern = pattern.slice(1);
    const close = pattern.indexOf(']');
    if (close < 0) return { error: `missing ']' character after "[${pattern}"` };
    const after = pattern.slice(close + 1);
    pattern = pattern.slice(0, close);
    if (after !== '' && !after.startsWith('/')) return { error: `garbage after "[${pattern}]"` };
    maskSearch = after;
  } else {
    const slash = pattern.indexOf('/');
    maskSearch = slash < 0 ? '' : pattern.slice(slash);
    pattern = slash < 0 ? pattern : pattern.slice(0, slash);
  }
  const family = pattern.includes(':') ? 6 : 4;
  const bitCount = family === 6 ? 128 : 32;
  const parse = family === 6 ? parseIpv6 : parseIpv4;
  if (maskSearch.startsWith('/')) {
    const mask = maskSearch.slice(1);
    let parseError: string | undefined;
    const network = parse(pattern);
    // Postfix's alldig() accepts an empty mask, which then means /0.
    if (!/^\d*$/.test(mask)) parseError = 'bad mask value';
    if (parseError === undefined && Number(mask) > bitCount) parseError = 'bad mask length';
    if (parseError === undefined && network === undefined) parseError = 'bad network value';
    if (parseError !== undefined || network === undefined) return { error: `${parseError ?? 'bad network value'} in "${pattern}/${mask}"` };
    const maskBits = Number(mask);
    const masked = applyMask(network, maskBits);
    if (masked.some((byte, index) => byte !== network[index])) {
      return { error: `non-null host address bits in "${pattern}/${mask}", perhaps you should use "${formatAddress(family, masked)}/${maskBits}" instead` };
    }
    return { family, network: masked, maskBits, match };
  }
  const network = parse(pattern);
  if (network === undefined) return { error: `bad address pattern: "${pattern}"` };
  return { family, network, maskBits: bitCount, match };
}

export function cidrMatches(pattern: CidrPattern, family: 4 | 6, bytes: Uint8Array): boolean {
  if (pattern.family !== family) return false;
  const masked = applyMask(bytes, pattern.maskBits);
  const equal = masked.every((byte, index) => byte === pattern.network[index]);
  return equal === pattern.match;
}

function parseRule(text: string, nesting: number, line: number): CidrRule | { error: string } {
  let rest = text;
  let match = true;
  if (/^if(?![A-Za-z0-9])/i.test(rest)) {
    rest = rest.slice(2);
    for (; rest.length > 0 && (rest[0] === '!' || /\s/.test(rest[0] ?? '')); rest = rest.slice(1)) if (rest[0] === '!') match = !match;
    if (rest === '') return { error: 'no address pattern' };
    const pattern = parseCidrPattern(trimTrailing(rest), match);
    return 'error' in pattern ? pattern : { kind: 'if', pattern, endIndex: -1, line };
  }
  if (/^endif(?![A-Za-z0-9])/i.test(rest)) {
    if (rest.slice(5).trim() !== '') return { error: 'garbage after ENDIF' };
    if (nesting === 0) return { error: 'ENDIF without IF' };
    return { kind: 'endif' };
  }
  for (; rest.length > 0 && (rest[0] === '!' || /\s/.test(rest[0] ?? '')); rest = rest.slice(1)) if (rest[0] === '!') match = !match;
  const keyEnd = rest.search(/\s/);
  const key = keyEnd < 0 ? rest : rest.slice(0, keyEnd);
  const value = keyEnd < 0 ? '' : trimTrailing(rest.slice(keyEnd).replace(/^\s+/, ''));
  if (key === '') return { error: 'no address pattern' };
  const pattern = parseCidrPattern(key, match);
  if ('error' in pattern) return pattern;
  if (value === '') return { error: 'no lookup result' };
  return { kind: 'match', pattern, value };
}

export function createCidrTable(name: string, path: string, text: string, context: MapContext): LookupTable {
  const rules: CidrRule[] = [];
  const openIfs: number[] = [];
  for (const line of readLogicalLines(text, path, context.reporter)) {
    const rule = parseRule(line.text, openIfs.length, line.lineNumber);
    if ('error' in rule) {
      context.reporter.warn(`cidr map ${path}, line ${line.lineNumber}: ${rule.error}: skipping this rule`);
      continue;
    }
    if (rule.kind === 'if') openIfs.push(rules.length);
    if (rule.kind === 'endif') {
      const opener = rules[openIfs.pop() ?? -1];
      if (opener?.kind === 'if') opener.endIndex = rules.length;
    }
    rules.push(rule);
  }
  for (let index = openIfs.length - 1; index >= 0; index--) {
    const opener = rules[openIfs[index] ?? -1];
    if (opener?.kind === 'if') context.reporter.warn(`cidr map ${path}, line ${opener.line}: IF has no matching ENDIF`);
  }
  const lookup = async (key: string): Promise<string | undefined> => {
    const address = parseAddress(key);
    if (address === undefined) return undefined;
    for (let index = 0; index < rules.length; index++) {
      const rule = rules[index];
      if (rule === undefined || rule.kind === 'endif') continue;
      if (rule.kind === 'match') {
        if (cidrMatches(rule.pattern, address.family, address.bytes)) return rule.value;
        continue;
      }
      if (cidrMatches(rule.pattern, address.family, address.bytes)) continue;
      if (rule.endIndex < 0) return undefined;
      index = rule.endIndex;
    }
    return undefined;
  };
  return { type: 'cidr', name, foldsCase: false, lookup };
}
