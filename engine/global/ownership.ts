// File ownership and permission checks for local(8)'s deliveries "as the recipient".
// Postfix switches its effective uid/gid (set_eugid) before it opens a mailbox, a /file or a
// .forward, and lets the kernel refuse; mtalab runs every host in one process as one user,
// so where the file system records owners without processes (the sim's memfs volume, as
// engine/shell and the scenarios set them) local checks the mode bits itself and records
// the owner of what it creates (FileSystem.chown). On the node platform the kernel does
// the checking for the one user mtalab runs as, and chown is tried (it works as root) with
// a failure ignored: files then belong to whoever runs mtalab.
// memfs checks permissions against uid 0 without root's exemption, so in the sim a
// privileged step (opening a user's 0600 mailbox, creating in a 0700 Maildir) runs inside
// asRoot(), which lends the non-root directories and file on its path to root for the
// duration of one open/mkdir/link/unlink and gives them back.
// Called by mbox.ts, maildir.ts, dotforward.ts, token.ts and command-runner.ts.

import type { FileStat, FileSystem } from '../platform/types.ts';

/** A user and group to act as; uid 0 is root (no checks). */
export interface Identity {
  uid: number;
  gid: number;
}

export interface Ownership {
  /** True when owners are recorded and permissions checked here (the sim). */
  readonly enforced: boolean;
  /** Records the owner of a file local created. */
  chown(path: string, uid: number, gid: number): Promise<void>;
  /** Runs one file operation on `path` with root's rights (see the header comment).
   *  Only the directories above `path` are lent unless `targetToo` (reading or
   *  writing the file itself); never lend a name that the operation removes. */
  asRoot<T>(path: string, operation: () => Promise<T>, targetToo?: boolean): Promise<T>;
}

interface OwnerVolume {
  chownSync(path: string, uid: number, gid: number): void;
  statSync(path: string): { uid: number | bigint; gid: number | bigint };
}

function volumeOf(fs: FileSystem): OwnerVolume | undefined {
  const candidate = (fs as { volume?: Partial<OwnerVolume> }).volume;
  return candidate !== undefined && typeof candidate.chownSync === 'function' && typeof candidate.statSync === 'function'
    ? candidate as OwnerVolume : undefined;
}

/** Path components lent to root at most (the depth of a path). */
const LENT_PATHS_MAX = 64;

/** The ownership model for a platform's file system. */
export function ownershipFor(fs: FileSystem): Ownership {
  const volume = volumeOf(fs);
  if (volume === undefined) {
    return {
      enforced: false,
      chown: async (path, uid, gid) => {
        try { await fs.chown?.(path, uid, gid); } catch { /* not root: the file stays ours */ }
      },
      asRoot: (_path, operation) => operation(),
    };
  }
  const ownership: Ownership = {
    enforced: true,
    chown: (path, uid, gid) => ownership.asRoot(path, async () => { volume.chownSync(path, uid, gid); }),
    asRoot: async (path, operation, targetToo = false) => {
      const lent: Array<{ path: string; uid: number; gid: number }> = [];
      let current = '';
      const parts = path.split('/').filter((part) => part !== '').slice(0, LENT_PATHS_MAX);
      const candidates = ['/', ...parts.map((part) => (current += `/${part}`))];
      if (!targetToo) candidates.pop();
      for (const candidate of candidates) {
        try {
          const stat = volume.statSync(candidate);
          const uid = Number(stat.uid);
          if (uid !== 0) {
            lent.push({ path: candidate, uid, gid: Number(stat.gid) });
            volume.chownSync(candidate, 0, Number(stat.gid));
          }
        } catch { /* a missing component: the operation reports it */ }
      }
      try {
        return await operation();
      } finally {
        for (const entry of lent.reverse()) {
          try { volume.chownSync(entry.path, entry.uid, entry.gid); } catch { /* removed meanwhile */ }
        }
      }
    },
  };
  return ownership;
}

export type Access = 'read' | 'write' | 'execute';

const ACCESS_BITS: Record<Access, number> = { read: 4, write: 2, execute: 1 };

/** access(2) by mode bits: owner, then group, then other. Root may do anything. */
export function mayAccess(stat: FileStat, identity: Identity, access: Access): boolean {
  if (identity.uid === 0) return true;
  const bit = ACCESS_BITS[access];
  if (stat.uid === identity.uid) return ((stat.mode >> 6) & bit) !== 0;
  if (stat.gid === identity.gid) return ((stat.mode >> 3) & bit) !== 0;
  return (stat.mode & bit) !== 0;
}

/** The directory part of a path ("/" for "/x"). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** Whether `identity` may create or remove names in the directory of `path`
 *  (write and search permission), when checks are enforced. Missing directories pass:
 *  the open that follows reports ENOENT itself. */
export async function mayCreateIn(fs: FileSystem, ownership: Ownership, path: string, identity: Identity): Promise<boolean> {
  if (!ownership.enforced || identity.uid === 0) return true;
  try {
    const stat = await fs.stat(parentOf(path));
    return mayAccess(stat, identity, 'write') && mayAccess(stat, identity, 'execute');
  } catch {
    return true;
  }
}

/** The file system with every path operation run through asRoot(): what local (running
 *  as root in Postfix until it switches to the recipient) sees. The mode checks of
 *  mayAccess() stand for the switch to the recipient's rights. */
export function privilegedFileSystem(fs: FileSystem, ownership: Ownership): FileSystem {
  if (!ownership.enforced) return fs;
  const root = ownership.asRoot;
  const content = <T>(path: string, operation: () => Promise<T>): Promise<T> => root(path, operation, true);
  return {
    readFile: (path) => content(path, () => fs.readFile(path)),
    writeFile: (path, data, options) => content(path, () => fs.writeFile(path, data, options)),
    appendFile: (path, data, options) => content(path, () => fs.appendFile(path, data, options)),
    rename: (from, to) => root(from, () => root(to, () => fs.rename(from, to))),
    unlink: (path) => root(path, () => fs.unlink(path)),
    mkdir: (path, options) => root(path, () => fs.mkdir(path, options)),
    rmdir: (path) => root(path, () => fs.rmdir(path)),
    readdir: (path) => content(path, () => fs.readdir(path)),
    stat: (path) => root(path, () => fs.stat(path)),
    lstat: (path) => root(path, () => fs.lstat(path)),
    open: (path, flags, mode) => content(path, () => fs.open(path, flags, mode)),
    link: (existing, newPath) => root(existing, () => root(newPath, () => fs.link(existing, newPath))),
    symlink: (target, path) => root(path, () => fs.symlink(target, path)),
    chmod: (path, mode) => root(path, () => fs.chmod(path, mode)),
    utimes: (path, atimeMs, mtimeMs) => root(path, () => fs.utimes(path, atimeMs, mtimeMs)),
    ...(fs.chown ? { chown: (path: string, uid: number, gid: number) => root(path, () => fs.chown!(path, uid, gid)) } : {}),
  };
}
