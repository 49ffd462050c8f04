// Deleting keys from a table, for `postmap -d key` and `postalias -d key` (and "-d -", keys
// from stdin). Opens TYPE:NAME for update as dict_open3 with O_RDWR does: the indexed
// types (hash, btree, lmdb) can delete; the types that are read-only by nature (texthash,
// regexp, pcre, cidr, inline, unionmap, pipemap) refuse to open ("map requires O_RDONLY
// access mode"); static opens but has no delete operation; fail opens and fails every
// delete. A missing hash/btree index is fatal, a missing lmdb one is created empty, as
// LMDB's O_RDWR open does. Every failure is the reporter's fatal, as in the commands.
// Called by engine/admin/table-command.ts. Models the dict_del paths of util/dict_db.c,
// util/dict_lmdb.c, util/dict_static.c and util/dict_fail.c.

import { indexSuffix, isIndexedType, openIndexedTable, readIndex, serializeIndex, type IndexContents, type IndexedType } from './indexed.ts';
import { foldKey, resolvePath, type MapContext } from './types.ts';

/** Types that open only read-only (their dict_open refuses O_RDWR). */
const READ_ONLY_TYPES = ['texthash', 'regexp', 'pcre', 'cidr', 'inline', 'unionmap', 'pipemap'];

/** A table opened for deletes; close() writes what changed. */
export interface UpdatableTable {
  readonly type: string;
  readonly name: string;
  /** True when the key was there (and is now gone). */
  delete(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens TYPE:NAME for deletes, or ends the command with Postfix's fatal. */
export async function openTableForUpdate(type: string, name: string, context: MapContext): Promise<UpdatableTable> {
  const reporter = context.reporter;
  if (isIndexedType(type)) return openIndexForUpdate(type, name, context);
  if (READ_ONLY_TYPES.includes(type)) reporter.fatal(`${type}:${name} map requires O_RDONLY access mode`);
  const refuse = (reason: string) => async (): Promise<boolean> => reporter.fatal(`table ${type}:${name}: ${reason}`);
  if (type === 'static') return { type, name, delete: refuse('delete operation is not supported'), close: async () => undefined };
  if (type === 'fail') return { type, name, delete: refuse('delete error: Application error'), close: async () => undefined };
  return reporter.fatal(`unsupported dictionary type: ${type}`);
}

async function openIndexForUpdate(type: IndexedType, name: string, context: MapContext): Promise<UpdatableTable> {
  const path = resolvePath(context.cwd, name);
  const indexPath = `${path}${indexSuffix[type]}`;
  let contents: IndexContents;
  const existing = await readIndex(context.fs, indexPath);
  if (!existing.ok && type === 'lmdb' && existing.reason.endsWith('No such file or directory')) {
    contents = { type, foldCase: true, nullTerminated: false, source: null, entries: [], plainKeys: [] };
    await writeIndex(context, name, indexPath, type, contents);
  } else {
    // The checks and warnings of an open for lookups: wrong type, unreadable, stale.
    const opened = await openIndexedTable(type, name, path, context);
    if ('reason' in opened) return context.reporter.fatal(opened.reason);
    if (!existing.ok) return context.reporter.fatal(existing.reason);
    contents = existing.contents;
  }
  const entries = new Map(contents.entries);
  let changed = false;
  const foldCase = context.flags?.foldFixed ?? true;
  return {
    type,
    name,
    delete: async (key) => {
      const stored = foldCase ? foldKey(key) : key;
      if (!entries.delete(stored)) return false;
      changed = true;
      return true;
    },
    close: async () => {
      if (!changed) return;
      const plainKeys = (contents.plainKeys ?? []).filter((key) => entries.has(key));
      await writeIndex(context, name, indexPath, type, { ...contents, entries: [...entries], plainKeys });
    },
  };
}

async function writeIndex(context: MapContext, name: string, indexPath: string, type: IndexedType, contents: IndexContents): Promise<void> {
  try {
    await context.fs.writeFile(indexPath, serializeIndex(contents), { mode: 0o644 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.reporter.fatal(`open database ${name}${indexSuffix[type]}: ${reason}`);
  }
}
