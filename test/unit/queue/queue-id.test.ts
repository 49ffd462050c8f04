// Queue ids and hashed directories against the facts in reference/postfix-3.7/queue-ids.md
// and the queue-layout-*.txt listings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  shortQueueId, longQueueId, parseQueueId, isQueueIdSyntaxOk, hashSource, queuePathOf, queueDirectoryOf,
  directoryForest, LONG_ID_ALPHABET,
} from '../../../engine/global/queue/queue-id.ts';

test('short ids decode to microseconds and inode as queue-ids.md says', () => {
  assert.deepEqual(parseQueueId('7E111168207'), { form: 'short', microseconds: 516369, inode: 1475079 });
  assert.deepEqual(parseQueueId('CC0CD1680FD'), { form: 'short', microseconds: 835789, inode: 1474813 });
  assert.equal(shortQueueId(516369, 1475079), '7E111168207');
  assert.equal(shortQueueId(835789, 1474813), 'CC0CD1680FD');
  assert.equal(shortQueueId(5, 0x1a), '000051A');
});

test('long ids decode to seconds, microseconds and inode', () => {
  assert.deepEqual(parseQueueId('4jXPLJ590KzC6C7'), { form: 'long', seconds: 1795340680, microseconds: 727393, inode: 1475335 });
  assert.equal(parseQueueId('4jXPLJ5FRMzC6C9')?.inode, 1475337);
  assert.equal(parseQueueId('4jXPLJ5NWdzC6CB')?.inode, 1475338);
  assert.equal(longQueueId(1795340680, 727393, 1475335), '4jXPLJ590KzC6C7');
  assert.equal(LONG_ID_ALPHABET.length, 52);
  assert.ok(!/[AEIOUaeiou]/.test(LONG_ID_ALPHABET));
});

test('the long form never has a z in its inode part and pads its time fields', () => {
  for (let inode = 0; inode < 5000; inode += 37) {
    const id = longQueueId(0, 0, inode);
    assert.equal(id.indexOf('z'), 10, id);
    assert.deepEqual(parseQueueId(id), { form: 'long', seconds: 0, microseconds: 0, inode });
  }
  assert.equal(longQueueId(0, 0, 0), '0000000000z0');
});

test('ids round-trip in both forms', () => {
  const samples = [[0, 0, 1], [1795340680, 999999, 2 ** 40], [1234567890, 1, 0xfffff]] as const;
  for (const [seconds, microseconds, inode] of samples) {
    assert.deepEqual(parseQueueId(longQueueId(seconds, microseconds, inode)), { form: 'long', seconds, microseconds, inode });
    assert.deepEqual(parseQueueId(shortQueueId(microseconds, inode)), { form: 'short', microseconds, inode });
  }
  assert.throws(() => shortQueueId(1_000_000, 1), RangeError);
});

test('id syntax is mail_queue_id_ok: letters, digits and underscore', () => {
  assert.ok(isQueueIdSyntaxOk('ABCDEF12345'));
  assert.ok(isQueueIdSyntaxOk('example_com'));
  assert.ok(!isQueueIdSyntaxOk(''));
  assert.ok(!isQueueIdSyntaxOk('bad-id'));
  assert.ok(!isQueueIdSyntaxOk('../etc'));
  assert.ok(!isQueueIdSyntaxOk('x'.repeat(256)));
  assert.equal(parseQueueId('example_com'), undefined);
  assert.equal(parseQueueId('ghijk12'), undefined);
});

test('hashed directories follow the microseconds, for both forms', () => {
  assert.equal(queuePathOf('deferred', '7E111168207'), 'deferred/7/7E111168207');
  assert.equal(queuePathOf('defer', '7E111168207'), 'defer/7/7E111168207');
  assert.equal(queuePathOf('hold', '8400D168303'), 'hold/8400D168303');
  assert.equal(queuePathOf('incoming', '8ADE9168305'), 'incoming/8ADE9168305');
  assert.equal(hashSource('4jXPLJ590KzC6C7'), 'B1961');
  assert.equal(queuePathOf('deferred', '4jXPLJ590KzC6C7'), 'deferred/B/4jXPLJ590KzC6C7');
  const depthTwo = { hashQueueNames: ['deferred', 'defer'], hashQueueDepth: 2 };
  assert.equal(queuePathOf('deferred', 'E265F168206', depthTwo), 'deferred/E/2/E265F168206');
  assert.equal(queuePathOf('defer', 'E517D168200', depthTwo), 'defer/E/5/E517D168200');
});

test('hash_queue_names compares case-insensitively and may name any queue', () => {
  const hashing = { hashQueueNames: ['INCOMING', 'Hold'], hashQueueDepth: 1 };
  assert.equal(queueDirectoryOf('incoming', 'A0107168038', hashing), 'incoming/A/');
  assert.equal(queueDirectoryOf('hold', 'A0107168038', hashing), 'hold/A/');
  assert.equal(queueDirectoryOf('deferred', 'A0107168038', hashing), 'deferred/');
  assert.equal(directoryForest('AB', 3), 'A/B/_/');
  assert.throws(() => queueDirectoryOf('../x', 'A0107168038'), RangeError);
});
