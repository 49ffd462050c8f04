// The tidy test (CONVENTIONS.md rules 2 and 8): engine code outside engine/platform/node/ and
// engine/cli/ runs in a browser, so it may not import Node built-ins or read the wall clock,
// timers or randomness except through the Platform; and every engine/**/*.ts file opens with
// a header comment. Prints file:line for every hit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const engineDirectory = join(root, 'engine');
/** Directories allowed to touch Node and the real clock. */
const exemptDirectories = ['engine/platform/node/', 'engine/cli/'];
/** A tree far larger than the engine will ever be: the walk stops there. */
const filesMax = 20_000;

function engineFiles(): string[] {
  const found: string[] = [];
  const stack = [engineDirectory];
  while (stack.length > 0) {
    if (found.length > filesMax) throw new Error(`more than ${filesMax} files under engine/`);
    const directory = stack.pop() as string;
    for (const name of readdirSync(directory).sort()) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) stack.push(path);
      else if (name.endsWith('.ts')) found.push(relative(root, path).split('\\').join('/'));
    }
  }
  return found.sort();
}

const builtinNames = [...new Set(builtinModules.map((name) => name.replace(/^node:/, '')))]
  .map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
const bareBuiltin = new RegExp(`(?:from\\s*|require\\(\\s*|import\\(\\s*)['"](?:${builtinNames.join('|')})(?:/[^'"]*)?['"]`);

const forbidden: Array<{ name: string; pattern: RegExp }> = [
  { name: "import from 'node:'", pattern: /\bfrom\s*['"]node:/ },
  { name: "require('node:')", pattern: /\brequire\(\s*['"]node:/ },
  { name: "import('node:')", pattern: /\bimport\(\s*['"]node:/ },
  { name: 'Node built-in module', pattern: bareBuiltin },
  { name: 'Date.now', pattern: /\bDate\.now\b/ },
  // new Date() reads the wall clock; new Date(ms) of a platform time is deterministic.
  { name: 'new Date()', pattern: /\bnew\s+Date\b(?!\s*\(\s*[^\s)])/ },
  { name: 'Math.random', pattern: /\bMath\.random\b/ },
  { name: 'setTimeout', pattern: /\bsetTimeout\b/ },
  { name: 'setInterval', pattern: /\bsetInterval\b/ },
  { name: 'setImmediate', pattern: /\bsetImmediate\b/ },
];

/** Lines that are wholly comments may name the forbidden things to explain them. */
function isCommentLine(line: string): boolean {
  const trimmed = line.trim();
  return trimmed.startsWith('//') || trimmed.startsWith('*') || trimmed.startsWith('/*');
}

export function findForbidden(file: string, text: string): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (isCommentLine(line)) return;
    for (const rule of forbidden) {
      if (rule.pattern.test(line)) hits.push(`${file}:${index + 1}: ${rule.name}: ${line.trim()}`);
    }
  });
  return hits;
}

export function opensWithHeader(text: string): boolean {
  const first = text.replace(/^#![^\n]*\n/, '').split('\n').find((line) => line.trim() !== '');
  return first !== undefined && (first.trimStart().startsWith('//') || first.trimStart().startsWith('/*'));
}

test('the checker itself catches each forbidden form', () => {
  const sample = [
    "import { readFile } from 'node:fs/promises';",
    "import * as path from 'path';",
    "const os = require('os');",
    "const t = Date.now();",
    "const d = new Date();",
    "const r = Math.random();",
    "setTimeout(() => {}, 1);",
    "setInterval(() => {}, 1);",
    "setImmediate(() => {});",
    "// a comment may say setTimeout",
    "import { fs } from 'memfs';",
    "const e = new Date(clock.nowMs());",
  ].join('\n');
  const hits = findForbidden('sample.ts', sample);
  assert.deepEqual(hits.map((hit) => hit.split(':')[1]), ['1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(opensWithHeader('// what\ncode'), true);
  assert.equal(opensWithHeader('\n/* what */\ncode'), true);
  assert.equal(opensWithHeader("import x from 'y';\n"), false);
});

test('engine code outside platform/node and cli stays browser-safe and deterministic', () => {
  const hits: string[] = [];
  for (const file of engineFiles()) {
    if (exemptDirectories.some((directory) => file.startsWith(directory))) continue;
    hits.push(...findForbidden(file, readFileSync(join(root, file), 'utf8')));
  }
  assert.equal(hits.length, 0, `forbidden uses in engine/ (use the Platform instead):\n${hits.join('\n')}`);
});

test('every engine/**/*.ts file opens with a header comment', () => {
  const missing = engineFiles().filter((file) => !opensWithHeader(readFileSync(join(root, file), 'utf8')));
  assert.equal(missing.length, 0, `files without a header comment:\n${missing.map((file) => `${file}:1`).join('\n')}`);
});
