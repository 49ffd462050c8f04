// postconf interop: the real Postfix 3.7.11 postconf and mtalab's, side by side on the same
// files. (1) postconf -d, parameter by parameter, with Debian's master.cf, except the
// machine-dependent values; (2) a corpus of main.cf files (test/fixtures/config/*) under
// many postconf command lines: stdout, stderr and exit status must be equal, and after
// -e/-#/-X the edited main.cf must be byte-identical. Only the temporary directory names
// are normalised. Stderr lines are compared as sorted lists: Postfix prints its
// unused/undefined-parameter warnings in the order of a randomised hash table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ageFiles, hasRealCommand, makeTemporaryDirectory, normalizePaths, removeTemporaryDirectory, runMtalab, runReal,
  type CommandResult,
} from './real-postfix.ts';
import { MACHINE_DEPENDENT } from '../../engine/global/params/index.ts';

const fixtures = new URL('../fixtures/config/', import.meta.url).pathname;
const skip = hasRealCommand('postconf') ? false : 'the real postconf is not installed';

/** postconf -d values that cannot agree between two machines, and why. */
const EXCLUDED_FROM_DEFAULTS: Readonly<Record<string, string>> = {
  process_id: MACHINE_DEPENDENT.process_id ?? '',
};
// The other machine-dependent values (myhostname, mydomain, mynetworks, ...) are compared:
// the interop host has this machine's name and interfaces (real-postfix.ts).

function parseListing(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const at = line.indexOf(' =');
    values.set(line.slice(0, at), line.slice(at + 2).replace(/^ /, ''));
  }
  return values;
}

test('postconf -d: every default equals the real one', { skip }, async () => {
  const directory = makeTemporaryDirectory();
  try {
    writeFileSync(join(directory, 'main.cf'), '');
    const debianMaster = '/etc/postfix/master.cf';
    cpSync(existsSync(debianMaster) ? debianMaster : join(fixtures, 'master.cf'), join(directory, 'master.cf'));
    ageFiles(directory);
    const real = runReal(['postconf', '-c', directory, '-d']);
    const mine = await runMtalab(['postconf', '-c', directory, '-d']);
    assert.equal(mine.status, real.status);
    assert.equal(mine.stderr, real.stderr);
    const realValues = parseListing(real.stdout);
    const myValues = parseListing(mine.stdout);
    assert.deepEqual([...myValues.keys()], [...realValues.keys()], 'the same names in the same order');
    let equal = 0;
    const different: string[] = [];
    for (const [name, value] of realValues) {
      if (Object.hasOwn(EXCLUDED_FROM_DEFAULTS, name)) continue;
      if (myValues.get(name) === value) equal++;
      else different.push(`${name}: mtalab "${myValues.get(name)}" real "${value}"`);
    }
    const excluded = Object.keys(EXCLUDED_FROM_DEFAULTS).filter((name) => realValues.has(name));
    console.log(`postconf -d: ${equal}/${realValues.size} equal, ${excluded.length} machine-dependent excluded (${excluded.map((name) => `${name}: ${EXCLUDED_FROM_DEFAULTS[name]}`).join('; ')})`);
    assert.deepEqual(different, []);
  } finally {
    removeTemporaryDirectory(directory);
  }
});

/** A case: a fixture directory and the postconf arguments to run on it (after -c DIR). */
interface Case {
  fixture: string;
  arguments: string[];
}

const showCommands: string[][] = [
  ['-n'], [], ['-x'], ['-nx'], ['-h', 'myhostname', 'mydestination', 'myorigin'], ['-hx', 'myorigin', 'smtpd_banner'],
  ['-x', 'mydestination', 'smtpd_banner', 'myorigin'], ['-H', 'myorigin', 'biff'], ['-f', 'mydestination'],
  ['nosuch_parameter', 'biff'], ['-n', 'biff', 'relayhost'], ['-d', 'myorigin', 'biff'],
  ['-o', 'biff=yes', '-n'], ['-C', 'user', '-n'], ['-l'], ['-a'], ['-A'],
  ['-d', '-n'], ['-e'], ['-z'], ['-m', '-d'],
];

