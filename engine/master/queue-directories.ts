// The queue directory's layout, created as Postfix's postfix-script does on start and check
// (post-install create-missing): one subdirectory per queue and per service socket area,
// with the modes of Postfix's postfix-files. Called by the master runtime on start and by
// `postfix check`. Trusts the Platform's file system; an existing directory is left alone.
// Models conf/postfix-files (the queue directory entries) and postfix-script check-fatal.

import type { FileSystem } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';

/** Subdirectories of queue_directory with their modes (postfix-files). */
export const QUEUE_SUBDIRECTORIES: readonly { name: string; mode: number }[] = [
  { name: 'maildrop', mode: 0o730 },
  { name: 'incoming', mode: 0o700 },
  { name: 'active', mode: 0o700 },
  { name: 'deferred', mode: 0o700 },
  { name: 'hold', mode: 0o700 },
  { name: 'corrupt', mode: 0o700 },
  { name: 'bounce', mode: 0o700 },
  { name: 'defer', mode: 0o700 },
  { name: 'trace', mode: 0o700 },
  { name: 'flush', mode: 0o700 },
  { name: 'saved', mode: 0o700 },
  { name: 'pid', mode: 0o755 },
  { name: 'public', mode: 0o710 },
  { name: 'private', mode: 0o700 },
];

async function isDirectory(fs: FileSystem, path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return false;
    throw error;
  }
}

/** Creates queue_directory and every missing subdirectory; returns the ones it made. */
export async function createQueueDirectories(fs: FileSystem, queueDirectory: string): Promise<string[]> {
  const created: string[] = [];
  const root = queueDirectory.replace(/\/+$/, '') || '/';
  if (!(await isDirectory(fs, root))) {
    await fs.mkdir(root, { recursive: true, mode: 0o755 });
    created.push(root);
  }
  for (const { name, mode } of QUEUE_SUBDIRECTORIES) {
    const path = `${root === '/' ? '' : root}/${name}`;
    if (await isDirectory(fs, path)) continue;
    await fs.mkdir(path, { mode });
    created.push(path);
  }
  return created;
}

/** The master lock/pid file: queue_directory/pid/master.pid. */
export function masterPidPath(queueDirectory: string): string {
  return `${queueDirectory.replace(/\/+$/, '')}/pid/master.pid`;
}

/** The pid file's text as master.c writes it: right-aligned in 32 columns (%*lu with
 *  4 * sizeof(unsigned long)), then a newline. */
export function masterPidText(pid: number): string {
  return `${String(pid).padStart(32, ' ')}\n`;
}

/** The pid from a pid file's first line (what `sed 1q pid/master.pid` gives the shell). */
export function parseMasterPid(text: string): number | undefined {
  const first = text.split('\n', 1)[0]?.trim() ?? '';
  return /^\d+$/.test(first) ? Number.parseInt(first, 10) : undefined;
}
