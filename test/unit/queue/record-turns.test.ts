// The record reader's microtask turns: how many turns next() and nextRaw() take to answer
// (a fresh chunk read, records of one, two and three length bytes, an empty payload, end of
// data, truncated records, padding, a record longer than the read chunk), for a source that
// answers a settled promise and one that awaits inside, transparent or raw, borrowing or
// copying payloads. Daemons' events interleave by these turns, so the table is pinned: it
// was recorded from the reader before nextRaw() decoded a freshly read record at once.
// Runs with node:test through test/run.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordReader, encodeRecord, RecordType } from '../../../engine/global/queue/record.ts';

/** Turns until `promise` settles, and what it gave. */
async function turnsUntil(promise: Promise<unknown>): Promise<string> {
  let turns = 0;
  let done = false;
  let outcome = '';
  promise.then((value) => {
    done = true;
    const record = value as { type: number; payload: Uint8Array; offset: number } | null;
    outcome = record === null ? 'null' : `type ${record.type} len ${record.payload.length} off ${record.offset}`;
  }, (error: unknown) => {
    done = true;
    outcome = `error ${(error as { kind?: string }).kind}`;
  });
  while (!done && turns < TURNS_MAX) {
    await null;
    turns++;
  }
  return `${turns} ${outcome}`;
}

