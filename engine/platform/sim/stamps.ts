// File times for what memfs makes or changes itself: its mkdir, rmdir, link and symlink
// stamp the new entry and the directory that holds it with the wall clock, which a
// simulated host must never show (DESIGN.md section 2: `ls -l` in a world must give the
// same bytes on every run, dated by the host's clock). The sim file system (fs.ts) notes
// which entries such a call creates before it runs and sets their times, and their
// directories' modification times, from the host's clock after it. Trusts lookup.ts for
// the links; a path it cannot look up is left as memfs made it.

import type { Volume } from 'memfs';
import { lookUp } from './lookup.ts';
import { setInodeTimes } from './inodes.ts';

/** Directory levels one mkdir -p is followed through (deeper ones keep memfs's times). */
const LEVELS_MAX = 64;

export function parentPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash <= 0 ? '/' : trimmed.slice(0, slash);
}

/** The entries a mkdir of `path` will create, deepest first: the path itself, and with
 *  `recursive` each missing ancestor up to the first that exists. */
export function missingPaths(volume: Volume, path: string, recursive: boolean): string[] {
  const missing: string[] = [];
  let current = path.replace(/\/+$/, '');
  for (let level = 0; level < LEVELS_MAX && current !== '' && current !== '/'; level++) {
    if (lookUp(volume, current, true) !== null) break;
    missing.push(current);
    if (!recursive) break;
    current = parentPath(current);
  }
  return missing;
}

/** New entries get every time from `date`; the directories holding them a new mtime and
 *  ctime (their atime stays). */
export function stampCreated(volume: Volume, paths: readonly string[], date: Date): void {
  for (const path of paths) {
    const link = lookUp(volume, path, false);
    if (link === null || link === undefined) continue;
    setInodeTimes(link.node, date, date, date);
  }
  stampChanged(volume, paths.map(parentPath), date);
}

/** Directories whose entries changed: mtime and ctime from `date`. */
export function stampChanged(volume: Volume, directories: readonly string[], date: Date): void {
  for (const path of directories) {
    const link = lookUp(volume, path, true);
    if (link === null || link === undefined) continue;
    const node = link.node as unknown as { atime: Date };
    setInodeTimes(link.node, node.atime, date, date);
  }
}
