// bash's printf builtin: the FORMAT is reused until every argument is consumed, with the
// conversions people type in mail examples (%s %b %c %d %i %u %x %X %o %%, flags, width and
// precision) and backslash escapes in the format. printf is how one writes a message with
// headers into sendmail on one line, so the terminal needs it. Called by the shell's
// executor through the builtin table. Trusts nothing: a bad number is bash's error.

import { interpretEscapes } from './session.ts';
import type { Builtin } from './types.ts';

/** How many times the format may be reused; bounds a format with no conversions. */
const FORMAT_ROUNDS_MAX = 10_000;

const CONVERSION = /%([-+ #0]*)(\d+|\*)?(?:\.(\d+|\*))?([sbcdiuxXo%])/g;

function pad(text: string, flags: string, width: number | undefined): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  const zero = flags.includes('0') && /^[-+ ]?\d/.test(text);
  if (!zero) return text.padStart(width);
  const sign = /^[-+ ]/.test(text) ? text[0]! : '';
  return sign + text.slice(sign.length).padStart(width - sign.length, '0');
}

interface Outcome { text: string; status: number }

function integer(argument: string, stderr: (text: string) => void): { value: number; ok: boolean } {
  if (argument === '') return { value: 0, ok: true };
  const quoted = /^['"](.)/.exec(argument);
  if (quoted) return { value: quoted[1]!.codePointAt(0)!, ok: true };
  const value = Number(argument.startsWith('0x') || argument.startsWith('0X') ? parseInt(argument, 16) : argument);
  if (!Number.isInteger(value)) {
    stderr(`bash: printf: ${argument}: invalid number\n`);
    return { value: 0, ok: false };
  }
  return { value, ok: true };
}

function formatOnce(format: string, take: () => string | undefined, stderr: (text: string) => void): Outcome & { stop: boolean } {
  let status = 0;
  let stop = false;
  const text = format.replace(CONVERSION, (_whole, flags: string, widthText: string | undefined, precisionText: string | undefined, kind: string) => {
    if (kind === '%') return '%';
    const width = widthText === '*' ? Number(take() ?? 0) : widthText === undefined ? undefined : Number(widthText);
    const precision = precisionText === '*' ? Number(take() ?? 0) : precisionText === undefined ? undefined : Number(precisionText);
    const argument = take() ?? '';
    switch (kind) {
      case 's': return pad(precision === undefined ? argument : argument.slice(0, precision), flags, width);
      case 'b': {
        const cut = argument.indexOf('\\c');
        if (cut >= 0) stop = true;
        return pad(interpretEscapes(cut >= 0 ? argument.slice(0, cut) : argument), flags, width);
      }
      case 'c': return pad(argument.slice(0, 1), flags, width);
      default: {
        const { value, ok } = integer(argument, stderr);
        if (!ok) status = 1;
        const digits = kind === 'x' ? value.toString(16) : kind === 'X' ? value.toString(16).toUpperCase()
          : kind === 'o' ? value.toString(8) : String(Math.abs(value));
        const sign = kind === 'd' || kind === 'i' ? (value < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') : '';
        const body = precision === undefined ? digits : digits.padStart(precision, '0');
        return pad(sign + body, flags, width);
      }
    }
  });
  return { text: interpretEscapes(text), status, stop };
}

export const printf: Builtin = async (context) => {
  const words = context.argv.slice(1);
  if (words[0] === '--') words.shift();
  const format = words.shift();
  if (format === undefined) {
    context.stderr.write('printf: usage: printf [-v var] format [arguments]\n');
    return 2;
  }
  let next = 0;
  const take = (): string | undefined => (next < words.length ? words[next++] : undefined);
  const stderr = (text: string): void => context.stderr.write(text);
  let status = 0;
  for (let round = 0; round < FORMAT_ROUNDS_MAX; round++) {
    const before = next;
    const outcome = formatOnce(format, take, stderr);
    context.stdout.write(outcome.text);
    status = Math.max(status, outcome.status);
    if (outcome.stop || next >= words.length || next === before) break;
  }
  return status;
};
