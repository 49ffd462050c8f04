// Real mode's control channel, in one process: the showq attribute stream byte for byte
// (Postfix 3.7's record shape), the trigger codes, the daemon's sockets under
// queue_directory/public served from a stand-in runtime, and the CLI's link
// (socketMailSystemLink) writing triggers and reading showq through them; after stop the
// socket files stay (as Postfix's master leaves them) and refuse, and with none at all they
// are missing: postqueue/mailq on a Host that carries the link say each as Postfix's do.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  decodeShowqListing, encodeShowqListing, encodeShowqMessage, ShowqProtocolError,
} from '../../../engine/cli/showq-protocol.ts';
import { openControlChannel, reasonsOfTrigger, triggerBytes } from '../../../engine/cli/control-channel.ts';
import { socketMailSystemLink, writeTrigger } from '../../../engine/cli/mail-system-link.ts';
import type { RunningHost } from '../../../engine/master/runtime.ts';
import type { ShowqMessage } from '../../../engine/showq/api.ts';
import type { TriggerReason } from '../../../engine/master/contracts.ts';
import { readMainConfig } from '../../../engine/global/config/main-cf.ts';
import { createHost } from '../../../engine/global/host.ts';
import { createNodePlatform } from '../../../engine/platform/node/index.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { CapturedOutput, emptyInput } from '../../../engine/admin/stdio.ts';
import { runCommand } from '../../../engine/admin/run.ts';

const directories: string[] = [];
after(() => { for (const directory of directories) rmSync(directory, { recursive: true, force: true }); });

const deferred: ShowqMessage = {
  queueName: 'deferred', queueId: 'A008C20E3DF', arrivalTime: 1796060241, messageSize: 238, forcedExpire: false,
  sender: 'root@vm', recipients: [{ address: 'someone@example.com', reason: 'mail transport unavailable' }],
};
const held: ShowqMessage = {
  queueName: 'hold', queueId: 'B1', arrivalTime: 5, messageSize: 10, forcedExpire: true, sender: '',
  recipients: [{ address: 'a@b', reason: '' }, { address: 'c@d', reason: '' }],
};

test('a showq record is Postfix 3.7\'s attribute stream: NUL-terminated name and value, an empty name ends it', () => {
  const text = new TextDecoder().decode(encodeShowqMessage(deferred));
  assert.equal(text, 'queue_name\x00deferred\x00queue_id\x00A008C20E3DF\x00time\x001796060241\x00size\x00238\x00forced_expire\x000\x00'
    + 'sender\x00root@vm\x00recipient\x00someone@example.com\x00reason\x00mail transport unavailable\x00\x00');
  const whole = new TextDecoder().decode(encodeShowqListing([]));
  assert.equal(whole, 'protocol\x00mail_queue_list_protocol\x00\x00\x00');
});

test('a listing decodes to what was encoded; malformed streams are errors', () => {
  assert.deepEqual(decodeShowqListing(encodeShowqListing([deferred, held])), [deferred, held]);
  assert.deepEqual(decodeShowqListing(encodeShowqListing([])), []);
  const whole = encodeShowqListing([deferred]);
  assert.throws(() => decodeShowqListing(whole.subarray(0, whole.length - 1)), ShowqProtocolError);
  const wrong = new TextEncoder().encode('protocol\x00something_else\x00\x00\x00');
  assert.throws(() => decodeShowqListing(wrong), ShowqProtocolError);
  const renamed = new TextEncoder().encode(new TextDecoder().decode(whole).replace('queue_id', 'queue_ident'));
  assert.throws(() => decodeShowqListing(renamed), ShowqProtocolError);
  const badSize = new TextEncoder().encode(new TextDecoder().decode(whole).replace('size\x00238', 'size\x00-1'));
  assert.throws(() => decodeShowqListing(badSize), ShowqProtocolError);
});

test('trigger codes: W wakes, I scans incoming, D/A/F flush deferred; postqueue -f writes FA', () => {
  const codes = (text: string) => reasonsOfTrigger(new TextEncoder().encode(text));
  assert.deepEqual(codes('W'), ['wakeup']);
  assert.deepEqual(codes('I'), ['scan-incoming']);
  assert.deepEqual(codes('FA'), ['flush-deferred']);
  assert.deepEqual(codes('DIW'), ['flush-deferred', 'scan-incoming', 'wakeup']);
  assert.equal(triggerBytes('flush-deferred'), 'FA');
  assert.equal(triggerBytes('wakeup'), 'W');
  assert.equal(triggerBytes('scan-incoming'), 'I');
});

