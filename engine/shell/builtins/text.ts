// Small text filters for pipes and files: head, tail, wc, grep, in the output shapes of GNU
// coreutils and grep. Enough to read a maillog or filter `postconf` output, not a full
// implementation. Called through engine/shell/builtins/index.ts. Trusts nothing typed: a
// bad pattern or count gives the tool's message and status.

import { readOperand } from './files.ts';
import { complain, invalidOption, parseOptions, type Builtin, type BuiltinContext } from './types.ts';

/** Lines head or tail keeps; larger counts are clamped. */
export const FILTER_LINES_MAX = 1_000_000;

const decoder = new TextDecoder();

/** Splits text into lines, each with its "\n" if it had one. */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
}

/** head and tail take "-n N" and the old "-N" form. */
function lineCount(context: BuiltinContext, program: string): { count: number; operands: string[] } | number {
  const words = context.argv.slice(1).map((word) => (/^-[0-9]+$/.test(word) ? `-n${word.slice(1)}` : word));
  const options = parseOptions(words, 'qv', 'n');
  if (options.invalid !== undefined) return invalidOption(context, program, options.invalid);
  const text = options.values.get('n') ?? '10';
  if (!/^[0-9]+$/.test(text)) return complain(context, program, `invalid number of lines: '${text}'`);
  return { count: Math.min(Number(text), FILTER_LINES_MAX), operands: options.operands };
}

async function filterLines(context: BuiltinContext, program: string, pick: (lines: string[], count: number) => string[]): Promise<number> {
  const parsed = lineCount(context, program);
  if (typeof parsed === 'number') return parsed;
  const operands = parsed.operands.length === 0 ? ['-'] : parsed.operands;
  let status = 0;
  for (const [index, operand] of operands.entries()) {
    const data = await readOperand(context, program, operand);
    if (data === undefined) { status = 1; continue; }
    if (operands.length > 1) {
      const name = operand === '-' ? 'standard input' : operand;
      context.stdout.write(`${index > 0 ? '\n' : ''}==> ${name} <==\n`);
    }
    context.stdout.write(pick(splitLines(decoder.decode(data)), parsed.count).join(''));
  }
  return status;
}

export const head: Builtin = (context) => filterLines(context, 'head', (lines, count) => lines.slice(0, count));
export const tail: Builtin = (context) =>
  filterLines(context, 'tail', (lines, count) => (count === 0 ? [] : lines.slice(-count)));

export const wc: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'lwc');
  if (options.invalid !== undefined) return invalidOption(context, 'wc', options.invalid);
  const wanted = (['l', 'w', 'c'] as const).filter((letter) => options.flags.has(letter));
  const counters = wanted.length === 0 ? (['l', 'w', 'c'] as const) : wanted;
  const operands = options.operands.length === 0 ? ['-'] : options.operands;
  const rows: Array<{ counts: number[]; name: string }> = [];
  const totals = [0, 0, 0];
  // coreutils sizes its columns from the files' total size, before counting.
  let bytesTotal = 0;
  let status = 0;
  for (const operand of operands) {
    const data = await readOperand(context, 'wc', operand);
    if (data === undefined) { status = 1; continue; }
    bytesTotal += data.length;
    const text = decoder.decode(data);
    const all = { l: (text.match(/\n/g) ?? []).length, w: (text.match(/\S+/g) ?? []).length, c: data.length };
    const counts = counters.map((letter) => all[letter]);
    counts.forEach((count, index) => { totals[index] = (totals[index] ?? 0) + count; });
    rows.push({ counts, name: operand === '-' ? '' : operand });
  }
  if (operands.length > 1) rows.push({ counts: totals.slice(0, counters.length), name: 'total' });
  // coreutils pads to the width of the total byte count, at least 7 when stdin is read,
  // and not at all for one count of one input.
  const fromStdin = operands.includes('-');
  const width = counters.length === 1 && operands.length === 1 ? 1 : Math.max(String(bytesTotal).length, fromStdin ? 7 : 1);
  for (const row of rows) {
    const numbers = row.counts.map((count) => String(count).padStart(width)).join(' ');
    context.stdout.write(row.name === '' ? `${numbers}\n` : `${numbers} ${row.name}\n`);
  }
  return status;
};

export const grep: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'ivcnEFqlhH', 'e');
  if (options.invalid !== undefined) {
    context.stderr.write(`grep: invalid option -- '${options.invalid}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n`);
    return 2;
  }
  const operands = [...options.operands];
  const pattern = options.values.get('e') ?? operands.shift();
  if (pattern === undefined) {
    context.stderr.write("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
    return 2;
  }
  let matcher: RegExp;
  try {
    matcher = compilePattern(pattern, options.flags);
  } catch {
    return complain(context, 'grep', 'Invalid regular expression', 2);
  }
  const files = operands.length === 0 ? ['-'] : operands;
  const prefixNames = (files.length > 1 || options.flags.has('H')) && !options.flags.has('h');
  let matched = false;
  let failed = false;
  for (const file of files) {
    const data = await readOperand(context, 'grep', file);
    if (data === undefined) { failed = true; continue; }
    const name = file === '-' ? '(standard input)' : file;
    let count = 0;
    for (const [index, line] of splitLines(decoder.decode(data)).entries()) {
      const body = line.endsWith('\n') ? line.slice(0, -1) : line;
      if (matcher.test(body) === options.flags.has('v')) continue;
      count++;
      matched = true;
      if (options.flags.has('q') || options.flags.has('c') || options.flags.has('l')) continue;
      const number = options.flags.has('n') ? `${index + 1}:` : '';
      context.stdout.write(`${prefixNames ? `${name}:` : ''}${number}${body}\n`);
    }
    if (options.flags.has('c')) context.stdout.write(`${prefixNames ? `${name}:` : ''}${count}\n`);
    if (options.flags.has('l') && count > 0) context.stdout.write(`${name}\n`);
  }
  if (failed && !(options.flags.has('q') && matched)) return 2;
  return matched ? 0 : 1;
};

function compilePattern(pattern: string, flags: Set<string>): RegExp {
  const caseFlag = flags.has('i') ? 'i' : '';
  if (flags.has('F')) return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), caseFlag);
  return new RegExp(flags.has('E') ? pattern : basicToJavaScript(pattern), caseFlag);
}

/** POSIX basic regular expressions: \( \) \{ \} \| \+ \? are operators and the bare
 *  characters are literal, the other way round from JavaScript. */
function basicToJavaScript(pattern: string): string {
  let out = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '\\' && index + 1 < pattern.length) {
      const next = pattern[++index]!;
      out += '(){}|+?'.includes(next) ? next : `\\${next}`;
    } else if ('(){}|+?'.includes(char)) {
      out += `\\${char}`;
    } else {
      out += char;
    }
  }
  return out;
}