/** Turns one answer may take before the test gives up counting. */
const TURNS_MAX = 200;
function join(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

const EXPECTED = `
settled small true true 9 type 67 len 96 off 0 | 1 type 69 len 0 off 98 | 4 null | raw 8 type 67 len 96 off 0
settled small true false 9 type 67 len 96 off 0 | 1 type 69 len 0 off 98 | 4 null | raw 8 type 67 len 96 off 0
settled small false true 9 type 67 len 96 off 0 | 1 type 69 len 0 off 98 | 5 null | raw 8 type 67 len 96 off 0
settled small false false 9 type 67 len 96 off 0 | 1 type 69 len 0 off 98 | 5 null | raw 8 type 67 len 96 off 0
settled empty true true 8 type 77 len 0 off 0 | 1 type 69 len 0 off 2 | 4 null | raw 7 type 77 len 0 off 0
settled empty true false 8 type 77 len 0 off 0 | 1 type 69 len 0 off 2 | 4 null | raw 7 type 77 len 0 off 0
settled empty false true 8 type 77 len 0 off 0 | 1 type 69 len 0 off 2 | 5 null | raw 7 type 77 len 0 off 0
settled empty false false 8 type 77 len 0 off 0 | 1 type 69 len 0 off 2 | 5 null | raw 7 type 77 len 0 off 0
settled twoLengthBytes true true 11 type 78 len 300 off 0 | 5 null | 5 null | raw 10 type 78 len 300 off 0
settled twoLengthBytes true false 11 type 78 len 300 off 0 | 5 null | 5 null | raw 10 type 78 len 300 off 0
settled twoLengthBytes false true 11 type 78 len 300 off 0 | 5 null | 5 null | raw 10 type 78 len 300 off 0
settled twoLengthBytes false false 11 type 78 len 300 off 0 | 5 null | 5 null | raw 10 type 78 len 300 off 0
settled threeLengthBytes true true 13 type 78 len 20000 off 0 | 5 null | 5 null | raw 12 type 78 len 20000 off 0
settled threeLengthBytes true false 13 type 78 len 20000 off 0 | 5 null | 5 null | raw 12 type 78 len 20000 off 0
settled threeLengthBytes false true 13 type 78 len 20000 off 0 | 5 null | 5 null | raw 12 type 78 len 20000 off 0
settled threeLengthBytes false false 13 type 78 len 20000 off 0 | 5 null | 5 null | raw 12 type 78 len 20000 off 0
settled eof true true 5 null | 5 null | 5 null | raw 4 null
settled eof true false 5 null | 5 null | 5 null | raw 4 null
settled eof false true 5 null | 5 null | 5 null | raw 4 null
settled eof false false 5 null | 5 null | 5 null | raw 4 null
settled truncated true true 13 error truncated-data | 5 null | 5 null | raw 12 error truncated-data
settled truncated true false 13 error truncated-data | 5 null | 5 null | raw 12 error truncated-data
settled truncated false true 13 error truncated-data | 5 null | 5 null | raw 12 error truncated-data
settled truncated false false 13 error truncated-data | 5 null | 5 null | raw 12 error truncated-data
settled truncatedLength true true 10 error truncated-length | 5 null | 5 null | raw 9 error truncated-length
settled truncatedLength true false 10 error truncated-length | 5 null | 5 null | raw 9 error truncated-length
settled truncatedLength false true 10 error truncated-length | 5 null | 5 null | raw 9 error truncated-length
settled truncatedLength false false 10 error truncated-length | 5 null | 5 null | raw 9 error truncated-length
settled padding true true 9 type 83 len 3 off 4 | 5 null | 5 null | raw 8 type 119 len 2 off 0
settled padding true false 9 type 83 len 3 off 4 | 5 null | 5 null | raw 8 type 119 len 2 off 0
settled padding false true 9 type 119 len 2 off 0 | 1 type 83 len 3 off 4 | 5 null | raw 8 type 119 len 2 off 0
settled padding false false 9 type 119 len 2 off 0 | 1 type 83 len 3 off 4 | 5 null | raw 8 type 119 len 2 off 0
settled big true true 15 type 78 len 70000 off 0 | 1 type 69 len 0 off 70004 | 4 null | raw 14 type 78 len 70000 off 0
settled big true false 15 type 78 len 70000 off 0 | 1 type 69 len 0 off 70004 | 4 null | raw 14 type 78 len 70000 off 0
settled big false true 15 type 78 len 70000 off 0 | 1 type 69 len 0 off 70004 | 5 null | raw 14 type 78 len 70000 off 0
settled big false false 15 type 78 len 70000 off 0 | 1 type 69 len 0 off 70004 | 5 null | raw 14 type 78 len 70000 off 0
asyncWrap small true true 10 type 67 len 96 off 0 | 1 type 69 len 0 off 98 | 4 null | raw 9 type 67 len 96 off 0
asyncWrap small true false 10 type 67 len 96 off 0 | 1 type 69 len 0 off 98 | 4 null | raw 9 type 67 len 96 off 0
asyncWrap small false true 10 type 67 len 96 off 0 | 1 type 69 len 0 off 98 | 6 null | raw 9 type 67 len 96 off 0
asyncWrap small false false 10 type 67 len 96 off 0 | 1 type 69 len 0 off 98 | 6 null | raw 9 type 67 len 96 off 0
asyncWrap empty true true 9 type 77 len 0 off 0 | 1 type 69 len 0 off 2 | 4 null | raw 8 type 77 len 0 off 0
asyncWrap empty true false 9 type 77 len 0 off 0 | 1 type 69 len 0 off 2 | 4 null | raw 8 type 77 len 0 off 0
asyncWrap empty false true 9 type 77 len 0 off 0 | 1 type 69 len 0 off 2 | 6 null | raw 8 type 77 len 0 off 0
asyncWrap empty false false 9 type 77 len 0 off 0 | 1 type 69 len 0 off 2 | 6 null | raw 8 type 77 len 0 off 0
asyncWrap twoLengthBytes true true 12 type 78 len 300 off 0 | 6 null | 6 null | raw 11 type 78 len 300 off 0
asyncWrap twoLengthBytes true false 12 type 78 len 300 off 0 | 6 null | 6 null | raw 11 type 78 len 300 off 0
asyncWrap twoLengthBytes false true 12 type 78 len 300 off 0 | 6 null | 6 null | raw 11 type 78 len 300 off 0
asyncWrap twoLengthBytes false false 12 type 78 len 300 off 0 | 6 null | 6 null | raw 11 type 78 len 300 off 0
asyncWrap threeLengthBytes true true 14 type 78 len 20000 off 0 | 6 null | 6 null | raw 13 type 78 len 20000 off 0
asyncWrap threeLengthBytes true false 14 type 78 len 20000 off 0 | 6 null | 6 null | raw 13 type 78 len 20000 off 0
asyncWrap threeLengthBytes false true 14 type 78 len 20000 off 0 | 6 null | 6 null | raw 13 type 78 len 20000 off 0
asyncWrap threeLengthBytes false false 14 type 78 len 20000 off 0 | 6 null | 6 null | raw 13 type 78 len 20000 off 0
asyncWrap eof true true 6 null | 6 null | 6 null | raw 5 null
asyncWrap eof true false 6 null | 6 null | 6 null | raw 5 null
asyncWrap eof false true 6 null | 6 null | 6 null | raw 5 null
asyncWrap eof false false 6 null | 6 null | 6 null | raw 5 null
asyncWrap truncated true true 15 error truncated-data | 6 null | 6 null | raw 14 error truncated-data
asyncWrap truncated true false 15 error truncated-data | 6 null | 6 null | raw 14 error truncated-data
asyncWrap truncated false true 15 error truncated-data | 6 null | 6 null | raw 14 error truncated-data
asyncWrap truncated false false 15 error truncated-data | 6 null | 6 null | raw 14 error truncated-data
asyncWrap truncatedLength true true 12 error truncated-length | 6 null | 6 null | raw 11 error truncated-length
asyncWrap truncatedLength true false 12 error truncated-length | 6 null | 6 null | raw 11 error truncated-length
asyncWrap truncatedLength false true 12 error truncated-length | 6 null | 6 null | raw 11 error truncated-length
asyncWrap truncatedLength false false 12 error truncated-length | 6 null | 6 null | raw 11 error truncated-length
asyncWrap padding true true 10 type 83 len 3 off 4 | 6 null | 6 null | raw 9 type 119 len 2 off 0
asyncWrap padding true false 10 type 83 len 3 off 4 | 6 null | 6 null | raw 9 type 119 len 2 off 0
asyncWrap padding false true 10 type 119 len 2 off 0 | 1 type 83 len 3 off 4 | 6 null | raw 9 type 119 len 2 off 0
asyncWrap padding false false 10 type 119 len 2 off 0 | 1 type 83 len 3 off 4 | 6 null | raw 9 type 119 len 2 off 0
asyncWrap big true true 17 type 78 len 70000 off 0 | 1 type 69 len 0 off 70004 | 4 null | raw 16 type 78 len 70000 off 0
asyncWrap big true false 17 type 78 len 70000 off 0 | 1 type 69 len 0 off 70004 | 4 null | raw 16 type 78 len 70000 off 0
asyncWrap big false true 17 type 78 len 70000 off 0 | 1 type 69 len 0 off 70004 | 6 null | raw 16 type 78 len 70000 off 0
asyncWrap big false false 17 type 78 len 70000 off 0 | 1 type 69 len 0 off 70004 | 6 null | raw 16 type 78 len 70000 off 0
`.trim().split('\n');

test('next() and nextRaw() answer after the same turns as the byte-wise reader did', async () => {
  const lines: string[] = [];
  const cases: Record<string, Uint8Array> = {
  small: join(encodeRecord(RecordType.size, 'x'.repeat(96)), encodeRecord(RecordType.end, '')),
  empty: join(encodeRecord(RecordType.messageContentStart, ''), encodeRecord(RecordType.end, '')),
  twoLengthBytes: join(encodeRecord(RecordType.normalText, 'y'.repeat(300))),
  threeLengthBytes: join(encodeRecord(RecordType.normalText, 'z'.repeat(20000))),
  eof: new Uint8Array(0),
  truncated: encodeRecord(RecordType.normalText, 'y'.repeat(300)).subarray(0, 100),
  truncatedLength: new Uint8Array([0x4e, 0x80]),
  padding: join(encodeRecord(RecordType.padding, 'pp'), encodeRecord(RecordType.sender, 'a@b')),
  big: join(encodeRecord(RecordType.normalText, 'q'.repeat(70000)), encodeRecord(RecordType.end, '')),
};
const sources: Record<string, (b: Uint8Array) => any> = {
  settled: (b) => ({ read: (l: number, p: number) => Promise.resolve(b.slice(Math.min(p, b.length), Math.min(p + l, b.length))) }),
  asyncWrap: (b) => ({ async read(l: number, p: number) { try { return await Promise.resolve(b.slice(Math.min(p, b.length), Math.min(p + l, b.length))); } catch { return new Uint8Array(0); } } }),
};
  for (const [sourceName, make] of Object.entries(sources)) for (const [name, bytes] of Object.entries(cases)) for (const transparent of [true, false]) for (const borrow of [true, false]) {
  const reader = new RecordReader(make(bytes), { path: 'p', transparent, borrowPayloads: borrow, recordLengthMax: name === 'big' ? 0 : 0 });
  const results: string[] = [];
  for (let index = 0; index < 3; index++) results.push(await turnsUntil(reader.next()));
  const raw = new RecordReader(make(bytes), { path: 'p', transparent, borrowPayloads: borrow });
  results.push('raw ' + await turnsUntil(raw.nextRaw()));
  lines.push([sourceName, name, transparent, borrow, results.join(' | ')].join(' '));
}
  assert.deepEqual(lines, EXPECTED);
});
