// `mtalab postfix` in real mode, as child processes on a temporary directory: start spawns
// a background host and returns once it is up (pid file, maillog), status/reload/flush
// signal it by that pid, stop ends it; without -c the default directory is created under
// $HOME. Every process this test starts is stopped by its pid, and every wait is bounded.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultMainCf } from '../../../engine/cli/postfix-daemon.ts';
import { masterCfListeningOn } from '../../../engine/global/config/default-master-cf.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'bin', 'mtalab.mjs');
const childTimeoutMs = 90_000;
const started = new Set<number>();
const directories: string[] = [];

function mtalab(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: root, encoding: 'utf8', timeout: childTimeoutMs, env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function masterPid(queueDirectory: string): number {
  const pid = Number.parseInt(readFileSync(join(queueDirectory, 'pid', 'master.pid'), 'utf8').trim(), 10);
  started.add(pid);
  return pid;
}

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-postfix-'));
  directories.push(directory);
  return directory;
}

after(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

test('postfix -c DIR start, status, reload, flush, stop, status as child processes', () => {
  const directory = temporaryDirectory();
  writeFileSync(join(directory, 'main.cf'), defaultMainCf(directory, 'mail.example.test'));
  writeFileSync(join(directory, 'master.cf'), masterCfListeningOn('127.0.0.1:0'));
  writeFileSync(join(directory, 'aliases'), 'postmaster: root\n');
  const queue = join(directory, 'queue');
  const env = { HOME: directory };
  // alias_maps is hash:DIR/aliases (smtpd opens it through local_recipient_maps).
  assert.deepEqual(mtalab(['newaliases', '-C', directory], env), { status: 0, stdout: '', stderr: '' });
  // As with Postfix, a missing queue directory is fatal (silently: stderr is no terminal).
  let outcome = mtalab(['postfix', '-c', directory, 'start'], env);
  assert.deepEqual(outcome, { status: 1, stdout: '', stderr: '' });
  assert.equal(existsSync(join(queue, 'pid')), false);
  mkdirSync(queue);
  outcome = mtalab(['postfix', '-c', directory, 'status'], env);
  assert.deepEqual(outcome, { status: 1, stdout: '', stderr: '' });
  outcome = mtalab(['postfix', '-c', directory, 'start'], env);
  assert.deepEqual(outcome, { status: 0, stdout: '', stderr: '' });
  const pid = masterPid(queue);
  assert.ok(alive(pid), 'the master process runs in the background');
  assert.notEqual(pid, process.pid);
  outcome = mtalab(['postfix', '-c', directory, 'status'], env);
  assert.equal(outcome.status, 0);
  outcome = mtalab(['postfix', '-c', directory, 'start'], env);
  assert.equal(outcome.status, 1, 'already running');
  assert.equal(mtalab(['postfix', '-c', directory, 'reload'], env).status, 0);
  assert.equal(mtalab(['postfix', '-c', directory, 'flush'], env).status, 0);
  outcome = mtalab(['postfix', '-c', directory, 'stop'], env);
  assert.equal(outcome.status, 0);
  assert.equal(alive(pid), false, 'stop returns after the process ended');
  assert.equal(mtalab(['postfix', '-c', directory, 'status'], env).status, 1);
  assert.equal(mtalab(['postfix', '-c', directory, 'stop'], env).status, 1);
  const log = readFileSync(join(directory, 'maillog'), 'utf8').split('\n').filter((line) => line !== '').map((line) => line.slice(16))
    .filter((line) => !line.startsWith('mail postfix['));
  const host = (text: string) => `mail ${text}`;
  const withoutPids = log.map((line) => line.replace(/\[\d+\]/, '[PID]'));
  assert.deepEqual(withoutPids.filter((line) => !line.includes('not implemented')), [
    host('postfix/postfix-script[PID]: the Postfix mail system is not running'),
    host('postfix/postfix-script[PID]: starting the Postfix mail system'),
    host(`postfix/master[PID]: daemon started -- version 3.7.11, configuration ${directory}`),
    host(`postfix/postfix-script[PID]: the Postfix mail system is running: PID: ${pid}`),
    host('postfix/postfix-script[PID]: fatal: the Postfix mail system is already running'),
    host('postfix/postfix-script[PID]: refreshing the Postfix mail system'),
    host(`postfix/master[PID]: reload -- version 3.7.11, configuration ${directory}`),
    host('postfix/postfix-script[PID]: stopping the Postfix mail system'),
    host('postfix/master[PID]: terminating on signal 15'),
    host('postfix/postfix-script[PID]: the Postfix mail system is not running'),
    host('postfix/postfix-script[PID]: fatal: the Postfix mail system is not running'),
  ]);
  assert.ok(log.some((line) => line.startsWith(`mail postfix/master[${pid}]: daemon started`)));
});

test('without -c or MAIL_CONFIG the default directory is made under $HOME on first use', () => {
  const home = temporaryDirectory();
  const env = Object.fromEntries(Object.entries({ ...process.env, HOME: home }).filter(([key]) => key !== 'MAIL_CONFIG'));
  const outcome = spawnSync(process.execPath, [bin, 'postfix', 'status'], { cwd: root, encoding: 'utf8', timeout: childTimeoutMs, env });
  assert.equal(outcome.status, 1);
  const directory = join(home, '.mtalab', 'postfix');
  const mainCf = readFileSync(join(directory, 'main.cf'), 'utf8');
  assert.match(mainCf, /^inet_interfaces = loopback-only$/m);
  assert.match(mainCf, /^mydestination = \$myhostname, localhost$/m);
  assert.match(mainCf, new RegExp(`^queue_directory = ${directory}/queue$`, 'm'));
  assert.match(mainCf, new RegExp(`^maillog_file = ${directory}/maillog$`, 'm'));
  assert.match(readFileSync(join(directory, 'master.cf'), 'utf8'), /^127\.0\.0\.1:2525 inet/m);
  assert.ok(existsSync(join(directory, 'queue')));
});
