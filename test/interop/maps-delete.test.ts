// Interop: `postmap -d key`, `postmap -d -` and `postalias -d` (Postfix 3.7.11 against
// mtalab), on private copies of test/interop/maps-corpus, each side in a temporary
// directory of its own with "-c DIR". The steps run in order on both sides, so each delete
// acts on what the earlier steps left; every step compares exit status, stdout and stderr
// (paths normalised), and each delete is followed by `postmap -s` / `postalias -s` of the
// tables it named, so that the content afterwards is compared too. Covers the writable
// types (hash, btree, lmdb, including an lmdb table that does not exist yet), the types
// that cannot delete (texthash, regexp, pcre, cidr, inline, unionmap, static, fail), -f,
// several tables at once, a fatal after a first table was changed, the mode conflicts and
// postalias's reserved keys. Prints "postmap/postalias -d: N/M equal".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ageFiles, hasRealCommand, makeTemporaryDirectory, normalizePaths, removeTemporaryDirectory,
  runMtalab, runReal, type CommandResult,
} from './real-postfix.ts';

const corpus = new URL('./maps-corpus/', import.meta.url).pathname;

interface Step {
  argv: string[];
  input?: string;
  /** Tables to list with -s after the step ("postalias" lists with postalias). */
  listAfter?: Array<{ command: 'postmap' | 'postalias'; table: string }>;
}

const access = { command: 'postmap', table: 'hash:access.hash' } as const;
const accessLmdb = { command: 'postmap', table: 'lmdb:access.hash' } as const;
const odd = { command: 'postmap', table: 'btree:odd2.hash' } as const;
const aliases = { command: 'postalias', table: 'hash:aliases' } as const;

const steps: Step[] = [
  { argv: ['postmap', 'access.hash'] },
  { argv: ['postmap', 'lmdb:access.hash'] },
  { argv: ['postmap', 'btree:odd2.hash'] },
  { argv: ['postmap', 'hash:odd.hash'] },
  { argv: ['postalias', 'aliases'] },
  // hash: one key, folded; a key that is not there; -f keeps the case, so no match.
  { argv: ['postmap', '-d', 'Spammer@Example.NET', 'hash:access.hash'], listAfter: [access] },
  { argv: ['postmap', '-d', 'nosuch.example', 'hash:access.hash'], listAfter: [access] },
  { argv: ['postmap', '-f', '-d', 'EXAMPLE.NET', 'access.hash'], listAfter: [access] },
  { argv: ['postmap', '-q', 'example.net', 'access.hash'] },
  // Several tables: deleted from every one that has it.
  { argv: ['postmap', '-d', 'example.net', 'hash:access.hash', 'lmdb:access.hash'], listAfter: [access, accessLmdb] },
  { argv: ['postmap', '-d', '-', 'lmdb:access.hash', 'btree:odd2.hash'], input: 'spammer@example.net\nMULTI\nnone\n', listAfter: [accessLmdb, odd] },
  { argv: ['postmap', '-d', '-', 'btree:odd2.hash'], input: 'nothing\nelse\n', listAfter: [odd] },
  { argv: ['postmap', '-d', '-', 'btree:odd2.hash'], input: '', listAfter: [odd] },
  { argv: ['postmap', '-d', '"quoted', 'btree:odd2.hash'], listAfter: [odd] },
  { argv: ['postmap', '-d', 'user@example.com', 'hash:odd.hash'], listAfter: [{ command: 'postmap', table: 'hash:odd.hash' }] },
  // lmdb creates a table that is missing; hash and btree do not.
  { argv: ['postmap', '-d', 'x', 'lmdb:fresh'], listAfter: [{ command: 'postmap', table: 'lmdb:fresh' }] },
  { argv: ['postmap', '-d', 'x', 'hash:missing'] },
  { argv: ['postmap', '-d', 'x', 'btree:missing'] },
  { argv: ['postmap', '-d', 'x', 'btree:access.hash'] },
  // A fatal on the second table after the first was changed.
  { argv: ['postmap', '-d', '192.168.1', 'hash:access.hash', 'static:x'], listAfter: [access] },
  { argv: ['postmap', '-d', '-', 'hash:odd.hash', 'fail:x'], input: 'key:\n', listAfter: [{ command: 'postmap', table: 'hash:odd.hash' }] },
  // Types that cannot delete.
  { argv: ['postmap', '-d', 'x', 'texthash:access.texthash'] },
  { argv: ['postmap', '-d', 'x', 'regexp:rules.regexp'] },
  { argv: ['postmap', '-d', 'x', 'regexp:/nonexistent'] },
  { argv: ['postmap', '-d', 'x', 'pcre:rules.pcre'] },
  { argv: ['postmap', '-d', 'x', 'cidr:clients.cidr'] },
  { argv: ['postmap', '-d', 'x', 'inline:{x=1}'] },
  { argv: ['postmap', '-d', 'x', 'unionmap:{inline:{x=1}}'] },
  { argv: ['postmap', '-d', 'x', 'static:x'] },
  { argv: ['postmap', '-d', 'x', 'fail:x'] },
  { argv: ['postmap', '-d', 'x', 'nosuchtype:x'] },
  // Usage and mode conflicts.
  { argv: ['postmap', '-d', 'x'] },
  { argv: ['postmap', '-d', 'x', '-q', 'x', 'hash:access.hash'] },
  { argv: ['postmap', '-q', 'x', '-d', 'x', 'hash:access.hash'] },
  { argv: ['postmap', '-d', 'x', '-s', 'hash:access.hash'] },
  { argv: ['postmap', '-s', '-d', 'x', 'hash:access.hash'] },
  { argv: ['postmap', '-d', 'x', '-d', 'y', 'hash:access.hash'] },
  { argv: ['postmap', '-d', 'x', '-Z', 'hash:access.hash'] },
  // postalias: folded keys; the reserved keys are stored unfolded.
  { argv: ['postalias', '-d', 'ROOT', 'aliases'], listAfter: [aliases] },
  { argv: ['postalias', '-d', '-', 'hash:aliases'], input: 'Sales\nYP_MASTER_NAME\nyp_last_modified\n\n', listAfter: [aliases] },
  { argv: ['postalias', '-f', '-d', 'YP_MASTER_NAME', 'aliases'], listAfter: [aliases] },
  { argv: ['postalias', '-d', '@', 'aliases'], listAfter: [aliases] },
  { argv: ['postalias', '-d', 'nosuch', 'aliases'], listAfter: [aliases] },
  { argv: ['postalias', '-i', '-d', 'team', 'aliases'], listAfter: [aliases] },
  { argv: ['postalias', '-i', '-q', 'pipe', 'aliases'] },
  { argv: ['postalias', '-q', 'x', '-s', 'aliases'] },
  { argv: ['postalias', '-s', '-q', 'x', 'aliases'] },
  { argv: ['postalias', '-d', 'x', 'texthash:aliases'] },
  { argv: ['postalias', '-d', 'x'] },
];

