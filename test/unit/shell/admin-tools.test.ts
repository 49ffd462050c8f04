// chmod, chown, ln, id and df in the terminal shell. Expected texts are what GNU coreutils
// 9.1 printed for the same commands on Debian (LC_ALL=C, checked by hand beside the
// simulated host): messages, modes after the change, exit statuses; df's columns and its
// -h sizes, and a disk budget (the "disk full" fault) showing in df as it does in statfs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHost } from '../../../engine/global/host.ts';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { humanSize } from '../../../engine/shell/builtins/df.ts';
import { startShell, type Harness } from './harness.ts';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\npostfix:x:102:109::/var/spool/postfix:/usr/sbin/nologin\n'
  + 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nmail:x:8:postfix\npostfix:x:109:\npostdrop:x:110:\nnogroup:x:65534:\n';

async function shellWithFiles(): Promise<Harness> {
  const harness = await startShell({ files: { '/work/a': 'x', '/work/b': 'y', '/etc/passwd': PASSWD, '/etc/group': GROUP }, directories: ['/work'] });
  await harness.run('cd /work');
  return harness;
}

async function modeOf(harness: Harness, path: string): Promise<string> {
  return ((await harness.host.platform.fs.stat(path)).mode & 0o7777).toString(8);
}

test('chmod: octal and symbolic modes, and coreutils messages', async () => {
  const harness = await shellWithFiles();
  const { run, shell } = harness;
  assert.equal(await run('chmod'), "chmod: missing operand\nTry 'chmod --help' for more information.\n");
  assert.equal(await run('chmod 644'), "chmod: missing operand after '644'\nTry 'chmod --help' for more information.\n");
  assert.equal(await run('chmod 644 nope'), "chmod: cannot access 'nope': No such file or directory\n");
  assert.equal(shell.lastStatus, 1);
  assert.equal(await run('chmod 9 a'), "chmod: invalid mode: '9'\nTry 'chmod --help' for more information.\n");
  assert.equal(await run('chmod zz a'), "chmod: invalid mode: 'zz'\nTry 'chmod --help' for more information.\n");
  await run('chmod u+x a');
  assert.equal(await modeOf(harness, '/work/a'), '744');
  await run('chmod 0600 a b');
  assert.equal(await modeOf(harness, '/work/b'), '600');
  await run('chmod go-r,u=rw a');
  assert.equal(await modeOf(harness, '/work/a'), '600');
  await run('chmod a+X a');
  assert.equal(await modeOf(harness, '/work/a'), '600');
  await run('chmod +x a');
  assert.equal(await modeOf(harness, '/work/a'), '711');
  await run('chmod -x a');
  assert.equal(await modeOf(harness, '/work/a'), '600');
  await run('chmod 2755 a');
  assert.equal(await modeOf(harness, '/work/a'), '2755');
  assert.equal(await run('ls -l b'), '-rw------- 1 root root 1 Jan  1 00:00 b\n');
});

test('chown: names from /etc/passwd and /etc/group, USER: and :GROUP', async () => {
  const harness = await shellWithFiles();
  const { run, shell, host } = harness;
  assert.equal(await run('chown'), "chown: missing operand\nTry 'chown --help' for more information.\n");
  assert.equal(await run('chown root'), "chown: missing operand after 'root'\nTry 'chown --help' for more information.\n");
  assert.equal(await run('chown nouser a'), "chown: invalid user: 'nouser'\n");
  assert.equal(shell.lastStatus, 1);
  assert.equal(await run('chown root:nogrp a'), "chown: invalid group: 'root:nogrp'\n");
  assert.equal(await run('chown 0 nope'), "chown: cannot access 'nope': No such file or directory\n");
  assert.equal(await run('chown nobody:nogroup a'), '');
  assert.match(await run('ls -l a'), /^-rw-r--r-- 1 nobody nogroup 1 /);
  await run('chown postfix: a');
  const stat = await host.platform.fs.stat('/work/a');
  assert.deepEqual([stat.uid, stat.gid], [102, 109]);
  await run('chown :postdrop a');
  assert.equal((await host.platform.fs.stat('/work/a')).gid, 110);
});

test('ln: hard and symbolic links, coreutils messages', async () => {
  const harness = await shellWithFiles();
  const { run, shell, host } = harness;
  assert.equal(await run('ln'), "ln: missing file operand\nTry 'ln --help' for more information.\n");
  assert.equal(await run('ln a'), "ln: failed to create hard link './a': File exists\n");
  assert.equal(shell.lastStatus, 1);
  assert.equal(await run('ln a c'), '');
  assert.equal((await host.platform.fs.stat('/work/a')).nlink, 2);
  assert.equal(await run('ln a c'), "ln: failed to create hard link 'c': File exists\n");
  assert.equal(await run('ln -s a d'), '');
  assert.equal((await host.platform.fs.lstat('/work/d')).isSymbolicLink, true);
  assert.equal(await run('ln -s a d'), "ln: failed to create symbolic link 'd': File exists\n");
  assert.equal(await run('ln nope e'), "ln: failed to access 'nope': No such file or directory\n");
  assert.equal(await run('ln -sf b d; cat d'), 'y');
  await run('mkdir dir');
  assert.equal(await run('ln a b dir; cat dir/a dir/b'), 'xy');
});

