// CONVENTIONS.md rule 15 for the page: xterm is imported by one file only (the terminal
// bridge), and the engine is reached only through the worker (no page file imports engine/
// code except the worker's own modules).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const sourceDirectory = join(root, 'ui', 'src');
const filesMax = 2000;

function sourceFiles(): string[] {
  const found: string[] = [];
  const stack = [sourceDirectory];
  while (stack.length > 0 && found.length < filesMax) {
    const directory = stack.pop()!;
    for (const name of readdirSync(directory).sort()) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) stack.push(path);
      else if (/\.(ts|svelte)$/.test(name)) found.push(relative(root, path));
    }
  }
  return found.sort();
}

const importsOf = (file: string): string[] =>
  [...readFileSync(join(root, file), 'utf8').matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s+['"]([^'"]+)['"]/g)]
    .map((match) => match[1] ?? match[2] ?? '');

test('only the terminal bridge imports xterm', () => {
  const importers = sourceFiles().filter((file) => importsOf(file).some((source) => source.startsWith('@xterm/')));
  assert.deepEqual(importers, ['ui/src/lib/terminal-bridge.ts']);
});

test('only the worker imports the engine', () => {
  const importers = sourceFiles().filter((file) => importsOf(file).some((source) => /(^|\/)engine\//.test(source)));
  assert.ok(importers.length > 0, 'the worker boots the engine');
  for (const file of importers) assert.match(file, /^ui\/src\/worker\//, `${file} imports engine code outside the worker`);
});
