// Splitting "D.D.D free text" into its enhanced status code and the text, with a default
// code when the text has none: the error and discard agents read their nexthop this way
// ("5.1.6 User has moved to ...", "error:5.7.1 go away" in transport_maps), and pipe reads a
// failed command's "D.S.N text" output this way. Pure functions, trusted by nobody.
// Models dsn_valid() and dsn_split() of src/global/dsn_util.c.

/** Longest second and third parts of a code ("5.123.456"), as DSN_DIGS2/DSN_DIGS3. */
const DSN_PART_DIGITS_MAX = 3;

const isSpace = (character: string | undefined): boolean =>
  character === ' ' || character === '\t' || character === '\n' || character === '\r' || character === '\f' || character === '\v';

function digitRun(text: string, from: number): number {
  let end = from;
  while (end < text.length && end - from <= DSN_PART_DIGITS_MAX && text[end]! >= '0' && text[end]! <= '9') end++;
  return end - from;
}

/** dsn_valid(): the length of the code at the start of `text` (class 2, 4 or 5, then
 *  1-3 digits, a dot, 1-3 digits, then the end or white space), or 0 for none. */
export function validDsnLength(text: string): number {
  if ((text[0] !== '2' && text[0] !== '4' && text[0] !== '5') || text[1] !== '.') return 0;
  const second = digitRun(text, 2);
  if (second < 1 || second > DSN_PART_DIGITS_MAX || text[2 + second] !== '.') return 0;
  const thirdStart = 3 + second;
  const third = digitRun(text, thirdStart);
  if (third < 1 || third > DSN_PART_DIGITS_MAX) return 0;
  const end = thirdStart + third;
  if (end < text.length && !isSpace(text[end])) return 0;
  return end;
}

export interface DsnSplit {
  dsn: string;
  text: string;
}

/** dsn_split(): leading white space is skipped, an optional code is taken (else
 *  `defaultDsn`), and the rest after white space is the text. */
export function dsnSplit(defaultDsn: string, text: string): DsnSplit {
  let at = 0;
  while (at < text.length && isSpace(text[at])) at++;
  const length = validDsnLength(text.slice(at));
  let dsn: string;
  if (length > 0) {
    dsn = text.slice(at, at + length);
    at += length;
  } else if (validDsnLength(defaultDsn) > 0) {
    dsn = defaultDsn;
  } else {
    throw new RangeError(`dsn_split: bad default status "${defaultDsn}"`);
  }
  while (at < text.length && isSpace(text[at])) at++;
  return { dsn, text: text.slice(at) };
}
