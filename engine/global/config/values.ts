// Typed readings of parameter values, with the exact complaints Postfix's programs make
// when a value does not convert: "bad numerical configuration: name = value", "parameter
// name: bad time value or unit: value", "bad boolean configuration: name = value", and the
// bounds checks ("invalid name parameter value 0 < 1", "invalid name: 5 (min 10)").
// Called by main-cf.ts's getters; the caller turns a ValueError into a fatal for the
// program that reads the value. Models mail_conf_{bool,int,long,time}.c and conv_time.c.

/** A value that does not convert; `message` is the text Postfix's msg_fatal prints. */
export class ValueError extends Error {
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(message);
    this.name = 'ValueError';
    this.parameter = parameter;
  }
}

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** strtol's accepted prefix: optional whitespace, sign, decimal digits. */
const NUMBER_PREFIX = /^[ \t\n\v\f\r]*([+-]?\d+)/;

/** yes/no, case-insensitive, as Postfix's booleans. */
export function parseBoolean(name: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'yes') return true;
  if (lower === 'no') return false;
  throw new ValueError(name, `bad boolean configuration: ${name} = ${value}`);
}

/** A C int: the whole value must be a decimal number in range. */
export function parseInteger(name: string, value: string, bounds: { min?: number; max?: number } = {}): number {
  const match = NUMBER_PREFIX.exec(value);
  if (!match || match[0].length !== value.length) throw new ValueError(name, `bad numerical configuration: ${name} = ${value}`);
  const number = Number(match[1]);
  if (number > INT_MAX || number < INT_MIN) throw new ValueError(name, `bad numerical configuration: ${name} = ${value}`);
  if (bounds.min && number < bounds.min) throw new ValueError(name, `invalid ${name} parameter value ${number} < ${bounds.min}`);
  if (bounds.max && number > bounds.max) throw new ValueError(name, `invalid ${name} parameter value ${number} > ${bounds.max}`);
  return number;
}

/** A C long (sizes in bytes and other large counts). Returned as a number: sizes beyond
 *  2^53 lose precision, which no configuration here needs. */
export function parseLong(name: string, value: string, bounds: { min?: number; max?: number } = {}): number {
  const match = NUMBER_PREFIX.exec(value);
  if (!match || match[0].length !== value.length) throw new ValueError(name, `bad numerical configuration: ${name} = ${value}`);
  const big = BigInt(match[1] ?? '0');
  if (big > LONG_MAX || big < LONG_MIN) throw new ValueError(name, `bad numerical configuration: ${name} = ${value}`);
  const number = Number(big);
  if (bounds.min && number < bounds.min) throw new ValueError(name, `invalid ${name} parameter value ${number} < ${bounds.min}`);
  if (bounds.max && number > bounds.max) throw new ValueError(name, `invalid ${name} parameter value ${number} > ${bounds.max}`);
  return number;
}

/** Seconds from "number[unit]" with unit s, m, h, d or w; a bare number takes `defaultUnit`.
 *  Like conv_time(3), only the first character after the number is looked at. */
export function parseTimeSeconds(name: string, value: string, defaultUnit = 's', bounds: { min?: number; max?: number } = {}): number {
  const bad = (): ValueError => new ValueError(name, `parameter ${name}: bad time value or unit: ${value}`);
  const match = NUMBER_PREFIX.exec(value);
  if (value === '' || !match) throw bad();
  const count = Number(match[1]);
  if (count < 0 || count > INT_MAX) throw bad();
  const unit = value.charAt(match[0].length) || defaultUnit;
  const multiplier = SECONDS_PER_UNIT[unit];
  if (multiplier === undefined) throw bad();
  if (multiplier > 1 && count >= Math.floor(INT_MAX / multiplier)) throw bad();
  const seconds = count * multiplier;
  if (bounds.min && seconds < bounds.min) throw new ValueError(name, `invalid ${name}: ${seconds} (min ${bounds.min})`);
  if (bounds.max && seconds > bounds.max) throw new ValueError(name, `invalid ${name}: ${seconds} (max ${bounds.max})`);
  return seconds;
}

/** Splits a list value on commas and whitespace, as Postfix's mystrtok(", \t\r\n"). */
export function splitList(value: string): string[] {
  return value.split(/[, \t\r\n]+/).filter((word) => word !== '');
}

/** Splits a list the way Postfix splits map and restriction lists: on commas and
 *  whitespace, but keeping "{ ... }" groups (inline:{ a=b, c=d }) in one piece. */
export function splitListKeepingBraces(value: string): string[] {
  const words: string[] = [];
  let current = '';
  let depth = 0;
  for (const character of value) {
    if (character === '{') depth++;
    if (character === '}' && depth > 0) depth--;
    if (depth === 0 && ', \t\r\n'.includes(character)) {
      if (current !== '') words.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  if (current !== '') words.push(current);
  return words;
}
