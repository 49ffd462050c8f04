// Writing a queue file the way cleanup does, reading it back, marking recipients done,
// and refusing truncated files; on the sim platform's memfs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform, Scheduler } from '../../../engine/platform/sim/index.ts';
import {
  readQueueFile, readContent, markRecipientDone, writeQueueFile, commitQueueFile, splitContentLines, QueueFileError,
} from '../../../engine/global/queue/queue-file.ts';
import { RecordError, bytesSource } from '../../../engine/global/queue/record.ts';
import {
  mailQueue, enterQueueFile, findQueueFile, renameQueueFile, QUEUE_FILE_MODE_READY,
} from '../../../engine/global/queue/mail-queue.ts';
import { parseQueueId } from '../../../engine/global/queue/queue-id.ts';
import { referenceMessages, writeFixture, REFERENCE_SECONDS } from './fixtures.ts';

const SPOOL = '/var/spool/postfix';

async function simQueue(startMs = REFERENCE_SECONDS * 1000) {
  const platform = createSimPlatform({ hostName: 'mail', seed: 7, scheduler: new Scheduler({ startMs }) });
  for (const name of ['incoming', 'active', 'deferred', 'hold', 'maildrop']) await platform.fs.mkdir(`${SPOOL}/${name}`, { recursive: true });
  return { platform, queue: mailQueue(platform.fs, SPOOL) };
}

const deferred = referenceMessages[0]!;

test('the writer reproduces the layout of the real deferred queue file (offsets from postcat -o)', async () => {
  const { platform } = await simQueue();
  const path = `${SPOOL}/deferred/7E5F61681FF`;
  await writeFixture(platform.fs, path, deferred.input);
  const bytes = await platform.fs.readFile(path);
  const file = await readQueueFile(bytesSource(bytes), path);
  assert.deepEqual(file.size, { contentSize: 439, dataOffset: 764, recipientCount: 2, qmgrFlags: 0, contentLength: 439, smtputf8: 0 });
  assert.deepEqual(file.recipients.map((recipient) => recipient.offset), [662, 742]);
  assert.equal(file.extractedOffset, 1203);
  assert.equal(bytes.length, 1207);
  assert.equal(file.complete, true);
  assert.equal(file.sender, 'carol@example.com');
  assert.deepEqual(file.arrivalTime, { seconds: REFERENCE_SECONDS, microseconds: 516000 });
  assert.equal(file.createTimeSeconds, REFERENCE_SECONDS);
  assert.equal(file.attributes.find((attribute) => attribute.name === 'log_client_port')?.value, '57268');
  assert.deepEqual(file.recipients[1], {
    address: 'friend2@other.test', originalRecipient: 'friend2@other.test', dsnOriginalRecipient: 'rfc822;friend2@other.test',
    status: 'todo', offset: 742, segment: 'envelope',
  });
  assert.equal((await platform.fs.stat(path)).mode & 0o777, QUEUE_FILE_MODE_READY);
});

test('content comes back as written, long lines split into continued records', async () => {
  const { platform, queue } = await simQueue();
  const entered = await enterQueueFile(queue, { queueName: 'incoming', clock: platform.clock, random: platform.random, pid: 100, longQueueIds: false });
  const text = `Subject: long\n\n${'y'.repeat(5000)}\nlast line without newline`;
  const layout = await writeQueueFile(entered.handle, {
    arrivalTime: entered.time, createTimeSeconds: entered.time.seconds,
    envelope: [{ kind: 'sender', address: '' }],
    recipients: [{ address: 'bob@example.com', dsnNotify: 8 }, { address: 'carol@example.com', originalRecipient: 'carol' }],
    contentLines: splitContentLines(new TextEncoder().encode(text)),
    extracted: [{ kind: 'attribute', name: 'encoding', value: '7bit' }],
    warningTimeSeconds: entered.time.seconds + 14400,
  });
  await commitQueueFile(platform.fs, entered.path, entered.handle);
  await entered.handle.close();
  assert.equal(layout.size.qmgrFlags, 8 << 1);
  const source = bytesSource(await platform.fs.readFile(entered.path));
  const file = await readQueueFile(source, entered.path);
  assert.equal(file.complete, true);
  assert.equal(file.sender, '');
  assert.equal(file.warningTime?.seconds, entered.time.seconds + 14400);
  assert.deepEqual(file.recipients.map((recipient) => [recipient.address, recipient.originalRecipient, recipient.dsnNotify]),
    [['bob@example.com', 'bob@example.com', 8], ['carol@example.com', 'carol', undefined]]);
  assert.ok(file.attributes.some((attribute) => attribute.name === 'encoding' && attribute.value === '7bit'));
  assert.equal(new TextDecoder().decode(await readContent(source, file)), `${text}\n`);
});

test('enterQueueFile names the file after the clock and its inode, under a hashed directory', async () => {
  const { platform, queue } = await simQueue(REFERENCE_SECONDS * 1000 + 123);
  const short = await enterQueueFile(queue, { queueName: 'deferred', clock: platform.clock, random: platform.random, pid: 9, longQueueIds: false });
  const inode = (await platform.fs.stat(short.path)).ino;
  const parts = parseQueueId(short.id);
  assert.equal(parts?.inode, inode);
  assert.ok(parts!.microseconds >= 123000 && parts!.microseconds < 124000);
  assert.equal(short.relativePath, `deferred/${short.id[0]}/${short.id}`);
  const long = await enterQueueFile(queue, { queueName: 'incoming', clock: platform.clock, random: platform.random, pid: 9, longQueueIds: true });
  assert.equal(parseQueueId(long.id)?.seconds, REFERENCE_SECONDS);
  assert.equal(long.relativePath, `incoming/${long.id}`);
  assert.deepEqual((await platform.fs.readdir(`${SPOOL}/incoming`)), [long.id]);
  await short.handle.close();
  await long.handle.close();
  await renameQueueFile(queue, long.id, 'incoming', 'deferred');
  const found = await findQueueFile(queue, long.id);
  assert.equal(found.queueName, 'deferred');
  await found.handle.close();
  await assert.rejects(findQueueFile(queue, 'ABCDEF12345'), { code: 'ENOENT' });
});

