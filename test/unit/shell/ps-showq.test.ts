// showq's process as ps shows it after postqueue -p, with max_use = 2: on a private
// Postfix 3.7.11 (same setting) three `postqueue -p` in a row printed the same listing and
// ps showed showq under pid a after the first, no showq after the second (the process
// exited after its second client), and a new pid b after the third. showq logs nothing of
// its own here, so ps is the only place its pid shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorldShell } from './world.ts';

/** The pids of the showq processes in `ps ax`. */
function showqPids(text: string): string[] {
  return text.split('\n').filter((line) => / showq -t unix -u$/.test(line)).map((line) => line.trim().split(/\s+/)[0]!);
}

test('showq: each postqueue -p is one use; after max_use the next listing has a new process', async () => {
  const { run, advance } = await startWorldShell();
  await run('postconf -e max_use=2');
  await run('postfix reload');
  await advance(1_000);
  const seen: string[][] = [];
  const listings: string[] = [];
  for (let round = 0; round < 3; round += 1) {
    listings.push(await run('postqueue -p'));
    seen.push(showqPids(await run('ps ax | cat')));
  }
  assert.equal(new Set(listings).size, 1, listings.join('\n'));
  assert.equal(seen[0]!.length, 1, JSON.stringify(seen));
  assert.deepEqual(seen[1], [], 'the process exited after its second client');
  assert.equal(seen[2]!.length, 1, JSON.stringify(seen));
  assert.notEqual(seen[2]![0], seen[0]![0], 'a new showq process');
});
