// The shapes every lookup table shares: LookupTable (what callers query), MapContext (what a
// table needs to open: files, a reporter, a working directory, flags), and MapError (a table
// that cannot answer). Models Postfix's DICT interface (util/dict.h) and its error model:
// a lookup returns a value, "not found", or fails with an error the caller must not mistake
// for "not found". Used by every module in engine/global/maps and by their callers
// (postmap, postalias, smtpd restrictions, cleanup, trivial-rewrite, local).

import type { FileSystem } from '../../platform/types.ts';
import type { Reporter } from '../msg.ts';

/** Why a table failed, mirroring Postfix's DICT_ERR_RETRY (try again later) and
 *  DICT_ERR_CONFIG (a configuration error; also a temporary failure for mail). */
export type MapErrorCode = 'retry' | 'config';

/** A table that cannot answer. Callers turn it into a temporary failure (4xx, "address
 *  resolver failure", "table lookup problem"), never into "not found". JSON-safe. */
export class MapError extends Error {
  readonly code: MapErrorCode;
  readonly table: string;

  constructor(code: MapErrorCode, table: string, detail: string) {
    super(detail);
    this.name = 'MapError';
    this.code = code;
    this.table = table;
  }

  toJSON(): { name: string; code: string; table: string; message: string } {
    return { name: this.name, code: this.code, table: this.table, message: this.message };
  }
}

/** What Postfix passes as dict_flags, reduced to what the tables here act on. */
export interface MapFlags {
  /** Fold keys to lower case where the table type does (hash, btree, lmdb, texthash...).
   *  postmap -f turns it off. Default true. */
  foldFixed?: boolean;
  /** Duplicate keys in a source: 'warn' (default for postmap/texthash), 'replace' (-r),
   *  'ignore' (-w). */
  duplicates?: 'warn' | 'replace' | 'ignore';
}

export interface MapContext {
  fs: FileSystem;
  reporter: Reporter;
  /** Relative table names resolve against this directory. */
  cwd: string;
  flags?: MapFlags;
  /** Postfix's dict_allow_surrogate: daemons keep running with a table that failed to open
   *  (an error now, a MapError on each lookup); commands such as postmap stop (fatal). */
  allowSurrogate?: boolean;
  /** Where a library below Postfix (Berkeley DB) prints its own lines, unprefixed;
   *  commands pass their stderr. */
  libraryOutput?: (text: string) => void;
  /** How many nested unionmap/pipemap levels remain; guards against runaway nesting. */
  nestingBudget?: number;
}

/** One opened table. */
export interface LookupTable {
  readonly type: string;
  readonly name: string;
  /** Whether lookups fold the key to lower case (so callers may skip doing it). */
  readonly foldsCase: boolean;
  /** The value, undefined when not found; throws MapError when the table fails. */
  lookup(key: string): Promise<string | undefined>;
  /** Every key and value in the table's own order (postmap -s); absent for tables that
   *  cannot be listed (regexp, cidr, static...), as Postfix's "sequence" operation. */
  entries?(): Promise<Array<[string, string]>>;
}

/** The longest chain of unionmap/pipemap nesting a spec may have. */
export const mapNestingMax = 8;

/** Joins a possibly relative table name to the working directory, as open(2) would. */
export function resolvePath(cwd: string, name: string): string {
  if (name.startsWith('/')) return name;
  const base = cwd.endsWith('/') ? cwd : `${cwd}/`;
  return `${base}${name}`;
}

/** Lower-cases ASCII letters only, as Postfix's lowercase() does for the fixed-string
 *  tables (Postfix folds UTF-8 too when smtputf8 is enabled; ASCII covers our use). */
export function foldKey(key: string): string {
  return key.toLowerCase();
}
