// The sim disk's crash model for files that grow by appends (a mailbox, the maillog): the
// durable state is kept as a length while every change is past it, and as a copy once a
// change reaches inside it; either way a crash gives back exactly the synced content.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function syncedFile(text: string) {
  const { fs } = createSimPlatform({ hostName: 'a', seed: 1 });
  const handle = await fs.open('/f', 'wx');
  await handle.write(encoder.encode(text));
  await handle.sync();
  await handle.close();
  return fs;
}

test('appends after the last sync are dropped by a crash; synced appends stay', async () => {
  const fs = await syncedFile('A');
  const first = await fs.open('/f', 'a');
  await first.write(encoder.encode('B'));
  await first.sync();
  await first.close();
  const second = await fs.open('/f', 'a');
  await second.write(encoder.encode('C'));
  await second.close();
  await fs.appendFile('/f', 'D');
  assert.equal(decoder.decode(await fs.readFile('/f')), 'ABCD');
  assert.deepEqual(fs.faults.unsyncedPaths(), ['/f']);
  assert.deepEqual(fs.faults.crash(), ['/f']);
  assert.equal(decoder.decode(await fs.readFile('/f')), 'AB');
});

test('a write inside the durable bytes after an append: the crash restores the synced text', async () => {
  const fs = await syncedFile('hello world');
  const appender = await fs.open('/f', 'a');
  await appender.write(encoder.encode('!'));
  await appender.close();
  const writer = await fs.open('/f', 'r+');
  await writer.write(encoder.encode('J'), 0);
  await writer.write(encoder.encode('?'), 11);
  await writer.close();
  assert.equal(decoder.decode(await fs.readFile('/f')), 'Jello world?');
  fs.faults.crash();
  assert.equal(decoder.decode(await fs.readFile('/f')), 'hello world');
});

test('a truncate into the durable bytes or a rewrite after an append: the crash restores them', async () => {
  const shrunk = await syncedFile('12345');
  await shrunk.appendFile('/f', 'x');
  const handle = await shrunk.open('/f', 'r+');
  await handle.truncate(2);
  await handle.close();
  assert.equal(decoder.decode(await shrunk.readFile('/f')), '12');
  shrunk.faults.crash();
  assert.equal(decoder.decode(await shrunk.readFile('/f')), '12345');

  const rewritten = await syncedFile('abc');
  await rewritten.appendFile('/f', 'd');
  await rewritten.writeFile('/f', 'zz');
  rewritten.faults.crash();
  assert.equal(decoder.decode(await rewritten.readFile('/f')), 'abc');

  const emptied = await syncedFile('keep');
  await emptied.appendFile('/f', 'more');
  const truncating = await emptied.open('/f', 'w');
  await truncating.write(encoder.encode('new'));
  await truncating.close();
  emptied.faults.crash();
  assert.equal(decoder.decode(await emptied.readFile('/f')), 'keep');
});

test('a read past the end of a file gives no bytes; a read asks no more than the file holds', async () => {
  const fs = await syncedFile('0123456789');
  const handle = await fs.open('/f', 'r');
  assert.equal(decoder.decode(await handle.read(64 * 1024, 4)), '456789');
  assert.equal((await handle.read(64 * 1024, 10)).length, 0);
  assert.equal((await handle.read(64 * 1024, 99)).length, 0);
  assert.equal(decoder.decode(await handle.read(3)), '012');
  assert.equal(decoder.decode(await handle.read(100)), '3456789');
  await handle.close();
});
