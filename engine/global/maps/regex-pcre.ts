// Translates PCRE patterns (Postfix's pcre: tables, built with PCRE2) into JavaScript RegExp
// source and flags. Most syntax is shared; this handles what is not: the x flag (strip
// whitespace and # comments), \A \z \Z, PCRE's "$" (also before a final newline unless the
// E flag), \Q...\E, (?#...), (?P<name>...), POSIX [:classes:], \h, \x{...}, leading inline
// options such as (?i), possessive quantifiers and atomic groups (approximated as their
// greedy forms), and the U (ungreedy) flag. Errors name an offset as PCRE2 does:
// "missing closing parenthesis", "unmatched closing parenthesis", "missing terminating ]
// for character class", "quantifier does not follow a repeatable item".
// Called by regexp-table.ts.

import { patternLengthMax, translateBracket } from './regex-posix.ts';

export interface PcreOptions {
  caseless: boolean;
  multiline: boolean;
  dotAll: boolean;
  extended: boolean;
  anchored: boolean;
  dollarEndOnly: boolean;
  ungreedy: boolean;
}

export type PcreTranslation =
  | { ok: true; source: string; flags: string; groups: number; named: boolean }
  | { ok: false; offset: number; error: string };

const endOfSubject = '(?![\\s\\S])';

export function translatePcre(pattern: string, options: PcreOptions): PcreTranslation {
  if (pattern.length > patternLengthMax) return { ok: false, offset: 0, error: 'regular expression is too large' };
  const settings = { ...options };
  let position = 0;
  // Leading option settings such as (?i) or (?im-s) apply to the whole pattern.
  for (let guard = 0; guard < 8; guard++) {
    const match = /^\(\?([imsxU]*)(?:-([imsxU]*))?\)/.exec(pattern.slice(position));
    if (match === null || match[0] === '(?)') break;
    for (const letter of match[1] ?? '') setOption(settings, letter, true);
    for (const letter of match[2] ?? '') setOption(settings, letter, false);
    position += match[0].length;
  }
  let out = '';
  let depth = 0;
  let groups = 0;
  let named = false;
  let repeatable = false;
  const openOffsets: number[] = [];
  for (; position < pattern.length; position++) {
    const character = pattern[position] ?? '';
    if (settings.extended && /[ \t\n\r\f\v]/.test(character)) continue;
    if (settings.extended && character === '#') {
      const end = pattern.indexOf('\n', position);
      position = end < 0 ? pattern.length : end;
      continue;
    }
    if (character === '\\') {
      const next = pattern[position + 1];
      if (next === undefined) return { ok: false, offset: pattern.length, error: '\\ at end of pattern' };
      position++;
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', position + 1);
        const text = pattern.slice(position + 1, end < 0 ? pattern.length : end);
        out += text.replace(/[\\^$.*+?()[\]{}|\/]/g, (c) => `\\${c}`);
        position = end < 0 ? pattern.length : end + 1;
        repeatable = text.length > 0;
        continue;
      }
      if (next === 'E') continue;
      const escape = translatePcreEscape(pattern, position, settings);
      out += escape.text;
      position = escape.last;
      repeatable = escape.repeatable;
      continue;
    }
    if (character === '[') {
      const bracket = translateBracket(pattern, position + 1, true);
      if (!bracket.ok) {
        if (bracket.error === 'class') return { ok: false, offset: position + 1, error: 'unknown POSIX class name' };
        return { ok: false, offset: pattern.length, error: 'missing terminating ] for character class' };
      }
      out += bracket.source;
      position = bracket.next - 1;
      repeatable = true;
      continue;
    }
    if (character === '(') {
      const rest = pattern.slice(position);
      if (rest.startsWith('(?#')) {
        const end = pattern.indexOf(')', position);
        if (end < 0) return { ok: false, offset: pattern.length, error: 'missing ) after (?# comment' };
        position = end;
        continue;
      }
      openOffsets.push(position);
      depth++;
      repeatable = false;
      const namedGroup = /^\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/.exec(rest);
      if (namedGroup !== null) {
        named = true;
        groups++;
        out += `(?<${namedGroup[1] ?? namedGroup[2]}>`;
        position += namedGroup[0].length - 1;
      } else if (depth === 1 && /^\(\?[imsxU]*(?:-[imsxU]*)?\)/.test(rest) && rest !== '(?)') {
        // An option setting such as (?i) in mid-pattern: JavaScript has no such syntax, so
        // it applies to the whole pattern (exact when nothing before it depends on it).
        const setting = /^\(\?([imsxU]*)(?:-([imsxU]*))?\)/.exec(rest);
        for (const letter of setting?.[1] ?? '') setOption(settings, letter, true);
        for (const letter of setting?.[2] ?? '') setOption(settings, letter, false);
        depth--;
        openOffsets.pop();
        position += (setting?.[0].length ?? 1) - 1;
      } else if (rest.startsWith('(?>')) {
        out += '(?:';
        position += 2;
      } else if (rest.startsWith('(?P=')) {
        const end = pattern.indexOf(')', position);
        out += `(?:\\k<${pattern.slice(position + 4, end)}>`;
        position = end - 1;
      } else if (rest.startsWith('(?')) {
        out += '(?';
        position += 1;
      } else {
        groups++;
        out += '(';
      }
      continue;
    }
    if (character === ')') {
      if (depth === 0) return { ok: false, offset: position, error: 'unmatched closing parenthesis' };
      depth--;
      openOffsets.pop();
      out += ')';
      repeatable = true;
      continue;
    }
    if (character === '*' || character === '+' || character === '?' || (character === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(position)))) {
      if (!repeatable) return { ok: false, offset: position, error: 'quantifier does not follow a repeatable item' };
      let quantifier = character;
      if (character === '{') {
        const end = pattern.indexOf('}', position);
        quantifier = pattern.slice(position, end + 1);
        position = end;
      }
      const modifier = pattern[position + 1];
      if (modifier === '+') { position++; out += quantifier; } // possessive: approximated as greedy
      else if (modifier === '?') { position++; out += settings.ungreedy ? quantifier : `${quantifier}?`; }
      else out += settings.ungreedy ? `${quantifier}?` : quantifier;
      repeatable = false;
      continue;
    }
    if (character === '$') {
      out += settings.multiline ? '$' : settings.dollarEndOnly ? endOfSubject : `(?=\\n?${endOfSubject})`;
      repeatable = false;
      continue;
    }
    if (character === '^') {
      out += '^';
      repeatable = false;
      continue;
    }
    if (character === '|') {
      out += '|';
      repeatable = false;
      continue;
    }
    out += character === '/' ? '\\/' : character;
    repeatable = true;
  }
  if (depth > 0) return { ok: false, offset: pattern.length, error: 'missing closing parenthesis' };
  let flags = '';
  if (settings.caseless) flags += 'i';
  if (settings.multiline) flags += 'm';
  if (settings.dotAll) flags += 's';
  if (settings.anchored) flags += 'y';
  return { ok: true, source: out, flags, groups, named };
}

