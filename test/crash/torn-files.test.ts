// Torn queue files: the sim disk drops a file's unsynced content whole, so a crash there
// never leaves half a queue file; a real disk without ordering guarantees can. This test
// puts such files where a crash would leave them -- a complete queue file cut at every
// STEP-th byte, and a few files of garbage, each marked ready (owner rwx) in active/,
// incoming/ or deferred/ -- then boots the host and runs it: it must start, deliver nothing
// from a cut file, move each one to corrupt/ with "saving corrupt file" in the maillog, log
// no fatal or panic, and still deliver a sound message sent afterwards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Volume } from 'memfs';
import { DEFAULT_MAIN_CF } from '../pipeline/harness.ts';
import { bootHost, installHost, queueIds, readVolumeFile, MAILLOG, QUEUE_DIRECTORY, REBOOT_MS } from './crash-host.ts';
import { queuePathOf, DEFAULT_QUEUE_HASHING } from '../../engine/global/queue/queue-id.ts';

/** Every STEP-th cut length is tried (1: every byte). */
const STEP = Math.max(1, Number.parseInt(process.env.TORN_STEP ?? '7', 10) || 7);
const QUEUES = ['active', 'incoming', 'deferred'] as const;
const RUN_AFTER_MS = 20 * 60 * 1000;
const TOKEN = 'token-torn';

/** A complete queue file, written by a real submission and kept in hold/ by a HOLD action. */
async function completeQueueFile(): Promise<{ id: string; bytes: Uint8Array }> {
  const { volume, nowMs } = await installHost({
    mainCf: `${DEFAULT_MAIN_CF}header_checks = regexp:/etc/postfix/header_checks\n`,
    files: { '/etc/postfix/header_checks': '/^Subject: token-torn/ HOLD\n' },
  });
  const boot = await bootHost(volume, nowMs, 0);
  const result = await boot.command(['sendmail', 'alice'], { stdin: `Subject: ${TOKEN}\n\nheld whole\n`, user: 'bob' });
  assert.equal(result.exitCode, 0, result.stderr);
  await boot.run();
  const [id] = queueIds(volume, 'hold');
  assert.ok(id !== undefined, 'the message is held');
  const bytes = volume.readFileSync(`${QUEUE_DIRECTORY}/hold/${id}`) as Uint8Array;
  await boot.runtime?.stop();
  return { id, bytes: new Uint8Array(bytes) };
}

function placeFile(volume: Volume, queueName: string, id: string, bytes: Uint8Array): void {
  const path = `${QUEUE_DIRECTORY}/${queuePathOf(queueName, id, DEFAULT_QUEUE_HASHING)}`;
  volume.mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  volume.writeFileSync(path, bytes, { mode: 0o700 });
  volume.chmodSync(path, 0o700);
}

function mailboxCount(volume: Volume, token: string): number {
  return (readVolumeFile(volume, '/var/mail/alice') ?? '').split(`\nSubject: ${token}\n`).length - 1;
}

/** Boots a fresh host with `bytes` left as queue file `id` in `queueName`; returns problems. */
async function bootWithFile(queueName: string, id: string, bytes: Uint8Array, complete: boolean): Promise<string[]> {
  const { volume, nowMs } = await installHost({});
  volume.mkdirSync(`${QUEUE_DIRECTORY}`, { recursive: true });
  placeFile(volume, queueName, id, bytes);
  const boot = await bootHost(volume, nowMs + REBOOT_MS, 1);
  const problems: string[] = [];
  if (boot.runtime === undefined) return [`start failed: ${String(boot.startError)}`];
  await boot.run();
  if (queueName === 'deferred') {
    assert.equal((await boot.command(['postqueue', '-f'])).exitCode, 0);
  }
  await boot.run({ forMs: RUN_AFTER_MS });
  const sound = await boot.command(['sendmail', 'alice'], { stdin: 'Subject: token-after\n\nsound\n', user: 'bob' });
  if (sound.exitCode !== 0) problems.push(`sendmail afterwards: ${sound.stderr.trim()}`);
  await boot.run();
  await boot.runtime.stop();
  const log = (readVolumeFile(volume, MAILLOG) ?? '').split('\n');
  for (const line of log) if (/: (fatal|panic): /.test(line)) problems.push(`logged: ${line}`);
  if (mailboxCount(volume, 'token-after') !== 1) problems.push('the sound message afterwards was not delivered once');
  const delivered = mailboxCount(volume, TOKEN);
  if (complete) {
    if (delivered !== 1) problems.push(`the complete file was delivered ${delivered} times`);
  } else {
    if (delivered !== 0) problems.push(`a cut file was delivered ${delivered} times`);
    if (!queueIds(volume, 'corrupt').includes(id)) problems.push(`not in corrupt/ (queues: ${QUEUES.map((name) => `${name}=${queueIds(volume, name).join(',')}`).join(' ')})`);
    if (!log.some((line) => line.includes(`warning: saving corrupt file "${id}" from queue "active" to queue "corrupt"`))) {
      problems.push('no "saving corrupt file" warning');
    }
  }
  for (const name of QUEUES) {
    if (queueIds(volume, name).length > 0) problems.push(`${name}/ not empty: ${queueIds(volume, name).join(' ')}`);
  }
  return problems;
}

test('a queue file cut anywhere goes to corrupt/ with a warning; the host runs on', { timeout: 600_000 }, async () => {
  const { id, bytes } = await completeQueueFile();
  const failures: string[] = [];
  let tried = 0;
  for (let length = 0; length < bytes.length; length += STEP) {
    const queueName = QUEUES[tried % QUEUES.length]!;
    tried++;
    const problems = await bootWithFile(queueName, id, bytes.subarray(0, length), false);
    if (problems.length > 0) failures.push(`${length}/${bytes.length} bytes in ${queueName}/: ${problems.join('; ')}`);
  }
  const whole = await bootWithFile('active', id, bytes, true);
  if (whole.length > 0) failures.push(`whole file in active/: ${whole.join('; ')}`);
  console.log(`torn queue files: ${tried} cuts of a ${bytes.length}-byte file tried, ${failures.length} failed`);
  assert.deepEqual(failures, []);
});

test('garbage named like a queue file goes to corrupt/', async () => {
  const { id } = await completeQueueFile();
  const garbage = [
    new TextEncoder().encode('not a queue file at all\n'),
    new Uint8Array(300).map((_, index) => (index * 37 + 11) % 256),
    new Uint8Array([0x43, 0xff, 0xff, 0xff, 0xff, 0x7f]),
  ];
  const failures: string[] = [];
  for (const [index, bytes] of garbage.entries()) {
    const problems = await bootWithFile(QUEUES[index % QUEUES.length]!, id, bytes, false);
    if (problems.length > 0) failures.push(`garbage ${index}: ${problems.join('; ')}`);
  }
  assert.deepEqual(failures, []);
});
