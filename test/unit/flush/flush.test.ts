// The fast flush core (engine/flush/api.ts) and client (client.ts) on a sim file system:
// site names to logfile names, add/send_site/send_file with their statuses, duplicate and
// bad lines in a log, the queue files moved from deferred to incoming and made due now, the
// triggers to qmgr, and refresh/purge by fast_flush_refresh_time and fast_flush_purge_time
// on a virtual clock. Queue files are written as cleanup writes them (test/unit/qmgr/fakes).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform, Scheduler } from '../../../engine/platform/sim/index.ts';
import { mailQueue, queueFilePath, type MailQueue } from '../../../engine/global/queue/mail-queue.ts';
import { readQueueFile } from '../../../engine/global/queue/queue-file.ts';
import { openMatchList } from '../../../engine/global/address/index.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { createHost } from '../../../engine/global/host.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';
import { storedNextAttempt, storeNextAttempt } from '../../../engine/qmgr/retry-time.ts';
import { handleSource } from '../../../engine/qmgr/message.ts';
import { createFlushCore, sitePath, type FlushCore } from '../../../engine/flush/api.ts';
import { flushAdd, flushSendSite, type FlushClient } from '../../../engine/flush/client.ts';
import { messageInput, queueMessage, SPOOL, START_SECONDS } from '../qmgr/fakes.ts';

interface Bench {
  core: FlushCore;
  queue: MailQueue;
  scheduler: Scheduler;
  triggers: string[];
  warnings: string[];
  moved: string[];
}

async function bench(domains = 'example.test, [192.0.2.1]', settings = { refreshSeconds: 12 * 3600, purgeSeconds: 7 * 86400 }): Promise<Bench> {
  const scheduler = new Scheduler({ startMs: START_SECONDS * 1000 });
  const platform = createSimPlatform({ hostName: 'mail', seed: 5, scheduler });
  const queue = mailQueue(platform.fs, SPOOL);
  for (const name of ['incoming', 'deferred', 'flush']) await platform.fs.mkdir(`${SPOOL}/${name}`, { recursive: true });
  const host = createHost({ name: 'mail', platform, defaultConfigDirectory: '/etc/postfix' });
  const reporter = createReporter({ program: 'flush', host, pid: 1, stderr: new CapturedOutput() });
  const list = openMatchList({ parameterName: 'fast_flush_domains', value: domains, kind: 'domain', context: { fs: platform.fs, reporter, cwd: '/' } });
  const triggers: string[] = [];
  const warnings: string[] = [];
  const moved: string[] = [];
  const core = createFlushCore({
    queue: () => queue,
    clock: platform.clock,
    settings: () => settings,
    domains: () => list,
    scanIncoming: () => triggers.push('I'),
    unthrottle: () => triggers.push('F'),
    warn: (text) => warnings.push(text),
    trace: (detail) => { if (detail.kind === 'queue.moved') moved.push(`${detail.queueId}:${detail.from}->${detail.to}`); },
  });
  return { core, queue, scheduler, triggers, warnings, moved };
}

const text = async (queue: MailQueue, path: string): Promise<string> => new TextDecoder().decode(await queue.fs.readFile(path));

async function deferred(queue: MailQueue, id: string, dueSeconds: number): Promise<void> {
  await queueMessage({ queue }, 'deferred', id, messageInput({ recipients: [`user@example.test`] }));
  const path = queueFilePath(queue, 'deferred', id);
  const handle = await queue.fs.open(path, 'r+');
  await storeNextAttempt(handle, await readQueueFile(handleSource(handle), path), dueSeconds);
  await handle.close();
}

async function dueTime(queue: MailQueue, queueName: string, id: string): Promise<number | undefined> {
  const path = queueFilePath(queue, queueName, id);
  const handle = await queue.fs.open(path, 'r');
  try {
    return storedNextAttempt(await readQueueFile(handleSource(handle), path))?.seconds;
  } finally {
    await handle.close();
  }
}

