// regexp:FILE and pcre:FILE -- ordered pattern tables: the first rule whose pattern matches
// the key gives the result, with $1..$9 (also ${1}, $(1)) replaced by what the groups
// captured. Rules: "/pattern/flags result", "!/pattern/" (match when it does not match),
// "/pattern1/!/pattern2/ result", and "if /pattern/" ... "endif" blocks that may nest.
// Bad rules are skipped with Postfix's warnings ("regexp map F, line N: ..."), and the
// table still opens. Models util/dict_regexp.c and util/dict_pcre.c; the pattern dialects
// are translated by regex-posix.ts and regex-pcre.ts. Called through openLookupTable.

import { readLogicalLines, trimTrailing } from './source-lines.ts';
import { translatePosix } from './regex-posix.ts';
import { translatePcre, type PcreOptions } from './regex-pcre.ts';
import type { LookupTable, MapContext } from './types.ts';
import type { Reporter } from '../msg.ts';

type Dialect = 'regexp' | 'pcre';

interface Pattern {
  expression: RegExp;
  /** false for "!/pattern/": the rule applies when the pattern does not match. */
  match: boolean;
}

type Rule =
  | { kind: 'match'; line: number; first: Pattern; second?: Pattern; replacement: string; maxGroup: number }
  | { kind: 'if'; line: number; pattern: Pattern; endIndex: number }
  | { kind: 'endif'; line: number };

interface RawPattern { source: string; flags: string; match: boolean }

/** Rules nest no deeper than this many if-blocks. */
export const ifNestingMax = 1000;

const isSpace = (character: string | undefined): boolean => character !== undefined && /[ \t\n\r\v\f]/.test(character);

class RuleParser {
  constructor(
    private readonly dialect: Dialect,
    private readonly path: string,
    private readonly reporter: Reporter,
  ) {}

  private warn(line: number, text: string): void {
    this.reporter.warn(`${this.dialect} map ${this.path}, line ${line}: ${text}`);
  }

  /** Reads "!... /pattern/flags" at text[position]; returns the pattern and the rest. */
  readPattern(text: string, start: number, line: number): { raw: RawPattern; next: number } | undefined {
    let position = start;
    let match = true;
    for (; position < text.length; position++) {
      if (text[position] === '!') match = !match;
      else if (!isSpace(text[position])) break;
    }
    if (position >= text.length) {
      this.warn(line, 'no regexp: skipping this rule');
      return undefined;
    }
    const delimiter = text[position] ?? '/';
    position++;
    let body = '';
    for (; position < text.length; position++) {
      const character = text[position];
      if (character === '\\' && position + 1 < text.length) {
        // A backslash before the delimiter makes it part of the pattern, without the backslash
        // only for the delimiter itself is kept as written: Postfix leaves the text alone.
        body += character + (text[position + 1] ?? '');
        position++;
        continue;
      }
      if (character === '\\') break;
      if (character === delimiter) break;
      body += character;
    }
    if (position >= text.length || text[position] !== delimiter) {
      this.warn(line, `no closing regexp delimiter "${delimiter}": skipping this rule`);
      return undefined;
    }
    position++;
    let flags = '';
    for (; position < text.length && !isSpace(text[position]) && text[position] !== '!'; position++) {
      const flag = text[position] ?? '';
      const known = this.dialect === 'regexp' ? 'imx' : 'imsxAEUX';
      if (!known.includes(flag)) {
        this.warn(line, `unknown regexp option "${flag}": skipping this rule`);
        return undefined;
      }
      if (flag === 'X') {
        this.warn(line, 'ignoring obsolete regexp option "X"');
        continue;
      }
      flags += flag;
    }
    return { raw: { source: body, flags, match }, next: position };
  }

  compile(raw: RawPattern, line: number): { pattern: Pattern; groups: number; named: boolean } | undefined {
    const toggled = (letter: string): boolean => [...raw.flags].filter((flag) => flag === letter).length % 2 === 1;
    if (this.dialect === 'regexp') {
      const translated = translatePosix(raw.source, !toggled('x'));
      if (!translated.ok) {
        this.warn(line, translated.error);
        return undefined;
      }
      const flags = `${toggled('i') ? '' : 'i'}${toggled('m') ? 'm' : 's'}`;
      return this.build(translated.source, flags, raw.match, translated.groups, false, line);
    }
    const options: PcreOptions = {
      caseless: !toggled('i'), multiline: toggled('m'), dotAll: toggled('s'), extended: toggled('x'),
      anchored: toggled('A'), dollarEndOnly: toggled('E'), ungreedy: toggled('U'),
    };
    const translated = translatePcre(raw.source, options);
    if (!translated.ok) {
      this.warn(line, `error in regex at offset ${translated.offset}: ${translated.error}`);
      return undefined;
    }
    return this.build(translated.source, translated.flags, raw.match, translated.groups, translated.named, line);
  }

