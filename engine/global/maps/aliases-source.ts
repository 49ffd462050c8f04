// Parsing aliases(5) source lines for postalias: "name: value, value", continuation lines,
// quoted names, comments in values. Tokenizes each logical line as RFC 822 text (atoms,
// quoted strings, comments, domain literals, specials), splits at the first ':' token,
// and writes the name in internal (unquoted) form and the value in external (quoted) form
// with Postfix's spacing (", " after commas, a space between two words, none around '.',
// '@' or ':'). Warnings: "F, line N: need name:value pair", "name must be local".
// Models the loop in src/postalias/postalias.c with global/tok822_parse.c.

import type { Reporter } from '../msg.ts';
import type { LogicalLine } from './source-lines.ts';

type Token = { kind: 'atom' | 'qstring' | 'comment' | 'domlit'; text: string } | { kind: 'special'; text: string };

const specials = '()<>@,;:\\".[]';

/** A line yields at most this many tokens. */
export const aliasTokensMax = 100_000;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < text.length && tokens.length < aliasTokensMax) {
    const character = text[position] ?? '';
    if (/\s/.test(character)) { position++; continue; }
    if (character === '"') {
      let content = '';
      position++;
      while (position < text.length && text[position] !== '"') {
        if (text[position] === '\\' && position + 1 < text.length) { content += text[position + 1]; position += 2; continue; }
        content += text[position];
        position++;
      }
      position++;
      tokens.push({ kind: 'qstring', text: content });
      continue;
    }
    if (character === '(') {
      let level = 0;
      const start = position;
      for (; position < text.length; position++) {
        if (text[position] === '\\') { position++; continue; }
        if (text[position] === '(') level++;
        if (text[position] === ')') { level--; if (level === 0) { position++; break; } }
      }
      tokens.push({ kind: 'comment', text: text.slice(start, position) });
      continue;
    }
    if (character === '[') {
      const end = text.indexOf(']', position);
      const stop = end < 0 ? text.length : end;
      tokens.push({ kind: 'domlit', text: text.slice(position + 1, stop) });
      position = stop + 1;
      continue;
    }
    if (specials.includes(character)) {
      tokens.push({ kind: 'special', text: character });
      position++;
      continue;
    }
    let end = position;
    while (end < text.length && !/\s/.test(text[end] ?? '') && !specials.includes(text[end] ?? '')) end++;
    tokens.push({ kind: 'atom', text: text.slice(position, end) });
    position = end;
  }
  return tokens;
}

const isWord = (token: Token): boolean => token.kind !== 'special';

function render(tokens: Token[], external: boolean): string {
  let out = '';
  tokens.forEach((token, index) => {
    const next = tokens[index + 1];
    if (token.kind === 'special' && token.text === ',') {
      out += next === undefined ? ',' : ', ';
      return;
    }
    if (token.kind === 'qstring') out += external ? `"${token.text.replace(/(["\\\r\n])/g, '\\$1')}"` : token.text;
    else if (token.kind === 'domlit') out += `[${token.text}]`;
    else out += token.text;
    if (next !== undefined && ((next.kind === 'special' && next.text === '<') || (isWord(token) && isWord(next)))) out += ' ';
  });
  return out;
}

/** One alias entry, or undefined after a warning. */
export function parseAliasLine(line: LogicalLine, path: string, reporter: Reporter): { name: string; value: string } | undefined {
  const tokens = tokenize(line.text);
  if (tokens.length === 0) return undefined;
  const colon = tokens.findIndex((token) => token.kind === 'special' && token.text === ':');
  const before = colon < 0 ? [] : tokens.slice(0, colon);
  if (colon <= 0 || colon === tokens.length - 1 || before.some((token) => token.kind === 'special' && token.text === ',')) {
    reporter.warn(`${path}, line ${line.lineNumber}: need name:value pair`);
    return undefined;
  }
  if (before.some((token) => token.kind === 'special' && token.text === '@')) {
    reporter.warn(`${path}, line ${line.lineNumber}: name must be local`);
    return undefined;
  }
  return { name: render(before, false), value: render(tokens.slice(colon + 1), true) };
}
