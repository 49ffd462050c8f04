// cut, sort, uniq, tr (and the pipelines they make with grep) against the real GNU
// coreutils 9.1 and bash on the same files: each line of shell-text-tools-cases.ts runs in
// bash -c (LC_ALL=C, stderr into stdout so that the two interleave as on a terminal) and in
// mtalab's shell on a simulated host; text and exit status must match byte for byte.
// UPDATE_GOLDEN=1 writes the real answers to test/unit/shell/golden/text-tools.json, which
// the unit test (test/unit/shell/text-tools.test.ts) checks without the real tools.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bashInstalled, withShellBesideBash } from './shell-beside-bash.ts';
import { TEXT_TOOL_CASES, TEXT_TOOL_FILES } from './shell-text-tools-cases.ts';

const GOLDEN = join(import.meta.dirname, '../unit/shell/golden/text-tools.json');

test('cut, sort, uniq and tr match GNU coreutils', { skip: !bashInstalled && 'bash not installed' }, async () => {
  await withShellBesideBash('mtalab-text-tools-', TEXT_TOOL_FILES, async ({ run, lastStatus, bash }) => {
    const mismatches: string[] = [];
    const golden: Array<{ line: string; output: string; status: number }> = [];
    for (const line of TEXT_TOOL_CASES) {
      const ours = await run(line);
      const status = lastStatus();
      const real = bash(`exec 2>&1; ${line}`);
      const realText = real.stdout.replace(/^bash: line 1: /gm, 'bash: ');
      golden.push({ line, output: realText, status: real.status ?? -1 });
      if (ours !== realText || status !== real.status) {
        mismatches.push(`${line}\n  mtalab (${status}): ${JSON.stringify(ours)}\n  real   (${real.status}): ${JSON.stringify(realText)}`);
      }
    }
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(golden, null, 1)}\n`);
    console.log(`shell text tools interop: ${TEXT_TOOL_CASES.length - mismatches.length}/${TEXT_TOOL_CASES.length} equal`);
    assert.deepEqual(mismatches, []);
  });
});
