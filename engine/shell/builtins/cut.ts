// cut(1) as GNU coreutils 9.1 prints it in the C locale: -b/-c byte ranges, -f fields with
// -d (default TAB), -s, -n, --complement and --output-delimiter=STRING; lists as "N", "N-",
// "-M", "N-M" joined by commas or blanks, with coreutils' messages and status 1 for a bad
// list. Lines are bytes (byte-lines.ts), so -c counts bytes as coreutils does.
// Called through engine/shell/builtins/index.ts, usually at the end of a pipe
// (`grep status= /var/log/maillog | cut -d' ' -f6-`).

import { argumentToBinary, forEachInput, splitBinaryLines, usageError, writeBinaryLines } from './byte-lines.ts';
import { invalidOption, parseOptions, type Builtin } from './types.ts';

/** Ranges one list may hold. */
export const CUT_RANGES_MAX = 10_000;
/** The largest position coreutils accepts (uintmax_t). */
const POSITION_MAX = 2n ** 64n - 1n;

export interface Range { low: number; high: number }

type ListKind = 'field' | 'byte';

const WORDING = {
  field: { zero: 'fields are numbered from 1', value: 'invalid field value', range: 'invalid field range', large: 'field number' },
  byte: {
    zero: 'byte/character positions are numbered from 1', value: 'invalid byte/character position',
    range: 'invalid byte or character range', large: 'byte/character offset',
  },
} as const;

/** Parses a cut list the way coreutils' set_fields does; a string is the error text. */
export function parseCutList(list: string, kind: ListKind): Range[] | string {
  const words = WORDING[kind];
  const ranges: Range[] = [];
  let value = 0n;
  let initial = 1n;
  let dashFound = false;
  let leftGiven = false;
  let rightGiven = false;
  let digitsStart = -1;
  for (let index = 0; index <= list.length; index++) {
    const char = list[index];
    if (char === '-') {
      if (dashFound) return words.range;
      dashFound = true;
      if (leftGiven && value === 0n) return words.zero;
      initial = leftGiven ? value : 1n;
      value = 0n;
      digitsStart = -1;
    } else if (char === undefined || char === ',' || char === ' ' || char === '\t') {
      if (dashFound) {
        if (!leftGiven && !rightGiven) return 'invalid range with no endpoint: -';
        if (!rightGiven) ranges.push({ low: Number(initial), high: Number.POSITIVE_INFINITY });
        else if (value < initial) return 'invalid decreasing range';
        else ranges.push({ low: Number(initial), high: Number(value) });
      } else {
        if (value === 0n) return words.zero;
        ranges.push({ low: Number(value), high: Number(value) });
      }
      if (ranges.length > CUT_RANGES_MAX) return words.range;
      dashFound = false;
      leftGiven = false;
      rightGiven = false;
      value = 0n;
      digitsStart = -1;
    } else if (char >= '0' && char <= '9') {
      if (digitsStart < 0) digitsStart = index;
      if (dashFound) rightGiven = true; else leftGiven = true;
      value = value * 10n + BigInt(char.charCodeAt(0) - 48);
      if (value > POSITION_MAX) {
        const end = /^[0-9]*/.exec(list.slice(digitsStart))![0].length + digitsStart;
        return `${words.large} '${list.slice(digitsStart, end)}' is too large`;
      }
    } else {
      return `${words.value} '${list.slice(index)}'`;
    }
  }
  return mergeRanges(ranges);
}

function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.low - b.low);
  const merged: Range[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.low <= last.high + 1) last.high = Math.max(last.high, range.high);
    else merged.push({ ...range });
  }
  return merged;
}

function selected(ranges: Range[], position: number, complement: boolean): boolean {
  const inside = ranges.some((range) => position >= range.low && position <= range.high);
  return inside !== complement;
}

function cutBytes(line: string, ranges: Range[], complement: boolean, outputDelimiter: string | undefined): string {
  let out = '';
  let previousKept = false;
  let first = true;
  for (let index = 0; index < line.length; index++) {
    const keep = selected(ranges, index + 1, complement);
    if (keep) {
      // --output-delimiter goes between separate ranges of kept bytes.
      if (outputDelimiter !== undefined && !previousKept && !first) out += outputDelimiter;
      out += line[index];
      first = false;
    }
    previousKept = keep;
  }
  return out;
}

function cutFields(line: string, ranges: Range[], delimiter: string, complement: boolean, outputDelimiter: string): string | undefined {
  if (!line.includes(delimiter)) return line;
  const fields = line.split(delimiter);
  const kept = fields.filter((_, index) => selected(ranges, index + 1, complement));
  return kept.join(outputDelimiter);
}

export const cut: Builtin = async (context) => {
  const words: string[] = [];
  let complement = false;
  let outputDelimiterTyped: string | undefined;
  for (const word of context.argv.slice(1)) {
    if (word === '--complement') complement = true;
    else if (word.startsWith('--output-delimiter=')) outputDelimiterTyped = word.slice('--output-delimiter='.length);
    else words.push(word);
  }
  const options = parseOptions(words, 'ns', 'bcfd');
  if (options.invalid !== undefined) {
    if ('bcfd'.includes(options.invalid)) return usageError(context, 'cut', `option requires an argument -- '${options.invalid}'`);
    return invalidOption(context, 'cut', options.invalid);
  }
  const lists = (['b', 'c', 'f'] as const).filter((letter) => options.values.has(letter));
  if (lists.length > 1) return usageError(context, 'cut', 'only one list may be specified');
  const letter = lists[0];
  if (letter === undefined) return usageError(context, 'cut', 'you must specify a list of bytes, characters, or fields');
  const ranges = parseCutList(options.values.get(letter)!, letter === 'f' ? 'field' : 'byte');
  if (typeof ranges === 'string') return usageError(context, 'cut', ranges);
  const delimiterTyped = options.values.get('d');
  const delimiter = delimiterTyped === undefined ? '\t' : argumentToBinary(delimiterTyped);
  if (delimiter.length !== 1) return usageError(context, 'cut', 'the delimiter must be a single character');
  if (letter !== 'f' && delimiterTyped !== undefined) {
    return usageError(context, 'cut', 'an input delimiter may be specified only when operating on fields');
  }
  if (letter !== 'f' && options.flags.has('s')) {
    return usageError(context, 'cut', 'suppressing non-delimited lines makes sense\n\tonly when operating on fields');
  }
  const outputDelimiter = outputDelimiterTyped === undefined ? undefined : argumentToBinary(outputDelimiterTyped);
  const failed = await forEachInput(context, 'cut', options.operands, (text) => {
    const out: string[] = [];
    for (const line of splitBinaryLines(text)) {
      if (letter !== 'f') { out.push(cutBytes(line, ranges, complement, outputDelimiter)); continue; }
      if (options.flags.has('s') && !line.includes(delimiter)) continue;
      out.push(cutFields(line, ranges, delimiter, complement, outputDelimiter ?? delimiter)!);
    }
    writeBinaryLines(context, out);
  });
  return failed ? 1 : 0;
};