function normalise(result: CommandResult, directory: string): CommandResult {
  const clean = (text: string): string => normalizePaths(text, [directory])
    .replace(/YP_LAST_MODIFIED(:?)\t\d+/g, 'YP_LAST_MODIFIED$1\t<TIME>')
    .replace(/YP_MASTER_NAME(:?)\t\S+/g, 'YP_MASTER_NAME$1\t<HOST>');
  return { stdout: clean(result.stdout), stderr: clean(result.stderr), status: result.status };
}

function prepare(directory: string): void {
  for (const name of readdirSync(corpus)) copyFileSync(join(corpus, name), join(directory, name));
  writeFileSync(join(directory, 'main.cf'), 'myhostname = mail.example.com\n');
  ageFiles(directory);
}

/** The step and its listings as argv lists. */
function commandsOf(step: Step): Array<{ argv: string[]; input?: string }> {
  return [
    { argv: step.argv, input: step.input },
    ...(step.listAfter ?? []).map((list) => ({ argv: [list.command, '-s', list.table] })),
  ];
}

test('postmap -d and postalias -d agree with Postfix 3.7', { skip: !hasRealCommand('postmap') }, async () => {
  const realDirectory = makeTemporaryDirectory('mtalab-delete-real-');
  const oursDirectory = makeTemporaryDirectory('mtalab-delete-ours-');
  try {
    prepare(realDirectory);
    prepare(oursDirectory);
    const differences: string[] = [];
    let equal = 0;
    let compared = 0;
    for (const step of steps) {
      for (const command of commandsOf(step)) {
        const withConfig = (directory: string): string[] => [command.argv[0] ?? '', '-c', directory, ...command.argv.slice(1)];
        const real = normalise(runReal(withConfig(realDirectory), { input: command.input, cwd: realDirectory }), realDirectory);
        const ours = normalise(await runMtalab(withConfig(oursDirectory), { input: command.input, cwd: oursDirectory }), oursDirectory);
        compared++;
        try {
          assert.deepEqual(ours, real);
          equal++;
        } catch {
          differences.push(`$ ${command.argv.join(' ')}\n--- real\n${JSON.stringify(real, null, 1)}\n--- mtalab\n${JSON.stringify(ours, null, 1)}`);
        }
      }
    }
    console.log(`postmap/postalias -d: ${equal}/${compared} equal`);
    if (differences.length > 0) console.log(differences.join('\n\n'));
    assert.equal(differences.length, 0, `${differences.length} of ${compared} comparisons differ`);
  } finally {
    removeTemporaryDirectory(realDirectory);
    removeTemporaryDirectory(oursDirectory);
  }
});