function setOption(settings: PcreOptions, letter: string, value: boolean): void {
  if (letter === 'i') settings.caseless = value;
  else if (letter === 'm') settings.multiline = value;
  else if (letter === 's') settings.dotAll = value;
  else if (letter === 'x') settings.extended = value;
  else if (letter === 'U') settings.ungreedy = value;
}

/** One escape at pattern[position] (the character after the backslash). */
function translatePcreEscape(pattern: string, position: number, settings: PcreOptions):
  { text: string; last: number; repeatable: boolean } {
  const next = pattern[position] ?? '';
  switch (next) {
    case 'A': return { text: settings.multiline ? '(?<![\\s\\S])' : '^', last: position, repeatable: false };
    case 'z': return { text: endOfSubject, last: position, repeatable: false };
    case 'Z': return { text: `(?=\\n?${endOfSubject})`, last: position, repeatable: false };
    case 'G': return { text: '', last: position, repeatable: false };
    case 'b': case 'B': return { text: `\\${next}`, last: position, repeatable: false };
    case 'h': return { text: '[ \\t]', last: position, repeatable: true };
    case 'H': return { text: '[^ \\t]', last: position, repeatable: true };
    case 'R': return { text: '(?:\\r\\n|\\n|\\r)', last: position, repeatable: true };
    case 'x': {
      const braced = /^x\{([0-9A-Fa-f]{1,4})\}/.exec(pattern.slice(position));
      if (braced !== null) return { text: `\\u${(braced[1] ?? '').padStart(4, '0')}`, last: position + braced[0].length - 1, repeatable: true };
      return { text: '\\x', last: position, repeatable: true };
    }
    default:
      return { text: `\\${next}`, last: position, repeatable: true };
  }
}
