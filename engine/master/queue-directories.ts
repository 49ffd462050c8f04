// The queue directory's layout, created as Postfix's postfix-script does on start and check
// (post-install create-missing): one subdirectory per queue and per service socket area,
// with the modes of Postfix's postfix-files. Called by the master runtime on start and by
// `postfix check`. Trusts the Platform's file system; an existing directory is left alone.
// Models conf/postfix-files (the queue directory entries) and postfix-script check-fatal.

import type { FileSystem } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { ownershipFor } from '../global/ownership.ts';
import { lookupGroup, lookupUser } from '../global/passwd.ts';

/** Who owns a queue subdirectory (postfix-files): root, or $mail_owner with the group
 *  root, or $mail_owner with $setgid_group (where postdrop and postqueue reach in). */
type Owner = 'root' | 'mail_owner' | 'mail_owner:setgid_group';

/** Subdirectories of queue_directory with their modes and owners (postfix-files). */
export const QUEUE_SUBDIRECTORIES: readonly { name: string; mode: number; owner: Owner }[] = [
  { name: 'maildrop', mode: 0o730, owner: 'mail_owner:setgid_group' },
  { name: 'incoming', mode: 0o700, owner: 'mail_owner' },
  { name: 'active', mode: 0o700, owner: 'mail_owner' },
  { name: 'deferred', mode: 0o700, owner: 'mail_owner' },
  { name: 'hold', mode: 0o700, owner: 'mail_owner' },
  { name: 'corrupt', mode: 0o700, owner: 'mail_owner' },
  { name: 'bounce', mode: 0o700, owner: 'mail_owner' },
  { name: 'defer', mode: 0o700, owner: 'mail_owner' },
  { name: 'trace', mode: 0o700, owner: 'mail_owner' },
  { name: 'flush', mode: 0o700, owner: 'mail_owner' },
  { name: 'saved', mode: 0o700, owner: 'mail_owner' },
  { name: 'pid', mode: 0o755, owner: 'root' },
  { name: 'public', mode: 0o710, owner: 'mail_owner:setgid_group' },
  { name: 'private', mode: 0o700, owner: 'mail_owner' },
];

/** The uid and gids a new queue directory is given, where the file system records owners
 *  (the sim; a real run keeps the directories of whoever runs mtalab). */
interface Owners {
  mailOwnerUid: number;
  setgidGroupGid: number;
}

async function ownersFor(fs: FileSystem, config: MainConfig | undefined): Promise<Owners | undefined> {
  if (config === undefined || !ownershipFor(fs).enforced || fs.chown === undefined) return undefined;
  const user = await lookupUser(fs, config.get('mail_owner') ?? 'postfix');
  const group = await lookupGroup(fs, config.get('setgid_group') ?? 'postdrop');
  if (user === undefined) return undefined;
  return { mailOwnerUid: user.uid, setgidGroupGid: group?.gid ?? 0 };
}

async function giveAway(fs: FileSystem, path: string, owner: Owner, owners: Owners | undefined): Promise<void> {
  if (owners === undefined || owner === 'root' || fs.chown === undefined) return;
  await fs.chown(path, owners.mailOwnerUid, owner === 'mail_owner' ? 0 : owners.setgidGroupGid);
}

async function isDirectory(fs: FileSystem, path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return false;
    throw error;
  }
}

/** Creates queue_directory and every missing subdirectory; returns the ones it made. With
 *  the configuration (mail_owner, setgid_group), a new directory gets its owner as
 *  post-install create-missing gives it, where the file system records owners. */
export async function createQueueDirectories(fs: FileSystem, queueDirectory: string, config?: MainConfig): Promise<string[]> {
  const created: string[] = [];
  const root = queueDirectory.replace(/\/+$/, '') || '/';
  if (!(await isDirectory(fs, root))) {
    await fs.mkdir(root, { recursive: true, mode: 0o755 });
    created.push(root);
  }
  let owners: Owners | undefined | null = null;
  for (const { name, mode, owner } of QUEUE_SUBDIRECTORIES) {
    const path = `${root === '/' ? '' : root}/${name}`;
    if (await isDirectory(fs, path)) continue;
    await fs.mkdir(path, { mode });
    if (owners === null) owners = await ownersFor(fs, config);
    await giveAway(fs, path, owner, owners);
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
