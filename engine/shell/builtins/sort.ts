// sort(1) as GNU coreutils 9.1 sorts in the C locale: whole lines or -k keys, -t CHAR,
// -n -r -f -b -u (and -s, -o FILE), bytes compared as unsigned values; lines equal by their
// keys fall back to a comparison of the whole line (reversed by -r) unless -s or -u is
// given, and -u keeps the first line of each run of equal keys in input order. Called
// through engine/shell/builtins/index.ts, typically in `... | sort | uniq -c | sort -rn`.
// Trusts nothing typed: bad keys and files give sort's messages and status 2.

import { argumentToBinary, binaryToBytes, readBinaryInputs, splitBinaryLines } from './byte-lines.ts';
import { compareBytes, compareKeys, hasOwnOptions, keyText, noKeyOptions, parseKeySpec, type KeyOptions, type SortKey } from './sort-keys.ts';
import { errorText, resolvePath } from '../paths.ts';
import type { Builtin, BuiltinContext } from './types.ts';

/** Keys one sort takes (-k). */
export const SORT_KEYS_MAX = 64;

interface SortPlan {
  keys: SortKey[];
  global: KeyOptions;
  tab: string | undefined;
  unique: boolean;
  stable: boolean;
  output: string | undefined;
  operands: string[];
}

function fail(context: BuiltinContext, text: string, usage = false): number {
  context.stderr.write(`sort: ${text}\n${usage ? "Try 'sort --help' for more information.\n" : ''}`);
  return 2;
}

/** Reads sort's options in order (keys need to know which global options came before). */
function parseSortArguments(context: BuiltinContext): SortPlan | number {
  const plan: SortPlan = { keys: [], global: noKeyOptions(), tab: undefined, unique: false, stable: false, output: undefined, operands: [] };
  const args = context.argv.slice(1);
  const valueLetters = 'kto';
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') { plan.operands.push(...args.slice(index + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { plan.operands.push(arg); continue; }
    for (let position = 1; position < arg.length; position++) {
      const letter = arg[position]!;
      if (valueLetters.includes(letter)) {
        const value = position + 1 < arg.length ? arg.slice(position + 1) : args[++index];
        if (value === undefined) return fail(context, `option requires an argument -- '${letter}'`, true);
        const problem = applyValueOption(plan, letter, value);
        if (problem !== undefined) return fail(context, problem);
        break;
      }
      if (letter === 'n') plan.global.numeric = true;
      else if (letter === 'r') plan.global.reverse = true;
      else if (letter === 'f') plan.global.foldCase = true;
      else if (letter === 'b') { plan.global.skipStartBlanks = true; plan.global.skipEndBlanks = true; }
      else if (letter === 'u') plan.unique = true;
      else if (letter === 's') plan.stable = true;
      else return fail(context, `invalid option -- '${letter}'`, true);
    }
  }
  return plan;
}

function applyValueOption(plan: SortPlan, letter: string, value: string): string | undefined {
  if (letter === 'o') { plan.output = value; return undefined; }
  if (letter === 't') {
    const tab = argumentToBinary(value);
    if (tab === '') return 'empty tab';
    if (tab.length > 1 && tab !== '\\0') return `multi-character tab '${value}'`;
    if (plan.tab !== undefined && plan.tab !== tab) return 'incompatible tabs';
    plan.tab = tab === '\\0' ? '\0' : tab;
    return undefined;
  }
  const key = parseKeySpec(value);
  if (typeof key === 'string') return key;
  if (plan.keys.length >= SORT_KEYS_MAX) return `too many keys (at most ${SORT_KEYS_MAX} here)`;
  plan.keys.push(key);
  return undefined;
}

/** Keys without options of their own take the global ones, as coreutils does at the end. */
function effectiveKeys(plan: SortPlan): SortKey[] {
  if (plan.keys.length === 0) {
    return [{ ...plan.global, startField: 0, startChar: 0, endField: undefined, endChar: 0 }];
  }
  return plan.keys.map((key) => (hasOwnOptions(key) ? key : { ...key, ...plan.global }));
}

export const sort: Builtin = async (context) => {
  const plan = parseSortArguments(context);
  if (typeof plan === 'number') return plan;
  const keys = effectiveKeys(plan);
  const { texts, failed } = await readBinaryInputs(context, 'sort: cannot read', plan.operands);
  if (failed) return 2;
  const lines = texts.flatMap((text) => splitBinaryLines(text));
  const keyed = lines.map((line, index) => ({ line, index, keys: keys.map((key) => keyText(line, key, plan.tab)) }));
  const byKeys = (a: typeof keyed[number], b: typeof keyed[number]): number => {
    for (const [position, key] of keys.entries()) {
      const result = compareKeys(a.keys[position]!, b.keys[position]!, key);
      if (result !== 0) return result;
    }
    return 0;
  };
  const lastResort = !(plan.unique || plan.stable);
  keyed.sort((a, b) => {
    const result = byKeys(a, b);
    if (result !== 0 || !lastResort) return result !== 0 ? result : a.index - b.index;
    const whole = compareBytes(a.line, b.line);
    return plan.global.reverse ? -whole : whole;
  });
  const kept = plan.unique ? keyed.filter((entry, index) => index === 0 || byKeys(keyed[index - 1]!, entry) !== 0) : keyed;
  const text = kept.length === 0 ? '' : `${kept.map((entry) => entry.line).join('\n')}\n`;
  if (plan.output === undefined) {
    context.stdout.write(binaryToBytes(text));
    return 0;
  }
  try {
    await context.host.platform.fs.writeFile(resolvePath(context.shell.cwd, plan.output), binaryToBytes(text), { mode: 0o644 });
  } catch (error) {
    return fail(context, `open failed: ${plan.output}: ${errorText(error)}`);
  }
  return 0;
};
