// Runs every *.test.ts under test/ with node's test runner (TypeScript through tsx).
// Usage: node test/run.mjs [DIR_OR_FILE ...]   (default: all of test/)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test'];
const files = [];
function walk(path) {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    if (path.endsWith('node_modules') || path.endsWith('fixtures')) return;
    for (const name of readdirSync(path).sort()) walk(join(path, name));
  } else if (path.endsWith('.test.ts')) {
    files.push(relative(root, path));
  }
}
for (const r of roots) walk(join(root, r));
if (files.length === 0) {
  console.error('test/run.mjs: no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root, stdio: 'inherit',
});
process.exit(result.status ?? 1);
