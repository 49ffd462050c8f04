// Calendar arithmetic for the shell's `ls -l` and `date`, in UTC, without the Date object
// (the engine reads time only through the Platform clock, and formats it itself).
// Called by engine/shell/builtins. Trusts its inputs to be finite millisecond counts.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed'];
const MS_PER_DAY = 86_400_000;

export interface CivilTime {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 'Mon'..'Sun' */
  weekday: string;
}

/** Splits milliseconds since the epoch into a UTC calendar date (proleptic Gregorian). */
export function civilTime(epochMs: number): CivilTime {
  const days = Math.floor(epochMs / MS_PER_DAY);
  const msOfDay = epochMs - days * MS_PER_DAY;
  // Howard Hinnant's days-to-civil algorithm: eras of 400 years starting in March.
  const shifted = days + 719468;
  const era = Math.floor(shifted / 146097);
  const dayOfEra = shifted - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524)
    - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const seconds = Math.floor(msOfDay / 1000);
  return {
    year, month, day,
    hour: Math.floor(seconds / 3600),
    minute: Math.floor((seconds % 3600) / 60),
    second: seconds % 60,
    weekday: WEEKDAYS[((days % 7) + 7) % 7]!,
  };
}

const two = (value: number) => String(value).padStart(2, '0');

/** ls -l's time column: "Mar  5 14:07" when recent, "Mar  5  2024" when over six months
 *  old or in the future, as coreutils decides. */
export function lsTime(mtimeMs: number, nowMs: number): string {
  const time = civilTime(mtimeMs);
  const halfYearMs = (31_556_952_000 / 2);
  const recent = mtimeMs <= nowMs && nowMs - mtimeMs < halfYearMs;
  const date = `${MONTHS[time.month - 1]} ${String(time.day).padStart(2, ' ')}`;
  return recent ? `${date} ${two(time.hour)}:${two(time.minute)}` : `${date}  ${time.year}`;
}

/** date(1)'s default output in UTC: "Thu Jan  1 00:00:00 UTC 1970". */
export function dateText(epochMs: number): string {
  const time = civilTime(epochMs);
  return `${time.weekday} ${MONTHS[time.month - 1]} ${String(time.day).padStart(2, ' ')} `
    + `${two(time.hour)}:${two(time.minute)}:${two(time.second)} UTC ${time.year}`;
}
