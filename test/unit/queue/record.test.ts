// Record encoding and the bounded decoder: lengths in 7-bit groups, truncated and corrupt
// input with Postfix's warning texts, pointer and padding transparency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RecordReader, RecordError, RecordType, encodeRecord, bytesSource, pointerPayload, recordTypeName,
} from '../../../engine/global/queue/record.ts';

function concat(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

async function readAll(bytes: Uint8Array, options: { transparent?: boolean; recordLengthMax?: number } = {}) {
  const reader = new RecordReader(bytesSource(bytes), { path: 'queue/FILE', ...options });
  const records = [];
  for (let count = 0; count < 1000; count++) {
    const record = await reader.next();
    if (record === null) return records;
    records.push(record);
  }
  throw new Error('runaway');
}

async function rejection(bytes: Uint8Array, options: { recordLengthMax?: number } = {}): Promise<RecordError> {
  try {
    await readAll(bytes, options);
  } catch (error) {
    assert.ok(error instanceof RecordError, String(error));
    return error;
  }
  assert.fail('expected a RecordError');
}

test('lengths are base-128 little-endian with a continuation bit', () => {
  assert.deepEqual([...encodeRecord(RecordType.normalText, '')], [0x4e, 0x00]);
  assert.deepEqual([...encodeRecord(RecordType.normalText, 'x'.repeat(127)).subarray(0, 2)], [0x4e, 127]);
  assert.deepEqual([...encodeRecord(RecordType.normalText, 'x'.repeat(128)).subarray(0, 3)], [0x4e, 0x80, 0x01]);
  assert.deepEqual([...encodeRecord(RecordType.normalText, 'x'.repeat(300)).subarray(0, 3)], [0x4e, 0xac, 0x02]);
  assert.deepEqual([...encodeRecord(RecordType.normalText, 'x'.repeat(16384)).subarray(0, 4)], [0x4e, 0x80, 0x80, 0x01]);
  assert.throws(() => encodeRecord(256, ''), RangeError);
});

test('records round-trip through the decoder with their offsets', async () => {
  const lengths = [0, 1, 127, 128, 2048, 16383, 16384, 70000];
  const parts = lengths.map((length, index) => encodeRecord(index % 2 ? RecordType.normalText : RecordType.continuedText, new Uint8Array(length).fill(0x61 + index)));
  const records = await readAll(concat(...parts));
  assert.equal(records.length, lengths.length);
  let offset = 0;
  records.forEach((record, index) => {
    assert.equal(record.payload.length, lengths[index]);
    assert.equal(record.offset, offset);
    assert.ok(record.payload.every((byte) => byte === 0x61 + index));
    offset += parts[index]!.length;
  });
});

test('bytes pass unchanged, NUL and 8-bit included', async () => {
  const payload = new Uint8Array([0, 0xff, 0x0d, 0x0a, 0xc3, 0xa9]);
  const [record] = await readAll(encodeRecord(RecordType.normalText, payload));
  assert.deepEqual([...record!.payload], [...payload]);
});

test('a file cut inside the length says so', async () => {
  const error = await rejection(new Uint8Array([0x4e, 0x80]));
  assert.equal(error.kind, 'truncated-length');
  assert.equal(error.message, 'queue/FILE: unexpected EOF reading length, record type 78');
});

test('a file cut inside the data says so', async () => {
  const whole = concat(encodeRecord(RecordType.sender, 'alice@example.com'), encodeRecord(RecordType.recipient, 'friend@other.test'));
  const error = await rejection(whole.subarray(0, whole.length - 3));
  assert.equal(error.kind, 'truncated-data');
  assert.equal(error.message, 'queue/FILE: unexpected EOF in data, record type 82 length 17');
  assert.equal(error.offset, 19);
});

test('too many length bytes and over-long records are corrupt', async () => {
  const bits = await rejection(new Uint8Array([0x4e, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
  assert.equal(bits.kind, 'too-many-length-bits');
  assert.equal(bits.message, 'queue/FILE: too many length bits, record type 78');
  const negative = await rejection(new Uint8Array([0x4e, 0x80, 0x80, 0x80, 0x80, 0x0f]));
  assert.equal(negative.kind, 'illegal-length');
  const long = await rejection(encodeRecord(RecordType.normalText, 'x'.repeat(100)), { recordLengthMax: 99 });
  assert.equal(long.message, 'queue/FILE: illegal length 100, record type 78');
});

test('a huge declared length does not allocate beyond the data', async () => {
  const error = await rejection(new Uint8Array([0x4e, 0xff, 0xff, 0xff, 0xff, 0x07, 0x41]));
  assert.equal(error.kind, 'truncated-data');
});

test('transparent reading follows pointers, skips padding and stops at the end record', async () => {
  const head = concat(encodeRecord(RecordType.sender, 'a'), encodeRecord(RecordType.pointer, pointerPayload(0)));
  const jumpFrom = head.length;
  const pointer = encodeRecord(RecordType.pointer, pointerPayload(0));
  const afterPointer = encodeRecord(RecordType.recipient, 'skipped');
  const end = encodeRecord(RecordType.end, '');
  const heapStart = jumpFrom + pointer.length + afterPointer.length + end.length;
  const heap = concat(encodeRecord(RecordType.padding, '0000'), encodeRecord(RecordType.recipient, 'moved'));
  const back = encodeRecord(RecordType.pointer, pointerPayload(jumpFrom + pointer.length + afterPointer.length));
  const realPointer = encodeRecord(RecordType.pointer, pointerPayload(heapStart));
  const file = concat(head, realPointer, afterPointer, end, heap, back, encodeRecord(RecordType.normalText, 'after end'));
  const types = (await readAll(file)).map((record) => String.fromCharCode(record.type));
  assert.deepEqual(types, ['S', 'R', 'E']);
  const raw = (await readAll(file, { transparent: false })).map((record) => String.fromCharCode(record.type));
  assert.deepEqual(raw, ['S', 'p', 'p', 'R', 'E', 'w', 'R', 'p', 'N']);
});

test('a malformed pointer and a pointer loop are errors, not hangs', async () => {
  const bad = await rejection(encodeRecord(RecordType.pointer, '12x'));
  assert.equal(bad.message, 'queue/FILE: malformed pointer record value: 12x');
  const selfLoop = concat(encodeRecord(RecordType.sender, 'x'), encodeRecord(RecordType.pointer, pointerPayload(3)));
  const error = await rejection(selfLoop);
  assert.equal(error.message, 'queue/FILE: too many reverse jump records');
});

test('record type names are postcat\'s', () => {
  assert.equal(recordTypeName(RecordType.size), 'message_size');
  assert.equal(recordTypeName(RecordType.continuedText), 'content_filter');
  assert.equal(recordTypeName(RecordType.doneRecipient), 'done_recipient');
  assert.equal(recordTypeName(RecordType.dsnOriginalRecipient), 'dsn_original_recipient');
  assert.equal(recordTypeName(0x21), 'unknown_record_type');
});

test('RecordBuffer.putLatin1 writes the bytes put() writes for latin1Bytes of the same text', async () => {
  const { RecordBuffer } = await import('../../../engine/global/queue/record.ts');
  const { latin1Bytes } = await import('../../../engine/global/queue/record-text.ts');
  // Deterministic texts: empty, short, 127/128/16383/16384 characters (length byte
  // boundaries), characters above 0xff (their low 8 bits), at every start/end split.
  const texts = ['', 'a', 'Subject: t\u00e9st', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(16383), 'w'.repeat(16384), 'caf\u00e9 \u20ac \u0100\u01ff'];
  for (const text of texts) {
    const cuts = text.length > 200 ? [[0, text.length], [1, text.length - 1], [0, 128]] : [[0, text.length], [0, Math.floor(text.length / 2)], [Math.floor(text.length / 2), text.length]];
    for (const [start, end] of cuts as Array<[number, number]>) {
      const viaBytes = new RecordBuffer(16);
      viaBytes.put(0x4e, latin1Bytes(text.slice(start, end)));
      viaBytes.put(0x4c, latin1Bytes(text));
      const viaText = new RecordBuffer(16);
      viaText.putLatin1(0x4e, text, start, end);
      viaText.putLatin1(0x4c, text, 0, text.length);
      assert.deepEqual(viaText.take(), viaBytes.take(), `${text.slice(0, 20)} ${start}-${end}`);
    }
  }
});
