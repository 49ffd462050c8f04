// Where master's service end points are in the file system and what they are: a master.cf
// entry of type unix, unix-dgram or pass listens on a UNIX-domain socket at
// queue_directory/public/NAME (private = n) or queue_directory/private/NAME, mode 0666,
// owned by mail_owner (master makes its listeners with mail_owner's effective ids). The
// sockets stay as files when master stops or a reload drops a service, so a client then
// gets "Connection refused", where a socket that was never made gives "No such file or
// directory". Real Postfix 3.7.11 checked: `ls -l` shows `srw-rw-rw- 1 postfix postfix`
// for every unix service, before and after `postfix stop`.
// Called by the master runtime (runtime.ts: the simulation's socket files, made through
// FileSystem.mknodSocket), real mode's control channel (engine/cli/control-channel.ts:
// real sockets at the same paths) and the simulation's client link (engine/admin/
// postqueue.ts). Trusts master.cf's parser for the entry fields. Models src/master/
// master_listen.c (unix_listen: unlink, bind, chmod 0666) and mail_connect.c's errno.

import type { MasterEntry } from '../global/config/master-cf.ts';
import { lookupUser } from '../global/passwd.ts';
import { PlatformError, type FileSystem, type PlatformErrorCode } from '../platform/types.ts';

/** The mode unix_listen() gives a listening socket: open to all; who may reach it is the
 *  business of its directory (public/ 0710 group postdrop, private/ 0700). */
export const SOCKET_MODE = 0o666;
/** Socket files one master makes at most (as many as it runs services). */
export const SERVICE_SOCKETS_MAX = 1000;

/** The master.cf types whose listener is a UNIX-domain socket file. A fifo entry is a FIFO
 *  in Postfix (real mode serves a socket there, which Postfix's trigger clients accept). */
export function hasSocketFile(entry: Pick<MasterEntry, 'type'>): boolean {
  return entry.type === 'unix' || entry.type === 'unix-dgram' || entry.type === 'pass';
}

/** Whether master.cf puts the entry's end point in the file system at all. */
export function hasEndpointFile(entry: Pick<MasterEntry, 'type'>): boolean {
  return hasSocketFile(entry) || entry.type === 'fifo';
}

/** queue_directory/public/NAME for a public (private = n) service, else private/NAME. */
export function serviceSocketPath(queueDirectory: string, entry: Pick<MasterEntry, 'service' | 'private'>): string {
  const root = queueDirectory.replace(/\/+$/, '');
  return `${root}/${entry.private === 'n' ? 'public' : 'private'}/${entry.service}`;
}

/** queue_directory/public/NAME: where a client program (postqueue, postdrop) connects. */
export function publicSocketPath(queueDirectory: string, service: string): string {
  return serviceSocketPath(queueDirectory, { service, private: 'n' });
}

/** The socket files master.cf's entries call for, by path (a later entry with the same
 *  path wins, as master's last listener would). */
export function serviceSocketPaths(queueDirectory: string, entries: readonly MasterEntry[]): Map<string, MasterEntry> {
  const found = new Map<string, MasterEntry>();
  for (const entry of entries.slice(0, SERVICE_SOCKETS_MAX)) {
    if (hasSocketFile(entry)) found.set(serviceSocketPath(queueDirectory, entry), entry);
  }
  return found;
}

/** What connect(2) to `path` answers when no master listens there: ECONNREFUSED for any
 *  file that exists (a socket left behind), else the lookup's own errno (ENOENT...). */
export async function connectErrorAt(fs: FileSystem, path: string): Promise<PlatformErrorCode> {
  try {
    await fs.lstat(path);
    return 'ECONNREFUSED';
  } catch (error) {
    if (error instanceof PlatformError) return error.code;
    throw error;
  }
}

/** unix_listen()'s file: whatever has the name goes, a fresh socket takes it, owned by
 *  mail_owner (root when the user is unknown). Only on a file system that can make socket
 *  files (the simulation's); elsewhere the listener itself makes them. Returns the paths. */
export async function makeServiceSockets(fs: FileSystem, paths: Iterable<string>, mailOwner: string): Promise<string[]> {
  const mknodSocket = fs.mknodSocket;
  if (mknodSocket === undefined) return [];
  const owner = await lookupUser(fs, mailOwner);
  const made: string[] = [];
  for (const path of paths) {
    if (made.length >= SERVICE_SOCKETS_MAX) break;
    try {
      await fs.unlink(path);
    } catch (error) {
      if (!(error instanceof PlatformError) || error.code !== 'ENOENT') throw error;
    }
    await mknodSocket.call(fs, path, SOCKET_MODE, owner?.uid ?? 0, owner?.gid ?? 0);
    made.push(path);
  }
  return made;
}
