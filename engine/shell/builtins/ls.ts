// ls over the host's FileSystem, in the shapes GNU coreutils prints in the C locale:
// columns on a terminal, one name per line into a pipe or with -1, and the -l long
// format (mode, links, owner, group, size, time, name) with owners named from /etc/passwd
// and /etc/group. Options: -l -a -A -1 -d. Called through engine/shell/builtins/index.ts.
// Trusts nothing typed; a missing operand gives "cannot access" and status 2.

import type { FileStat, FileSystem } from '../../platform/types.ts';
import { formatColumns } from '../line-editor.ts';
import { errorText, resolvePath } from '../paths.ts';
import { lsTime } from '../time-format.ts';
import { complain, invalidOption, parseOptions, type Builtin, type BuiltinContext } from './types.ts';

/** Entries one ls lists per directory; a larger directory is cut short. */
export const LS_ENTRIES_MAX = 10000;

interface Entry {
  name: string;
  stat: FileStat;
  /** A symbolic link's target, shown by -l as "name -> target". */
  target?: string;
}

/** An entry as -l shows it: a symbolic link with its target (readlink where the file
 *  system has it). */
async function withTarget(fs: FileSystem, path: string, entry: Entry): Promise<Entry> {
  if (!entry.stat.isSymbolicLink || fs.readlink === undefined) return entry;
  try {
    return { ...entry, target: await fs.readlink(path) };
  } catch {
    return entry;
  }
}

interface Listing {
  long: boolean;
  columns: boolean;
  width: number;
  nowMs: number;
  users: Map<number, string>;
  groups: Map<number, string>;
}

export const ls: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'laA1dhF');
  if (options.invalid !== undefined) return invalidOption(context, 'ls', options.invalid, 2);
  const fs = context.host.platform.fs;
  const long = options.flags.has('l');
  const listing: Listing = {
    long,
    columns: !long && !options.flags.has('1') && context.stdout.isTty,
    width: context.shell.columns(),
    nowMs: context.host.platform.clock.nowMs(),
    users: long ? await readIdNames(fs, '/etc/passwd') : new Map(),
    groups: long ? await readIdNames(fs, '/etc/group') : new Map(),
  };
  const operands = options.operands.length === 0 ? ['.'] : options.operands;
  let status = 0;
  const files: Entry[] = [];
  const directories: Array<{ operand: string; path: string }> = [];
  for (const operand of operands) {
    const path = resolvePath(context.shell.cwd, operand);
    try {
      // With -l (or -d) a symbolic link named on the command line is shown itself, as GNU
      // ls does without -H/-L; otherwise it is followed.
      const linkItself = (long || options.flags.has('d')) ? await fs.lstat(path) : undefined;
      const stat = linkItself?.isSymbolicLink ? linkItself : await fs.stat(path);
      if (stat.isDirectory && !options.flags.has('d')) directories.push({ operand, path });
      else files.push(long ? await withTarget(fs, path, { name: operand, stat }) : { name: operand, stat });
    } catch (error) {
      status = complain(context, 'ls', `cannot access '${operand}': ${errorText(error)}`, 2);
    }
  }
  const blocks: string[] = [];
  if (files.length > 0) blocks.push(render(files.sort(byName), listing, false));
  const showHeaders = operands.length > 1;
  for (const { operand, path } of directories.sort((a, b) => compare(a.operand, b.operand))) {
    const entries = await readEntries(fs, path, options.flags.has('a'), options.flags.has('A'));
    const body = render(entries, listing, true);
    blocks.push(showHeaders ? `${operand}:\n${body}` : body);
  }
  context.stdout.write(blocks.join('\n'));
  return status;
};

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const byName = (a: Entry, b: Entry) => compare(a.name, b.name);