test('id: the user, its login group and the groups that list it', async () => {
  const { run, shell } = await shellWithFiles();
  assert.equal(await run('id'), 'uid=0(root) gid=0(root) groups=0(root)\n');
  assert.equal(await run('id postfix'), 'uid=102(postfix) gid=109(postfix) groups=109(postfix),8(mail)\n');
  assert.equal(await run('id -u'), '0\n');
  assert.equal(await run('id -un postfix'), 'postfix\n');
  assert.equal(await run('id -g postfix'), '109\n');
  assert.equal(await run('id -Gn postfix'), 'postfix mail\n');
  assert.equal(await run('id nouser'), "id: 'nouser': no such user\n");
  assert.equal(shell.lastStatus, 1);
});

test('df -h sizes round up as coreutils (numfmt --to=iec --round=up gave the same)', () => {
  const cases: Array<[number, string]> = [[0, '0'], [1000, '1000'], [1024, '1.0K'], [1536, '1.5K'], [10239, '10K'],
    [1048575, '1.0M'], [5000000, '4.8M'], [28739543040, '27G'], [270553174016, '252G']];
  for (const [bytes, text] of cases) assert.equal(humanSize(bytes), text, String(bytes));
});

test('df shows the simulated disk budget, and a full disk as 100%', async () => {
  const platform = createSimPlatform({ hostName: 'mail.example.test', seed: 1, diskBytesMax: 1024 * 1024 });
  const host = createHost({ name: 'mail.example.test', platform });
  await platform.fs.mkdir('/etc', { recursive: true, mode: 0o755 });
  await platform.fs.writeFile('/etc/big', new Uint8Array(512 * 1024));
  const { run, shell } = await startShell({ host });
  assert.equal(await run('df'), [
    'Filesystem     1K-blocks  Used Available Use% Mounted on',
    '/dev/vda            1024   512       512  50% /',
    '',
  ].join('\n'));
  assert.equal(await run('df -h /etc'), [
    'Filesystem      Size  Used Avail Use% Mounted on',
    '/dev/vda        1.0M  512K  512K  50% /',
    '',
  ].join('\n'));
  await platform.fs.writeFile('/etc/more', new Uint8Array(512 * 1024));
  assert.match(await run('df'), /\n\/dev\/vda +1024 +1024 +0 100% \/\n$/);
  assert.equal(await run('df /nope'), 'df: /nope: No such file or directory\n');
  assert.equal(shell.lastStatus, 1);
});

test('chmod -R and chown -R change a directory and everything under it', async () => {
  const harness = await shellWithFiles();
  const { run, shell, host } = harness;
  await run('mkdir -p tree/inner && touch tree/one tree/inner/two');
  assert.equal(await run('chmod -R 750 tree'), '');
  for (const path of ['tree', 'tree/one', 'tree/inner', 'tree/inner/two']) assert.equal(await modeOf(harness, `/work/${path}`), '750', path);
  assert.equal(await run('chmod 640 tree'), '', 'without -R only the directory');
  assert.equal(await modeOf(harness, '/work/tree/one'), '750');
  assert.equal(await run('chown -R postfix:postdrop tree'), '');
  for (const path of ['tree', 'tree/one', 'tree/inner/two']) {
    const { uid, gid } = await host.platform.fs.stat(`/work/${path}`);
    assert.deepEqual([uid, gid], [102, 110], path);
  }
  assert.equal(await run('chmod -R 700 tree nope'), "chmod: cannot access 'nope': No such file or directory\n");
  assert.equal(shell.lastStatus, 1);
  assert.equal(await modeOf(harness, '/work/tree/inner/two'), '700');
});

test('ls -l shows a symbolic link itself with its target, as GNU ls does; without -l it is followed', async () => {
  const harness = await shellWithFiles();
  const { run } = harness;
  await run('mkdir dir && touch dir/inside && ln -s a to-a && ln -s dir to-dir && ln -s nowhere dangling');
  assert.equal(await run('ls -l to-a to-dir'),
    'lrwxrwxrwx 1 root root 1 Jan  1 00:00 to-a -> a\nlrwxrwxrwx 1 root root 3 Jan  1 00:00 to-dir -> dir\n');
  assert.equal(await run('ls to-dir'), 'inside\n');
  assert.match(await run('ls -l | grep dangling'), /^lrwxrwxrwx 1 root root +7 Jan  1 00:00 dangling -> nowhere\n$/);
  assert.match(await run('ls -l'), /^total 12\n/, 'links take no blocks: a, b and dir');
});
