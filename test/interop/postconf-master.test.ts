// postconf -M/-F/-P interop: the real Postfix 3.7.11 postconf and mtalab's on the same
// master.cf files (test/fixtures/master/*/, broken ones included), with and without
// service operands, -f, -x, -h, -H and -o, and edited with -e, -X and -#. stdout, exit
// status and the master.cf left behind must be byte-identical;
// stderr is compared as sorted lines, because Postfix prints its unused/undefined
// parameter warnings in the order of a randomised hash table. Each case runs in two
// temporary copies; their directory names are normalised before comparing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ageFiles, hasRealCommand, makeTemporaryDirectory, normalizePaths, removeTemporaryDirectory, runMtalab, runReal,
  type CommandResult,
} from './real-postfix.ts';

const fixtures = new URL('../fixtures/master/', import.meta.url).pathname;
const skip = hasRealCommand('postconf') ? false : 'the real postconf is not installed';

/** Command lines every fixture is run under. */
const everyFixture: readonly (readonly string[])[] = [
  ['-M'], ['-Mf'], ['-Mx'], ['-F'], ['-Ff'], ['-P'], ['-Px'], ['-Pf'],
];

/** Extra command lines for particular fixtures: operands, patterns, -h/-H, -o. */
const particular: readonly { fixture: string; arguments: readonly string[] }[] = [
  ...[
    ['-M', 'submission'], ['-M', 'submission/inet', 'longarg/unix', 'nosuch'], ['-M', '*/unix'],
    ['-M', '/x'], ['-M', 'a/b/c'], ['-M', 's*'], ['-M', 'submission', 'submission/inet'],
    ['-F', '*/*/chroot'], ['-F', 'submission/inet/command'], ['-Ff', 'submission/inet/command', 'longarg'],
    ['-F', 'x/y/z'], ['-F', '*/*/bogus'], ['-F', 'submission//inet'], ['-F', '*'],
    ['-P', '*/*/syslog_name'], ['-P', 'submission'], ['-P', 'nosuch/*/x'], ['-P', 'a/b/c/d'],
    ['-Ph'], ['-PH'], ['-Fh'], ['-FH'], ['-FHf'], ['-Mxf'], ['-Pxh', 'submission/inet/smtpd_client_restrictions'],
  ].map((args) => ({ fixture: 'submission-and-long', arguments: args })),
  ...[
    ['-Fh', '*/*/command'], ['-Ffh', '*/*/command'], ['-Ffx'], ['-Pfx'], ['-Mfx'],
  ].map((args) => ({ fixture: 'long-values', arguments: args })),
  { fixture: 'expansion', arguments: ['-Px', '-o', 'mydomain=override.test'] },
  { fixture: 'expansion', arguments: ['-Mx', '-o', 'myhostname=mx.example'] },
  { fixture: 'service-parameters', arguments: ['-P', '*/*/syslog_name'] },
  { fixture: 'service-parameters', arguments: ['-F', 'foo/unix/command', 'bar'] },
  { fixture: 'user-parameters', arguments: ['-P', 'foo/unix/process_name'] },
  { fixture: 'main-references', arguments: ['-Px'] },
  { fixture: 'bad-type', arguments: ['-M', 'foo'] },
  { fixture: 'bad-type', arguments: ['-M', '-o', 'foo'] },
  { fixture: 'expansion', arguments: ['-M', '-o', 'foo'] },
  { fixture: 'missing-main', arguments: ['-M', '-o', 'foo'] },
  { fixture: 'empty', arguments: ['-M', 'smtp'] },
];

