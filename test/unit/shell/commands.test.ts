// Running command lines: quoting and expansion, ; && ||, pipes, redirections, exit
// statuses and $?, unknown commands, and a command that reads the terminal (typed lines,
// Ctrl-D, Ctrl-C), driven through a stand-in admin command.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandContext } from '../../../engine/admin/command.ts';
import { startShell } from './harness.ts';

/** A stand-in for `postmap -q - TABLE`: answers each stdin line from a fixed table. */
async function fakeAdmin(context: CommandContext): Promise<number | undefined> {
  const table: Record<string, string> = { alice: 'alice@example.test', bob: 'bob@example.test' };
  if (context.argv[0] === 'lookup') {
    let found = false;
    for (let count = 0; count < 100; count++) {
      const line = await context.stdin.readLine();
      if (line === null) break;
      const value = table[line];
      if (value !== undefined) { context.stdout.write(`${line} ${value}\n`); found = true; }
    }
    return found ? 0 : 1;
  }
  if (context.argv[0] === 'showenv') {
    context.stdout.write(`${context.env.get('MAIL_CONFIG') ?? '(unset)'} ${context.cwd}\n`);
    context.stderr.write('showenv: warning: to stderr\n');
    return 0;
  }
  return undefined;
}

const withFake = { runAdmin: fakeAdmin, adminNames: ['lookup', 'showenv'] };

test('quotes, backslashes and variables expand as in bash', async () => {
  const { run } = await startShell();
  assert.equal(await run(`echo 'a  b' "c  d" e\\ f`), 'a  b c  d e f\n');
  assert.equal(await run('X="one two"; echo $X "$X" ${X}s \'$X\''), 'one two one two one twos $X\n');
  assert.equal(await run('echo $HOME ~ ~/x "~"'), '/root /root /root/x ~\n');
  assert.equal(await run('echo "$NOPE" $NOPE end'), ' end\n');
  assert.equal(await run('echo a#b # comment'), 'a#b\n');
  assert.equal(await run('echo -n no newline; echo'), 'no newline\n');
  assert.equal(await run('echo -e "a\\tb\\nc"'), 'a\tb\nc\n');
});

test('; && || and $? follow exit statuses', async () => {
  const { run } = await startShell();
  assert.equal(await run('false; echo $?'), '1\n');
  assert.equal(await run('true && echo yes || echo no'), 'yes\n');
  assert.equal(await run('false && echo yes || echo no'), 'no\n');
  assert.equal(await run('false || false; echo $?'), '1\n');
});

test('an unknown command prints bash\'s message and sets $? to 127', async () => {
  const { run, shell } = await startShell();
  assert.equal(await run('foo --bar'), 'bash: foo: command not found\n');
  assert.equal(shell.lastStatus, 127);
  assert.equal(await run('echo $?'), '127\n');
  assert.equal(await run('/opt/bin/thing'), 'bash: /opt/bin/thing: No such file or directory\n');
});

test('syntax errors are reported with status 2', async () => {
  const { run, shell } = await startShell();
  assert.equal(await run('echo "open'), 'bash: unexpected EOF while looking for matching `"\'\n');
  assert.equal(shell.lastStatus, 2);
  assert.equal(await run('| echo'), "bash: syntax error near unexpected token `|'\n");
  assert.equal(await run('echo a &&'), 'bash: syntax error: unexpected end of file\n');
});

test('pipes carry one command\'s output into the next', async () => {
  const { run } = await startShell({ files: { '/etc/postfix/main.cf': 'myhostname = a\nmydomain = b\n# note\nmyorigin = $mydomain\n' } });
  assert.equal(await run('cat /etc/postfix/main.cf | grep my | wc -l'), '3\n');
  assert.equal(await run('grep -v "^#" /etc/postfix/main.cf | head -n 1'), 'myhostname = a\n');
  assert.equal(await run('cat /etc/postfix/main.cf | tail -1'), 'myorigin = $mydomain\n');
  assert.equal(await run('echo x | false; echo $?'), '1\n');
});

