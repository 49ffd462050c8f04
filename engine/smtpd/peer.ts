// Who is connecting: the client's hostname from its address, as smtpd_peer.c finds it. The
// reverse name comes from the host's /etc/hosts (as the "files" source of nsswitch) or a
// DNS PTR query; it counts as verified only when that name's forward addresses (again
// /etc/hosts, then DNS A/AAAA) include the client address. Otherwise the name is "unknown"
// and the status says whether the failure was temporary (DNS trouble) or permanent.
// /etc/hosts is parsed once and kept per file system until its stat (inode, size, mtime)
// changes, so a connection costs one stat instead of reading and parsing the file.
// Called by service.ts for each connection. Trusts Platform.fs and Platform.dns.
// Models smtpd_peer_hostaddr_to_sockaddr/peer name lookups in src/smtpd/smtpd_peer.c.

import type { Platform } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import type { Client } from './session.ts';

/** Lines of /etc/hosts read at most. */
export const HOSTS_LINES_MAX = 10_000;
/** PTR names tried at most. */
export const PTR_NAMES_MAX = 10;

interface HostsEntry { address: string; names: string[] }

/** The parsed /etc/hosts of a file system and the stat it was read under. */
interface HostsCache { ino: number; size: number; mtimeMs: number; entries: HostsEntry[] }

const hostsCaches = new WeakMap<object, HostsCache>();

const HOSTS_PATH = '/etc/hosts';

/** /etc/hosts as entries; re-read only when the file's inode, size or mtime changed. */
async function readHosts(platform: Platform): Promise<HostsEntry[]> {
  const fs = platform.fs;
  let stat;
  try {
    stat = await fs.stat(HOSTS_PATH);
  } catch {
    hostsCaches.delete(fs);
    return [];
  }
  const cached = hostsCaches.get(fs);
  if (cached !== undefined && cached.ino === stat.ino && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.entries;
  const entries = await parseHostsFile(platform);
  hostsCaches.set(fs, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, entries });
  return entries;
}

async function parseHostsFile(platform: Platform): Promise<HostsEntry[]> {
  let text: string;
  try {
    text = new TextDecoder().decode(await platform.fs.readFile(HOSTS_PATH));
  } catch {
    return [];
  }
  const entries: HostsEntry[] = [];
  for (const line of text.split('\n').slice(0, HOSTS_LINES_MAX)) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/).filter((field) => field !== '');
    if (fields.length >= 2) entries.push({ address: fields[0] as string, names: fields.slice(1).map((name) => name.toLowerCase()) });
  }
  return entries;
}

const isTemporary = (error: unknown): boolean =>
  !(error instanceof PlatformError) || (error.code !== 'NXDOMAIN' && error.code !== 'NODATA');

export async function lookupClient(platform: Platform, address: string, port: number): Promise<Client> {
  const unknown: Client = { name: 'unknown', reverseName: 'unknown', address, port, nameStatus: 'permanent', reverseNameStatus: 'permanent' };
  const hosts = await readHosts(platform);
  const fromHosts = hosts.find((entry) => entry.address === address)?.names[0];
  let reverseName = fromHosts;
  if (reverseName === undefined) {
    try {
      reverseName = (await platform.dns.ptr(address)).slice(0, PTR_NAMES_MAX)[0]?.replace(/\.$/, '').toLowerCase();
    } catch (error) {
      const status = isTemporary(error) ? 'temporary' : 'permanent';
      return { ...unknown, nameStatus: status, reverseNameStatus: status };
    }
  }
  if (reverseName === undefined || reverseName === '') return unknown;
  const forward = hosts.filter((entry) => entry.names.includes(reverseName as string)).map((entry) => entry.address);
  if (forward.length === 0) {
    try {
      const query = address.includes(':') ? platform.dns.aaaa.bind(platform.dns) : platform.dns.a.bind(platform.dns);
      forward.push(...await query(reverseName));
    } catch (error) {
      return { ...unknown, reverseName, reverseNameStatus: 'ok', nameStatus: isTemporary(error) ? 'temporary' : 'permanent' };
    }
  }
  if (!forward.includes(address)) return { ...unknown, reverseName, reverseNameStatus: 'ok' };
  return { name: reverseName, reverseName, address, port, nameStatus: 'ok', reverseNameStatus: 'ok' };
}
