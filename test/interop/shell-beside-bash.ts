// The shell tests' common ground with real bash: the same files in a temporary directory
// (for bash -c, C locale) and under /work of a simulated host's shell (its working
// directory), removed again afterwards. Used by shell-coreutils.test.ts and
// shell-text-tools.test.ts, which compare each command line's output and status.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startShell } from '../unit/shell/harness.ts';

/** How long one bash -c may run. */
const BASH_TIMEOUT_MS = 10_000;

export const bashInstalled = spawnSync('bash', ['--version']).status === 0;

export interface ShellBesideBash {
  /** A line typed into mtalab's shell: what it printed. */
  run(line: string): Promise<string>;
  /** The exit status of the shell's last line. */
  lastStatus(): number;
  /** `bash --norc --noprofile -c script` in the directory of the same files. */
  bash(script: string): SpawnSyncReturns<string>;
}

export async function withShellBesideBash(prefix: string, files: Readonly<Record<string, string>>,
  body: (sides: ShellBesideBash) => Promise<void>): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  try {
    const simFiles: Record<string, string> = {};
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(directory, path, '..'), { recursive: true });
      writeFileSync(join(directory, path), text);
      simFiles[`/work/${path}`] = text;
    }
    const { run, shell } = await startShell({ files: simFiles, directories: ['/work'] });
    await run('cd /work');
    await body({
      run,
      lastStatus: () => shell.lastStatus,
      bash: (script) => spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
        cwd: directory, encoding: 'utf8', env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: BASH_TIMEOUT_MS,
      }),
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