  private build(source: string, flags: string, match: boolean, groups: number, named: boolean, line: number):
    { pattern: Pattern; groups: number; named: boolean } | undefined {
    try {
      return { pattern: { expression: new RegExp(source, flags), match }, groups, named };
    } catch (error) {
      const text = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error);
      if (this.dialect === 'pcre') this.warn(line, `error in regex at offset 0: ${text}`);
      else this.warn(line, text);
      return undefined;
    }
  }

  /** Checks the replacement text as Postfix's prescan does; returns the highest $number
   *  or undefined after warning. */
  scanReplacement(replacement: string, line: number): number | undefined {
    let maxGroup = 0;
    for (const piece of parseReplacement(replacement)) {
      if (piece.kind === 'error') {
        this.reporter.warn(piece.text);
        this.warn(line, 'bad replacement syntax: skipping this rule');
        return undefined;
      }
      if (piece.kind !== 'group') continue;
      if (!/^\d+$/.test(piece.text)) {
        this.warn(line, `non-numeric replacement index "${piece.text}"`);
        this.warn(line, 'bad replacement syntax: skipping this rule');
        return undefined;
      }
      const index = Number(piece.text);
      if (index < 1) {
        this.warn(line, `${this.dialect === 'regexp' ? 'out-of-range' : 'out of range'} replacement index "${piece.text}"`);
        this.warn(line, 'bad replacement syntax: skipping this rule');
        return undefined;
      }
      maxGroup = Math.max(maxGroup, index);
    }
    return maxGroup;
  }

  parseRule(text: string, line: number, nesting: number): Rule | undefined {
    const first = text[0] ?? '';
    if (!/[A-Za-z0-9]/.test(first)) return this.parseMatch(text, line);
    if (/^if(?![A-Za-z0-9])/i.test(text)) {
      let position = 2;
      while (isSpace(text[position])) position++;
      const read = this.readPattern(text, position, line);
      if (read === undefined) return undefined;
      const rest = text.slice(read.next).trim();
      if (rest !== '') {
        this.warn(line, `ignoring extra text after IF statement: "${rest}"`);
        this.warn(line, 'do not prepend whitespace to statements between IF and ENDIF');
      }
      const compiled = this.compile(read.raw, line);
      if (compiled === undefined) return undefined;
      return { kind: 'if', line, pattern: compiled.pattern, endIndex: -1 };
    }
    if (/^endif(?![A-Za-z0-9])/i.test(text)) {
      if (nesting === 0) {
        this.warn(line, 'ignoring ENDIF without matching IF');
        return undefined;
      }
      if (text.slice(5).trim() !== '') this.warn(line, 'ignoring extra text after ENDIF');
      return { kind: 'endif', line };
    }
    this.warn(line, 'ignoring unrecognized request');
    return undefined;
  }

  private parseMatch(text: string, line: number): Rule | undefined {
    const first = this.readPattern(text, 0, line);
    if (first === undefined) return undefined;
    let position = first.next;
    let second: { raw: RawPattern; next: number } | undefined;
    if (text[position] === '!') {
      second = this.readPattern(text, position, line);
      if (second === undefined) return undefined;
      position = second.next;
    }
    const replacement = text.slice(position).replace(/^[ \t\n\r\v\f]+/, '');
    if (replacement === '') this.warn(line, 'no replacement text: using empty string');
    const maxGroup = this.scanReplacement(replacement, line);
    if (maxGroup === undefined) return undefined;
    if (maxGroup > 0 && !first.raw.match) {
      this.warn(line, '$number found in negative match replacement text: skipping this rule');
      return undefined;
    }
    const compiled = this.compile(first.raw, line);
    if (compiled === undefined) return undefined;
    if (this.dialect === 'pcre' && compiled.named && maxGroup > 0) {
      // Named groups still count as numbered groups in PCRE, so $n may refer to them.
    }
    if (maxGroup > compiled.groups) {
      this.warn(line, `out of range replacement index "${maxGroup}": skipping this rule`);
      return undefined;
    }
    let secondPattern: Pattern | undefined;
    if (second !== undefined) {
      const compiledSecond = this.compile(second.raw, line);
      if (compiledSecond === undefined) return undefined;
      secondPattern = compiledSecond.pattern;
    }
    return { kind: 'match', line, first: compiled.pattern, second: secondPattern, replacement, maxGroup };
  }
}

