// The unix basics over the host's files: cd/pwd, ls (columns, -1, -l, -a), cat, mkdir -p,
// rm -r/-f, cp, mv, touch, head/tail/wc/grep, with coreutils' messages and statuses; and
// Tab completion of commands, paths and Postfix parameter names.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startShell } from './harness.ts';

const files = {
  '/etc/postfix/main.cf': 'myhostname = mail.example.test\n',
  '/etc/postfix/master.cf': 'smtp inet n - n - - smtpd\n',
  '/etc/postfix/aliases': 'root alice\n',
  '/home/alice/.profile': '# profile\n',
};

test('cd and pwd, with ~, -, .. and errors', async () => {
  const { run, shell, screen } = await startShell({ files });
  assert.equal(await run('pwd'), '/root\n');
  assert.equal(await run('cd /etc/postfix; pwd'), '/etc/postfix\n');
  assert.equal(screen.beforeCursor(), 'root@mail:/etc/postfix# ');
  assert.equal(await run('cd ..; pwd'), '/etc\n');
  assert.equal(await run('cd -'), '/etc/postfix\n');
  assert.equal(await run('cd /nope'), 'bash: cd: /nope: No such file or directory\n');
  assert.equal(shell.lastStatus, 1);
  assert.equal(await run('cd main.cf'), 'bash: cd: main.cf: Not a directory\n');
  assert.equal(await run('cd; pwd'), '/root\n');
  assert.equal(await run('cd ~alice'), 'bash: cd: ~alice: No such file or directory\n');
});

test('ls lists in columns on the terminal, one per line in a pipe or with -1', async () => {
  const { run } = await startShell({ files });
  assert.equal(await run('ls /etc/postfix'), 'aliases  main.cf  master.cf\n');
  assert.equal(await run('ls -1 /etc/postfix'), 'aliases\nmain.cf\nmaster.cf\n');
  assert.equal(await run('ls /etc/postfix | cat'), 'aliases\nmain.cf\nmaster.cf\n');
  assert.equal(await run('ls -a /home/alice'), '.  ..  .profile\n');
  assert.equal(await run('ls /home/alice'), '');
  assert.equal(await run('ls /nope; echo $?'), "ls: cannot access '/nope': No such file or directory\n2\n");
  assert.equal(await run('ls /etc/postfix/main.cf /home'), '/etc/postfix/main.cf\n\n/home:\nalice\n');
  assert.equal(await run('ls -z'), "ls: invalid option -- 'z'\nTry 'ls --help' for more information.\n");
});

test('ls -l shows mode, links, owner, group, size, time and name', async () => {
  const { run } = await startShell({ files });
  const listing = await run('ls -l /etc/postfix');
  const lines = listing.split('\n');
  assert.equal(lines[0], 'total 12');
  assert.match(lines[1]!, /^-rw-r--r-- 1 root root 11 [A-Z][a-z]{2} [ 0-9]\d (\d\d:\d\d| \d{4}) aliases$/);
  assert.match(lines[2]!, /^-rw-r--r-- 1 root root 31 .* main\.cf$/);
  assert.match(await run('ls -ld /etc'), /^drwxr-xr-x \d+ root root \d+ .* \/etc\n$/);
});

