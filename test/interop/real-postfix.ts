// Helpers for interop tests: run the real Postfix commands (postconf, postmap, postalias)
// and mtalab's own on the same files, capturing stdout, stderr and exit status.
// The real commands always get "-c DIR" on a temporary directory of the test's own and are
// never pointed at /etc/postfix. mtalab's run on a Node platform (H4's createNodePlatform),
// so both read and write the same real files. Used by test/interop/*.test.ts; other
// helpers may add functions here.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, readdirSync, statSync } from 'node:fs';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type Host } from '../../engine/global/host.ts';
import { createNodePlatform } from '../../engine/platform/node/index.ts';
import { FatalExit } from '../../engine/global/msg.ts';
import type { CommandContext, CommandMain } from '../../engine/admin/command.ts';
import { BufferedInput, CapturedOutput } from '../../engine/admin/stdio.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
  status: number;
}

/** Upper bound on one real command's run time. */
export const REAL_COMMAND_TIMEOUT_MS = 20_000;

const SBIN_DIRECTORIES = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** Whether the real program is installed. The interop tests are the measure of fidelity,
 *  so a missing program fails the run (scripts/ensure-test-tools.sh installs them) instead
 *  of skipping quietly; only MTALAB_INTEROP_OPTIONAL=1 lets a developer skip on purpose. */
export function hasRealCommand(program: string): boolean {
  const found = SBIN_DIRECTORIES.some((directory) => {
    try {
      return statSync(join(directory, program)).isFile();
    } catch {
      return false;
    }
  });
  if (!found && process.env.MTALAB_INTEROP_OPTIONAL !== '1') {
    throw new Error(`the real ${program} is not installed: run scripts/ensure-test-tools.sh (or set MTALAB_INTEROP_OPTIONAL=1 to skip on purpose)`);
  }
  return found;
}

/** Runs the real program with argv (argv[0] is the program name) and optional stdin. */
export function runReal(argv: readonly string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}): CommandResult {
  const [program = '', ...rest] = argv;
  const result = spawnSync(program, rest, {
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: REAL_COMMAND_TIMEOUT_MS,
    cwd: options.cwd,
    env: { PATH: `${SBIN_DIRECTORIES.join(':')}:${process.env.PATH ?? ''}`, LANG: 'C', ...options.env },
  });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? 1 };
}

let nodeHost: Host | undefined;

/** This machine's interface addresses as "address/prefix", IPv4 before IPv6 (the order in
 *  which Postfix lists them in mynetworks). */
export function machineInterfaces(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const cidrs = (family: string): string[] => all.filter((entry) => entry.family === family && entry.cidr !== null)
    .map((entry) => entry.cidr ?? '');
  return [...cidrs('IPv4'), ...cidrs('IPv6')];
}

/** One host over the real disk, named as this machine and with its interfaces (so that
 *  mynetworks is computed from the same addresses as the real postconf's), with
 *  /etc/postfix as its default configuration directory (the tests always pass -c). */
export function realDiskHost(): Host {
  if (nodeHost === undefined) {
    const host = createHost({ name: hostname(), platform: createNodePlatform({ seed: 1 }), defaultConfigDirectory: '/etc/postfix' });
    nodeHost = Object.assign(host, { interfaces: machineInterfaces() });
  }
  return nodeHost;
}

/** Runs mtalab's command (argv[0] names it) on the real disk, like runReal. */
export async function runMtalab(argv: readonly string[], options: { input?: string; env?: Record<string, string>; cwd?: string; host?: Host } = {}): Promise<CommandResult> {
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const context: CommandContext = {
    argv: [...argv],
    stdin: new BufferedInput(options.input ?? ''),
    stdout, stderr,
    env: new Map(Object.entries(options.env ?? {})),
    cwd: options.cwd ?? process.cwd(),
    host: options.host ?? realDiskHost(),
  };
  const main = await commandMain(argv[0] ?? '');
  let status: number;
  try {
    status = await main(context);
  } catch (error) {
    if (!(error instanceof FatalExit)) throw error;
    status = error.exitCode;
  }
  return { stdout: stdout.text(), stderr: stderr.text(), status };
}

/** The command's main function. postconf is imported directly so that its tests do not
 *  depend on every other command of the table being present. */
async function commandMain(name: string): Promise<CommandMain> {
  if (name === 'postconf') return (await import('../../engine/admin/postconf.ts')).postconfMain;
  const { lookupCommand } = await import('../../engine/admin/run.ts');
  const main = lookupCommand(name);
  if (main === undefined) throw new Error(`no mtalab command ${name}`);
  return main;
}

/** A fresh temporary directory; remove it with removeTemporaryDirectory. */
export function makeTemporaryDirectory(prefix = 'mtalab-interop-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTemporaryDirectory(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Postfix re-reads a main.cf modified within the last second (dict_load_file_xt): age
 *  every file in the directory by an hour so that the real commands read it once. */
export function ageFiles(directory: string): void {
  const past = Date.now() / 1000 - 3600;
  for (const name of readdirSync(directory)) utimesSync(join(directory, name), past, past);
}

/** Replaces every occurrence of the temporary directories with a fixed token. */
export function normalizePaths(text: string, directories: readonly string[]): string {
  let result = text;
  for (const directory of directories) result = result.split(directory).join('<DIR>');
  return result;
}

/** Whether this machine can run an interop test that needs the given programs (and root,
 *  for tests that deliver to local users or run a private Postfix instance). As with
 *  hasRealCommand, a missing requirement fails the run unless MTALAB_INTEROP_OPTIONAL=1
 *  says a skip is wanted: scripts/ensure-test-tools.sh installs everything, and CI runs
 *  as root. */
export function interopRequirements(options: { root?: boolean; paths?: readonly string[] }): boolean {
  const missing: string[] = [];
  if (options.root && process.getuid?.() !== 0) missing.push('root');
  for (const path of options.paths ?? []) {
    try {
      if (!statSync(path).isFile()) missing.push(path);
    } catch {
      missing.push(path);
    }
  }
  if (missing.length > 0 && process.env.MTALAB_INTEROP_OPTIONAL !== '1') {
    throw new Error(`this interop test needs ${missing.join(', ')}: run scripts/ensure-test-tools.sh as root (or set MTALAB_INTEROP_OPTIONAL=1 to skip on purpose)`);
  }
  return missing.length === 0;
}
