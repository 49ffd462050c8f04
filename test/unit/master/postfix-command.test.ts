// postfix(1) in the simulation: start/status/reload/flush/stop/abort on the host's
// in-process master with the terminal lines and exit statuses of Postfix 3.7.11
// (shared/reference/postfix-3.7/logs/u-start-stop-reload.log and
// commands/postfix-check-and-config-errors.txt), the maillog lines, and check.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, type PipelineHost } from '../../pipeline/harness.ts';
import { runCommand } from '../../../engine/admin/run.ts';
import { BufferedInput, CapturedOutput } from '../../../engine/admin/stdio.ts';
import { runningHost } from '../../../engine/master/index.ts';

async function postfix(harness: PipelineHost, args: string[], isTty = true) {
  const stdout = new CapturedOutput(isTty);
  const stderr = new CapturedOutput(isTty);
  const exitCode = await runCommand({
    argv: ['postfix', ...args], stdin: new BufferedInput(''), stdout, stderr, env: new Map(), cwd: '/', host: harness.host,
  });
  return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
}

const withoutTime = (line: string) => line.slice(16);

test('status, start, status, reload, stop, status: terminal text and exit statuses', async () => {
  const harness = await createPipelineHost({ start: false });
  let result = await postfix(harness, ['status']);
  assert.deepEqual(result, { exitCode: 1, stdout: '', stderr: 'postfix/postfix-script: the Postfix mail system is not running\n' });
  result = await postfix(harness, ['start']);
  assert.deepEqual(result, { exitCode: 0, stdout: '', stderr: 'postfix/postfix-script: starting the Postfix mail system\n' });
  const master = runningHost(harness.host, '/etc/postfix');
  assert.ok(master?.running);
  harness.runtime = master;
  result = await postfix(harness, ['start']);
  assert.deepEqual(result, { exitCode: 1, stdout: '', stderr: 'postfix/postfix-script: fatal: the Postfix mail system is already running\n' });
  result = await postfix(harness, ['status']);
  assert.deepEqual(result, { exitCode: 0, stdout: '', stderr: `postfix/postfix-script: the Postfix mail system is running: PID: ${master.pid}\n` });
  result = await postfix(harness, ['reload']);
  assert.deepEqual(result, { exitCode: 0, stdout: '', stderr: 'postfix/postfix-script: refreshing the Postfix mail system\n' });
  result = await postfix(harness, ['flush']);
  assert.deepEqual(result, { exitCode: 0, stdout: '', stderr: '' });
  await harness.run();
  const log = (await harness.maillog()).map(withoutTime);
  result = await postfix(harness, ['stop']);
  assert.deepEqual(result, { exitCode: 0, stdout: '', stderr: 'postfix/postfix-script: stopping the Postfix mail system\n' });
  assert.equal(master.running, false);
  result = await postfix(harness, ['status']);
  assert.equal(result.exitCode, 1);
  result = await postfix(harness, ['stop']);
  assert.deepEqual(result, { exitCode: 1, stdout: '', stderr: 'postfix/postfix-script: fatal: the Postfix mail system is not running\n' });
  const pid = (line: string) => line.replace(/\[\d+\]/, '[PID]');
  const expected = [
    'mail postfix/postfix-script[PID]: the Postfix mail system is not running',
    'mail postfix/postfix-script[PID]: starting the Postfix mail system',
    'mail postfix/master[PID]: daemon started -- version 3.7.11, configuration /etc/postfix',
  ];
  assert.deepEqual(log.slice(0, 3).map(pid), expected);
  assert.ok(log.map(pid).includes('mail postfix/postfix-script[PID]: fatal: the Postfix mail system is already running'));
  assert.ok(log.includes(`mail postfix/postfix-script[${log.find((line) => line.includes('running: PID'))!.match(/\[(\d+)\]/)![1]}]: the Postfix mail system is running: PID: ${master.pid}`));
  assert.ok(log.map(pid).includes('mail postfix/master[PID]: reload -- version 3.7.11, configuration /etc/postfix'));
  const full = (await harness.readFile('/var/log/maillog')).trimEnd().split('\n').map(withoutTime).map(pid);
  assert.deepEqual(full.slice(-4), [
    'mail postfix/postfix-script[PID]: stopping the Postfix mail system',
    'mail postfix/master[PID]: terminating on signal 15',
    'mail postfix/postfix-script[PID]: the Postfix mail system is not running',
    'mail postfix/postfix-script[PID]: fatal: the Postfix mail system is not running',
  ]);
  assert.equal(full.filter((line) => line.includes('starting the Postfix')).length, 1, 'no line logged twice');
});

test('without a terminal postfix prints nothing, and the exit status still tells', async () => {
  const harness = await createPipelineHost({ start: false });
  const result = await postfix(harness, ['status'], false);
  assert.deepEqual(result, { exitCode: 1, stdout: '', stderr: '' });
});

