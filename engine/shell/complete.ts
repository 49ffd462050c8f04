// Tab completion for the terminal shell: command names at the start of a command, Postfix
// parameter names after `postconf`, and file paths everywhere else.
// Called by engine/shell/line-editor.ts through the Completer it was given; reads
// directories through the host's FileSystem. Trusts nothing typed: quotes are not
// interpreted, and a word that names no directory completes to nothing. Models bash's
// programmable completion as Debian's bash-completion sets it up for postconf.

import type { FileSystem } from '../platform/types.ts';
import type { Completion } from './line-editor.ts';
import { resolvePath } from './paths.ts';

/** Directory entries one completion looks at. */
export const COMPLETION_ENTRIES_MAX = 5000;

export interface CompletionSources {
  fs: FileSystem;
  cwd(): string;
  home(): string;
  commandNames(): string[];
  /** Postfix parameter names for `postconf NAME<Tab>`. */
  parameterNames(): readonly string[];
}

const SEPARATORS = ' \t;|&<>';

export async function completeLine(line: string, cursor: number, sources: CompletionSources): Promise<Completion> {
  let start = cursor;
  while (start > 0 && !SEPARATORS.includes(line[start - 1]!)) start--;
  const word = line.slice(start, cursor);
  const before = line.slice(0, start);
  const commandStart = Math.max(before.lastIndexOf(';'), before.lastIndexOf('|'), before.lastIndexOf('&')) + 1;
  const earlierWords = before.slice(commandStart).trim().split(/\s+/).filter((part) => part !== '');
  if (earlierWords.length === 0 && !word.includes('/')) {
    return { start, candidates: matching(uniqueSorted(sources.commandNames()), word) };
  }
  const command = earlierWords[0] ?? '';
  if (/(^|\/)postconf$/.test(command) && !word.startsWith('-') && !word.includes('/')) {
    const name = word.split('=')[0]!;
    if (name === word) return { start, candidates: matching(uniqueSorted(sources.parameterNames()), word) };
  }
  return { start, candidates: await completePath(word, sources) };
}

function uniqueSorted(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

function matching(names: string[], prefix: string): string[] {
  return names.filter((name) => name.startsWith(prefix));
}

async function completePath(word: string, sources: CompletionSources): Promise<string[]> {
  const slash = word.lastIndexOf('/');
  const typedDirectory = slash < 0 ? '' : word.slice(0, slash + 1);
  const prefix = word.slice(slash + 1);
  let directory = typedDirectory === '' ? '.' : typedDirectory;
  if (directory === '~/' || directory.startsWith('~/')) directory = sources.home() + directory.slice(1);
  const path = resolvePath(sources.cwd(), directory);
  let names: string[];
  try {
    names = (await sources.fs.readdir(path)).slice(0, COMPLETION_ENTRIES_MAX);
  } catch {
    return [];
  }
  const candidates: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || (name.startsWith('.') && !prefix.startsWith('.'))) continue;
    let isDirectory = false;
    try { isDirectory = (await sources.fs.stat(resolvePath(path, name))).isDirectory; } catch { /* dangling */ }
    candidates.push(`${typedDirectory}${name}${isDirectory ? '/' : ''}`);
  }
  return candidates;
}
