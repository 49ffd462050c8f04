// The queue file reader's number parsing straight from record bytes (the size record and the
// arrival time record, read at every queue file read) against the text parsing it replaced:
// parseSizeRecord(latin1(bytes)) and /^(\d+)\D*(\d*)/ over the UTF-8 text, for random and
// edge-case payloads (signs, -0, long digit runs, latin1 spaces, a byte order mark, bytes that
// are not UTF-8). Also a reader that passes pointer/padding records in nextBuffered() and
// goes on in next(). Runs with node:test through test/run.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSizeRecord, parseSizeRecordBytes } from '../../../engine/global/queue/queue-fields.ts';
import { readQueueFile } from '../../../engine/global/queue/queue-file.ts';
import { bytesSource, encodeRecord, latin1, RecordReader, RecordType } from '../../../engine/global/queue/record.ts';

/** A seeded generator, so that a failure repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const PIECES = [' ', '  ', '\t', '\n', '\x0b', '\x0c', '\r', '\xa0', '+', '-', '0', '7', '42', '-0', '+0',
  '123456789012345', '1234567890123456', '98765432109876543210', 'x', '\xef\xbb\xbf', '\xc3', '\xff', '\x80', '.', ':'];

function randomPayload(next: () => number): Uint8Array {
  let text = '';
  const pieces = Math.floor(next() * 14);
  for (let index = 0; index < pieces; index++) text += PIECES[Math.floor(next() * PIECES.length)];
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index);
  return bytes;
}

test('parseSizeRecordBytes answers as parseSizeRecord over the latin1 text', () => {
  const next = random(7);
  const samples: Uint8Array[] = [
    new TextEncoder().encode('            387             280               1               0             387               0'),
    new TextEncoder().encode('  -0 5'), new TextEncoder().encode('1'), new TextEncoder().encode(''),
    new TextEncoder().encode('12345678901234567890 3'), new TextEncoder().encode('\xa0 1 2'),
  ];
  for (let index = 0; index < 3000; index++) samples.push(randomPayload(next));
  for (const payload of samples) {
    const expected = parseSizeRecord(latin1(payload));
    const actual = parseSizeRecordBytes(payload);
    assert.deepEqual(actual, expected, `payload ${JSON.stringify(latin1(payload))}`);
    if (expected !== undefined && actual !== undefined) {
      for (const key of Object.keys(expected) as Array<keyof typeof expected>) {
        assert.ok(Object.is(actual[key], expected[key]), `${key} of ${JSON.stringify(latin1(payload))}`);
      }
    }
  }
});

/** A minimal complete queue file whose arrival time record has `payload`. */
function fileWithTime(payload: Uint8Array): Uint8Array {
  const records = [
    encodeRecord(RecordType.size, '             10              99               1               0              10               0'),
    encodeRecord(RecordType.time, payload),
    encodeRecord(RecordType.sender, 'alice@example.test'),
    encodeRecord(RecordType.recipient, 'bob@example.test'),
    encodeRecord(RecordType.end, ''),
  ];
  const total = records.reduce((sum, record) => sum + record.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const record of records) { bytes.set(record, at); at += record.length; }
  return bytes;
}

test('the arrival time is read from the bytes as the expression read the UTF-8 text', async () => {
  const next = random(11);
  const samples: Uint8Array[] = [new TextEncoder().encode('1704067201 892'), new TextEncoder().encode('\ufeff17 5'),
    new TextEncoder().encode('abc'), new TextEncoder().encode('12345678901234567890 1'), new Uint8Array([0x31, 0xc3, 0x32])];
  for (let index = 0; index < 1500; index++) samples.push(randomPayload(next));
  for (const payload of samples) {
    const match = /^(\d+)\D*(\d*)/.exec(new TextDecoder().decode(payload));
    const expected = { seconds: Number(match?.[1] ?? 0), microseconds: Number(match?.[2] || 0) };
    const file = await readQueueFile(bytesSource(fileWithTime(payload)), 'test');
    assert.deepEqual(file.arrivalTime, expected, `payload ${JSON.stringify(latin1(payload))}`);
  }
});

test('a record after padding and a pointer split between nextBuffered() and next() is read as by next() alone', async () => {
  const head = [encodeRecord(RecordType.padding, 'xx'), encodeRecord(RecordType.padding, '')];
  const tail = encodeRecord(RecordType.sender, 'alice@example.test');
  const headLength = head.reduce((sum, record) => sum + record.length, 0);
  const bytes = new Uint8Array(headLength + tail.length);
  let at = 0;
  for (const record of head) { bytes.set(record, at); at += record.length; }
  bytes.set(tail, at);
  // A source that hands out the padding first and the rest on the next read.
  const source = { read: (length: number, position: number) => Promise.resolve(bytes.slice(position, Math.min(position + length, position < headLength ? headLength : bytes.length))) };
  const reader = new RecordReader(source, { path: 'test', transparent: true });
  assert.equal(reader.nextBuffered(), undefined);
  const first = await reader.next();
  assert.equal(first?.type, RecordType.sender);
  assert.equal(reader.nextBuffered(), undefined);
  assert.equal(await reader.next(), null);
});