async function readEntries(fs: FileSystem, path: string, all: boolean, almostAll: boolean): Promise<Entry[]> {
  const names = (await fs.readdir(path)).slice(0, LS_ENTRIES_MAX);
  const shown = names.filter((name) => all || almostAll || !name.startsWith('.'));
  if (all) shown.unshift('.', '..');
  const entries: Entry[] = [];
  for (const name of shown) {
    const full = resolvePath(path, name);
    try {
      const entryPath = name === '..' ? resolvePath(path, '..') : full;
      entries.push(await withTarget(fs, entryPath, { name, stat: await fs.lstat(entryPath) }));
    } catch { /* removed while listing */ }
  }
  return entries.sort(byName);
}

function render(entries: Entry[], listing: Listing, withTotal: boolean): string {
  if (entries.length === 0) return listing.long && withTotal ? 'total 0\n' : '';
  if (listing.long) return renderLong(entries, listing, withTotal);
  const names = entries.map((entry) => entry.name);
  const lines = listing.columns ? formatColumns(names, listing.width) : names;
  return `${lines.join('\n')}\n`;
}

function renderLong(entries: Entry[], listing: Listing, withTotal: boolean): string {
  const rows = entries.map((entry) => ({
    mode: modeString(entry.stat),
    links: String(entry.stat.nlink),
    owner: listing.users.get(entry.stat.uid) ?? String(entry.stat.uid),
    group: listing.groups.get(entry.stat.gid) ?? String(entry.stat.gid),
    size: String(entry.stat.size),
    time: lsTime(entry.stat.mtimeMs, listing.nowMs),
    name: entry.target === undefined ? entry.name : `${entry.name} -> ${entry.target}`,
  }));
  const width = (key: 'links' | 'owner' | 'group' | 'size') => Math.max(...rows.map((row) => row[key].length));
  const lines = rows.map((row) => [
    row.mode, row.links.padStart(width('links')), row.owner.padEnd(width('owner')),
    row.group.padEnd(width('group')), row.size.padStart(width('size')), row.time, row.name,
  ].join(' '));
  const total = entries.reduce((sum, entry) => sum + kilobyteBlocks(entry.stat), 0);
  return `${withTotal ? `total ${total}\n` : ''}${lines.join('\n')}\n`;
}

/** Space used in 1K blocks as an ext4 file system allocates it (4K at a time). */
function kilobyteBlocks(stat: FileStat): number {
  if (stat.isDirectory) return 4;
  // A short symbolic link keeps its target in the inode (ext4's fast symlink): no block.
  if (stat.isSymbolicLink) return 0;
  return Math.ceil(stat.size / 4096) * 4;
}

/** File types by st_mode's S_IFMT bits, as ls -l marks them. */
const TYPE_LETTERS: ReadonlyMap<number, string> = new Map([
  [0o140000, 's'], [0o120000, 'l'], [0o100000, '-'], [0o060000, 'b'], [0o040000, 'd'], [0o020000, 'c'], [0o010000, 'p'],
]);

function typeLetter(stat: FileStat): string {
  if (stat.isDirectory) return 'd';
  if (stat.isSymbolicLink) return 'l';
  return TYPE_LETTERS.get(stat.mode & 0o170000) ?? '-';
}

export function modeString(stat: FileStat): string {
  const type = typeLetter(stat);
  const mode = stat.mode;
  const triplet = (shift: number, special: number, letter: string) => {
    const bits = (mode >> shift) & 7;
    const execute = (bits & 1) !== 0;
    const hasSpecial = (mode & special) !== 0;
    const last = hasSpecial ? (execute ? letter : letter.toUpperCase()) : execute ? 'x' : '-';
    return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${last}`;
  };
  return type + triplet(6, 0o4000, 's') + triplet(3, 0o2000, 's') + triplet(0, 0o1000, 't');
}

/** uid or gid to name, from the third field of /etc/passwd or /etc/group. */
async function readIdNames(fs: FileSystem, path: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  let text: string;
  try { text = new TextDecoder().decode(await fs.readFile(path)); } catch { return names; }
  for (const line of text.split('\n').slice(0, LS_ENTRIES_MAX)) {
    const fields = line.split(':');
    if (fields.length < 3 || !/^[0-9]+$/.test(fields[2]!)) continue;
    const id = Number(fields[2]);
    if (!names.has(id)) names.set(id, fields[0]!);
  }
  return names;
}
