// The C-style readings postcat relies on: asctime dates, atol, sscanf and is_header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asctime, atol, isHeader, scanLongs } from '../../../engine/global/queue/record-text.ts';

function asctimeFromDate(seconds: number): string {
  const date = new Date(seconds * 1000);
  const text = date.toUTCString(); // "Sun, 22 Nov 2026 09:28:08 GMT"
  const [weekday, day, month, year, clock] = text.replace(',', '').split(' ');
  return `${weekday} ${month}${String(Number(day)).padStart(3, ' ')} ${clock} ${year}\n`;
}

test('asctime prints as asctime(3) does, in UTC', () => {
  assert.equal(asctime(0), 'Thu Jan  1 00:00:00 1970\n');
  assert.equal(asctime(1795339688), 'Sun Nov 22 09:28:08 2026\n');
  assert.equal(asctime(951782400), 'Tue Feb 29 00:00:00 2000\n');
  for (let seconds = -86400 * 400; seconds < 4_102_444_800; seconds += 7_777_777) assert.equal(asctime(seconds), asctimeFromDate(seconds), String(seconds));
});

test('atol and sscanf read leading numbers only', () => {
  assert.equal(atol('  1795339688 516000'), 1795339688);
  assert.equal(atol('x12'), 0);
  assert.equal(atol('-5'), -5);
  assert.deepEqual(scanLongs('            439             764               2', 2), [439, 764]);
  assert.deepEqual(scanLongs('439', 2), [439]);
  assert.deepEqual(scanLongs('junk', 2), []);
});

test('is_header: a printable name, optional blanks, then a colon', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  assert.ok(isHeader(bytes('Subject: x')));
  assert.ok(isHeader(bytes('Subject : x')));
  assert.ok(isHeader(bytes('X-Odd_Name!: y')));
  assert.ok(!isHeader(bytes(': x')));
  assert.ok(!isHeader(bytes('no header here')));
  assert.ok(!isHeader(bytes('Two words: x')));
  assert.ok(!isHeader(bytes('\tfolded: x')));
  assert.ok(!isHeader(new Uint8Array([0x53, 0xe9, 0x3a])));
  assert.ok(!isHeader(bytes('')));
});
