// The host's user and group database: /etc/passwd and /etc/group read through the platform's
// file system, as getpwnam(3)/getpwuid(3)/getgrnam(3)/getgrgid(3) read them. Called by
// sendmail (the submitting uid), pickup, local (mailbox owners, home directories, .forward),
// virtual and pipe (user=), and the shell. Trusts nothing in the files: malformed lines are
// skipped as glibc's files backend skips them; a missing file is an empty database.
// Models the libc lookups Postfix calls (mypwnam/mypwuid in util/mypwd.c).

import type { FileSystem } from '../platform/types.ts';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export const PASSWD_PATH = '/etc/passwd';
export const GROUP_PATH = '/etc/group';

/** Lines read from one database file: a limit so that a runaway file cannot stall a lookup. */
export const DATABASE_LINES_MAX = 100_000;

/** Every well-formed entry of /etc/passwd in file order ([] when the file is missing). */
export async function readPasswd(fs: FileSystem): Promise<PasswdEntry[]> {
  const entries: PasswdEntry[] = [];
  for (const fields of await readColonFile(fs, PASSWD_PATH)) {
    const entry = passwdEntryOf(fields);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

/** A passwd row as an entry, or undefined when it is malformed. */
function passwdEntryOf(fields: readonly string[]): PasswdEntry | undefined {
  const [name = '', , uidText = '', gidText = '', gecos = '', home = '', shell] = fields;
  if (shell === undefined) return undefined;
  const uid = parseId(uidText);
  const gid = parseId(gidText);
  if (name === '' || uid === undefined || gid === undefined) return undefined;
  return { name, uid, gid, gecos, home, shell };
}

/** The first entry named `name`, as getpwnam(3): rows of other names are passed over
 *  without making entries of them. */
export async function lookupUser(fs: FileSystem, name: string): Promise<PasswdEntry | undefined> {
  return firstEntry(await rowsOf(fs, PASSWD_PATH), (fields) => (fields[0] ?? '') === name, passwdEntryOf);
}

/** The first entry with `uid`, as getpwuid(3): only the row that matches becomes an
 *  entry (a row whose uid field is not `uid` is passed over, as a malformed one is). */
export async function lookupUid(fs: FileSystem, uid: number): Promise<PasswdEntry | undefined> {
  const uidText = String(uid);
  return firstEntry(await rowsOf(fs, PASSWD_PATH), (fields) => fields[2] === uidText || parseId(fields[2] ?? '') === uid,
    passwdEntryOf, (entry) => entry.uid === uid);
}

/** The first row that `wanted` picks and whose entry `accepted` takes, as getpwnam(3) and
 *  its kin scan the file: other rows make no entries, a malformed picked row is passed over. */
function firstEntry<Entry>(rows: readonly (readonly string[])[], wanted: (fields: readonly string[]) => boolean,
  entryOf: (fields: readonly string[]) => Entry | undefined, accepted: (entry: Entry) => boolean = () => true): Entry | undefined {
  for (const fields of rows) {
    if (!wanted(fields)) continue;
    const entry = entryOf(fields);
    if (entry !== undefined && accepted(entry)) return entry;
  }
  return undefined;
}

/** Every well-formed entry of /etc/group in file order. */
export async function readGroups(fs: FileSystem): Promise<GroupEntry[]> {
  const entries: GroupEntry[] = [];
  for (const fields of await readColonFile(fs, GROUP_PATH)) {
    const entry = groupEntryOf(fields);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

/** A group row as an entry, or undefined when it is malformed. */
function groupEntryOf(fields: readonly string[]): GroupEntry | undefined {
  const [name = '', , gidText = '', memberText] = fields;
  if (memberText === undefined) return undefined;
  const gid = parseId(gidText);
  if (name === '' || gid === undefined) return undefined;
  const members = memberText === '' ? [] : memberText.split(',').filter((member) => member !== '');
  return { name, gid, members };
}

/** getgrnam(3); rows of other names make no entries. */
export async function lookupGroup(fs: FileSystem, name: string): Promise<GroupEntry | undefined> {
  return firstEntry(await rowsOf(fs, GROUP_PATH), (fields) => (fields[0] ?? '') === name, groupEntryOf);
}

/** getgrgid(3); only the row that matches becomes an entry. */
export async function lookupGid(fs: FileSystem, gid: number): Promise<GroupEntry | undefined> {
  const gidText = String(gid);
  return firstEntry(await rowsOf(fs, GROUP_PATH), (fields) => fields[2] === gidText || parseId(fields[2] ?? '') === gid,
    groupEntryOf, (entry) => entry.gid === gid);
}

/** The gids a user belongs to: the primary group and every group listing the name. */
export async function userGroupIds(fs: FileSystem, user: PasswdEntry): Promise<number[]> {
  const ids = [user.gid];
  for (const group of await readGroups(fs)) {
    if (group.members.includes(user.name) && !ids.includes(group.gid)) ids.push(group.gid);
  }
  return ids;
}

/** The last parse of each database file, per file system: the bytes it came from and the
 *  rows. A lookup still reads the file every time (so an edit shows at once, and no file
 *  time is trusted); only an unchanged file skips the decode and split. */
const parsedFiles = new WeakMap<FileSystem, Map<string, { bytes: Uint8Array; rows: readonly (readonly string[])[] }>>();
const utf8Decoder = new TextDecoder();

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  let index = 0;
  // Four bytes at a time where both arrays are aligned for it (fresh reads are), then the
  // rest byte by byte.
  if (left.byteOffset % 4 === 0 && right.byteOffset % 4 === 0) {
    const words = left.length >>> 2;
    const leftWords = new Uint32Array(left.buffer, left.byteOffset, words);
    const rightWords = new Uint32Array(right.buffer, right.byteOffset, words);
    for (let word = 0; word < words; word++) if (leftWords[word] !== rightWords[word]) return false;
    index = words * 4;
  }
  for (; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}

/** Splits a colon file into fields per line; comment and empty lines are skipped. The rows
 *  are shared between calls: read them, never change them. */
async function readColonFile(fs: FileSystem, path: string): Promise<readonly (readonly string[])[]> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch {
    return [];
  }
  let cache = parsedFiles.get(fs);
  if (cache === undefined) {
    cache = new Map();
    parsedFiles.set(fs, cache);
  }
  const cached = cache.get(path);
  if (cached !== undefined && sameBytes(cached.bytes, bytes)) return cached.rows;
  const lines = utf8Decoder.decode(bytes).split('\n');
  const rows: string[][] = [];
  for (let index = 0; index < lines.length && index < DATABASE_LINES_MAX; index += 1) {
    const line = (lines[index] ?? '').replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    rows.push(line.split(':'));
  }
  cache.set(path, { bytes, rows });
  return rows;
}

/** The rows of a database file, through one more async step, as readPasswd/readGroups
 *  take: a lookup resolves after as many turns as it did when it went through them
 *  (concurrent daemons in the sim keep their order). */
async function rowsOf(fs: FileSystem, path: string): Promise<readonly (readonly string[])[]> {
  const rows = await readColonFile(fs, path);
  return rows;
}

/** A decimal id in 0..2^32-2 (uid_t), or undefined for anything else. */
function parseId(text: string): number | undefined {
  if (text.length < 1 || text.length > 10) return undefined;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  const value = Number(text);
  return value <= 0xfffffffe ? value : undefined;
}
