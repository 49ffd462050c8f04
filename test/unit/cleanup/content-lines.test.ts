// cleanup's content split (engine/cleanup/finish.ts contentLines): every byte value becomes
// the character with the same code (latin1), whether the content takes the native decoder
// (no byte in 0x80-0x9f, where windows-1252 and latin1 differ) or the char-by-char path;
// CRLF and LF ends, a missing last line end, and stray CRs with replaceStrayCrLf.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentLines } from '../../../engine/cleanup/finish.ts';

const LF = 0x0a;
const CR = 0x0d;

/** Each byte value except CR and LF, as one line; `skip` leaves some out. */
function everyByte(skip: (byte: number) => boolean): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, byte) => byte).filter((byte) => byte !== LF && byte !== CR && !skip(byte));
}

test('contentLines: each byte is the latin1 character of its value, with and without bytes 0x80-0x9f', () => {
  for (const bytes of [everyByte(() => false), everyByte((byte) => byte >= 0x80 && byte < 0xa0)]) {
    const content = new Uint8Array([...bytes, CR, LF, ...bytes, LF]);
    const line = [...bytes].map((byte) => String.fromCharCode(byte)).join('');
    assert.deepEqual(contentLines(content), [line, line]);
  }
});

test('contentLines: line ends, an unterminated last line, empty content, stray CRs', () => {
  const bytes = (text: string): Uint8Array => Uint8Array.from([...text].map((character) => character.charCodeAt(0)));
  assert.deepEqual(contentLines(bytes('a\r\nb\nc')), ['a', 'b', 'c']);
  assert.deepEqual(contentLines(bytes('\n')), []);
  assert.deepEqual(contentLines(new Uint8Array(0)), []);
  assert.deepEqual(contentLines(bytes('x\ry\r\n\xe9\x85\n'), true), ['x y', '\xe9\x85']);
  assert.deepEqual(contentLines(bytes('x\ry\r\n')), ['x\ry']);
});
