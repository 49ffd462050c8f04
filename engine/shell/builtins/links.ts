// ln(1) as GNU coreutils 9.1: hard links and, with -s, symbolic links; "ln TARGET",
// "ln TARGET LINK_NAME", "ln TARGET... DIRECTORY"; -f replaces an existing name.
// Called through engine/shell/builtins/index.ts. Trusts nothing typed: failures give
// coreutils' "failed to create ... link" messages and status 1.

import { baseName, errorCode, errorText, resolvePath } from '../paths.ts';
import { usageError } from './byte-lines.ts';
import { complain, invalidOption, parseOptions, type Builtin, type BuiltinContext } from './types.ts';

async function isDirectory(context: BuiltinContext, path: string): Promise<boolean> {
  try { return (await context.host.platform.fs.stat(path)).isDirectory; } catch { return false; }
}

export const ln: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'sfnv');
  if (options.invalid !== undefined) return invalidOption(context, 'ln', options.invalid);
  const operands = options.operands;
  if (operands.length === 0) return usageError(context, 'ln', 'missing file operand');
  const cwd = context.shell.cwd;
  let pairs: Array<[string, string]>;
  const last = operands[operands.length - 1]!;
  if (operands.length === 1) {
    pairs = [[last, `./${baseName(last)}`]];
  } else if (await isDirectory(context, resolvePath(cwd, last)) && !(options.flags.has('n') && operands.length === 2)) {
    pairs = operands.slice(0, -1).map((target) => [target, `${last.replace(/\/+$/, '')}/${baseName(target)}`]);
  } else if (operands.length > 2) {
    return complain(context, 'ln', `target '${last}' is not a directory`);
  } else {
    pairs = [[operands[0]!, last]];
  }
  let status = 0;
  for (const [target, name] of pairs) {
    const failure = await makeLink(context, target, name, options.flags.has('s'), options.flags.has('f'));
    if (failure !== undefined) status = complain(context, 'ln', failure);
  }
  return status;
};

async function makeLink(context: BuiltinContext, target: string, name: string, symbolic: boolean, force: boolean): Promise<string | undefined> {
  const fs = context.host.platform.fs;
  const cwd = context.shell.cwd;
  const namePath = resolvePath(cwd, name);
  const kind = symbolic ? 'symbolic link' : 'hard link';
  if (!symbolic) {
    try {
      if ((await fs.stat(resolvePath(cwd, target))).isDirectory) return `${target}: hard link not allowed for directory`;
    } catch (error) {
      return `failed to access '${target}': ${errorText(error)}`;
    }
  }
  if (force) {
    try { await fs.unlink(namePath); } catch (error) {
      if (errorCode(error) !== 'ENOENT') return `cannot remove '${name}': ${errorText(error)}`;
    }
  }
  try {
    // A symbolic link holds the target as typed; a hard link names the file itself.
    if (symbolic) await fs.symlink(target, namePath);
    else await fs.link(resolvePath(cwd, target), namePath);
  } catch (error) {
    return `failed to create ${kind} '${name}': ${errorText(error)}`;
  }
  return undefined;
}
