// tr(1) as GNU coreutils 9.1 in the C locale: SET1 SET2 translation (SET2 padded with its
// last byte), -d delete, -s squeeze repeats, -c complement; sets with backslash escapes,
// ranges "a-z", classes "[:lower:]" and friends, "[c*n]" repeats and "[=c=]". Works on
// bytes from stdin only, as tr does. Called through engine/shell/builtins/index.ts.
// Trusts nothing typed: bad sets and operand counts give tr's messages and status 1.

import { argumentToBinary, binaryToBytes, bytesToBinary, usageError } from './byte-lines.ts';
import { invalidOption, parseOptions, type Builtin } from './types.ts';

/** Bytes one expanded set may hold ("[x*1000000]" is cut there). */
export const TR_SET_BYTES_MAX = 65_536;

const CLASSES: Record<string, (code: number) => boolean> = {
  alnum: (c) => isDigit(c) || isUpper(c) || isLower(c),
  alpha: (c) => isUpper(c) || isLower(c),
  blank: (c) => c === 0x20 || c === 0x09,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  digit: (c) => isDigit(c),
  graph: (c) => c > 0x20 && c < 0x7f,
  lower: (c) => isLower(c),
  print: (c) => c >= 0x20 && c < 0x7f,
  punct: (c) => c > 0x20 && c < 0x7f && !isDigit(c) && !isUpper(c) && !isLower(c),
  space: (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d),
  upper: (c) => isUpper(c),
  xdigit: (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
};

function isDigit(code: number): boolean { return code >= 0x30 && code <= 0x39; }
function isUpper(code: number): boolean { return code >= 0x41 && code <= 0x5a; }
function isLower(code: number): boolean { return code >= 0x61 && code <= 0x7a; }

const ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

/** One byte of a set, with its escapes read; returns the byte and the next index. */
function readByte(text: string, index: number): [number, number] {
  const char = text[index]!;
  if (char !== '\\' || index + 1 >= text.length) return [char.charCodeAt(0), index + 1];
  const octal = /^[0-7]{1,3}/.exec(text.slice(index + 1));
  if (octal !== null) return [parseInt(octal[0], 8) & 0xff, index + 1 + octal[0].length];
  const next = text[index + 1]!;
  return [ESCAPES[next] ?? next.charCodeAt(0), index + 2];
}

interface ExpandedSet {
  bytes: number[];
  /** Offsets of [:upper:] / [:lower:] in `bytes`, for the alignment check of SET2. */
  caseClasses: Map<number, 'upper' | 'lower'>;
  otherClass: boolean;
  /** The offset of a "[c*]" that fills up to SET1's length, if any. */
  fillAt?: number;
}

/** Expands a set; a string is tr's complaint. */
function expandSet(typed: string): ExpandedSet | string {
  const text = argumentToBinary(typed);
  const set: ExpandedSet = { bytes: [], caseClasses: new Map(), otherClass: false };
  let index = 0;
  while (index < text.length && set.bytes.length < TR_SET_BYTES_MAX) {
    const bracket = text[index] === '[' ? /^\[(:([a-z]*):|=(.)=|(\\?[^\]]|\\[0-7]{1,3})\*([0-9]*))\]/.exec(text.slice(index)) : null;
    if (bracket !== null) {
      if (bracket[2] !== undefined) {
        const test = CLASSES[bracket[2]];
        if (test === undefined) return `invalid character class '${bracket[2]}'`;
        if (bracket[2] === 'upper' || bracket[2] === 'lower') set.caseClasses.set(set.bytes.length, bracket[2]);
        else set.otherClass = true;
        for (let code = 0; code < 256; code++) if (test(code)) set.bytes.push(code);
      } else if (bracket[3] !== undefined) {
        set.bytes.push(bracket[3].charCodeAt(0));
      } else {
        const [code] = readByte(bracket[4]!, 0);
        const repeat = bracket[5] === '' ? 0 : Number.parseInt(bracket[5]!, bracket[5]!.startsWith('0') ? 8 : 10);
        if (repeat === 0) set.fillAt = set.bytes.length;
        for (let count = 0; count < Math.max(repeat, repeat === 0 ? 1 : 0) && set.bytes.length < TR_SET_BYTES_MAX; count++) set.bytes.push(code);
      }
      index += bracket[0].length;
      continue;
    }
    const [low, afterLow] = readByte(text, index);
    if (text[afterLow] === '-' && afterLow + 1 < text.length) {
      const [high, afterHigh] = readByte(text, afterLow + 1);
      if (high < low) return `range-endpoints of '${text.slice(index, afterHigh)}' are in reverse collating sequence order`;
      for (let code = low; code <= high; code++) set.bytes.push(code);
      index = afterHigh;
      continue;
    }
    set.bytes.push(low);
    index = afterLow;
  }
  return set;
}

