// File ownership and permission checks for deliveries "as the recipient" (local, virtual, pipe).
// Postfix switches its effective uid/gid (set_eugid) before it opens a mailbox, a /file or a
// .forward, and lets the kernel refuse; mtalab runs every host in one process as one user,
// so where the file system records owners without processes (the sim's memfs volume, as
// engine/shell and the scenarios set them) local checks the mode bits itself and records
// the owner of what it creates (FileSystem.chown). On the node platform the kernel does
// the checking for the one user mtalab runs as, and chown is tried (it works as root) with
// a failure ignored: files then belong to whoever runs mtalab.
// The sim's file system itself gives root (every simulated process) the kernel's rights
// (engine/platform/sim/root-access.ts), so only the checks "as the recipient" live here.
// Called by mbox.ts, maildir.ts and by local(8), virtual(8) and pipe(8) (writeFileAs: the
// built-in "cat >FILE" and tee of their command runners).

import type { FileStat, FileSystem } from '../platform/types.ts';
import { PlatformError, describeCode } from '../platform/types.ts';

/** The mode of a file a command creates (umask 022 applied to 0666). */
const NEW_FILE_MODE = 0o644;

/** A user and group to act as; uid 0 is root (no checks). */
export interface Identity {
  uid: number;
  gid: number;
}

export interface Ownership {
  /** True when owners are recorded and permissions checked here (the sim). */
  readonly enforced: boolean;
  /** Records the owner of a file a delivery agent created. */
  chown(path: string, uid: number, gid: number): Promise<void>;
}

interface OwnerVolume {
  chownSync(path: string, uid: number, gid: number): void;
}

function volumeOf(fs: FileSystem): OwnerVolume | undefined {
  const candidate = (fs as { volume?: Partial<OwnerVolume> }).volume;
  return candidate !== undefined && typeof candidate.chownSync === 'function' ? candidate as OwnerVolume : undefined;
}

/** The ownership model for a platform's file system. */
export function ownershipFor(fs: FileSystem): Ownership {
  const volume = volumeOf(fs);
  if (volume === undefined) {
    return {
      enforced: false,
      chown: async (path, uid, gid) => {
        try { await fs.chown?.(path, uid, gid); } catch { /* not root: the file stays ours */ }
      },
    };
  }
  return { enforced: true, chown: async (path, uid, gid) => { volume.chownSync(path, uid, gid); } };
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

/** Writes (or appends) `data` to `path` as `identity` would, as "cat >FILE" or "tee FILE"
 *  in a command run as the recipient: the mode bits of an existing file or of the
 *  directory for a new one are checked, a new file is owned by the identity, and the
 *  write is synced. /dev/null swallows the data. Undefined on success, else strerror's
 *  text for the failure. */
export async function writeFileAs(
  fs: FileSystem, ownership: Ownership, identity: Identity, path: string, data: Uint8Array, append: boolean,
): Promise<string | undefined> {
  if (path === '/dev/null') return undefined;
  try {
    let exists = true;
    try {
      const stat = await fs.stat(path);
      if (ownership.enforced && !mayAccess(stat, identity, 'write')) throw new PlatformError('EACCES', 'open', path);
    } catch (error) {
      if (!(error instanceof PlatformError) || error.code !== 'ENOENT') throw error;
      exists = false;
      if (!(await mayCreateIn(fs, ownership, path, identity))) throw new PlatformError('EACCES', 'open', path);
    }
    const handle = await fs.open(path, append ? 'a' : 'w', NEW_FILE_MODE);
    try {
      await handle.write(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!exists) await ownership.chown(path, identity.uid, identity.gid);
    return undefined;
  } catch (error) {
    return error instanceof PlatformError ? describeCode(error.code) : String(error);
  }
}