/** Edits (-e, -X, -#): the resulting master.cf is compared too. */
const edits: readonly { fixture: string; arguments: readonly string[] }[] = [
  ...[
    ['-Me', 'submission/inet=submission inet n - n - - smtpd -o x=y'],
    ['-M', '-e', 'new/unix = new unix - - - - - cmd'], ['-Me', 'new/unix=other inet - - - - - cmd'],
    ['-Me', 'new/unix=few fields'], ['-M', '-e'], ['-Me', 'submission'],
    ['-MX', 'submission/inet'], ['-MX', 'nosuch/unix'], ['-M#', 'submission/inet'], ['-M#', 'longarg/unix'],
    ['-Fe', 'submission/inet/chroot=y'], ['-F', '-e', 'longarg/unix/command=pipe  x  y'],
    ['-Fe', 'longarg/unix/bogus=1'], ['-Fe', 'nosuch/unix/chroot=y'], ['-Fe', 'longarg/unix/chroot=a b'],
    ['-Fe', 'submission/inet/maxproc=7', 'longarg/unix/wakeup=60'],
    ['-Pe', 'submission/inet/syslog_name=foo'], ['-Pe', 'longarg/unix/foo=bar'],
    ['-Pe', 'submission/inet/zz = a b'], ['-Pe', 'nosuch/unix/a=b'], ['-P', '-e', 'submission/inet/new=1'],
    ['-PX', 'submission/inet/syslog_name'], ['-PX', 'submission/inet/nosuch'],
    ['-PX', 'submission/inet/smtpd_relay_restrictions', 'submission/inet/milter_macro_daemon_name'],
    ['-Fe', 'submission/inet/chroot'], ['-Pe', 'submission/inet/x'], ['-PX', 'submission/inet/x=y'],
    ['-MX', 'submission/inet=y'], ['-M#', 'a/b=c'], ['-Fe', 'submission/inet/chroot='], ['-Fe', 'a/b=c'],
    ['-Pe', 'a/b/c/d=e'], ['-Me', 'a=a unix - - - - - b'], ['-MX', 'a'], ['-M#', 'a/b/c'], ['-F#', 'a/b/c'],
    ['-P#', 'a/b/c'], ['-FX', 'a/b/c'], ['-MX', '*/inet'], ['-Pe', 'submission/inet/a='],
    ['-Pe', 'longarg/unix/a=1', 'longarg/unix/b=2', 'submission/inet/syslog_name=x'],
    ['-Fe', 'longarg/unix/command=x -o a=b y'], ['-Pe', '*/*/a=b'], ['-Fe', '*/inet/chroot=y'],
    ['-Me', '*/inet=x inet - - - - - y'], ['-M#', 's*/inet'], ['-M#', '*/*'], ['-Me', 'longarg/unix=longarg unix - - - - - x {a b} c'],
  ].map((args) => ({ fixture: 'submission-and-long', arguments: args })),
  ...[
    ['-Pe', 'foo/unix/smtp_helo_name=b'], ['-M#', 'foo/unix'], ['-MX', 'foo/unix'], ['-Fe', 'foo/unix/private=n'],
    ['-Me', 'bar/unix=bar unix - - - - - x'],
  ].map((args) => ({ fixture: 'continuation-and-braces', arguments: args })),
  ...[
    ['-Fe', 'bar/unix/chroot=y'], ['-M#', 'foo/unix'], ['-PX', 'bar/unix/smtp_helo_name'],
  ].map((args) => ({ fixture: 'crlf', arguments: args })),
  { fixture: 'comments-only', arguments: ['-Me', 'a/unix=a unix - - - - - b'] },
  { fixture: 'service-parameters', arguments: ['-PX', 'relay/unix/syslog_name'] },
];

const fixtureNames = readdirSync(fixtures).sort();
const cases = [
  ...fixtureNames.flatMap((fixture) => everyFixture.map((args) => ({ fixture, arguments: args }))),
  ...particular,
  ...edits,
];

function prepare(fixture: string): string {
  const directory = makeTemporaryDirectory('mtalab-master-');
  cpSync(join(fixtures, fixture), directory, { recursive: true });
  ageFiles(directory);
  return directory;
}

function comparable(result: CommandResult, directory: string): { stdout: string; stderr: string[]; status: number } {
  return {
    stdout: normalizePaths(result.stdout, [directory]),
    stderr: normalizePaths(result.stderr, [directory]).split('\n').filter((line) => line !== '').sort(),
    status: result.status,
  };
}

/** The master.cf a command left behind, or undefined when there is none. */
function masterText(directory: string): string | undefined {
  const path = join(directory, 'master.cf');
  return existsSync(path) ? readFileSync(path, 'latin1') : undefined;
}

let equalCases = 0;
for (const entry of cases) {
  test(`postconf ${entry.arguments.join(' ')} on master/${entry.fixture}`, { skip }, async () => {
    const realDirectory = prepare(entry.fixture);
    const myDirectory = prepare(entry.fixture);
    try {
      const real = runReal(['postconf', '-c', realDirectory, ...entry.arguments]);
      const mine = await runMtalab(['postconf', '-c', myDirectory, ...entry.arguments]);
      assert.deepEqual(comparable(mine, myDirectory), comparable(real, realDirectory));
      assert.equal(
        masterText(myDirectory), masterText(realDirectory),
        'the resulting master.cf files differ',
      );
      equalCases++;
    } finally {
      removeTemporaryDirectory(realDirectory);
      removeTemporaryDirectory(myDirectory);
    }
  });
}

test('postconf -M on a directory without master.cf', { skip }, async () => {
  const directory = prepare('missing-master');
  try {
    rmSync(join(directory, 'master.cf'), { force: true });
    const real = runReal(['postconf', '-c', directory, '-M']);
    const mine = await runMtalab(['postconf', '-c', directory, '-M']);
    assert.deepEqual(comparable(mine, directory), comparable(real, directory));
    assert.equal(real.status, 1);
  } finally {
    removeTemporaryDirectory(directory);
  }
});

test('postconf -M/-F/-P corpus summary', { skip }, () => {
  console.log(`postconf -M/-F/-P: ${equalCases}/${cases.length} equal`);
  assert.equal(equalCases, cases.length);
});
