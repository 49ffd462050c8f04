// hash:NAME, btree:NAME, lmdb:NAME -- tables that postmap/postalias build into an index
// file beside the source (NAME.db for hash and btree, NAME.lmdb for lmdb), and that lookups
// read. Models util/dict_db.c and util/dict_lmdb.c, in an index format of our own (JSON
// below a one-line magic), since nothing outside mtalab reads these files.
//
// Staleness: Postfix warns "database X is older than source file Y" by comparing mtimes.
// mtalab never decides from file times (DESIGN.md section 2: memfs stamps wall-clock
// times), so the index records the source's size and a content digest when it is built,
// and an open compares them with the source as it is now. The warning then appears exactly
// when the source changed after the last build, in sim and node alike. (Postfix also stays
// quiet for 100 seconds after an edit; a content comparison needs no such grace period.)
// Called by openLookupTable and by postmap/postalias builds.

import type { FileSystem } from '../../platform/types.ts';
import { errorText } from './source-lines.ts';
import { bdbHashOrder } from './hash-order.ts';
import { foldKey, type LookupTable, type MapContext } from './types.ts';

export type IndexedType = 'hash' | 'btree' | 'lmdb';

export const indexSuffix: Record<IndexedType, string> = { hash: '.db', btree: '.db', lmdb: '.lmdb' };

export function isIndexedType(type: string): type is IndexedType {
  return type === 'hash' || type === 'btree' || type === 'lmdb';
}

const magic = 'mtalab-lookup-index 1\n';

/** What identifies a version of the source file: its size and a 64-bit FNV-1a digest. */
export interface SourceFingerprint {
  size: number;
  digest: string;
}

export interface IndexContents {
  type: IndexedType;
  /** Whether keys were folded to lower case when they were stored. */
  foldCase: boolean;
  /** postalias stores keys and values with a trailing null byte (sendmail compatible);
   *  kept as a flag so that lookups from either command find them. */
  nullTerminated: boolean;
  source: SourceFingerprint | null;
  /** Insertion order; the dump order is derived from the type. */
  entries: Array<[string, string]>;
  /** Keys stored without the trailing null even in a null-terminated table (postalias's
   *  YP_* keys); they hash differently in Berkeley DB. */
  plainKeys?: string[];
}

/** FNV-1a over the bytes, computed as two independent 32-bit lanes to give 64 bits
 *  without BigInt arithmetic in the hot loop. */
export function fingerprintOf(bytes: Uint8Array): SourceFingerprint {
  let low = 0x811c9dc5;
  let high = 0xcbf29ce4;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] ?? 0;
    low = Math.imul(low ^ byte, 0x01000193) >>> 0;
    high = Math.imul(high ^ byte ^ (index & 0xff), 0x01000193) >>> 0;
  }
  const hex = (value: number): string => value.toString(16).padStart(8, '0');
  return { size: bytes.length, digest: `${hex(high)}${hex(low)}` };
}

/** Reads the source's fingerprint; undefined when the source cannot be read. */
export async function sourceFingerprint(fs: FileSystem, path: string): Promise<SourceFingerprint | undefined> {
  try {
    return fingerprintOf(await fs.readFile(path));
  } catch {
    return undefined;
  }
}

export function serializeIndex(contents: IndexContents): string {
  return `${magic}${JSON.stringify(contents)}\n`;
}

export function parseIndex(text: string): IndexContents | undefined {
  if (!text.startsWith(magic)) return undefined;
  try {
    const parsed = JSON.parse(text.slice(magic.length)) as IndexContents;
    if (!Array.isArray(parsed.entries) || !isIndexedType(parsed.type)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

/** The order postmap -s lists entries in: byte order for btree and lmdb, Berkeley DB's
 *  bucket order for hash (so that output matches Postfix's). */
export function dumpOrder(contents: IndexContents): Array<[string, string]> {
  if (contents.type === 'hash') return bdbHashOrder(contents.entries, contents.nullTerminated, new Set(contents.plainKeys ?? []));
  const encoder = new TextEncoder();
  return [...contents.entries].sort(([left], [right]) => compareBytes(encoder.encode(left), encoder.encode(right)));
}

function compareBytes(left: Uint8Array, right: Uint8Array): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/** Reads an index; a failure gives Postfix's "open database PATH: reason" text. */
export async function readIndex(fs: FileSystem, indexPath: string, shownPath = indexPath): Promise<
  { ok: true; contents: IndexContents } | { ok: false; reason: string }
> {
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(indexPath));
  } catch (error) {
    return { ok: false, reason: `open database ${shownPath}: ${errorText(error)}` };
  }
  const contents = parseIndex(text);
  if (contents === undefined) return { ok: false, reason: `open database ${shownPath}: Invalid argument` };
  return { ok: true, contents };
}

/** Opens NAME's index for lookups; warns when the source changed since the build. */
export async function openIndexedTable(
  type: IndexedType, name: string, path: string, context: MapContext,
): Promise<LookupTable | { reason: string }> {
  const indexPath = `${path}${indexSuffix[type]}`;
  const shownIndex = `${name}${indexSuffix[type]}`;
  const read = await readIndex(context.fs, indexPath, shownIndex);
  if (!read.ok) return { reason: read.reason };
  const contents = read.contents;
  // A btree file opened as hash (or the reverse) is refused, as Berkeley DB does.
  if (contents.type !== type) {
    if (type !== 'lmdb' && contents.type !== 'lmdb') {
      const libraryPath = name.startsWith('/') ? shownIndex : `./${shownIndex}`;
      context.libraryOutput?.(`BDB0641 __db_meta_setup: ${libraryPath}: unexpected file type or format\n`);
    }
    return { reason: `open database ${shownIndex}: Invalid argument` };
  }
  if (contents.source !== null) {
    const now = await sourceFingerprint(context.fs, path);
    if (now !== undefined && (now.size !== contents.source.size || now.digest !== contents.source.digest)) {
      context.reporter.warn(`database ${shownIndex} is older than source file ${name}`);
    }
  }
  const foldCase = context.flags?.foldFixed ?? true;
  const table = new Map(contents.entries);
  return {
    type,
    name,
    foldsCase: foldCase,
    lookup: async (key) => table.get(foldCase ? foldKey(key) : key),
    entries: async () => dumpOrder(contents),
  };
}
