// queueFilePath keeps the paths it made per queue and queue name: they must be what
// queuePathOf gives for every id and queue, follow a queue whose directory or hashing
// settings are replaced, stay bounded, and still throw for a bad queue name or id.
// Runs with node:test through test/run.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mailQueue, queueFilePath } from '../../../engine/global/queue/mail-queue.ts';
import { queuePathOf, shortQueueId, longQueueId } from '../../../engine/global/queue/queue-id.ts';
import type { FileSystem } from '../../../engine/platform/types.ts';

const fs = {} as FileSystem;

test('queueFilePath answers queue_directory/queuePathOf, kept or not', () => {
  const queue = mailQueue(fs, '/var/spool/postfix/');
  const names = ['incoming', 'active', 'deferred', 'defer', 'bounce', 'hold'];
  for (let round = 0; round < 2; round++) {
    for (let index = 0; index < 6000; index++) {
      const id = index % 2 === 0 ? shortQueueId(index * 97 % 1_000_000, index + 1) : longQueueId(1_700_000_000 + index, index % 1_000_000, index);
      const name = names[index % names.length]!;
      assert.equal(queueFilePath(queue, name, id), `/var/spool/postfix/${queuePathOf(name, id, queue.hashing)}`);
    }
  }
});

test('a queue whose directory or hashing changes gets paths made for them', () => {
  const queue = mailQueue(fs, '/q');
  assert.equal(queueFilePath(queue, 'deferred', 'ABCDE12'), '/q/deferred/A/ABCDE12');
  queue.hashing = { hashQueueNames: ['deferred', 'incoming'], hashQueueDepth: 2 };
  assert.equal(queueFilePath(queue, 'deferred', 'ABCDE12'), '/q/deferred/A/B/ABCDE12');
  assert.equal(queueFilePath(queue, 'incoming', 'ABCDE12'), '/q/incoming/A/B/ABCDE12');
  queue.queueDirectory = '/other';
  assert.equal(queueFilePath(queue, 'deferred', 'ABCDE12'), '/other/deferred/A/B/ABCDE12');
});

test('bad queue names and ids still throw', () => {
  const queue = mailQueue(fs, '/q');
  assert.throws(() => queueFilePath(queue, 'bad/name', 'ABCDE12'), RangeError);
  assert.throws(() => queueFilePath(queue, 'deferred', '../etc'), RangeError);
  assert.throws(() => queueFilePath(queue, 'deferred', ''), RangeError);
});
