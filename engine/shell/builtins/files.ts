// File builtins over the host's FileSystem: cat, mkdir, rm, cp, mv, touch. They behave
// like GNU coreutils in the C locale (messages quote names with '...'), with limits on
// recursion so that a stray "rm -r" or "cp -r" cannot run without end.
// Called through engine/shell/builtins/index.ts. Trusts nothing typed: every failure
// becomes the coreutils message and status.

import type { FileStat, FileSystem } from '../../platform/types.ts';
import { baseName, DIRECTORY_MODE, errorCode, errorText, FILE_MODE, resolvePath } from '../paths.ts';
import { complain, invalidOption, parseOptions, type Builtin, type BuiltinContext } from './types.ts';

/** Entries one recursive rm or cp visits before it stops. */
export const RECURSIVE_ENTRIES_MAX = 10000;
/** Directory depth a recursive rm or cp descends. */
export const RECURSIVE_DEPTH_MAX = 64;

/** Applies `change` to `path` and, when `recursive`, to everything under it (chmod -R,
 *  chown -R): the first failure's message, within the recursion limits. `typed` is the
 *  name as the user gave it, for the messages. */
export async function changeTree(fs: FileSystem, path: string, typed: string, recursive: boolean,
  change: (path: string, stat: FileStat, typed: string) => Promise<string | undefined>,
  budget = { visited: 0 }, depth = 0): Promise<string | undefined> {
  if (++budget.visited > RECURSIVE_ENTRIES_MAX || depth > RECURSIVE_DEPTH_MAX) return `'${typed}': too many files for this shell`;
  let stat: FileStat;
  try { stat = await fs.stat(path); } catch (error) { return `cannot access '${typed}': ${errorText(error)}`; }
  const failure = await change(path, stat, typed);
  if (failure !== undefined || !recursive || !stat.isDirectory) return failure;
  for (const name of await fs.readdir(path)) {
    const inner = await changeTree(fs, `${path === '/' ? '' : path}/${name}`, `${typed}/${name}`, true, change, budget, depth + 1);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

const fsOf = (context: BuiltinContext): FileSystem => context.host.platform.fs;
const pathOf = (context: BuiltinContext, path: string) => resolvePath(context.shell.cwd, path);

/** The contents of an operand, "-" meaning stdin; undefined after printing the error. */
export async function readOperand(context: BuiltinContext, program: string, operand: string): Promise<Uint8Array | undefined> {
  if (operand === '-') return context.stdin.readAll();
  try {
    return await fsOf(context).readFile(pathOf(context, operand));
  } catch (error) {
    complain(context, program, `${operand}: ${errorText(error)}`);
    return undefined;
  }
}

export const cat: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'n');
  if (options.invalid !== undefined) return invalidOption(context, 'cat', options.invalid);
  const operands = options.operands.length === 0 ? ['-'] : options.operands;
  let status = 0;
  let lineNumber = 1;
  for (const operand of operands) {
    const data = await readOperand(context, 'cat', operand);
    if (data === undefined) { status = 1; continue; }
    if (!options.flags.has('n')) { context.stdout.write(data); continue; }
    const text = new TextDecoder().decode(data);
    const lines = text.split('\n');
    const last = lines.pop();
    for (const line of lines) context.stdout.write(`${String(lineNumber++).padStart(6)}\t${line}\n`);
    if (last !== undefined && last !== '') context.stdout.write(`${String(lineNumber++).padStart(6)}\t${last}`);
  }
  return status;
};

function missingOperand(context: BuiltinContext, program: string): number {
  context.stderr.write(`${program}: missing operand\nTry '${program} --help' for more information.\n`);
  return 1;
}

export const mkdir: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'pv');
  if (options.invalid !== undefined) return invalidOption(context, 'mkdir', options.invalid);
  if (options.operands.length === 0) return missingOperand(context, 'mkdir');
  let status = 0;
  for (const operand of options.operands) {
    try {
      await fsOf(context).mkdir(pathOf(context, operand), { recursive: options.flags.has('p'), mode: DIRECTORY_MODE });
    } catch (error) {
      status = complain(context, 'mkdir', `cannot create directory '${operand}': ${errorText(error)}`);
    }
  }
  return status;
};

export const rm: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'rRfdiv');
  if (options.invalid !== undefined) return invalidOption(context, 'rm', options.invalid);
  const force = options.flags.has('f');
  const recursive = options.flags.has('r') || options.flags.has('R');
  if (options.operands.length === 0) return force ? 0 : missingOperand(context, 'rm');
  let status = 0;
  for (const operand of options.operands) {
    const path = pathOf(context, operand);
    if (recursive && path === '/') {
      context.stderr.write("rm: it is dangerous to operate recursively on '/'\n"
        + 'rm: use --no-preserve-root to override this failsafe\n');
      status = 1;
      continue;
    }
    const failure = await removePath(fsOf(context), path, recursive, { visited: 0 }, 0);
    if (failure === undefined) continue;
    if (force && failure.code === 'ENOENT') continue;
    status = complain(context, 'rm', `cannot remove '${operand}': ${failure.text}`);
  }
  return status;
};

interface Budget { visited: number }

