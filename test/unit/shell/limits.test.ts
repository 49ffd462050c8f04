// Bounds and terminal size: the history keeps its last HISTORY_LINES_MAX lines, a pipe
// holds at most PIPE_BYTES_MAX, resize() changes where lines wrap and how ls lays out
// columns, and Ctrl-C ends a command that never finishes on its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History, HISTORY_LINES_MAX } from '../../../engine/shell/history.ts';
import { PipeOutput, PIPE_BYTES_MAX } from '../../../engine/shell/streams.ts';
import { startShell } from './harness.ts';

test('history keeps the newest lines and keeps numbering', () => {
  const history = new History();
  for (let index = 1; index <= HISTORY_LINES_MAX + 5; index++) history.add(`echo ${index}`);
  const entries = history.entries();
  assert.equal(entries.length, HISTORY_LINES_MAX);
  assert.deepEqual(entries[0], { number: 6, line: 'echo 6' });
  assert.equal(entries[entries.length - 1]!.number, HISTORY_LINES_MAX + 5);
});

test('a pipe drops bytes past its limit and says so', () => {
  const pipe = new PipeOutput();
  pipe.write(new Uint8Array(PIPE_BYTES_MAX - 1));
  pipe.write('abc');
  assert.equal(pipe.bytes().length, PIPE_BYTES_MAX);
  assert.equal(pipe.overflowed, true);
});

test('resize changes where a line wraps and how ls lays out names', async () => {
  const files: Record<string, string> = {};
  for (const name of ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']) files[`/srv/${name}`] = '';
  const { shell, screen, run, type } = await startShell({ files });
  assert.equal(await run('ls /srv'), 'alpha  bravo  charlie  delta  echo  foxtrot\n');
  shell.resize(20, 10);
  screen.resize(20);
  assert.equal(await run('ls /srv'), 'alpha    delta\nbravo    echo\ncharlie  foxtrot\n');
  await type('echo 1234567890');
  assert.deepEqual([screen.row - screen.text().split('\n').length + 1, screen.column], [0, 8]);
});

test('Ctrl-C ends a command that would never finish', async () => {
  const { type, shell, run } = await startShell({
    adminNames: ['hang'],
    runAdmin: async (context) => (context.argv[0] === 'hang' ? new Promise<number>(() => { /* never */ }) : undefined),
  });
  shell.input('hang\r');
  assert.equal(await type('\x03'), 'hang\r\n^C\r\nroot@mail:~# ');
  assert.equal(shell.lastStatus, 130);
  assert.equal(await run('echo still here'), 'still here\n');
});

test('exit explains that the terminal stays open', async () => {
  const { run, shell } = await startShell();
  assert.equal(await run('exit'), 'exit\nbash: exit: this terminal stays open; the host keeps running\n');
  assert.equal(shell.lastStatus, 1);
});
