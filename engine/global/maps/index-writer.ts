// Building the index file of a hash, btree or lmdb table, for postmap and postalias:
// open (fresh, or the existing index for -i), append key/value pairs with Postfix's
// duplicate handling and messages ("NAME.db: duplicate entry: "key"" for hash/btree,
// "lmdb:NAME: duplicate entry: "key"" for lmdb), then close, which writes the file with the
// source's fingerprint so that later opens can tell a stale index (see indexed.ts).
// Models global/mkmap_open.c with util/dict_db.c and util/dict_lmdb.c updates.

import { indexSuffix, readIndex, serializeIndex, sourceFingerprint, type IndexContents, type IndexedType } from './indexed.ts';
import { foldKey } from './types.ts';
import type { FileSystem } from '../../platform/types.ts';
import type { Reporter } from '../msg.ts';

/** An index holds at most this many entries. */
export const indexEntriesMax = 5_000_000;

export interface IndexWriterOptions {
  fs: FileSystem;
  reporter: Reporter;
  type: IndexedType;
  /** The table name as the user gave it (shown in messages). */
  name: string;
  /** The source path, resolved. */
  path: string;
  /** -i: add to the existing index instead of starting empty. */
  incremental: boolean;
  nullTerminated: boolean;
}

export class IndexWriter {
  private readonly entries = new Map<string, string>();
  private readonly plainKeys = new Set<string>();
  foldCase = true;
  duplicates: 'warn' | 'replace' | 'ignore' = 'warn';
  /** postalias writes its NIS keys without a trailing null byte. */
  nullTerminated: boolean;

  private constructor(private readonly options: IndexWriterOptions) {
    this.nullTerminated = options.nullTerminated;
  }

  static async open(options: IndexWriterOptions): Promise<IndexWriter> {
    const writer = new IndexWriter(options);
    if (options.incremental) {
      const existing = await readIndex(options.fs, writer.indexPath);
      if (existing.ok) {
        for (const [key, value] of existing.contents.entries) writer.entries.set(key, value);
        for (const key of existing.contents.plainKeys ?? []) writer.plainKeys.add(key);
      }
    }
    return writer;
  }

  get indexPath(): string {
    return `${this.options.path}${indexSuffix[this.options.type]}`;
  }

  private duplicateMessage(key: string): string {
    const where = this.options.type === 'lmdb' ? `lmdb:${this.options.name}` : `${this.options.name}${indexSuffix[this.options.type]}`;
    return `${where}: duplicate entry: "${key}"`;
  }

  append(sourceKey: string, value: string): void {
    const key = this.foldCase ? foldKey(sourceKey) : sourceKey;
    if (this.entries.has(key)) {
      if (this.duplicates === 'replace') this.entries.set(key, value);
      else if (this.duplicates === 'warn') this.options.reporter.warn(this.duplicateMessage(key));
      return;
    }
    if (this.entries.size >= indexEntriesMax) this.options.reporter.fatal(`table ${this.options.type}:${this.options.name}: write error: too many entries`);
    this.entries.set(key, value);
    if (!this.nullTerminated) this.plainKeys.add(key);
  }

  async close(): Promise<void> {
    const contents: IndexContents = {
      type: this.options.type,
      foldCase: this.foldCase,
      nullTerminated: this.options.nullTerminated,
      source: (await sourceFingerprint(this.options.fs, this.options.path)) ?? null,
      entries: [...this.entries],
      plainKeys: [...this.plainKeys].filter((key) => this.entries.has(key)),
    };
    try {
      await this.options.fs.writeFile(this.indexPath, serializeIndex(contents), { mode: 0o644 });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.reporter.fatal(`open database ${this.options.name}${indexSuffix[this.options.type]}: ${reason}`);
    }
  }
}
