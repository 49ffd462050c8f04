// chown(1) and id(1) as GNU coreutils 9.1, over the host's /etc/passwd and /etc/group
// (engine/global/passwd.ts): "chown USER[:GROUP] FILE..." (also "USER:", ":GROUP", numeric
// ids, -R bounded), and "id [-u|-g|-G] [-n] [USER]" with the groups a user is listed in.
// Called through engine/shell/builtins/index.ts. Trusts the host's files for names; an
// unknown name gives coreutils' message and status 1.

import { lookupGid, lookupGroup, lookupUid, lookupUser, userGroupIds, type PasswdEntry } from '../../global/passwd.ts';
import type { FileStat, FileSystem } from '../../platform/types.ts';
import { errorText, resolvePath } from '../paths.ts';
import { usageError } from './byte-lines.ts';
import { changeTree } from './files.ts';
import { complain, invalidOption, parseOptions, type Builtin } from './types.ts';

interface Owner { uid: number | undefined; gid: number | undefined }

/** Resolves "USER[:GROUP]" (or "USER." the old way); a string is chown's complaint. */
async function parseOwner(fs: FileSystem, spec: string): Promise<Owner | string> {
  const separator = spec.includes(':') ? spec.indexOf(':') : spec.indexOf('.');
  const userText = separator < 0 ? spec : spec.slice(0, separator);
  const groupText = separator < 0 ? undefined : spec.slice(separator + 1);
  let user: PasswdEntry | undefined;
  let uid: number | undefined;
  if (userText !== '') {
    user = await lookupUser(fs, userText);
    if (user !== undefined) uid = user.uid;
    else if (/^[0-9]+$/.test(userText)) uid = Number(userText);
    else return `invalid user: '${spec}'`;
  }
  let gid: number | undefined;
  if (groupText !== undefined && groupText !== '') {
    const group = await lookupGroup(fs, groupText);
    if (group !== undefined) gid = group.gid;
    else if (/^[0-9]+$/.test(groupText)) gid = Number(groupText);
    else return `invalid group: '${spec}'`;
  } else if (groupText === '' && userText !== '') {
    // "USER:" means the user's login group.
    if (user === undefined) user = await lookupUid(fs, uid!);
    if (user === undefined) return `invalid spec: '${spec}'`;
    gid = user.gid;
  }
  return { uid, gid };
}

export const chown: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'Rfhv');
  if (options.invalid !== undefined) return invalidOption(context, 'chown', options.invalid);
  const [spec, ...files] = options.operands;
  if (spec === undefined) return usageError(context, 'chown', 'missing operand');
  if (files.length === 0) return usageError(context, 'chown', `missing operand after '${spec}'`);
  const fs = context.host.platform.fs;
  const owner = await parseOwner(fs, spec);
  if (typeof owner === 'string') return complain(context, 'chown', owner);
  let status = 0;
  for (const file of files) {
    const failure = await changeTree(fs, resolvePath(context.shell.cwd, file), file, options.flags.has('R'),
      (path, stat, typed) => changeOwner(fs, path, stat, typed, owner));
    if (failure !== undefined) status = options.flags.has('f') ? 1 : complain(context, 'chown', failure);
  }
  return status;
};

/** chown of one file: the failure's message, if any. */
async function changeOwner(fs: FileSystem, path: string, stat: FileStat, typed: string, owner: Owner): Promise<string | undefined> {
  if (fs.chown === undefined) return `changing ownership of '${typed}': Operation not permitted`;
  try {
    await fs.chown(path, owner.uid ?? stat.uid, owner.gid ?? stat.gid);
  } catch (error) {
    return `changing ownership of '${typed}': ${errorText(error)}`;
  }
  return undefined;
}

async function groupName(fs: FileSystem, gid: number): Promise<string | undefined> {
  return (await lookupGid(fs, gid))?.name;
}

export const id: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'ugGnr');
  if (options.invalid !== undefined) return invalidOption(context, 'id', options.invalid);
  const fs = context.host.platform.fs;
  if (options.operands.length > 1) return usageError(context, 'id', `extra operand '${options.operands[1]}'`);
  const name = options.operands[0] ?? context.shell.variables.get('USER') ?? 'root';
  const user = await lookupUser(fs, name) ?? (/^[0-9]+$/.test(name) ? await lookupUid(fs, Number(name)) : undefined);
  if (user === undefined) return complain(context, 'id', `'${name}': no such user`);
  const selectors = ['u', 'g', 'G'].filter((letter) => options.flags.has(letter));
  if (selectors.length > 1) return usageError(context, 'id', 'cannot print "only" of more than one choice');
  const named = options.flags.has('n');
  if (named && selectors.length === 0) return usageError(context, 'id', 'cannot print only names or real IDs in default format');
  const groups = await userGroupIds(fs, user);
  const show = async (gid: number) => (named ? (await groupName(fs, gid)) ?? String(gid) : String(gid));
  if (selectors[0] === 'u') context.stdout.write(`${named ? user.name : user.uid}\n`);
  else if (selectors[0] === 'g') context.stdout.write(`${await show(user.gid)}\n`);
  else if (selectors[0] === 'G') context.stdout.write(`${(await Promise.all(groups.map(show))).join(' ')}\n`);
  else context.stdout.write(`${await defaultFormat(fs, user, groups)}\n`);
  return 0;
};

async function defaultFormat(fs: FileSystem, user: PasswdEntry, groups: number[]): Promise<string> {
  const labelled = async (gid: number) => {
    const name = await groupName(fs, gid);
    return name === undefined ? String(gid) : `${gid}(${name})`;
  };
  const listed = (await Promise.all(groups.map(labelled))).join(',');
  return `uid=${user.uid}(${user.name}) gid=${await labelled(user.gid)} groups=${listed}`;
}