test('cat, head, tail, wc and grep read files and report missing ones', async () => {
  const { run, shell } = await startShell({ files: { ...files, '/tmp/lines': 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n' } });
  assert.equal(await run('cat /etc/postfix/aliases /etc/postfix/main.cf'), 'root alice\nmyhostname = mail.example.test\n');
  assert.equal(await run('cat /etc'), 'cat: /etc: Is a directory\n');
  assert.equal(shell.lastStatus, 1);
  assert.equal(await run('head -3 /tmp/lines'), 'a\nb\nc\n');
  assert.equal(await run('head /tmp/lines | wc -l'), '10\n');
  assert.equal(await run('tail -n 2 /tmp/lines'), 'k\nl\n');
  assert.equal(await run('wc /tmp/lines'), '12 12 24 /tmp/lines\n');
  assert.equal(await run('cat /tmp/lines | wc'), '     12      12      24\n');
  assert.equal(await run('grep -n "^[bc]$" /tmp/lines'), '2:b\n3:c\n');
  assert.equal(await run('grep -c x /tmp/lines; echo $?'), '0\n1\n');
  assert.equal(await run('grep -i ALICE /etc/postfix/aliases /etc/postfix/main.cf'), '/etc/postfix/aliases:root alice\n');
  assert.equal(await run('grep x /nope; echo $?'), 'grep: /nope: No such file or directory\n2\n');
  assert.equal(await run('grep "a\\|b" /tmp/lines'), 'a\nb\n');
});

test('mkdir, touch, cp, mv and rm change files with coreutils\' messages', async () => {
  const { run, readFile } = await startShell({ files });
  assert.equal(await run('mkdir /srv/a/b'), "mkdir: cannot create directory '/srv/a/b': No such file or directory\n");
  assert.equal(await run('mkdir -p /srv/a/b && touch /srv/a/b/f && ls /srv/a/b'), 'f\n');
  assert.equal(await run('mkdir /srv/a'), "mkdir: cannot create directory '/srv/a': File exists\n");
  assert.equal(await run('cp /etc/postfix/main.cf /srv/a && cat /srv/a/main.cf'), 'myhostname = mail.example.test\n');
  assert.equal(await run('cp /etc/postfix /srv'), "cp: -r not specified; omitting directory '/etc/postfix'\n");
  assert.equal(await run('cp -r /etc/postfix /srv/backup && ls /srv/backup'), 'aliases  main.cf  master.cf\n');
  assert.equal(await run('cp /nope /srv'), "cp: cannot stat '/nope': No such file or directory\n");
  assert.equal(await run('mv /srv/a/main.cf /srv/a/old.cf && ls /srv/a'), 'b  old.cf\n');
  assert.equal(await run('mv /srv/a/old.cf /srv/backup && ls /srv/backup'), 'aliases  main.cf  master.cf  old.cf\n');
  assert.equal(await readFile('/srv/backup/old.cf'), 'myhostname = mail.example.test\n');
  assert.equal(await run('rm /srv/a'), "rm: cannot remove '/srv/a': Is a directory\n");
  assert.equal(await run('rm /srv/nope'), "rm: cannot remove '/srv/nope': No such file or directory\n");
  assert.equal(await run('rm -f /srv/nope; echo $?'), '0\n');
  assert.equal(await run('rm -r /srv/a && ls /srv'), 'backup\n');
  assert.equal(await run('rm -rf /'), "rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n");
  assert.equal(await run('rm'), "rm: missing operand\nTry 'rm --help' for more information.\n");
});

test('globs expand against the files, sorted, and stay as typed without a match', async () => {
  const { run } = await startShell({ files });
  assert.equal(await run('echo /etc/postfix/*.cf'), '/etc/postfix/main.cf /etc/postfix/master.cf\n');
  assert.equal(await run('cd /etc/postfix; echo ma*'), 'main.cf master.cf\n');
  assert.equal(await run('echo *.db "*.cf"'), '*.db *.cf\n');
});

test('hostname, whoami, which and help', async () => {
  const { run } = await startShell({ adminNames: ['postconf'], runAdmin: async () => undefined });
  assert.equal(await run('hostname'), 'mail.example.test\n');
  assert.equal(await run('hostname -s'), 'mail\n');
  assert.equal(await run('whoami'), 'root\n');
  assert.equal(await run('which postconf ls cd'), '/usr/sbin/postconf\n/usr/bin/ls\n');
  assert.match(await run('help'), /^ {2}postconf$/m);
});

test('Tab completes command names, paths and postconf parameter names', async () => {
  const { type, screen, run } = await startShell({
    files, adminNames: ['postconf', 'postmap', 'postalias'],
    parameterNames: ['mydestination', 'mydomain', 'myhostname', 'mynetworks', 'mynetworks_style', 'relayhost'],
  });
  await type('hostn\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# hostname ');
  await type('\x15cat /etc/postf\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# cat /etc/postfix/');
  await type('mai\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# cat /etc/postfix/main.cf ');
  await type('\x15postconf relay\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# postconf relayhost ');
  await type('mynet\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# postconf relayhost mynetworks');
  await type('\x15postconf myd\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# postconf myd');
  // Ambiguous and no longer common prefix: the candidates are listed, then the line again.
  await type('\t');
  assert.equal(screen.text().split('\n').slice(-2).join('\n'), 'mydestination  mydomain\nroot@mail:~# postconf myd');
  await type('\x15post\t');
  assert.equal(screen.beforeCursor(), 'root@mail:~# post');
  await type('\x15cd /etc/post\t');
  assert.equal(await run(''), '');
  assert.equal(await run('pwd'), '/etc/postfix\n');
});