type ReplacementPiece = { kind: 'literal' | 'group' | 'error'; text: string };

/** Splits replacement text into literals and $name references, as Postfix's mac_parse:
 *  "$$" is a dollar, "$1", "${1}", "$(1)" name group 1. */
export function parseReplacement(text: string): ReplacementPiece[] {
  const pieces: ReplacementPiece[] = [];
  let literal = '';
  for (let position = 0; position < text.length;) {
    const character = text[position] ?? '';
    if (character !== '$') { literal += character; position++; continue; }
    if (text[position + 1] === '$') { literal += '$'; position += 2; continue; }
    if (literal !== '') { pieces.push({ kind: 'literal', text: literal }); literal = ''; }
    position++;
    let name: string;
    const open = text[position];
    if (open === '{' || open === '(') {
      const close = open === '{' ? '}' : ')';
      let level = 1;
      let end = position + 1;
      for (; end < text.length && level > 0; end++) {
        if (text[end] === open) level++;
        if (text[end] === close) level--;
      }
      if (level > 0) return [...pieces, { kind: 'error', text: `truncated macro reference: "${text}"` }];
      name = text.slice(position + 1, end - 1);
      position = end;
    } else {
      const match = /^[A-Za-z0-9_]*/.exec(text.slice(position));
      name = match?.[0] ?? '';
      position += name.length;
    }
    if (name === '') return [...pieces, { kind: 'error', text: `empty macro name: "${text}"` }];
    pieces.push({ kind: 'group', text: name });
  }
  if (literal !== '') pieces.push({ kind: 'literal', text: literal });
  return pieces;
}

function test(pattern: Pattern, key: string): RegExpExecArray | null | true {
  pattern.expression.lastIndex = 0;
  const found = pattern.expression.exec(key);
  if (pattern.match) return found;
  return found === null ? true : null;
}

function expand(rule: Extract<Rule, { kind: 'match' }>, found: RegExpExecArray | true): string {
  if (rule.maxGroup === 0 || found === true) {
    return parseReplacement(rule.replacement).map((piece) => piece.text).join('');
  }
  return parseReplacement(rule.replacement)
    .map((piece) => (piece.kind === 'group' ? found[Number(piece.text)] ?? '' : piece.text))
    .join('');
}

export function createRegexpTable(
  dialect: Dialect, name: string, path: string, text: string, context: MapContext,
): LookupTable {
  const parser = new RuleParser(dialect, path, context.reporter);
  const rules: Rule[] = [];
  const openIfs: number[] = [];
  for (const line of readLogicalLines(text, path, context.reporter)) {
    const ruleText = trimTrailing(line.text);
    if (ruleText === '') continue;
    const rule = parser.parseRule(ruleText, line.lineNumber, openIfs.length);
    if (rule === undefined) continue;
    if (rule.kind === 'if') {
      if (openIfs.length >= ifNestingMax) continue;
      openIfs.push(rules.length);
    } else if (rule.kind === 'endif') {
      const opener = rules[openIfs.pop() ?? -1];
      if (opener?.kind === 'if') opener.endIndex = rules.length;
    }
    rules.push(rule);
  }
  for (let index = openIfs.length - 1; index >= 0; index--) {
    const opener = rules[openIfs[index] ?? -1];
    context.reporter.warn(`${dialect} map ${path}, line ${opener?.line ?? 0}: IF has no matching ENDIF`);
  }
  const lookup = async (key: string): Promise<string | undefined> => {
    for (let index = 0; index < rules.length; index++) {
      const rule = rules[index];
      if (rule === undefined) break;
      if (rule.kind === 'endif') continue;
      if (rule.kind === 'if') {
        if (test(rule.pattern, key) !== null) continue;
        if (rule.endIndex < 0) return undefined;
        index = rule.endIndex;
        continue;
      }
      const found = test(rule.first, key);
      if (found === null) continue;
      if (rule.second !== undefined && test(rule.second, key) === null) continue;
      return expand(rule, found);
    }
    return undefined;
  };
  return { type: dialect, name, foldsCase: false, lookup };
}
