// Word expansion for the terminal shell: ~ to $HOME, $NAME and $? to their values, field
// splitting of unquoted expansions, and pathname globbing (* ? [...]) against the host's
// files. Called by engine/shell/execute.ts just before a command runs. Trusts the parsed
// words (engine/shell/parse.ts); reads directories only through the FileSystem it is given.
// Models bash(1)'s expansion order: tilde, parameter, word splitting, pathname expansion.

import type { FileSystem } from '../platform/types.ts';
import type { Word } from './parse.ts';
import { resolvePath } from './paths.ts';

export interface ExpansionScope {
  variable(name: string): string | undefined;
  home(): string;
}

/** A field after splitting; `pattern` is set when it holds unquoted glob characters. */
interface Field {
  text: string;
  /** The text with quoted characters backslash-escaped, for glob matching. */
  pattern: string;
  glob: boolean;
}

/** Names one glob may produce before the rest are dropped. */
export const GLOB_MATCHES_MAX = 10000;

export function expandWordToFields(word: Word, scope: ExpansionScope): Field[] {
  const fields: Field[] = [];
  let current: Field | undefined;
  const append = (text: string, quoted: boolean) => {
    current ??= { text: '', pattern: '', glob: false };
    current.text += text;
    if (quoted) current.pattern += text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
    else {
      current.pattern += text;
      if (/[*?[]/.test(text)) current.glob = true;
    }
  };
  for (const segment of word) {
    if (segment.kind === 'tilde') append(scope.home(), true);
    else if (segment.kind === 'text') append(segment.text, segment.quoted);
    else {
      const value = scope.variable(segment.name) ?? '';
      if (segment.quoted) { append(value, true); continue; }
      // Unquoted: split on blanks; a leading blank ends the field built so far.
      const parts = value.split(/[ \t\n]+/);
      parts.forEach((part, position) => {
        if (position > 0 && current !== undefined) { fields.push(current); current = undefined; }
        if (part !== '') append(part, true);
      });
    }
  }
  if (current !== undefined) fields.push(current);
  // A word made only of quotes ("" or '') is one empty field.
  if (fields.length === 0 && word.some((segment) => segment.kind === 'text' && segment.quoted)) {
    fields.push({ text: '', pattern: '', glob: false });
  }
  return fields;
}

/** Expands a word to its final arguments, globbing against the file system. */
export async function expandWord(word: Word, scope: ExpansionScope, fs: FileSystem, cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const field of expandWordToFields(word, scope)) {
    if (!field.glob) { out.push(field.text); continue; }
    const matches = await glob(field.pattern, fs, cwd);
    // No match: bash keeps the word as typed.
    if (matches.length === 0) out.push(field.text);
    else out.push(...matches);
  }
  return out;
}

/** Expands a pattern such as "/etc/postfix/*.cf" or "*.db" into sorted existing paths. */
async function glob(pattern: string, fs: FileSystem, cwd: string): Promise<string[]> {
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((part) => part !== '');
  let candidates: string[] = [absolute ? '/' : ''];
  for (const part of parts) {
    const next: string[] = [];
    for (const prefix of candidates) {
      if (!/(^|[^\\])[*?[]/.test(part)) {
        next.push(joinPattern(prefix, unescape(part)));
        continue;
      }
      const directory = resolvePath(cwd, prefix === '' ? '.' : prefix);
      let names: string[];
      try { names = await fs.readdir(directory); } catch { continue; }
      const matcher = globToRegExp(part);
      for (const name of names) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (matcher.test(name)) next.push(joinPattern(prefix, name));
        if (next.length >= GLOB_MATCHES_MAX) break;
      }
    }
    candidates = next;
  }
  const existing: string[] = [];
  for (const candidate of candidates) {
    try {
      await fs.lstat(resolvePath(cwd, candidate));
      existing.push(candidate);
    } catch { /* a literal part that does not exist: not a match */ }
  }
  return existing.sort();
}

function joinPattern(prefix: string, name: string): string {
  if (prefix === '') return name;
  return prefix.endsWith('/') ? prefix + name : `${prefix}/${name}`;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** Translates one glob path component into an anchored regular expression. */
export function globToRegExp(part: string): RegExp {
  let source = '';
  for (let index = 0; index < part.length; index++) {
    const char = part[index]!;
    if (char === '\\' && index + 1 < part.length) {
      source += escapeRegExp(part[++index]!);
    } else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = part.indexOf(']', index + 2);
      if (end < 0) { source += '\\['; continue; }
      let body = part.slice(index + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\/g, '\\\\')}]`;
      index = end;
    } else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
