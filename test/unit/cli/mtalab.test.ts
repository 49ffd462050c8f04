// The `mtalab` command as a child process: usage and exit statuses, dispatch to serve, and
// the admin commands on a temporary config directory, compared with the real Postfix 3.7
// programs when they are installed. Admin-command cases are skipped (with the reason) while
// the command table cannot load, since those modules belong to other parts of the project.

import { test } from 'node:test';
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

function run(command: string, args: string[], options: { env?: Record<string, string>; input?: string; argv0?: string } = {}): Outcome {
  const result = spawnSync(command, args, {
    cwd: root, encoding: 'utf8', timeout: childTimeoutMs, input: options.input ?? '', argv0: options.argv0,
    env: { ...process.env, ...options.env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const mtalab = (args: string[], options?: { env?: Record<string, string>; input?: string }) => run(process.execPath, [bin, ...args], options);

/** Runs the real Postfix program as a user would from $PATH: Postfix prefixes its
 *  diagnostics with argv[0], so it is given the bare name. scripts/ensure-test-tools.sh
 *  installs Postfix; a missing one fails the test rather than skipping it. */
function runReal(name: string, args: string[], options: { env?: Record<string, string>; input?: string } = {}): Outcome {
  const path = `/usr/sbin/${name}`;
  assert.ok(existsSync(path), `${path} is missing: run scripts/ensure-test-tools.sh`);
  return run(path, args, { ...options, argv0: name });
}

function configDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-cli-'));
  writeFileSync(join(directory, 'main.cf'), '');
  writeFileSync(join(directory, 'master.cf'), '');
  return directory;
}

/** The admin command modules must load; a broken one fails every test here. */
function assertLoadable(outcome: Outcome): void {
  assert.ok(!outcome.stderr.startsWith('mtalab: cannot load the admin commands'), outcome.stderr);
}

test('mtalab --help prints the usage on stdout and exits 0, naming the config directory rule', () => {
  const outcome = mtalab(['--help']);
  assert.equal(outcome.status, 0);
  assert.match(outcome.stdout, /^usage: mtalab COMMAND/);
  assert.match(outcome.stdout, /\$MAIL_CONFIG/);
  assert.match(outcome.stdout, /~\/\.mtalab\/postfix/);
  const commands = ['postfix', 'sendmail', 'mailq', 'postqueue', 'postsuper', 'postcat', 'qshape', 'postconf', 'postmap', 'postalias', 'newaliases', 'serve'];
  for (const command of commands) assert.match(outcome.stdout, new RegExp(`\n  mtalab ${command} `));
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

test('postconf -c DIR mail_version matches the real postconf', () => {
  const directory = configDirectory();
  try {
    const outcome = mtalab(['postconf', '-c', directory, 'mail_version']);
    assertLoadable(outcome);
    assert.equal(outcome.status, 0, outcome.stderr);
    assert.equal(outcome.stdout, 'mail_version = 3.7.11\n');
    assert.deepEqual(outcome, runReal('postconf', ['-c', directory, 'mail_version']));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('MAIL_CONFIG chooses the config directory when -c is absent, as with Postfix', () => {
  const directory = configDirectory();
  try {
    const outcome = mtalab(['postconf', '-h', 'config_directory'], { env: { MAIL_CONFIG: directory } });
    assertLoadable(outcome);
    assert.equal(outcome.stdout, `${directory}\n`);
    assert.equal(outcome.status, 0, outcome.stderr);
    assert.deepEqual(outcome, runReal('postconf', ['-h', 'config_directory'], { env: { MAIL_CONFIG: directory } }));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('without -c and MAIL_CONFIG every command uses ~/.mtalab/postfix, made on first use; -c leaves it alone', () => {
  const home = mkdtempSync(join(tmpdir(), 'mtalab-home-'));
  try {
    const env = Object.fromEntries(Object.entries({ ...process.env, HOME: home }).filter(([key]) => key !== 'MAIL_CONFIG')) as Record<string, string>;
    const plain = (args: string[]) => {
      const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: childTimeoutMs, env, input: '' });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const other = configDirectory();
    try {
      assertLoadable(plain(['postconf', '-c', other, '-h', 'mail_version']));
      assert.equal(existsSync(join(home, '.mtalab')), false, '-c names the directory: the default is not made');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    const directory = join(home, '.mtalab', 'postfix');
    let outcome = plain(['postconf', '-h', 'config_directory', 'queue_directory', 'alias_maps']);
    assertLoadable(outcome);
    assert.deepEqual(outcome, { status: 0, stdout: `${directory}\n${directory}/queue\nhash:${directory}/aliases\n`, stderr: '' });
    assert.ok(existsSync(join(directory, 'aliases.db')), 'newaliases ran when the directory was made');
    outcome = plain(['postmap', '-q', 'MAILER-DAEMON', `hash:${directory}/aliases`]);
    assert.deepEqual(outcome, { status: 0, stdout: 'postmaster\n', stderr: '' });
    // The mail system is down: mailq reads the (empty) queue directly, with Postfix's warning.
    outcome = plain(['mailq']);
    assert.deepEqual(outcome, {
      status: 0, stdout: 'Mail queue is empty\n',
      stderr: 'postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: No such file or directory)\n',
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a missing config directory is fatal with the same text and status as postconf', () => {
  const directory = configDirectory();
  try {
    const missing = join(directory, 'nope');
    const outcome = mtalab(['postconf', '-c', missing, 'mail_version']);
    assertLoadable(outcome);
    assert.equal(outcome.status, 1);
    assert.equal(outcome.stderr, `postconf: fatal: open ${missing}/main.cf: No such file or directory\n`);
    assert.deepEqual(outcome, runReal('postconf', ['-c', missing, 'mail_version']));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('postmap -q - reads keys from the real stdin, as the real postmap', () => {
  const directory = configDirectory();
  try {
    writeFileSync(join(directory, 'table'), 'alpha one\ngamma three\n');
    const args = ['-c', directory, '-q', '-', `texthash:${join(directory, 'table')}`];
    const outcome = mtalab(['postmap', ...args], { input: 'alpha\nbeta\ngamma\n' });
    assertLoadable(outcome);
    assert.equal(outcome.stdout, 'alpha\tone\ngamma\tthree\n');
    assert.equal(outcome.status, 0, outcome.stderr);
    assert.deepEqual(outcome, runReal('postmap', args, { input: 'alpha\nbeta\ngamma\n' }));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