test('site names become logfile names as flush_site_to_path() makes them', () => {
  assert.equal(sitePath('Example.TEST'), 'example_test');
  assert.equal(sitePath('[192.0.2.1]'), '_192_0_2_1_');
  assert.equal(sitePath('mail-gw.example.test'), 'mail_gw_example_test');
  assert.equal(sitePath('bücher.example'), 'xn__bcher_kva_example');
});

test('add appends the queue id for an eligible site; other sites are denied; a bad id is bad', async () => {
  const { core, queue } = await bench();
  assert.equal(await core.flushAdd('example.test', '4A1B2C3D'), 'ok');
  assert.equal(await core.flushAdd('EXAMPLE.test', '5B2C3D4E'), 'ok');
  assert.equal(await text(queue, `${SPOOL}/flush/example_test`), '4A1B2C3D\n5B2C3D4E\n');
  assert.equal(await text(queue, `${SPOOL}/flush/example_test.mtalab_time`), `${START_SECONDS}\n`);
  assert.equal(await core.flushAdd('[192.0.2.1]', '4A1B2C3D'), 'ok');
  assert.equal(await text(queue, `${SPOOL}/flush/_192_0_2_1_`), '4A1B2C3D\n');
  assert.equal(await core.flushAdd('other.test', '4A1B2C3D'), 'deny');
  assert.equal(await core.flushAdd('example.test', '../etc'), 'bad');
  assert.deepEqual(await queue.fs.readdir(`${SPOOL}/flush`), ['_192_0_2_1_', '_192_0_2_1_.mtalab_time', 'example_test', 'example_test.mtalab_time']);
});

test('send_site moves each listed deferred file to incoming once, due now, and tells qmgr', async () => {
  const { core, queue, triggers, warnings, moved, scheduler } = await bench();
  const later = START_SECONDS + 3600;
  await deferred(queue, '4A1B2C3D', later);
  await deferred(queue, '5B2C3D4E', later);
  for (const id of ['4A1B2C3D', '5B2C3D4E', '4A1B2C3D', '6C3D4E5F']) assert.equal(await core.flushAdd('example.test', id), 'ok');
  await queue.fs.appendFile(`${SPOOL}/flush/example_test`, 'not/an/id\n');
  await scheduler.runUntil(START_SECONDS * 1000 + 60_000);
  assert.equal(await core.flushSendSite('example.test'), 'ok');
  assert.deepEqual(triggers, ['F', 'I'], 'unthrottle before, one scan after');
  assert.deepEqual(moved, ['4A1B2C3D:deferred->incoming', '5B2C3D4E:deferred->incoming'], 'the duplicate and the vanished id move nothing');
  assert.deepEqual(warnings, ['bad queue id "not/an/id..." in fast flush logfile example_test']);
  assert.equal(await dueTime(queue, 'incoming', '4A1B2C3D'), START_SECONDS + 60, 'made due now');
  assert.equal(await text(queue, `${SPOOL}/flush/example_test`), '');
  assert.equal(await text(queue, `${SPOOL}/flush/example_test.mtalab_time`), `${START_SECONDS + 60}\n`);
  assert.equal(await core.flushSendSite('example.test'), 'ok');
  assert.deepEqual(triggers, ['F', 'I', 'F'], 'an empty log asks no scan');
  assert.equal(await core.flushSendSite('never.example.test'), 'deny');
  assert.equal(await core.flushSendSite('[192.0.2.1]'), 'ok', 'an eligible site without a log is ok');
});

