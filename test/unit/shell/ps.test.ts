// ps on a booted single-host world: the mail system's processes with the argv Postfix
// 3.7.11's master gives them (as `ps ax` showed on Debian for the same master.cf columns:
// "/usr/lib/postfix/sbin/master -w", "pickup -l -t unix -u", "qmgr -l -t unix -u",
// "cleanup -z -t unix -u", "trivial-rewrite -n rewrite -t unix -u", "local -t unix"),
// under the pids their maillog lines carry, in procps-ng 4.0.2's column layouts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runningHosts } from '../../../engine/master/registry.ts';
import { serviceArgv } from '../../../engine/shell/builtins/ps-processes.ts';
import { startWorldShell } from './world.ts';

function pidOf(host: Parameters<typeof runningHosts>[0], service: string): number {
  const instance = runningHosts(host)[0]!.services().get(service);
  assert.ok(instance, service);
  return instance.pid;
}

test('ps lists the shell and itself on the terminal', async () => {
  const { run } = await startWorldShell();
  const shellPid = Number((await run('echo $$')).trim());
  const lines = (await run('ps')).split('\n');
  assert.equal(lines[0], '  PID TTY          TIME CMD');
  assert.equal(lines[1], ` ${shellPid} pts/0    00:00:00 bash`);
  assert.match(lines[2]!, /^ \d{4} pts\/0    00:00:00 ps$/);
});

test('ps ax shows master and the service processes that run now, with the pids they log under', async () => {
  const { run, host, advance } = await startWorldShell();
  const master = runningHosts(host)[0]!;
  // Master starts pickup and qmgr at once, every other daemon when a client needs it.
  let text = await run('ps ax | cat');
  let lines = text.split('\n');
  assert.equal(lines[0], '  PID TTY      STAT   TIME COMMAND');
  assert.ok(lines.includes(` ${master.pid} ?        Ss     0:00 /usr/lib/postfix/sbin/master -w`), text);
  assert.ok(lines.includes(` ${pidOf(host, 'pickup')} ?        S      0:00 pickup -l -t unix -u`), text);
  assert.ok(lines.includes(` ${pidOf(host, 'qmgr')} ?        S      0:00 qmgr -l -t unix -u`), text);
  assert.doesNotMatch(text, / (cleanup|trivial-rewrite|local|smtpd) /);
  // A message brings cleanup, trivial-rewrite and local to life.
  await run("printf 'Subject: ps\\n\\nhello\\n' | sendmail root");
  await advance(2_000);
  text = await run('ps ax | cat');
  lines = text.split('\n');
  assert.ok(lines.includes(` ${pidOf(host, 'cleanup')} ?        S      0:00 cleanup -z -t unix -u`), text);
  assert.ok(lines.includes(` ${pidOf(host, 'rewrite')} ?        S      0:00 trivial-rewrite -n rewrite -t unix -u`), text);
  assert.ok(lines.includes(` ${pidOf(host, 'local')} ?        S      0:00 local -t unix`), text);
  assert.doesNotMatch(text, / smtpd /, 'no SMTP client yet');
  assert.match(text, /pts\/0    Ss     0:00 -bash\n/);
  assert.match(text, /pts\/0    R\+     0:00 ps ax\n$/);
  const pids = lines.slice(1, -1).map((line) => Number(line.slice(0, 5)));
  assert.deepEqual(pids, [...pids].sort((a, b) => a - b));
  // max_idle (100s) without a client: they exit; pickup (woken every 60s) and qmgr stay.
  await advance(105_000); // trivial-rewrite's client (cleanup) leaves ipc_idle (5s) after its last request
  text = await run('ps ax | cat');
  assert.doesNotMatch(text, / (cleanup|trivial-rewrite|local) /, text);
  assert.match(text, / pickup -l -t unix -u\n/);
  assert.match(text, / qmgr -l -t unix -u\n/);
  // The maillog names master by the same pid.
  assert.match(await run(`grep -c "master\\[${master.pid}\\]: daemon started" /var/log/maillog`), /^1\n$/);
});

test('ps aux and ps -ef columns; after postfix reload pickup and qmgr show new pids', async () => {
  const { run, host } = await startWorldShell();
  const aux = (await run('ps aux | grep qmgr')).split('\n')[0]!;
  assert.match(aux, new RegExp(`^postfix +${pidOf(host, 'qmgr')}  0\\.0  0\\.0  43116  7204 \\?        S    \\d\\d:\\d\\d   0:00 qmgr -l -t unix -u$`));
  assert.equal((await run('ps aux | head -1')), 'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n');
  assert.equal((await run('ps -ef | head -1')), 'UID        PID  PPID  C STIME TTY          TIME CMD\n');
  const master = runningHosts(host)[0]!;
  assert.match(await run('ps -ef | grep pickup'), new RegExp(`^postfix +${pidOf(host, 'pickup')} +${master.pid}  0 \\d\\d:\\d\\d \\?        00:00:00 pickup -l -t unix -u\\n`));
  const before = pidOf(host, 'pickup');
  await run('postfix reload');
  const after = pidOf(host, 'pickup');
  assert.notEqual(after, before);
  assert.match(await run('ps ax | grep pickup'), new RegExp(`^ ${after} \\?        S      0:00 pickup -l -t unix -u\\n`));
});

test('ps rejects options it does not have with procps usage', async () => {
  const { run, shell } = await startWorldShell();
  assert.equal(await run('ps Q'), 'error: unsupported option (BSD syntax)\n\nUsage:\n ps [options]\n\n'
    + " Try 'ps --help <simple|list|output|threads|misc|all>'\n  or 'ps --help <s|l|o|t|m|a>'\n for additional help text.\n\n"
    + 'For more details see ps(1).\n');
  assert.equal(shell.lastStatus, 1);
});

test('serviceArgv: Debian stock smtpd with chroot on two protocols', () => {
  const config = { get: (name: string) => ({ inet_interfaces: 'all', inet_protocols: 'all', default_process_limit: '100' } as Record<string, string>)[name] };
  const entry = { service: 'smtp', type: 'inet', private: 'n', unprivileged: '-', chroot: 'y', wakeup: '-', processLimit: '-',
    command: 'smtpd', arguments: [] as string[] };
  assert.deepEqual(serviceArgv(entry as never, config as never), ['smtpd', '-n', 'smtp', '-t', 'inet', '-u', '-c', '-o', 'stress=', '-s', '2']);
  const loopback = { ...entry, service: '127.0.0.1:2525', chroot: 'n' };
  assert.deepEqual(serviceArgv(loopback as never, config as never), ['smtpd', '-n', '127.0.0.1:2525', '-t', 'inet', '-u']);
});
