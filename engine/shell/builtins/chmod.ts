// chmod(1) as GNU coreutils 9.1: octal modes ("644", "0755", "4755") and symbolic ones
// ("u+x", "go-w,u=rw", "a+X", "o=u"), -R (bounded), -f; a mode word that looks like an
// option ("-x") is a mode, as coreutils reads it. Called through
// engine/shell/builtins/index.ts. Trusts nothing typed: a bad mode is "invalid mode" and a
// missing file "cannot access", with status 1. Without ugoa, the shell's umask (022) masks
// what is added, as coreutils does.

import type { FileStat, FileSystem } from '../../platform/types.ts';
import { errorText, resolvePath } from '../paths.ts';
import { usageError } from './byte-lines.ts';
import { changeTree } from './files.ts';
import { complain, invalidOption, type Builtin } from './types.ts';

/** The umask of the shell's processes (Debian's default). */
export const SHELL_UMASK = 0o022;

const WHO_BITS: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };
const CLAUSE = /^([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)$/;

/** Applies a mode word to `mode` (permission bits only); undefined for an invalid mode. */
export function applyMode(word: string, mode: number, isDirectory: boolean): number | undefined {
  if (/^[0-7]{1,4}$/.test(word)) return parseInt(word, 8);
  if (/^[0-7]+$/.test(word) || word === '') return undefined;
  let result = mode & 0o7777;
  for (const clause of word.split(',')) {
    const match = CLAUSE.exec(clause);
    if (match === null) return undefined;
    const whoText = match[1]!;
    const who = whoText === '' ? 0o7777 : [...whoText].reduce((bits, letter) => bits | WHO_BITS[letter]!, 0);
    const masked = whoText === '' ? ~SHELL_UMASK & 0o7777 : 0o7777;
    for (const action of match[2]!.match(/[-+=][^-+=]*/g) ?? []) {
      const value = permissionBits(action.slice(1), result, isDirectory) & who & masked;
      if (action[0] === '+') result |= value;
      else if (action[0] === '-') result &= ~value;
      else result = (result & ~who) | value;
    }
  }
  return result;
}

function permissionBits(letters: string, mode: number, isDirectory: boolean): number {
  if (letters.length === 1 && 'ugo'.includes(letters)) {
    // Copy a class's rwx bits to every class ("o=u").
    const shift = letters === 'u' ? 6 : letters === 'g' ? 3 : 0;
    const bits = (mode >> shift) & 0o7;
    return bits * 0o111;
  }
  let bits = 0;
  for (const letter of letters) {
    if (letter === 'r') bits |= 0o444;
    else if (letter === 'w') bits |= 0o222;
    else if (letter === 'x') bits |= 0o111;
    else if (letter === 'X' && (isDirectory || (mode & 0o111) !== 0)) bits |= 0o111;
    else if (letter === 's') bits |= 0o6000;
    else if (letter === 't') bits |= 0o1000;
  }
  return bits;
}

export const chmod: Builtin = async (context) => {
  const flags = new Set<string>();
  const operands: string[] = [];
  let mode: string | undefined;
  for (const word of context.argv.slice(1)) {
    if (mode === undefined && /^-[rwxXstugoa=+,-]+$/.test(word) && !/^-[Rfv]+$/.test(word)) { mode = word; continue; }
    if (word.startsWith('-') && word !== '-' && operands.length === 0 && mode === undefined) {
      for (const letter of word.slice(1)) {
        if (!'Rfvc'.includes(letter)) return invalidOption(context, 'chmod', letter);
        flags.add(letter);
      }
      continue;
    }
    if (mode === undefined) mode = word; else operands.push(word);
  }
  if (mode === undefined) return usageError(context, 'chmod', 'missing operand');
  if (operands.length === 0) return usageError(context, 'chmod', `missing operand after '${mode}'`);
  if (applyMode(mode, 0, false) === undefined) return usageError(context, 'chmod', `invalid mode: '${mode}'`);
  const fs = context.host.platform.fs;
  let status = 0;
  for (const operand of operands) {
    const failure = await changeTree(fs, resolvePath(context.shell.cwd, operand), operand, flags.has('R'),
      (path, stat, typed) => changeMode(fs, path, stat, typed, mode));
    if (failure !== undefined && !flags.has('f')) status = complain(context, 'chmod', failure);
    else if (failure !== undefined) status = 1;
  }
  return status;
};

/** chmod of one file: the failure's message, if any. */
async function changeMode(fs: FileSystem, path: string, stat: FileStat, typed: string, mode: string): Promise<string | undefined> {
  try {
    await fs.chmod(path, applyMode(mode, stat.mode, stat.isDirectory)!);
  } catch (error) {
    return `changing permissions of '${typed}': ${errorText(error)}`;
  }
  return undefined;
}