const editCommands: string[][] = [
  ['-e', 'biff=maybe'], ['-e', 'newone=1'], ['-#', 'myhostname'], ['-X', 'myhostname', 'biff'],
  ['-e', 'relayhost = [h]:25'], ['mynetworks=10.0.0.0/8'], ['-e', '#x=1'], ['-X', 'a=b'], ['-e', '=x'],
  ['-e', 'novalue'], ['-e', 'myhostname=x', 'myhostname=y'], ['-X'], ['-#', 'tail_no_newline'],
  ['-#', 'no_such_entry'], ['-e', 'biff=no', 'relayhost='],
];

const cases: Case[] = [];
for (const fixture of readdirSync(fixtures).filter((name) => !name.includes('.')).sort()) {
  for (const args of showCommands) cases.push({ fixture, arguments: args });
}
for (const args of editCommands) cases.push({ fixture: 'edit', arguments: args });

/** Copies a fixture (and the shared master.cf unless it has its own) into a new directory. */
function prepare(fixture: string): string {
  const directory = makeTemporaryDirectory();
  cpSync(join(fixtures, fixture), directory, { recursive: true });
  if (!existsSync(join(directory, 'master.cf'))) cpSync(join(fixtures, 'master.cf'), join(directory, 'master.cf'));
  ageFiles(directory);
  return directory;
}

/** Full listings include the process id, which differs from run to run; they are compared by the -d
 *  test's rules (excluded), everything else byte for byte. */
const MACHINE_LINES = /^process_id = .*\n/gm;

function comparable(result: CommandResult, directory: string): { stdout: string; stderr: string[]; status: number } {
  return {
    stdout: normalizePaths(result.stdout, [directory]).replace(MACHINE_LINES, ''),
    stderr: normalizePaths(result.stderr, [directory]).split('\n').filter((line) => line !== '').sort(),
    status: result.status,
  };
}

let equalCases = 0;
for (const entry of cases) {
  test(`postconf ${entry.arguments.join(' ')} on ${entry.fixture}`, { skip }, async () => {
    const realDirectory = prepare(entry.fixture);
    const myDirectory = prepare(entry.fixture);
    try {
      const real = runReal(['postconf', '-c', realDirectory, ...entry.arguments]);
      const mine = await runMtalab(['postconf', '-c', myDirectory, ...entry.arguments]);
      assert.deepEqual(comparable(mine, myDirectory), comparable(real, realDirectory));
      assert.equal(readFileSync(join(myDirectory, 'main.cf'), 'utf8'), readFileSync(join(realDirectory, 'main.cf'), 'utf8'),
        'main.cf afterwards');
      equalCases++;
    } finally {
      removeTemporaryDirectory(realDirectory);
      removeTemporaryDirectory(myDirectory);
    }
  });
}

test('postconf -m: every map type mtalab lists is one the real postconf lists', { skip }, async () => {
  const directory = prepare('basic');
  try {
    const real = runReal(['postconf', '-c', directory, '-m']);
    const mine = await runMtalab(['postconf', '-c', directory, '-m']);
    assert.equal(mine.status, 0);
    assert.equal(mine.stderr, real.stderr);
    const realTypes = real.stdout.split('\n').filter((line) => line !== '');
    const myTypes = mine.stdout.split('\n').filter((line) => line !== '');
    assert.deepEqual(myTypes, [...myTypes].sort(), 'sorted like the real list');
    assert.deepEqual(myTypes.filter((type) => !realTypes.includes(type)), []);
    console.log(`postconf -m: mtalab lists ${myTypes.length} of the real ${realTypes.length} map types`);
  } finally {
    removeTemporaryDirectory(directory);
  }
});

test('postconf corpus summary', { skip }, () => {
  console.log(`postconf corpus: ${equalCases}/${cases.length} command lines equal (stdout, stderr, status, main.cf)`);
});