interface StandIn {
  runtime: RunningHost;
  triggers: Array<[string, TriggerReason]>;
  queueDirectory: string;
  directory: string;
  setServices(names: string[]): void;
}

/** A runtime with pickup, qmgr (wakeable), showq (listing `messages`) and cleanup (neither). */
async function standIn(messages: ShowqMessage[]): Promise<StandIn> {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-channel-'));
  directories.push(directory);
  const queueDirectory = join(directory, 'queue');
  mkdirSync(join(queueDirectory, 'public'), { recursive: true });
  mkdirSync(join(queueDirectory, 'private'), { recursive: true });
  writeFileSync(join(directory, 'main.cf'), `queue_directory = ${queueDirectory}\nmaillog_file = ${directory}/maillog\nmaillog_file_prefixes = /\n`);
  const platform = createNodePlatform({ hostName: 'mail.example.test' });
  const host = createHost({ name: 'mail', platform, defaultConfigDirectory: directory });
  const config = await readMainConfig({ fs: platform.fs, directory, reporter: createReporter({ program: 'test', host, pid: 1, stderr: new CapturedOutput(false) }) });
  const triggers: Array<[string, TriggerReason]> = [];
  const instance = (name: string) => {
    const running: Record<string, unknown> = { stop: async () => undefined };
    if (name === 'pickup' || name === 'qmgr') running.wake = () => undefined;
    if (name === 'showq') running.showQueue = async () => messages;
    return { entry: { type: 'unix', private: name === 'cleanup' ? '-' : 'n', service: name }, running };
  };
  let services = new Map(['pickup', 'qmgr', 'showq', 'cleanup'].map((name) => [name, instance(name)]));
  const runtime = {
    config: () => config,
    services: () => services,
    service: (name: string) => services.get(name)?.running,
    trigger: (name: string, reason: TriggerReason = 'wakeup') => { triggers.push([name, reason]); },
  } as unknown as RunningHost;
  return {
    runtime, triggers, queueDirectory, directory,
    setServices: (names) => { services = new Map(names.map((name) => [name, instance(name)])); },
  };
}

test('the daemon listens at public/pickup, public/qmgr and public/showq; triggers reach the runtime', async () => {
  const stand = await standIn([deferred]);
  const channel = await openControlChannel(stand.runtime);
  try {
    const publicDirectory = join(stand.queueDirectory, 'public');
    assert.deepEqual(channel.paths().sort(), ['pickup', 'qmgr', 'showq'].map((name) => join(publicDirectory, name)));
    for (const name of ['pickup', 'qmgr', 'showq']) {
      const stat = lstatSync(join(publicDirectory, name));
      assert.ok(stat.isSocket());
      assert.equal(stat.mode & 0o777, 0o666, `${name}: srw-rw-rw- as unix_listen() makes it`);
    }
    assert.equal(existsSync(join(stand.queueDirectory, 'private', 'cleanup')), false, 'cleanup takes no triggers');
    assert.equal(await writeTrigger(join(publicDirectory, 'pickup'), 'W', 5000), true);
    assert.equal(await writeTrigger(join(publicDirectory, 'qmgr'), 'FA', 5000), true);
    assert.equal(await writeTrigger(join(publicDirectory, 'qmgr'), 'I', 5000), true);
    assert.deepEqual(stand.triggers, [['pickup', 'wakeup'], ['qmgr', 'flush-deferred'], ['qmgr', 'scan-incoming']]);
    stand.setServices(['pickup', 'qmgr']);
    await channel.synchronise();
    // Postfix's master closes a dropped service's listener and leaves the file.
    assert.ok(lstatSync(join(publicDirectory, 'showq')).isSocket(), 'a service gone after reload keeps its socket file');
    assert.deepEqual(channel.paths().sort(), ['pickup', 'qmgr'].map((name) => join(publicDirectory, name)));
    assert.equal(await writeTrigger(join(publicDirectory, 'showq'), 'W', 5000), false, 'nobody listens there');
  } finally {
    await channel.close();
  }
  for (const name of ['pickup', 'qmgr', 'showq']) {
    assert.ok(lstatSync(join(stand.queueDirectory, 'public', name)).isSocket(), `stop leaves public/${name}`);
  }
  assert.deepEqual(readdirSync(join(stand.queueDirectory, 'public')).sort(), ['pickup', 'qmgr', 'showq'], 'no keeper link left');
  assert.equal(await writeTrigger(join(stand.queueDirectory, 'public', 'pickup'), 'W', 5000), false, 'refused after stop');
});

