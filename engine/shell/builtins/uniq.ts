// uniq(1) as GNU coreutils 9.1: adjacent equal lines collapsed, -c counts ("%7d "), -d only
// repeated lines, -u only unique ones, -i ignoring ASCII case, -f N fields and -s N bytes
// skipped before comparing; "uniq [INPUT [OUTPUT]]". Called through
// engine/shell/builtins/index.ts, mostly after sort in a pipe. Trusts nothing typed.

import { binaryToBytes, bytesToBinary, splitBinaryLines, usageError } from './byte-lines.ts';
import { readOperand } from './files.ts';
import { errorText, resolvePath } from '../paths.ts';
import { invalidOption, parseOptions, type Builtin } from './types.ts';

const isBlank = (char: string | undefined) => char === ' ' || char === '\t';

/** The part of a line uniq compares. */
function comparedPart(line: string, fields: number, chars: number, ignoreCase: boolean): string {
  let position = 0;
  for (let field = 0; field < fields && position < line.length; field++) {
    while (position < line.length && isBlank(line[position])) position++;
    while (position < line.length && !isBlank(line[position])) position++;
  }
  const part = line.slice(Math.min(line.length, position + chars));
  return ignoreCase ? part.replace(/[a-z]+/g, (letters) => letters.toUpperCase()) : part;
}

function count(text: string | undefined, what: string): number | string {
  if (text === undefined) return 0;
  if (!/^[0-9]+$/.test(text)) return `${text}: invalid number of ${what} to skip`;
  return Number(text);
}

export const uniq: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'cdui', 'fs');
  if (options.invalid !== undefined) {
    if ('fs'.includes(options.invalid)) return usageError(context, 'uniq', `option requires an argument -- '${options.invalid}'`);
    return invalidOption(context, 'uniq', options.invalid);
  }
  const fields = count(options.values.get('f'), 'fields');
  if (typeof fields === 'string') return usageError(context, 'uniq', fields);
  const chars = count(options.values.get('s'), 'bytes');
  if (typeof chars === 'string') return usageError(context, 'uniq', chars);
  if (options.operands.length > 2) return usageError(context, 'uniq', `extra operand '${options.operands[2]}'`);
  const [input = '-', output] = options.operands;
  const data = await readOperand(context, 'uniq', input);
  if (data === undefined) return 1;
  const lines = splitBinaryLines(bytesToBinary(data));
  const out: string[] = [];
  const ignoreCase = options.flags.has('i');
  for (let index = 0; index < lines.length;) {
    const first = lines[index]!;
    const part = comparedPart(first, fields, chars, ignoreCase);
    let end = index + 1;
    while (end < lines.length && comparedPart(lines[end]!, fields, chars, ignoreCase) === part) end++;
    const repeats = end - index;
    index = end;
    if (options.flags.has('d') && repeats === 1) continue;
    if (options.flags.has('u') && repeats > 1) continue;
    out.push(options.flags.has('c') ? `${String(repeats).padStart(7)} ${first}` : first);
  }
  const bytes = binaryToBytes(out.length === 0 ? '' : `${out.join('\n')}\n`);
  if (output === undefined || output === '-') {
    context.stdout.write(bytes);
    return 0;
  }
  try {
    await context.host.platform.fs.writeFile(resolvePath(context.shell.cwd, output), bytes, { mode: 0o644 });
  } catch (error) {
    context.stderr.write(`uniq: ${output}: ${errorText(error)}\n`);
    return 1;
  }
  return 0;
};
