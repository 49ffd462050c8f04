// The single-host scenario through the real shell (createShell with the admin command
// table): the host and its files as loaded from disk, the prompt, and the Postfix commands
// a first session types — postconf NAME, postconf -n, postmap -q (also reading keys from
// the terminal, ended by Ctrl-D or Ctrl-C), cat main.cf — plus Tab completion of real
// parameter names. test/interop/shell-scenario.test.ts compares the same answers with the
// real Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createShell } from '../../../engine/shell/index.ts';
import { createScenarioHosts } from '../../../engine/sim/scenario.ts';
import { loadScenarioFromDisk, readScenarioTexts } from '../../../scenarios/load-from-disk.ts';
import { singleHost } from '../../../scenarios/single-host/scenario.ts';
import { Screen } from './screen.ts';

const scenarioFile = (path: string) =>
  readFileSync(new URL(`../../../scenarios/single-host/hosts/mail/${path}`, import.meta.url), 'utf8');

async function scenarioShell(options: { env?: Record<string, string> } = {}) {
  const loaded = await loadScenarioFromDisk('single-host');
  const host = loaded.hosts[0]!.host;
  const screen = new Screen(100);
  let output = '';
  const shell = createShell({ host, write: (data) => { output += data; screen.write(data); }, columns: 100, env: options.env });
  shell.start();
  await shell.idle();
  const type = async (data: string) => {
    const before = output.length;
    shell.input(data);
    await shell.idle();
    return output.slice(before);
  };
  const run = async (line: string) => {
    const written = await type(`${line}\r`);
    return written.slice(written.indexOf('\r\n') + 2).replace(/root@mail:[^\r\n]*# $/, '').replace(/\r\n/g, '\n');
  };
  return { loaded, host, shell, screen, type, run, output: () => output };
}

test('the scenario loads one host with its files, owners and modes', async () => {
  const loaded = await loadScenarioFromDisk('single-host');
  assert.equal(loaded.title, singleHost.title);
  assert.deepEqual(loaded.hosts.map((entry) => [entry.name, [...entry.addresses]]), [['mail.example.test', ['192.0.2.10']]]);
  const fs = loaded.hosts[0]!.platform.fs;
  const text = new TextDecoder().decode(await fs.readFile('/etc/postfix/main.cf'));
  assert.equal(text, scenarioFile('etc/postfix/main.cf'));
  const alice = await fs.stat('/home/alice');
  assert.deepEqual([alice.isDirectory, alice.uid, alice.mode & 0o7777], [true, 1001, 0o755]);
  assert.equal((await fs.stat('/tmp')).mode & 0o7777, 0o1777);
  assert.equal((await fs.stat('/etc/postfix/main.cf')).mode & 0o7777, 0o644);
  for (const directory of ['/var/log', '/var/spool/postfix', '/var/mail', '/home/bob', '/root']) {
    assert.equal((await fs.stat(directory)).isDirectory, true, directory);
  }
});

test('createScenarioHosts takes a scenario or its id, and a map or a record of texts', async () => {
  const texts = readScenarioTexts('single-host');
  assert.ok(texts.has('hosts/mail/etc/postfix/main.cf'));
  const fromRecord = await createScenarioHosts(singleHost, Object.fromEntries(texts));
  const fs = fromRecord.hosts[0]!.platform.fs;
  assert.equal(new TextDecoder().decode(await fs.readFile('/etc/postfix/aliases')), scenarioFile('etc/postfix/aliases'));
  await assert.rejects(createScenarioHosts('no-such-scenario', texts), /no scenario named no-such-scenario/);
  await assert.rejects(
    createScenarioHosts(singleHost, { 'hosts/mail/../../escape': 'x' }),
    /leaves the host directory/,
  );
});

test('the shell on mail.example.test starts at root@mail:~#', async () => {
  const { output, run } = await scenarioShell();
  assert.equal(output(), 'root@mail:~# ');
  assert.equal(await run('hostname'), 'mail.example.test\n');
  assert.equal(await run('pwd'), '/root\n');
});

test('cat /etc/postfix/main.cf prints the file, with CRLF on the terminal', async () => {
  const { type } = await scenarioShell();
  const written = await type('cat /etc/postfix/main.cf\r');
  const expected = scenarioFile('etc/postfix/main.cf').replace(/\n/g, '\r\n');
  assert.equal(written, `cat /etc/postfix/main.cf\r\n${expected}root@mail:~# `);
});

test('postconf mydestination and postconf -n answer from the scenario main.cf', async () => {
  const { run, shell } = await scenarioShell();
  assert.equal(await run('postconf mydestination'), 'mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain\n');
  assert.equal(shell.lastStatus, 0);
  const explicit = await run('postconf -n');
  assert.match(explicit, /^alias_maps = texthash:\/etc\/postfix\/aliases\n/);
  assert.match(explicit, /^myhostname = mail\.example\.test$/m);
  assert.doesNotMatch(explicit, /^config_directory/m);
  assert.equal(await run('postconf -n | wc -l'), '21\n');
  assert.equal(await run('postconf -h myorigin'), '$mydomain\n');
});

test('postmap -q answers from the aliases table; a missing key exits 1', async () => {
  const { run, shell } = await scenarioShell();
  assert.equal(await run('postmap -q alice texthash:/etc/postfix/aliases'), '\\alice, bob\n');
  assert.equal(shell.lastStatus, 0);
  assert.equal(await run('postmap -q nobody texthash:/etc/postfix/aliases; echo $?'), '1\n');
  assert.equal(await run('/usr/sbin/postmap -q sales texthash:/etc/postfix/aliases'), 'alice, bob\n');
});

test('postmap -q - reads keys typed at the terminal until Ctrl-D', async () => {
  const { type, screen, shell } = await scenarioShell();
  await type('postmap -q - texthash:/etc/postfix/aliases\r');
  await type('root\r');
  await type('sales\r');
  await type('\x04');
  // Like the real postmap on a tty, the answers come when input ends (stdout is flushed
  // at exit); the typed keys are echoed as they are typed.
  assert.equal(screen.text(), [
    'root@mail:~# postmap -q - texthash:/etc/postfix/aliases',
    'root', 'sales', 'root    alice', 'sales   alice, bob',
    'root@mail:~#',
  ].join('\n'));
  assert.equal(shell.lastStatus, 0);
});

test('Ctrl-C interrupts postmap -q - waiting for keys', async () => {
  const { type, shell, run } = await scenarioShell();
  await type('postmap -q - texthash:/etc/postfix/aliases\r');
  await type('roo');
  assert.equal(await type('\x03'), '^C\r\nroot@mail:~# ');
  assert.equal(shell.lastStatus, 130);
  assert.equal(await run('postconf -h mydomain'), 'example.test\n');
});

test('MAIL_CONFIG in the shell environment points postconf at another directory', async () => {
  const { run } = await scenarioShell({ env: { MAIL_CONFIG: '/srv/postfix' } });
  assert.equal(await run('mkdir -p /srv/postfix && echo "myhostname = other.example.test" > /srv/postfix/main.cf'), '');
  assert.equal(await run('postconf -h myhostname'),
    'postconf: warning: open /srv/postfix/master.cf: No such file or directory\nother.example.test\n');
  assert.equal(await run('touch /srv/postfix/master.cf'), '');
  assert.equal(await run('postconf -h myhostname'), 'other.example.test\n');
  assert.equal(await run('MAIL_CONFIG=/etc/postfix postconf -h myhostname'), 'mail.example.test\n');
});

test('Tab completes Postfix parameter names after postconf', async () => {
  const { type, screen, run } = await scenarioShell();
  await type('postconf mydest\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# postconf mydestination ');
  await type('\x15postconf -d mail_vers\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# postconf -d mail_version ');
  assert.equal(await run(''), 'mail_version = 3.7.11\n');
  await type('postco\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# postconf ');
});

test('unknown commands and postconf errors give their messages and statuses', async () => {
  const { run, shell } = await scenarioShell();
  assert.equal(await run('postfix-does-not-exist'), 'bash: postfix-does-not-exist: command not found\n');
  assert.equal(shell.lastStatus, 127);
  assert.equal(await run('postconf no_such_parameter'), 'postconf: warning: no_such_parameter: unknown parameter\n');
  assert.equal(shell.lastStatus, 0);
});