async function removePath(
  fs: FileSystem, path: string, recursive: boolean, budget: Budget, depth: number,
): Promise<{ code: string; text: string } | undefined> {
  if (++budget.visited > RECURSIVE_ENTRIES_MAX || depth > RECURSIVE_DEPTH_MAX) {
    return { code: 'E2BIG', text: 'too many files for this shell' };
  }
  try {
    const stat = await fs.lstat(path);
    if (!stat.isDirectory) { await fs.unlink(path); return undefined; }
    if (!recursive) return { code: 'EISDIR', text: 'Is a directory' };
    for (const name of await fs.readdir(path)) {
      const failure = await removePath(fs, `${path === '/' ? '' : path}/${name}`, recursive, budget, depth + 1);
      if (failure !== undefined) return failure;
    }
    await fs.rmdir(path);
    return undefined;
  } catch (error) {
    return { code: errorCode(error), text: errorText(error) };
  }
}

async function isDirectory(fs: FileSystem, path: string): Promise<boolean> {
  try { return (await fs.stat(path)).isDirectory; } catch { return false; }
}

/** cp and mv: "SRC DEST" or "SRC... DIRECTORY"; returns the pairs or prints the error. */
async function targets(context: BuiltinContext, program: string, operands: string[]): Promise<Array<[string, string, string]> | undefined> {
  if (operands.length === 0) { missingOperand(context, program); return undefined; }
  if (operands.length === 1) {
    context.stderr.write(`${program}: missing destination file operand after '${operands[0]}'\n`
      + `Try '${program} --help' for more information.\n`);
    return undefined;
  }
  const destination = operands[operands.length - 1]!;
  const destinationPath = pathOf(context, destination);
  const intoDirectory = await isDirectory(fsOf(context), destinationPath);
  const sources = operands.slice(0, -1);
  if (!intoDirectory && sources.length > 1) {
    complain(context, program, `target '${destination}' is not a directory`);
    return undefined;
  }
  return sources.map((source) => [
    source, pathOf(context, source),
    intoDirectory ? resolvePath(destinationPath, baseName(source)) : destinationPath,
  ]);
}

export const cp: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'rRapfv');
  if (options.invalid !== undefined) return invalidOption(context, 'cp', options.invalid);
  const recursive = options.flags.has('r') || options.flags.has('R') || options.flags.has('a');
  const pairs = await targets(context, 'cp', options.operands);
  if (pairs === undefined) return 1;
  let status = 0;
  for (const [source, from, to] of pairs) {
    const failure = await copyPath(context, from, to, source, recursive, { visited: 0 }, 0);
    if (failure !== undefined) status = complain(context, 'cp', failure);
  }
  return status;
};

async function copyPath(
  context: BuiltinContext, from: string, to: string, typed: string, recursive: boolean, budget: Budget, depth: number,
): Promise<string | undefined> {
  const fs = fsOf(context);
  if (++budget.visited > RECURSIVE_ENTRIES_MAX || depth > RECURSIVE_DEPTH_MAX) return `'${typed}': too many files for this shell`;
  let stat;
  try { stat = await fs.stat(from); } catch (error) { return `cannot stat '${typed}': ${errorText(error)}`; }
  if (stat.isDirectory) {
    if (!recursive) return `-r not specified; omitting directory '${typed}'`;
    if (to === from || to.startsWith(`${from}/`)) return `cannot copy a directory, '${typed}', into itself`;
    try { await fs.mkdir(to, { recursive: true, mode: stat.mode & 0o7777 }); } catch (error) {
      return `cannot create directory '${to}': ${errorText(error)}`;
    }
    for (const name of await fs.readdir(from)) {
      const failure = await copyPath(context, `${from}/${name}`, `${to}/${name}`, `${typed}/${name}`, recursive, budget, depth + 1);
      if (failure !== undefined) return failure;
    }
    return undefined;
  }
  if (from === to) return `'${typed}' and '${typed}' are the same file`;
  try {
    await fs.writeFile(to, await fs.readFile(from), { mode: stat.mode & 0o7777 });
  } catch (error) {
    return `cannot create regular file '${to}': ${errorText(error)}`;
  }
  return undefined;
}

export const mv: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'fiv');
  if (options.invalid !== undefined) return invalidOption(context, 'mv', options.invalid);
  const pairs = await targets(context, 'mv', options.operands);
  if (pairs === undefined) return 1;
  let status = 0;
  for (const [source, from, to] of pairs) {
    try {
      await fsOf(context).lstat(from);
    } catch (error) {
      status = complain(context, 'mv', `cannot stat '${source}': ${errorText(error)}`);
      continue;
    }
    try {
      await fsOf(context).rename(from, to);
    } catch (error) {
      status = complain(context, 'mv', `cannot move '${source}' to '${to}': ${errorText(error)}`);
    }
  }
  return status;
};

export const touch: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'acm');
  if (options.invalid !== undefined) return invalidOption(context, 'touch', options.invalid);
  if (options.operands.length === 0) {
    context.stderr.write("touch: missing file operand\nTry 'touch --help' for more information.\n");
    return 1;
  }
  const fs = fsOf(context);
  const nowMs = context.host.platform.clock.nowMs();
  let status = 0;
  for (const operand of options.operands) {
    const path = pathOf(context, operand);
    try {
      try {
        await fs.stat(path);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
        await fs.appendFile(path, '', { mode: FILE_MODE });
      }
      await fs.utimes(path, nowMs, nowMs);
    } catch (error) {
      status = complain(context, 'touch', `cannot touch '${operand}': ${errorText(error)}`);
    }
  }
  return status;
};
