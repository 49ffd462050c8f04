// The key machinery of sort(1) as GNU coreutils 9.1 has it in the C locale: -k POS1[,POS2]
// specifications (F[.C][bfnr]), where a key starts and ends on a line (with -t CHAR or
// blank-separated fields whose leading blanks belong to the field), and how two keys
// compare (bytes, -f folded to upper case, -n numbers compared digit by digit). Called by
// sort.ts. Trusts nothing typed: a bad specification returns coreutils' message.

export interface KeyOptions {
  numeric: boolean;
  reverse: boolean;
  foldCase: boolean;
  skipStartBlanks: boolean;
  skipEndBlanks: boolean;
}

export interface SortKey extends KeyOptions {
  /** Fields skipped before the key starts, and bytes skipped in its field (0-based). */
  startField: number;
  startChar: number;
  /** undefined: to the end of the line. endChar 0: to the end of field endField + 1. */
  endField: number | undefined;
  endChar: number;
}

const BLANKS = ' \t';
const isBlank = (char: string | undefined) => char !== undefined && BLANKS.includes(char);

export function noKeyOptions(): KeyOptions {
  return { numeric: false, reverse: false, foldCase: false, skipStartBlanks: false, skipEndBlanks: false };
}

/** Whether a key spec gave any ordering option of its own (then -n, -r... typed before it
 *  do not apply to it, as in coreutils). */
export function hasOwnOptions(options: KeyOptions): boolean {
  return options.numeric || options.reverse || options.foldCase || options.skipStartBlanks || options.skipEndBlanks;
}

/** Applies option letters to `options`; returns the rest of the text at the first letter
 *  that is none of them. */
export function applyOptionLetters(text: string, options: KeyOptions, end: boolean): string {
  let index = 0;
  for (; index < text.length; index++) {
    const letter = text[index]!;
    if (letter === 'n') options.numeric = true;
    else if (letter === 'r') options.reverse = true;
    else if (letter === 'f') options.foldCase = true;
    else if (letter === 'b') { if (end) options.skipEndBlanks = true; else options.skipStartBlanks = true; }
    else break;
  }
  return text.slice(index);
}

/** The count after `mark` ("." or ",") at the head of `rest`: its value and what follows,
 *  or sort's complaint when no digits follow the mark. */
function countAfter(rest: string, mark: string): { value: number; rest: string } | string {
  const digits = /^[0-9]+/.exec(rest.slice(1));
  if (digits === null) return `invalid number after '${mark}': invalid count at start of '${rest.slice(1)}'`;
  return { value: Number(digits[0]), rest: rest.slice(1 + digits[0].length) };
}

/** Parses "-k POS1[,POS2]"; a string is sort's complaint. */
export function parseKeySpec(spec: string): SortKey | string {
  const invalid = (why: string) => `${why}: invalid field specification '${spec}'`;
  const start = /^([0-9]+)/.exec(spec);
  if (start === null) return `invalid number at field start: invalid count at start of '${spec}'`;
  const options = noKeyOptions();
  let rest = spec.slice(start[1]!.length);
  const startField = Number(start[1]);
  if (startField === 0) return invalid('field number is zero');
  let startChar = 0;
  if (rest.startsWith('.')) {
    const count = countAfter(rest, '.');
    if (typeof count === 'string') return count;
    if (count.value === 0) return invalid('character offset is zero');
    ({ value: startChar, rest } = count);
  }
  rest = applyOptionLetters(rest, options, false);
  let endField: number | undefined;
  let endChar = 0;
  if (rest.startsWith(',')) {
    const field = countAfter(rest, ',');
    if (typeof field === 'string') return field;
    if (field.value === 0) return invalid('field number is zero');
    ({ value: endField, rest } = field);
    if (rest.startsWith('.')) {
      const count = countAfter(rest, '.');
      if (typeof count === 'string') return count;
      ({ value: endChar, rest } = count);
    }
    rest = applyOptionLetters(rest, options, true);
  }
  if (rest !== '') return invalid('stray character in field spec');
  return { ...options, startField: startField - 1, startChar: Math.max(0, startChar - 1), endField: endField === undefined ? undefined : endField - 1, endChar };
}

/** Where the key begins in `line` (coreutils' begfield). */
function keyStart(line: string, key: SortKey, tab: string | undefined): number {
  let position = 0;
  const end = line.length;
  for (let field = 0; field < key.startField && position < end; field++) {
    if (tab !== undefined) {
      while (position < end && line[position] !== tab) position++;
      if (position < end) position++;
    } else {
      while (position < end && isBlank(line[position])) position++;
      while (position < end && !isBlank(line[position])) position++;
    }
  }
  if (key.skipStartBlanks) while (position < end && isBlank(line[position])) position++;
  return Math.min(end, position + key.startChar);
}

/** Where the key ends (coreutils' limfield). */
function keyEnd(line: string, key: SortKey, tab: string | undefined): number {
  const end = line.length;
  if (key.endField === undefined) return end;
  let fields = key.endChar === 0 ? key.endField + 1 : key.endField;
  let position = 0;
  while (position < end && fields-- > 0) {
    if (tab !== undefined) {
      while (position < end && line[position] !== tab) position++;
      if (position < end && (fields > 0 || key.endChar !== 0)) position++;
    } else {
      while (position < end && isBlank(line[position])) position++;
      while (position < end && !isBlank(line[position])) position++;
    }
  }
  if (key.endChar !== 0) {
    if (key.skipEndBlanks) while (position < end && isBlank(line[position])) position++;
    position = Math.min(end, position + key.endChar);
  }
  return position;
}

export function keyText(line: string, key: SortKey, tab: string | undefined): string {
  const start = keyStart(line, key, tab);
  const end = keyEnd(line, key, tab);
  return end <= start ? '' : line.slice(start, end);
}

/** -n: leading blanks, an optional '-', digits, an optional '.' and digits; anything else
 *  (or nothing) is zero. Returns sign, integer digits without leading zeros, fraction
 *  without trailing zeros. */
function parseNumber(text: string): { negative: boolean; whole: string; fraction: string } {
  const match = /^[ \t]*(-?)([0-9]*)(?:\.([0-9]*))?/.exec(text)!;
  const whole = match[2]!.replace(/^0+/, '');
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const zero = whole === '' && fraction === '';
  return { negative: match[1] === '-' && !zero, whole, fraction };
}

function compareMagnitude(a: { whole: string; fraction: string }, b: { whole: string; fraction: string }): number {
  if (a.whole.length !== b.whole.length) return a.whole.length < b.whole.length ? -1 : 1;
  if (a.whole !== b.whole) return a.whole < b.whole ? -1 : 1;
  return a.fraction === b.fraction ? 0 : a.fraction < b.fraction ? -1 : 1;
}

export function compareNumbers(a: string, b: string): number {
  const left = parseNumber(a);
  const right = parseNumber(b);
  if (left.negative !== right.negative) return left.negative ? -1 : 1;
  const magnitude = compareMagnitude(left, right);
  return left.negative ? -magnitude : magnitude;
}

export function compareBytes(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** -f: ASCII lower case to upper case, and nothing else (the C locale's toupper). */
function foldCase(text: string): string {
  return text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/** Compares two keys by the key's options (reverse applied). */
export function compareKeys(a: string, b: string, options: KeyOptions): number {
  let result: number;
  if (options.numeric) result = compareNumbers(a, b);
  else if (options.foldCase) result = compareBytes(foldCase(a), foldCase(b));
  else result = compareBytes(a, b);
  return options.reverse ? -result : result;
}
