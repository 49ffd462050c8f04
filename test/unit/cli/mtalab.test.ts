// The `mtalab` command as a child process: usage and exit statuses, dispatch to serve, and
// the admin commands on a temporary config directory, compared with the real Postfix 3.7
// programs when they are installed. Admin-command cases are skipped (with the reason) while
// the command table cannot load, since those modules belong to other parts of the project.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'bin', 'mtalab.mjs');
/** Per child process; tsx compiles on the first run, so this is generous. */
const childTimeoutMs = 60_000;

interface Outcome { status: number | null; stdout: string; stderr: string }

function run(command: string, args: string[], options: { env?: Record<string, string>; input?: string } = {}): Outcome {
  const result = spawnSync(command, args, {
    cwd: root, encoding: 'utf8', timeout: childTimeoutMs, input: options.input ?? '',
    env: { ...process.env, ...options.env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const mtalab = (args: string[], options?: { env?: Record<string, string>; input?: string }) => run(process.execPath, [bin, ...args], options);

/** The real Postfix program, when installed. */
function realProgram(name: string): string | undefined {
  const path = `/usr/sbin/${name}`;
  return existsSync(path) ? path : undefined;
}

function configDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-cli-'));
  writeFileSync(join(directory, 'main.cf'), '');
  writeFileSync(join(directory, 'master.cf'), '');
  return directory;
}

/** Skips the test while the admin command modules cannot load; true when it skipped. */
function skippedUnloadable(t: TestContext, outcome: Outcome): boolean {
  if (!outcome.stderr.startsWith('mtalab: cannot load the admin commands')) return false;
  t.skip(outcome.stderr.trim());
  return true;
}

test('mtalab --help prints the usage on stdout and exits 0, naming the config directory rule', () => {
  const outcome = mtalab(['--help']);
  assert.equal(outcome.status, 0);
  assert.match(outcome.stdout, /^usage: mtalab COMMAND/);
  assert.match(outcome.stdout, /\$MAIL_CONFIG/);
  assert.match(outcome.stdout, /\/etc\/postfix/);
  for (const command of ['postconf', 'postmap', 'postalias', 'newaliases', 'serve']) assert.match(outcome.stdout, new RegExp(`mtalab ${command}`));
  assert.equal(outcome.stderr, '');
});

test('mtalab without a command prints the usage on stderr and exits 64 (EX_USAGE)', () => {
  const outcome = mtalab([]);
  assert.equal(outcome.status, 64);
  assert.equal(outcome.stdout, '');
  assert.match(outcome.stderr, /^usage: mtalab COMMAND/);
});

test('an unknown command is named on stderr and exits 64', () => {
  const outcome = mtalab(['frobnicate', '-x']);
  assert.equal(outcome.status, 64);
  assert.equal(outcome.stderr.split('\n')[0], 'mtalab: unknown command: frobnicate');
  assert.equal(outcome.stdout, '');
});

test('mtalab serve reaches serveMain (a bad option is its usage error)', () => {
  const outcome = mtalab(['serve', '--bogus']);
  assert.notEqual(outcome.status, 0);
  assert.match(outcome.stderr, /^mtalab serve: unknown option --bogus/);
});

test('postconf -c DIR mail_version matches the real postconf', (t) => {
  const directory = configDirectory();
  try {
    const outcome = mtalab(['postconf', '-c', directory, 'mail_version']);
    if (skippedUnloadable(t, outcome)) return;
    assert.equal(outcome.status, 0, outcome.stderr);
    assert.equal(outcome.stdout, 'mail_version = 3.7.11\n');
    const real = realProgram('postconf');
    if (real !== undefined) assert.deepEqual(outcome, run(real, ['-c', directory, 'mail_version']));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('MAIL_CONFIG chooses the config directory when -c is absent, as with Postfix', (t) => {
  const directory = configDirectory();
  try {
    const outcome = mtalab(['postconf', '-h', 'config_directory'], { env: { MAIL_CONFIG: directory } });
    if (skippedUnloadable(t, outcome)) return;
    assert.equal(outcome.stdout, `${directory}\n`);
    assert.equal(outcome.status, 0, outcome.stderr);
    const real = realProgram('postconf');
    if (real !== undefined) assert.deepEqual(outcome, run(real, ['-h', 'config_directory'], { env: { MAIL_CONFIG: directory } }));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a missing config directory is fatal with the same text and status as postconf', (t) => {
  const directory = configDirectory();
  try {
    const missing = join(directory, 'nope');
    const outcome = mtalab(['postconf', '-c', missing, 'mail_version']);
    if (skippedUnloadable(t, outcome)) return;
    assert.equal(outcome.status, 1);
    assert.equal(outcome.stderr, `postconf: fatal: open ${missing}/main.cf: No such file or directory\n`);
    const real = realProgram('postconf');
    if (real !== undefined) assert.deepEqual(outcome, run(real, ['-c', missing, 'mail_version']));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('postmap -q - reads keys from the real stdin, as the real postmap', (t) => {
  const directory = configDirectory();
  try {
    writeFileSync(join(directory, 'table'), 'alpha one\ngamma three\n');
    const args = ['-c', directory, '-q', '-', `texthash:${join(directory, 'table')}`];
    const outcome = mtalab(['postmap', ...args], { input: 'alpha\nbeta\ngamma\n' });
    if (skippedUnloadable(t, outcome)) return;
    assert.equal(outcome.stdout, 'alpha\tone\ngamma\tthree\n');
    assert.equal(outcome.status, 0, outcome.stderr);
    const real = realProgram('postmap');
    if (real !== undefined) assert.deepEqual(outcome, run(real, args, { input: 'alpha\nbeta\ngamma\n' }));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