test('send_file moves one message and tells qmgr; a file already in incoming counts, a missing one does not', async () => {
  const { core, queue, triggers } = await bench();
  await deferred(queue, '4A1B2C3D', START_SECONDS + 3600);
  assert.equal(await core.flushSendFile('4A1B2C3D'), 'ok');
  assert.deepEqual(await queue.fs.readdir(`${SPOOL}/incoming`), ['4A1B2C3D']);
  assert.equal(await core.flushSendFile('4A1B2C3D'), 'ok');
  assert.equal(await core.flushSendFile('7D4E5F60'), 'ok');
  assert.deepEqual(triggers, ['I', 'I']);
  assert.equal(await core.flushSendFile('../x'), 'bad');
});

test('refresh re-sends logs unread for fast_flush_refresh_time and purges empty ones after fast_flush_purge_time', async () => {
  const settings = { refreshSeconds: 3600, purgeSeconds: 86400 };
  const { core, queue, scheduler, triggers } = await bench('example.test, other.test', settings);
  await deferred(queue, '4A1B2C3D', START_SECONDS + 7200);
  await core.flushAdd('example.test', '4A1B2C3D');
  await core.flushAdd('other.test', '5B2C3D4E');
  await core.flushSendSite('other.test');
  triggers.length = 0;
  await core.refresh(settings.refreshSeconds);
  assert.deepEqual(triggers, [], 'nothing is old yet');
  await scheduler.runUntil((START_SECONDS + 3601) * 1000);
  await core.flushRefresh();
  await core.whenIdle();
  assert.deepEqual(triggers, ['I'], 'refresh sends without unthrottling');
  assert.deepEqual(await queue.fs.readdir(`${SPOOL}/incoming`), ['4A1B2C3D']);
  assert.equal(await text(queue, `${SPOOL}/flush/example_test`), '');
  assert.ok(await queue.fs.stat(`${SPOOL}/flush/other_test`), 'the empty log stays until the purge time');
  await scheduler.runUntil((START_SECONDS + 86400 + 2) * 1000);
  await core.refresh(settings.refreshSeconds);
  assert.deepEqual(await queue.fs.readdir(`${SPOOL}/flush`), ['example_test', 'example_test.mtalab_time'],
    'other.test was empty for a day: gone; example.test was sent an hour in, so it is younger');
  await core.flushPurge();
  await core.whenIdle();
});

test('the client screens with fast_flush_domains: deny without asking, fail when the service or a table fails', async () => {
  const { core } = await bench();
  const scheduler = new Scheduler({ startMs: 0 });
  const platform = createSimPlatform({ hostName: 'client', seed: 1, scheduler });
  const host = createHost({ name: 'client', platform, defaultConfigDirectory: '/etc/postfix' });
  const reporter = createReporter({ program: 'smtpd', host, pid: 2, stderr: new CapturedOutput() });
  const asked: string[] = [];
  const config = (value: string) => ({
    configDirectory: '/etc/postfix',
    get: (name: string) => (name === 'fast_flush_domains' ? value : undefined),
    getList: () => [],
  }) as unknown as ReturnType<FlushClient['config']>;
  const client = (value: string, up: boolean): FlushClient => ({
    config: () => config(value), fs: platform.fs, reporter,
    endpoint: () => (up ? { ...core, flushSendSite: (site: string) => { asked.push(site); return core.flushSendSite(site); },
      flushAdd: (site: string, id: string) => core.flushAdd(site, id), flushSendFile: (id: string) => core.flushSendFile(id),
      flushRefresh: () => core.flushRefresh(), flushPurge: () => core.flushPurge() } : undefined),
  });
  assert.equal(await flushSendSite(client('example.test', true), 'example.test'), 'ok');
  assert.equal(await flushSendSite(client('example.test', true), 'other.test'), 'deny');
  assert.deepEqual(asked, ['example.test'], 'a site the list does not name never reaches the server');
  assert.equal(await flushSendSite(client('example.test', false), 'example.test'), 'fail');
  assert.equal(await flushAdd(client('', true), 'example.test', '4A1B2C3D'), 'deny');
  assert.equal(await flushSendSite(client('hash:/etc/postfix/missing', true), 'example.test'), 'fail');
});
