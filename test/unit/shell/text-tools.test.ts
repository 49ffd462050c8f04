// cut, sort, uniq and tr in the terminal shell against the answers the real GNU coreutils
// 9.1 gave for the same command lines on the same files (golden/text-tools.json, written by
// test/interop/shell-text-tools.test.ts with UPDATE_GOLDEN=1): output, messages and exit
// status byte for byte, pipelines included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEXT_TOOL_CASES, TEXT_TOOL_FILES } from '../../interop/shell-text-tools-cases.ts';
import { startShell } from './harness.ts';

interface GoldenCase { line: string; output: string; status: number }

const golden = JSON.parse(readFileSync(join(import.meta.dirname, 'golden/text-tools.json'), 'utf8')) as GoldenCase[];

test('the golden file covers every case line', () => {
  assert.deepEqual(golden.map((entry) => entry.line), TEXT_TOOL_CASES);
});

test('cut, sort, uniq and tr print what GNU coreutils printed', async () => {
  const files: Record<string, string> = {};
  for (const [path, text] of Object.entries(TEXT_TOOL_FILES)) files[`/work/${path}`] = text;
  const { run, shell } = await startShell({ files, directories: ['/work'] });
  await run('cd /work');
  const mismatches: string[] = [];
  for (const entry of golden) {
    const output = await run(entry.line);
    if (output !== entry.output || shell.lastStatus !== entry.status) {
      mismatches.push(`${entry.line}\n  ours (${shell.lastStatus}): ${JSON.stringify(output)}\n  real (${entry.status}): ${JSON.stringify(entry.output)}`);
    }
  }
  assert.deepEqual(mismatches, []);
});

test('the new text tools are in help and complete on Tab', async () => {
  const { run, type } = await startShell();
  const help = await run('help');
  for (const name of ['cut', 'sort', 'tr', 'uniq']) assert.match(help, new RegExp(`^  ${name}$`, 'm'));
  const completed = await type('un\t');
  assert.match(completed, /uniq/);
  const listing = await type('\x15so\t');
  assert.match(listing, /sort/);
});