test('a FIFO or socket left in public/ (a real Postfix queue, a killed daemon) is replaced at start', async () => {
  const stand = await standIn([]);
  const path = join(stand.queueDirectory, 'public', 'pickup');
  assert.equal(spawnSync('mkfifo', [path]).status, 0);
  assert.ok(lstatSync(path).isFIFO());
  const channel = await openControlChannel(stand.runtime);
  try {
    assert.ok(lstatSync(path).isSocket());
    assert.equal(await writeTrigger(path, 'W', 5000), true);
    assert.deepEqual(stand.triggers, [['pickup', 'wakeup']]);
  } finally {
    await channel.close();
  }
});

test('the CLI link: triggers and showq through the sockets, and "down" once they are gone', async () => {
  const stand = await standIn([deferred, held]);
  const platform = createNodePlatform({ hostName: 'mail' });
  const host = createHost({ name: 'mail', platform, defaultConfigDirectory: stand.directory, mailSystem: socketMailSystemLink });
  const config = stand.runtime.config();
  const channel = await openControlChannel(stand.runtime);
  try {
    assert.equal(await socketMailSystemLink.trigger(host, config, 'pickup', 'wakeup'), true);
    assert.deepEqual(stand.triggers, [['pickup', 'wakeup']]);
    const endpoint = await socketMailSystemLink.showq(host, config);
    assert.ok(!('down' in endpoint));
    assert.deepEqual(await endpoint.showQueue(), [deferred, held]);
    assert.equal(await socketMailSystemLink.running(host, config), false, 'no master.pid');
    mkdirSync(join(stand.queueDirectory, 'pid'), { recursive: true });
    writeFileSync(join(stand.queueDirectory, 'pid', 'master.pid'), `${String(process.pid).padStart(10)}\n`);
    assert.equal(await socketMailSystemLink.running(host, config), true);
    // postqueue -j on a Host that carries the link lists what the socket says.
    const stdout = new CapturedOutput(false);
    const stderr = new CapturedOutput(false);
    const status = await runCommand({
      argv: ['postqueue', '-j'], stdin: emptyInput(), stdout, stderr, env: new Map([['USER', 'root']]), cwd: '/', host,
    });
    assert.equal(status, 0);
    assert.equal(stderr.text(), '');
    assert.equal(stdout.text().split('\n').filter((line) => line !== '').length, 2);
    assert.match(stdout.text(), /"queue_id": "A008C20E3DF"/);
  } finally {
    await channel.close();
  }
  // The stopped daemon left its sockets (as Postfix's master does): refused, not missing.
  assert.deepEqual(await socketMailSystemLink.trigger(host, config, 'pickup', 'wakeup'), {});
  assert.deepEqual(await socketMailSystemLink.showq(host, config), { down: 'ECONNREFUSED' });
  const stdout = new CapturedOutput(false);
  const stderr = new CapturedOutput(false);
  const status = await runCommand({
    argv: ['mailq'], stdin: emptyInput(), stdout, stderr, env: new Map([['USER', 'root']]), cwd: '/', host,
  });
  assert.equal(status, 0);
  assert.equal(stderr.text(), 'postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: Connection refused)\n');
  assert.equal(stdout.text(), 'Mail queue is empty\n');
  const flushError = new CapturedOutput(false);
  const flushStatus = await runCommand({
    argv: ['postqueue', '-f'], stdin: emptyInput(), stdout, stderr: flushError, env: new Map(), cwd: '/', host,
  });
  assert.equal(flushStatus, 69);
  // unix_trigger() fails silently on a refused socket: only the fatal, as Postfix 3.7.11.
  assert.equal(flushError.text(), 'postqueue: fatal: Cannot flush mail queue - mail system is down\n');
  // With no socket file at all (never started there), mail_trigger()'s lookup warning.
  rmSync(join(stand.queueDirectory, 'public'), { recursive: true });
  assert.deepEqual(await socketMailSystemLink.showq(host, config), { down: 'ENOENT' });
  const missingError = new CapturedOutput(false);
  assert.equal(await runCommand({
    argv: ['postqueue', '-f'], stdin: emptyInput(), stdout, stderr: missingError, env: new Map(), cwd: '/', host,
  }), 69);
  assert.equal(missingError.text(), 'postqueue: warning: unable to look up public/qmgr: No such file or directory\n'
    + 'postqueue: fatal: Cannot flush mail queue - mail system is down\n');
});