test('marking a recipient done rewrites one byte in place', async () => {
  const { platform } = await simQueue();
  const path = `${SPOOL}/active/6DDE51682F3`;
  await writeFixture(platform.fs, path, referenceMessages[1]!.input);
  const before = await platform.fs.readFile(path);
  const file = await readQueueFile(bytesSource(before), path);
  const handle = await platform.fs.open(path, 'r+');
  await markRecipientDone(handle, file.recipients[0]!.offset);
  await markRecipientDone(handle, file.recipients[0]!.offset);
  await assert.rejects(markRecipientDone(handle, 0), QueueFileError);
  await handle.close();
  const after = await platform.fs.readFile(path);
  const changed = [...after].flatMap((byte, index) => (byte === before[index] ? [] : [index]));
  assert.deepEqual(changed, [file.recipients[0]!.offset]);
  const reread = await readQueueFile(bytesSource(after), path);
  assert.deepEqual(reread.recipients.map((recipient) => recipient.status), ['done', 'todo']);
});

test('a file without its end record is incomplete; one cut inside a record is corrupt', async () => {
  const { platform } = await simQueue();
  const path = `${SPOOL}/hold/65E6116819D`;
  await writeFixture(platform.fs, path, referenceMessages[2]!.input);
  const bytes = await platform.fs.readFile(path);
  const withoutEnd = await readQueueFile(bytesSource(bytes.subarray(0, bytes.length - 2)), path);
  assert.equal(withoutEnd.complete, false);
  const cutContent = await readQueueFile(bytesSource(bytes.subarray(0, 300)), path);
  assert.equal(cutContent.complete, false);
  await assert.rejects(readQueueFile(bytesSource(bytes.subarray(0, 180)), path), (error: unknown) =>
    error instanceof RecordError && error.kind === 'truncated-data' && error.message.startsWith(`${path}: unexpected EOF in data`));
});

test('a bad record type inside the content is reported', async () => {
  const { platform } = await simQueue();
  const path = `${SPOOL}/hold/65E6116819D`;
  await writeFixture(platform.fs, path, referenceMessages[2]!.input);
  const bytes = await platform.fs.readFile(path);
  const file = await readQueueFile(bytesSource(bytes), path);
  const damaged = bytes.slice();
  damaged[file.contentOffset!] = 0x52;
  const broken = await readQueueFile(bytesSource(damaged), path);
  await assert.rejects(readContent(bytesSource(damaged), broken), QueueFileError);
});

test('a large message is written in 64 KB writes at consecutive offsets, byte lines and latin1 text lines alike', async () => {
  // Deterministic content: 3,000 lines of 0-299 bytes plus a few longer than
  // line_length_limit, so the records cross several 64 KB write boundaries.
  const textLines: string[] = [];
  for (let index = 0; index < 3000; index++) textLines.push(String.fromCharCode(0x41 + (index % 26), 0xe9).repeat(index % 150));
  textLines.push('L'.repeat(5000), 'M'.repeat(2048), 'N'.repeat(2049), '');
  const byteLines = textLines.map((line) => Uint8Array.from(line, (character) => character.charCodeAt(0)));
  const record = async (contentLines: ReadonlyArray<string | Uint8Array>) => {
    const writes: Array<{ offset: number; length: number }> = [];
    let bytes = new Uint8Array(0);
    const handle = {
      async write(data: Uint8Array, offset: number) {
        writes.push({ offset, length: data.length });
        if (offset + data.length > bytes.length) { const grown = new Uint8Array(offset + data.length); grown.set(bytes); bytes = grown; }
        bytes.set(data, offset);
        return data.length;
      },
    };
    const layout = await writeQueueFile(handle as never, {
      arrivalTime: { seconds: 1704067200, microseconds: 5 }, createTimeSeconds: 1704067200,
      envelope: [{ kind: 'sender', address: 'alice@example.test' }], recipients: [{ address: 'bob@example.test' }],
      contentLines, lineLengthLimit: 2048,
    });
    return { writes, bytes, layout };
  };
  const fromBytes = await record(byteLines);
  const fromText = await record(textLines);
  assert.deepEqual(fromText.bytes, fromBytes.bytes);
  assert.deepEqual(fromText.writes, fromBytes.writes);
  assert.deepEqual(fromText.layout, fromBytes.layout);
  // Every write but the last of the records is at least 64 KB and starts where the previous
  // ended; then the size record is rewritten at 0.
  const { writes, bytes, layout } = fromBytes;
  assert.ok(writes.length >= 5, `${writes.length} writes`);
  let next = 0;
  for (const [index, write] of writes.slice(0, -1).entries()) {
    assert.equal(write.offset, next);
    if (index < writes.length - 2) assert.ok(write.length >= 64 * 1024, `write ${index}: ${write.length}`);
    next += write.length;
  }
  assert.equal(next, layout.length);
  assert.deepEqual(writes.at(-1)?.offset, 0);
  const file = await readQueueFile(bytesSource(bytes), 'large');
  assert.equal(file.complete, true);
  const content = await readContent(bytesSource(bytes), file);
  const expected = byteLines.reduce((total, line) => total + line.length + 1, 0);
  assert.equal(content.length, expected);
});
