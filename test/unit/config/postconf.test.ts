// Unit tests for postconf on a simulated host (memfs through H4's sim platform when it is
// there): options, editing, broken files, exit codes. The interop suite compares with the
// real postconf; these run anywhere, including in the browser's engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHost } from '../../../engine/global/host.ts';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { postconfMain } from '../../../engine/admin/postconf.ts';
import { BufferedInput, CapturedOutput } from '../../../engine/admin/stdio.ts';
import { FatalExit } from '../../../engine/global/msg.ts';
import { editMainCfText } from '../../../engine/admin/postconf-edit.ts';

async function setup(mainCf: string | undefined, masterCf = '') {
  const platform = createSimPlatform({ hostName: 'mail', seed: 1 });
  const host = createHost({ name: 'mail', platform });
  await platform.fs.mkdir('/etc/postfix', { recursive: true });
  if (mainCf !== undefined) await platform.fs.writeFile('/etc/postfix/main.cf', mainCf);
  await platform.fs.writeFile('/etc/postfix/master.cf', masterCf);
  const run = async (...args: string[]) => {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput();
    let status: number;
    try {
      status = await postconfMain({ argv: ['postconf', ...args], stdin: new BufferedInput(''), stdout, stderr, env: new Map(), cwd: '/', host });
    } catch (error) {
      if (!(error instanceof FatalExit)) throw error;
      status = error.exitCode;
    }
    return { stdout: stdout.text(), stderr: stderr.text(), status };
  };
  const read = async () => new TextDecoder().decode(await platform.fs.readFile('/etc/postfix/main.cf'));
  return { run, read };
}

test('defaults on a sim host: host name, domain, loopback-only mynetworks', async () => {
  const { run } = await setup('');
  const result = await run('-d', 'myhostname', 'mydomain', 'mynetworks', 'config_directory');
  assert.equal(result.stdout, 'myhostname = mail.localdomain\nmydomain = localdomain\nmynetworks = 127.0.0.0/8\nconfig_directory = /etc/postfix\n');
  assert.equal(result.status, 0);
});

test('-n without -c does not show config_directory; MAIL_CONFIG or -c would', async () => {
  const { run } = await setup('biff = no\n');
  assert.equal((await run('-n')).stdout, 'biff = no\n');
  assert.equal((await run('-c', '/etc/postfix', '-n')).stdout, 'biff = no\nconfig_directory = /etc/postfix\n');
});

test('a missing main.cf is fatal', async () => {
  const { run } = await setup(undefined);
  const result = await run('-n');
  assert.equal(result.stderr, 'postconf: fatal: open /etc/postfix/main.cf: No such file or directory\n');
  assert.equal(result.status, 1);
});

test('unknown and unused names, read-only assignments, undefined references', async () => {
  const { run } = await setup('mesage_size_limit = 1\nprocess_id = 5\nmyorigin = $nowhere\n');
  const result = await run('mesage_size_limit');
  assert.equal(result.stdout, '');
  assert.deepEqual(result.stderr.split('\n').filter(Boolean).sort(), [
    'postconf: warning: /etc/postfix/main.cf: read-only parameter assignment: process_id=5',
    'postconf: warning: /etc/postfix/main.cf: undefined parameter: nowhere',
    'postconf: warning: /etc/postfix/main.cf: unused parameter: mesage_size_limit=1',
    'postconf: warning: mesage_size_limit: unknown parameter',
  ]);
  assert.equal(result.status, 0);
});

test('-e, -# and -X keep every other line', async () => {
  const { run, read } = await setup('# top\nbiff = no\nmyhostname = a\n  b\nrelayhost = x\n');
  assert.equal((await run('-e', 'biff = yes', 'newname=1')).status, 0);
  assert.equal(await read(), '# top\nbiff = yes\nmyhostname = a\n  b\nrelayhost = x\nnewname = 1\n');
  await run('-#', 'myhostname');
  assert.equal(await read(), '# top\nbiff = yes\n#myhostname = a\n#  b\nrelayhost = x\nnewname = 1\n');
  await run('-X', 'relayhost');
  assert.equal(await read(), '# top\nbiff = yes\n#myhostname = a\n#  b\nnewname = 1\n');
  assert.equal((await run('-X', 'a=b')).stderr, 'postconf: fatal: specify one of -e -X\n', 'a "=" implies -e');
});

test('edit without a trailing newline appends on the same line, as Postfix does', () => {
  const requests = new Map([['x', { value: '1', found: 0 }]]);
  const reporter = { program: 'p', info() {}, warn() {}, error() {}, fatal(text: string): never { throw new Error(text); }, warnings: 0 };
  assert.equal(editMainCfText('edit', 'a = b', requests, 'main.cf', reporter), 'a = bx = 1\n');
});

test('option conflicts and usage', async () => {
  const { run } = await setup('');
  assert.equal((await run('-d', '-n')).stderr, 'postconf: fatal: specify one of -d -n\n');
  assert.equal((await run('-m', '-d')).stderr, 'postconf: fatal: with option -m, do not specify -d\n');
  assert.equal((await run('-e')).stderr, 'postconf: fatal: -e requires name=value argument\n');
  const usage = await run('-z');
  assert.match(usage.stderr, /^postconf: invalid option -- 'z'\npostconf: fatal: usage: postconf \[-a/);
  assert.equal(usage.status, 1);
  assert.equal((await run('-l')).stdout, 'flock\nfcntl\ndotlock\n');
});

test('a broken main.cf never crashes postconf', async () => {
  const broken = ['garbage line\n', '= value\n', '  only indented\n', 'a = ${b\n', 'a = $a\n', 'x = ${{1} <foo {2}}\n', '\u0000\xff = \n'];
  for (const text of broken) {
    const { run } = await setup(text);
    for (const args of [['-n'], ['-x'], ['-nx'], ['a']]) {
      const result = await run(...args);
      assert.ok(result.status === 0 || result.status === 1, `${JSON.stringify(text)} ${args.join(' ')}`);
      assert.doesNotMatch(result.stderr, /panic/);
    }
  }
});
