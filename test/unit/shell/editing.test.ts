// The shell's line editing as a user sees it on screen: prompt, echo, cursor keys,
// insertion in the middle, Backspace/Delete, Ctrl-A/E/U/K/W, history with Up/Down,
// Ctrl-C at the prompt, Ctrl-L, wrapping past the terminal width, pasted lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startShell } from './harness.ts';

const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const UP = '\x1b[A';
const DOWN = '\x1b[B';
const HOME = '\x1b[H';
const END = '\x1b[F';
const DELETE = '\x1b[3~';

test('the first prompt is root@mail:~# in the home directory', async () => {
  const { screen, output } = await startShell();
  assert.equal(output(), 'root@mail:~# ');
  assert.equal(screen.text(), 'root@mail:~#');
});

test('typed characters are echoed as typed', async () => {
  const { type, screen } = await startShell();
  assert.equal(await type('echo hi'), 'echo hi');
  assert.equal(screen.currentLine(), 'root@mail:~# echo hi');
});

test('Enter runs the line and shows a new prompt', async () => {
  const { type, screen } = await startShell();
  const written = await type('echo hello\r');
  assert.equal(written, 'echo hello\r\nhello\r\nroot@mail:~# ');
  assert.equal(screen.text(), 'root@mail:~# echo hello\nhello\nroot@mail:~#');
});

test('a user other than root gets a $ prompt and their home directory', async () => {
  const { output, shell } = await startShell({ user: 'alice' });
  assert.equal(output(), 'alice@mail:~$ ');
  assert.equal(shell.cwd, '/home/alice');
});

test('cursor keys move and characters are inserted in the middle', async () => {
  const { type, screen, run } = await startShell();
  await type('echo wrld');
  await type(`${LEFT}${LEFT}${LEFT}o`);
  assert.equal(screen.currentLine(), 'root@mail:~# echo world');
  assert.equal(screen.column, 'root@mail:~# echo wo'.length);
  await type(`${HOME}${RIGHT}${RIGHT}${RIGHT}${RIGHT}${RIGHT}X${END}!`);
  assert.equal(screen.currentLine(), 'root@mail:~# echo Xworld!');
  assert.equal(await run(''), 'Xworld!\n');
});

test('Backspace and Delete remove characters before and under the cursor', async () => {
  const { type, screen, run } = await startShell();
  await type('echo abcdef');
  await type('\x7f\x7f');
  assert.equal(screen.currentLine(), 'root@mail:~# echo abcd');
  await type(`${LEFT}${LEFT}${DELETE}`);
  assert.equal(screen.currentLine(), 'root@mail:~# echo abd');
  await type(`\x7f`);
  assert.equal(screen.currentLine(), 'root@mail:~# echo ad');
  assert.equal(await run(''), 'ad\n');
});

test('Ctrl-A, Ctrl-E, Ctrl-U, Ctrl-K and Ctrl-W edit like readline', async () => {
  const { type, screen, run } = await startShell();
  await type('echo one two three');
  await type('\x17');
  assert.equal(screen.currentLine(), 'root@mail:~# echo one two');
  await type('\x01\x06\x06\x06\x06\x06\x0b');
  assert.equal(screen.currentLine(), 'root@mail:~# echo');
  await type('\x05 again');
  assert.equal(await run(''), 'again\n');
  await type('some text\x15');
  assert.equal(screen.currentLine(), 'root@mail:~#');
});

test('Up and Down walk the history and keep the line being typed', async () => {
  const { type, run, screen } = await startShell();
  await run('echo first');
  await run('echo second');
  await type('echo draft');
  await type(UP);
  assert.equal(screen.currentLine(), 'root@mail:~# echo second');
  await type(UP);
  assert.equal(screen.currentLine(), 'root@mail:~# echo first');
  await type(UP);
  assert.equal(screen.currentLine(), 'root@mail:~# echo first');
  await type(DOWN);
  await type(DOWN);
  assert.equal(screen.currentLine(), 'root@mail:~# echo draft');
  await type('\x15');
  await type(UP);
  assert.equal(await run(''), 'second\n');
});

test('the history builtin numbers the lines typed', async () => {
  const { run } = await startShell();
  await run('echo a');
  await run('   ');
  await run('pwd');
  assert.equal(await run('history'), '    1  echo a\n    2  pwd\n    3  history\n');
  assert.equal(await run('history 2'), '    3  history\n    4  history 2\n');
});

test('Ctrl-C at the prompt prints ^C, drops the line and sets $? to 130', async () => {
  const { type, run, screen } = await startShell();
  const written = await type('echo never\x03');
  assert.equal(written, 'echo never^C\r\nroot@mail:~# ');
  assert.equal(screen.text(), 'root@mail:~# echo never^C\nroot@mail:~#');
  assert.equal(await run('echo $?'), '130\n');
});

test('Ctrl-L clears the screen and redraws the prompt and line', async () => {
  const { type, run, screen } = await startShell();
  await run('echo one');
  await type('echo two\x0c');
  assert.equal(screen.text(), 'root@mail:~# echo two');
});

test('a line longer than the terminal wraps, and editing across the wrap stays right', async () => {
  const { type, screen, run } = await startShell({ columns: 20 });
  // The prompt is 13 columns; 7 more fill the first row exactly.
  await type('echo 12');
  assert.equal(screen.row, 1);
  assert.equal(screen.column, 0);
  await type('3456789');
  assert.equal(screen.text(), 'root@mail:~# echo 12\n3456789');
  await type(`${HOME}${RIGHT}${RIGHT}${RIGHT}${RIGHT}${RIGHT}ab`);
  assert.equal(screen.text(), 'root@mail:~# echo ab\n123456789');
  // The cursor sits after "ab", which ends the first row: the start of the second.
  assert.deepEqual([screen.row, screen.column], [1, 0]);
  await type(`${END}\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f`);
  assert.equal(screen.text(), 'root@mail:~# echo ab');
  assert.equal(await run(''), 'ab\n');
});

test('pasted lines run one after another', async () => {
  const { type, screen } = await startShell();
  await type('echo one\recho two\necho three\r\n');
  assert.equal(screen.text(), [
    'root@mail:~# echo one', 'one',
    'root@mail:~# echo two', 'two',
    'root@mail:~# echo three', 'three',
    'root@mail:~#',
  ].join('\n'));
});

test('Ctrl-D on an empty line does nothing; in a line it deletes under the cursor', async () => {
  const { type, screen } = await startShell();
  assert.equal(await type('\x04'), '');
  await type(`echo ab${LEFT}\x04`);
  assert.equal(screen.currentLine(), 'root@mail:~# echo a');
});

test('a line is bounded in length', async () => {
  const { type, screen } = await startShell();
  await type('x'.repeat(9000));
  assert.equal(screen.text().replace(/\n/g, '').length, 'root@mail:~# '.length + 8192);
});
