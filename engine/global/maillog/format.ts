// Number and time formats of Postfix's maillog: delays as format_tv(3) prints them (two
// significant digits for small values, whole seconds for large ones, trailing zeros
// dropped, never more decimals than delay_logging_resolution_limit), and the line prefix
// "Mon DD HH:MM:SS host " that postlogd/msg_logger(3) writes (day zero-padded, no year).
// Called by render.ts and the maillog writer; pure functions of their arguments.
// Models src/util/format_tv.c and the prefix of src/util/msg_logger.c (our time is UTC).

import { civilTime } from '../../shell/time-format.ts';

const MICROSECONDS_PER_SECOND = 1_000_000;
const POWERS_OF_TEN = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000] as const;

/** Postfix's SIG_DIGS in log_adhoc.c. */
export const DELAY_SIGNIFICANT_DIGITS = 2;
/** delay_logging_resolution_limit's default. */
export const DELAY_RESOLUTION_DIGITS_DEFAULT = 2;

/**
 * Formats a time in seconds as format_tv() does: "0.05", "47", "0", "1.2", "123".
 * `significantDigits` is 1..6, `resolutionDigits` (digits after the point at most) 0..6.
 */
export function formatDelay(seconds: number, significantDigits = DELAY_SIGNIFICANT_DIGITS,
  resolutionDigits = DELAY_RESOLUTION_DIGITS_DEFAULT): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * MICROSECONDS_PER_SECOND) : 0;
  // No time at all prints "0" whatever the digits (the rounding below never reaches a
  // resolution step from zero); most of a simulated delivery's four delays are zero.
  if (total === 0) return '0';
  let whole = Math.floor(total / MICROSECONDS_PER_SECOND);
  let micro = total - whole * MICROSECONDS_PER_SECOND;
  const maxDigits = Math.min(Math.max(Math.trunc(resolutionDigits), 0), 6);
  const sigDigits = Math.min(Math.max(Math.trunc(significantDigits), 1), 6);
  let resolution = MICROSECONDS_PER_SECOND / POWERS_OF_TEN[maxDigits]!;
  const width = POWERS_OF_TEN[sigDigits]!;
  if (resolution < MICROSECONDS_PER_SECOND) {
    if (whole > 0) {
      let scale = 1;
      while (whole >= scale && scale <= width / 10) scale *= 10;
      resolution = (MICROSECONDS_PER_SECOND / width) * scale;
    } else {
      while (micro >= width * resolution) resolution *= 10;
    }
  }
  if (resolution > 1) {
    micro += Math.floor(resolution / 2);
    if (micro >= MICROSECONDS_PER_SECOND) {
      whole += 1;
      micro -= MICROSECONDS_PER_SECOND;
    }
  }
  let text = String(whole);
  if (micro >= resolution) {
    text += '.';
    let rest = micro;
    for (let place = MICROSECONDS_PER_SECOND / 10; rest >= resolution && place > 0; place = Math.floor(place / 10)) {
      text += String(Math.floor(rest / place));
      rest %= place;
    }
  }
  return text;
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** "00".."59": hours, minutes, seconds and days of the month as two digits. */
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, value) => String(value).padStart(2, '0'));

const SECONDS_PER_DAY = 86_400;

/** strftime("%b %d %H:%M:%S") in UTC: "Nov 22 09:26:23" (the calendar arithmetic is the
 *  shell's, so the engine never needs the Date object). */
export function formatLogTime(atMs: number): string {
  // Lines come in bursts within one second: the text of the last second is kept; the
  // "Mon DD " of the last day too (a retry days later needs the calendar again).
  const second = Math.floor(atMs / 1000);
  if (second === lastLogSecond && lastLogTime !== undefined) return lastLogTime;
  const day = Math.floor(second / SECONDS_PER_DAY);
  if (day !== lastLogDay || lastDayText === undefined) {
    const time = civilTime(atMs);
    lastDayText = `${MONTH_NAMES[time.month - 1]} ${TWO_DIGITS[time.day]} `;
    lastLogDay = day;
  }
  const secondOfDay = second - day * SECONDS_PER_DAY;
  const text = `${lastDayText}${TWO_DIGITS[Math.floor(secondOfDay / 3600)]}:`
    + `${TWO_DIGITS[Math.floor((secondOfDay % 3600) / 60)]}:${TWO_DIGITS[secondOfDay % 60]}`;
  lastLogSecond = second;
  lastLogTime = text;
  return text;
}

let lastLogSecond = Number.NaN;
let lastLogTime: string | undefined;
let lastLogDay = Number.NaN;
let lastDayText: string | undefined;

/** The host field of a log line: the first label of myhostname. */
export function logHostName(myhostname: string): string {
  if (myhostname === lastHostName && lastHostLabel !== undefined) return lastHostLabel;
  const dot = myhostname.indexOf('.');
  const label = dot < 0 ? myhostname : myhostname.slice(0, dot);
  lastHostName = myhostname;
  lastHostLabel = label;
  return label;
}

let lastHostName: string | undefined;
let lastHostLabel: string | undefined;

/** msg_logger's limit on the text of one record. */
export const LOG_TEXT_LENGTH_MAX = 2000;
