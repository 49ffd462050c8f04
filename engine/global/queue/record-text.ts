// How queue record payloads read as text, the way Postfix's C code reads them: atol(3)
// and sscanf(3) numbers, asctime(3) dates (in UTC: the engine has no time zone), is_header()
// for the header/body boundary, and bytes that went through latin1() back to bytes.
// Called by postcat (and later by the other queue tools). Trusts nothing in its input.
// Models the libc calls in src/postcat/postcat.c and src/global/is_header.c.

/** atol(3): optional blanks and sign, then digits; 0 when there are none. */
export function atol(text: string): number {
  const match = /^[ \t\n\r\f\v]*([+-]?\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MS_PER_DAY = 86_400_000;

/** asctime(localtime(t)) in UTC: "Sun Nov 22 09:28:08 2026\n". */
export function asctime(seconds: number): string {
  const ms = seconds * 1000;
  const days = Math.floor(ms / MS_PER_DAY);
  const secondsOfDay = Math.floor((ms - days * MS_PER_DAY) / 1000);
  const { year, month, day } = civilFromDays(days);
  const weekday = DAYS[(((days + 4) % 7) + 7) % 7] ?? '';
  const clock = `${two(Math.floor(secondsOfDay / 3600))}:${two(Math.floor(secondsOfDay / 60) % 60)}:${two(secondsOfDay % 60)}`;
  return `${weekday} ${MONTHS[month - 1] ?? ''}${String(day).padStart(3, ' ')} ${clock} ${year}\n`;
}

function two(value: number): string {
  return String(value).padStart(2, '0');
}

/** Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm). */
function civilFromDays(daysSinceEpoch: number): { year: number; month: number; day: number } {
  const z = daysSinceEpoch + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthPrime = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthPrime + 2) / 5) + 1;
  const month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** is_header(): a name of printable non-blank ASCII, optional blanks, then ':'. */
export function isHeader(line: Uint8Array): boolean {
  let state: 'start' | 'name' | 'blank' = 'start';
  for (const byte of line) {
    if (byte === 0x3a) return state !== 'start';
    if (byte === 0x20 || byte === 0x09) {
      if (state === 'start') return false;
      state = 'blank';
      continue;
    }
    if (byte === 0 || byte > 0x7e || byte < 0x20 || state === 'blank') return false;
    state = 'name';
  }
  return false;
}

/** sscanf("%ld %ld ..."): the numbers it could convert, up to `count`. */
export function scanLongs(text: string, count: number): number[] {
  const numbers: number[] = [];
  let rest = text;
  for (let index = 0; index < count; index++) {
    const match = /^\s*([+-]?\d+)/.exec(rest);
    if (match === null) break;
    numbers.push(Number(match[1]));
    rest = rest.slice(match[0].length);
  }
  return numbers;
}

/** Text made by latin1() back to its bytes. */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index) & 0xff;
  return bytes;
}