test('syslog_name shapes the script tag; abort; unknown commands; usage', async () => {
  const harness = await createPipelineHost({ start: false, mainCf: `${DEFAULT_MAIN_CF}syslog_name = postfix-ref1\n` });
  let result = await postfix(harness, ['abort']);
  assert.deepEqual(result, { exitCode: 1, stdout: '', stderr: 'postfix-ref1/postfix-script: fatal: the Postfix mail system is not running\n' });
  result = await postfix(harness, ['foo']);
  assert.equal(result.stderr, "postfix-ref1/postfix-script: fatal: unknown command: 'foo'. Usage: postfix start (or stop, reload, abort, flush, check, status, set-permissions, upgrade-configuration, logrotate)\n");
  assert.equal(result.exitCode, 1);
  result = await postfix(harness, []);
  assert.match(result.stderr, /unknown command: ''\./);
  result = await postfix(harness, ['-x', 'status']);
  assert.deepEqual(result, { exitCode: 1, stdout: '', stderr: "postfix: invalid option -- 'x'\npostfix: fatal: usage: postfix [-c config_dir] [-Dv] command\n" });
  await postfix(harness, ['start']);
  result = await postfix(harness, ['abort']);
  assert.deepEqual(result, { exitCode: 0, stdout: '', stderr: 'postfix-ref1/postfix-script: aborting the Postfix mail system\n' });
  const log = await harness.readFile('/var/log/maillog');
  assert.match(log, / mail postfix-ref1\/master\[\d+\]: daemon started/);
  assert.equal(log.match(/daemon started/g)?.length, 1);
});

test('flush on a stopped host fails as postqueue -f does', async () => {
  const harness = await createPipelineHost({ start: false });
  const result = await postfix(harness, ['flush']);
  assert.deepEqual(result, {
    exitCode: 69, stdout: '',
    stderr: 'postqueue: warning: unable to look up public/qmgr: No such file or directory\npostqueue: fatal: Cannot flush mail queue - mail system is down\n',
  });
});

test('check: creates missing queue directories; a broken master.cf or main.cf is fatal', async () => {
  const harness = await createPipelineHost({ start: false });
  await harness.platform.fs.mkdir('/var/spool/postfix', { recursive: true });
  let result = await postfix(harness, ['check']);
  assert.deepEqual(result, { exitCode: 0, stdout: '', stderr: '' });
  assert.ok(await harness.exists('/var/spool/postfix/flush'));
  await harness.platform.fs.rmdir('/var/spool/postfix/flush');
  assert.equal((await postfix(harness, ['check'])).exitCode, 0);
  assert.ok(await harness.exists('/var/spool/postfix/flush'));
  const masterCf = await harness.readFile('/etc/postfix/master.cf');
  await harness.writeFile('/etc/postfix/master.cf', `${masterCf}foo       tcp   -       -       n       -       -       smtpd\n`);
  result = await postfix(harness, ['check']);
  assert.deepEqual(result, {
    exitCode: 1, stdout: '',
    stderr: '/usr/sbin/postconf: fatal: invalid type field "tcp" in "foo       tcp   -       -       n       -       -       smtpd"\n'
      + 'postfix/postfix-script: fatal: cannot execute /usr/sbin/postconf!\n',
  });
  await harness.writeFile('/etc/postfix/master.cf', masterCf);
  await harness.writeFile('/etc/postfix/main.cf', `${DEFAULT_MAIN_CF}this line is garbage\n`);
  result = await postfix(harness, ['check']);
  assert.equal(result.exitCode, 1);
  assert.equal(result.stderr, `postfix: fatal: /etc/postfix/main.cf, line 12: missing '=' after attribute name: "this line is garbage"\n`);
});

test('a missing queue directory is fatal before any command; -c selects the directory', async () => {
  const harness = await createPipelineHost({ start: false });
  await harness.writeFile('/srv/pf/main.cf', `${DEFAULT_MAIN_CF}queue_directory = /srv/pf/spool\n`);
  let result = await postfix(harness, ['-c', '/srv/pf', 'status']);
  assert.deepEqual(result, { exitCode: 1, stdout: '', stderr: 'postfix: fatal: chdir(/srv/pf/spool): No such file or directory\n' });
  result = await postfix(harness, ['-c', '/nonexistent', 'status']);
  assert.deepEqual(result, { exitCode: 1, stdout: '', stderr: 'postfix: fatal: open /nonexistent/main.cf: No such file or directory\n' });
});

test('compatibility notice when compatibility_level is not set', async () => {
  const harness = await createPipelineHost({ start: false, mainCf: 'myhostname = mail.example.test\n' });
  const result = await postfix(harness, ['status']);
  assert.equal(result.stderr, 'postfix: Postfix is using backwards-compatible default settings\n'
    + 'postfix: See http://www.postfix.org/COMPATIBILITY_README.html for details\n'
    + 'postfix: To disable backwards compatibility use "postconf compatibility_level=3.6" and "postfix reload"\n'
    + 'postfix/postfix-script: the Postfix mail system is not running\n');
});

test('check: global parameter values as mail_params_init checks them', async () => {
  const cases: [string, string][] = [
    ['message_size_limit = 10MB', 'postfix: fatal: bad numerical configuration: message_size_limit = 10MB\n'],
    ['smtpd_recipient_limit = 0\ndefault_process_limit = 0', 'postfix: fatal: invalid default_process_limit parameter value 0 < 1\n'],
    ['inet_protocols = ipv5', 'postfix: fatal: unknown inet_protocols value "ipv5" in "ipv5"\n'],
  ];
  for (const [setting, stderr] of cases) {
    const harness = await createPipelineHost({ start: false, mainCf: `${DEFAULT_MAIN_CF.replace(/^inet_protocols.*\n/m, '')}${setting}\n` });
    assert.deepEqual(await postfix(harness, ['check']), { exitCode: 1, stdout: '', stderr }, setting);
  }
  for (const setting of ['maximal_queue_lifetime = 5x', 'biff = maybe']) {
    const harness = await createPipelineHost({ start: false, mainCf: `${DEFAULT_MAIN_CF.replace(/^biff.*\n/m, '')}${setting}\n` });
    assert.deepEqual(await postfix(harness, ['check']), { exitCode: 0, stdout: '', stderr: '' }, setting);
  }
});