test('redirections write, append, read and merge stderr', async () => {
  const { run, readFile } = await startShell(withFake);
  assert.equal(await run('echo one > /tmp/out'), '');
  assert.equal(await run('echo two >> /tmp/out'), '');
  assert.equal(await readFile('/tmp/out'), 'one\ntwo\n');
  assert.equal(await run('wc -l < /tmp/out'), '2\n');
  assert.equal(await run('cat /nope 2> /tmp/err; cat /tmp/err'), 'cat: /nope: No such file or directory\n');
  assert.equal(await run('showenv > /tmp/both 2>&1; cat /tmp/both'), '(unset) /root\nshowenv: warning: to stderr\n');
  assert.equal(await run('showenv 2>&1 > /tmp/only'), 'showenv: warning: to stderr\n');
  assert.equal(await readFile('/tmp/only'), '(unset) /root\n');
  assert.equal(await run('echo x > /nodir/file'), 'bash: /nodir/file: No such file or directory\n');
  assert.equal(await run('cat < /nope'), 'bash: /nope: No such file or directory\n');
  assert.equal(await run('cat /tmp/out > /tmp/out; cat /tmp/out'), '');
});

test('environment: MAIL_CONFIG from the shell env, export, and NAME=value before a command', async () => {
  const { run } = await startShell({ ...withFake, env: { MAIL_CONFIG: '/etc/postfix-two' } });
  assert.equal(await run('showenv 2>/dev/null'), '/etc/postfix-two /root\n');
  assert.equal(await run('showenv 2>/tmp/x'), '/etc/postfix-two /root\n');
  assert.equal(await run('MAIL_CONFIG=/tmp/c showenv 2>/tmp/x'), '/tmp/c /root\n');
  assert.equal(await run('unset MAIL_CONFIG; showenv 2>/tmp/x'), '(unset) /root\n');
  assert.equal(await run('export MAIL_CONFIG=/srv; showenv 2>/tmp/x'), '/srv /root\n');
  assert.match(await run('env'), /^MAIL_CONFIG=\/srv$/m);
});

test('a command reading the terminal gets typed lines, echoed, until Ctrl-D', async () => {
  const { type, shell, screen } = await startShell(withFake);
  await type('lookup\r');
  await type('alice\r');
  await type('carol\r');
  await type('bob');
  assert.equal(screen.currentLine(), 'bob');
  await type('\r\x04');
  assert.equal(screen.text(), [
    'root@mail:~# lookup', 'alice', 'alice alice@example.test', 'carol', 'bob', 'bob bob@example.test',
    'root@mail:~#',
  ].join('\n'));
  assert.equal(shell.lastStatus, 0);
});

test('Backspace and Ctrl-U edit a line typed to a command', async () => {
  const { type, screen } = await startShell(withFake);
  await type('lookup\r');
  await type('bobx\x7f\r');
  await type('junk\x15alice\r\x04');
  assert.match(screen.text(), /bob bob@example.test\nalice\nalice alice@example.test\nroot@mail:~#$/);
});

test('Ctrl-C interrupts a command reading the terminal', async () => {
  const { type, shell, run, screen } = await startShell(withFake);
  await type('lookup\r');
  await type('ali');
  const written = await type('\x03');
  assert.equal(written, '^C\r\nroot@mail:~# ');
  assert.equal(shell.lastStatus, 130);
  assert.equal(screen.text(), 'root@mail:~# lookup\nali^C\nroot@mail:~#');
  assert.equal(await run('echo $?'), '130\n');
  assert.equal(await run('echo after'), 'after\n');
});

test('lines typed ahead while a command reads go to the command, the rest to the prompt', async () => {
  const { type, screen } = await startShell(withFake);
  await type('echo start; lookup\ralice\r\x04echo done\r');
  assert.equal(screen.text(), [
    'root@mail:~# echo start; lookup', 'start', 'alice', 'alice alice@example.test',
    'root@mail:~# echo done', 'done', 'root@mail:~#',
  ].join('\n'));
});

test('a pipe feeds a command that would otherwise read the terminal', async () => {
  const { run } = await startShell(withFake);
  assert.equal(await run('echo -e "bob\\nalice" | lookup'), 'bob bob@example.test\nalice alice@example.test\n');
});

test('admin commands run by their full path in /usr/sbin', async () => {
  const { run } = await startShell(withFake);
  assert.equal(await run('echo bob | /usr/sbin/lookup'), 'bash: /usr/sbin/lookup: No such file or directory\n');
});