function complementOf(bytes: number[]): number[] {
  const inSet = new Set(bytes);
  const out: number[] = [];
  for (let code = 0; code < 256; code++) if (!inSet.has(code)) out.push(code);
  return out;
}

/** Checks operand counts as tr does; a number is the exit status after the message. */
function checkOperands(context: Parameters<Builtin>[0], operands: string[], deleting: boolean, squeezing: boolean): number | undefined {
  const needed = deleting && squeezing ? 2 : deleting ? 1 : squeezing ? 1 : 2;
  const allowed = deleting && !squeezing ? 1 : 2;
  if (operands.length === 0) return usageError(context, 'tr', 'missing operand');
  if (operands.length < needed) {
    const why = deleting ? 'both deleting and squeezing repeats' : 'translating';
    return usageError(context, 'tr', `missing operand after '${operands[0]}'\nTwo strings must be given when ${why}.`);
  }
  if (operands.length > allowed) {
    const extra = `extra operand '${operands[allowed]}'`;
    const why = deleting && !squeezing ? '\nOnly one string may be given when deleting without squeezing repeats.' : '';
    return usageError(context, 'tr', `${extra}${why}`);
  }
  return undefined;
}

export const tr: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'cdsC');
  if (options.invalid !== undefined) return invalidOption(context, 'tr', options.invalid);
  const deleting = options.flags.has('d');
  const squeezing = options.flags.has('s');
  const operandProblem = checkOperands(context, options.operands, deleting, squeezing);
  if (operandProblem !== undefined) return operandProblem;
  const first = expandSet(options.operands[0]!);
  if (typeof first === 'string') return complainSet(context, first);
  const second = options.operands[1] === undefined ? undefined : expandSet(options.operands[1]);
  if (typeof second === 'string') return complainSet(context, second);
  const set1 = options.flags.has('c') || options.flags.has('C') ? complementOf(first.bytes) : first.bytes;
  const translating = !deleting && second !== undefined;
  let map: number[] | undefined;
  if (translating) {
    const built = translationMap(first, set1, second);
    if (typeof built === 'string') return complainSet(context, built);
    map = built;
  }
  const deleteSet = new Set(deleting ? set1 : []);
  const squeezeSet = new Set(squeezing ? (second?.bytes ?? set1) : []);
  const input = bytesToBinary(await context.stdin.readAll());
  let out = '';
  let previous = -1;
  for (let index = 0; index < input.length; index++) {
    let code = input.charCodeAt(index);
    if (deleteSet.has(code)) continue;
    if (map !== undefined) code = map[code]!;
    if (code === previous && squeezeSet.has(code)) continue;
    previous = code;
    out += String.fromCharCode(code);
  }
  context.stdout.write(binaryToBytes(out));
  return 0;
};

function complainSet(context: Parameters<Builtin>[0], text: string): number {
  context.stderr.write(`tr: ${text}\n`);
  return 1;
}

function translationMap(first: ExpandedSet, set1: number[], second: ExpandedSet): number[] | string {
  if (second.otherClass) return "when translating, the only character classes that may appear in\nstring2 are 'upper' and 'lower'";
  for (const offset of second.caseClasses.keys()) {
    // A case class in SET2 must stand where SET1 has one, to map case to case.
    const partner = first.caseClasses.get(offset);
    if (partner === undefined) return 'misaligned [:upper:] and/or [:lower:] construct';
  }
  const target = [...second.bytes];
  if (second.fillAt !== undefined && target.length < set1.length) {
    const fill = target[second.fillAt]!;
    target.splice(second.fillAt, 1, ...new Array<number>(set1.length - target.length + 1).fill(fill));
  }
  if (target.length === 0) return 'when not truncating set1, string2 must be non-empty';
  const map = Array.from({ length: 256 }, (_, code) => code);
  for (const [index, code] of set1.entries()) map[code] = target[Math.min(index, target.length - 1)]!;
  return map;
}
