// Reading table source files the way Postfix does: logical lines (a line that starts with
// whitespace continues the previous one; blank lines and lines whose first non-blank
// character is '#' are skipped), numbered by the physical line on which each logical line
// ends, plus the "key whitespace value" split of postmap(1) and texthash.
// Models util/readlline.c and the parser in postmap.c / dict_thash.c. Called by texthash,
// regexp, pcre, cidr, postmap, postalias. Trusts nothing about the text.

import { PlatformError, describeCode, type FileSystem } from '../../platform/types.ts';
import type { Reporter } from '../msg.ts';

/** A logical line and where it came from. */
export interface LogicalLine {
  text: string;
  /** Physical line number of its first physical line, as Postfix reports. */
  lineNumber: number;
}

/** A source file may not hold more logical lines than this (a named limit on the loop). */
export const sourceLinesMax = 1_000_000;

const isSpace = (character: string | undefined): boolean =>
  character === ' ' || character === '\t' || character === '\n' || character === '\r'
  || character === '\v' || character === '\f';

/** Splits text into logical lines. `path` appears in warnings, as VSTREAM_PATH does. */
export function readLogicalLines(text: string, path: string, reporter: Reporter): LogicalLine[] {
  const physical = text.split('\n');
  // A trailing newline leaves one empty element that is not a line.
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  const result: LogicalLine[] = [];
  let current: string | undefined;
  let currentEnd = 0;
  const flush = (): void => {
    if (current === undefined) return;
    if (isSpace(current[0])) {
      const shown = current.length > 30 ? `${current.slice(0, 30)}...` : current;
      reporter.warn(`${path}: logical line must not start with whitespace: "${shown}"`);
    } else if (result.length < sourceLinesMax) {
      result.push({ text: current, lineNumber: currentEnd });
    }
    current = undefined;
  };
  for (let index = 0; index < physical.length; index++) {
    const line = physical[index] ?? '';
    const trimmed = line.replace(/^[ \t\r\v\f]+/, '');
    // Blank and comment lines are skipped; a logical line is numbered by its first
    // physical line, as Postfix's callers report (readllines' first_line).
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (isSpace(line[0]) && current !== undefined) {
      current += line;
      continue;
    }
    flush();
    current = line;
    currentEnd = index + 1;
  }
  flush();
  return result;
}

/** Removes trailing whitespace, as Postfix's trimblanks(). */
export function trimTrailing(text: string): string {
  return text.replace(/[ \t\n\r\v\f]+$/, '');
}

/** The "key whitespace value" split of postmap and texthash. undefined: the line was
 *  rejected with a warning. The key keeps its quotes; whitespace inside quotes or after a
 *  backslash does not end it. */
export function splitKeyValue(
  line: LogicalLine, path: string, reporter: Reporter, formatSuffix = '',
): { key: string; value: string } | undefined {
  const text = line.text;
  let inQuotes = false;
  let position = 0;
  for (; position < text.length; position++) {
    const character = text[position];
    if (character === '\\') {
      position++;
      if (position >= text.length) break;
    } else if (isSpace(character)) {
      if (!inQuotes) break;
    } else if (character === '"') {
      inQuotes = !inQuotes;
    }
  }
  // Postfix 3.7 does not reject an unbalanced quote here (later versions do).
  const key = text.slice(0, position);
  const value = trimTrailing(text.slice(position).replace(/^[ \t\n\r\v\f]+/, ''));
  if (key === '' || value === '') {
    reporter.warn(`${path}, line ${line.lineNumber}: expected format: key whitespace value${formatSuffix}`);
    return undefined;
  }
  if (key.endsWith(':')) {
    reporter.warn(`${path}, line ${line.lineNumber}: record is in "key: value" format; is this an alias file?`);
  }
  return { key, value };
}

/** Reads a whole source file as text; a PlatformError becomes Postfix's "open PATH: %m". */
export async function readSourceText(fs: FileSystem, path: string, shownPath = path): Promise<
  { ok: true; text: string } | { ok: false; reason: string }
> {
  try {
    const bytes = await fs.readFile(path);
    return { ok: true, text: new TextDecoder().decode(bytes) };
  } catch (error) {
    return { ok: false, reason: `open ${shownPath}: ${errorText(error)}` };
  }
}

/** strerror-style text for an error thrown by the platform. */
export function errorText(error: unknown): string {
  if (error instanceof PlatformError) return describeCode(error.code);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    try {
      return describeCode(code as PlatformError['code']) ?? String(code);
    } catch {
      return String(code);
    }
  }
  return error instanceof Error ? error.message : String(error);
}
