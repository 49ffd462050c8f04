// Opening, locking and appending to an mbox-style file, as local(8) does for the mail spool
// mailbox, a home mailbox and /file destinations (and virtual(8) for its mbox files): a USER.lock dot-lock file (created with
// O_EXCL, retried a few times a second apart; one older than stale_lock_time, left by a
// delivery that died holding it, is removed), then the file itself opened as safe_open()
// does (existing: no directory, one link, no symlink; new: created exclusively, mode 0600,
// owner recorded), then an exclusive lock. The platform has no fcntl/flock, so the
// exclusive lock is a per-file-system lock table in this process: it serialises the
// deliveries of one host, which is what fcntl does between Postfix's local processes.
// Appends honour mailbox_size_limit as Postfix's file size limit does (EFBIG: "File too
// large", 5.2.2) and are undone (truncated) when a write fails.
// Called by engine/local (mailbox.ts, file.ts) and engine/virtual/mailbox.ts. Models src/global/mbox_open.c, dot_lockfile.c,
// src/util/safe_open.c and the file handling in mail_copy.c.

import type { Clock, FileHandle, FileStat, FileSystem, Timers } from '../platform/types.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import { mayAccess, mayCreateIn, type Identity, type Ownership } from './ownership.ts';
import type { Why } from './dsn/why.ts';

/** Dot-lock attempts and the wait between them (deliver_lock_attempts, deliver_lock_delay). */
export const DOT_LOCK_ATTEMPTS = 5;
export const DOT_LOCK_DELAY_MS = 1000;
/** Postfix makes the lock with mode 0; memfs will not open such a new file for writing. */
const LOCK_FILE_MODE = 0o600;

/** mbox_dsn(): the DSN detail for an errno. */
export function mailboxDsn(code: string | undefined, defaultDsn: string): string {
  if (code === 'EAGAIN') return '4.2.0';
  if (code === 'ENOSPC') return '4.3.0';
  if (code === 'EDQUOT' || code === 'EFBIG') return '5.2.2';
  return defaultDsn;
}

/** strerror() for the codes local meets, including the two the platform does not name. */
export function errorText(error: unknown): { code?: string; text: string } {
  if (error instanceof PlatformError) return { code: error.code, text: describeCode(error.code) };
  if (error instanceof MailboxLimitError) return { code: 'EFBIG', text: 'File too large' };
  return { text: String(error) };
}

/** The write that would pass mailbox_size_limit. */
export class MailboxLimitError extends Error {
  constructor() {
    super('File too large');
    this.name = 'MailboxLimitError';
  }
}

export interface MailboxOpenOptions {
  fs: FileSystem;
  timers: Timers;
  clock: Clock;
  /** stale_lock_time: a dot-lock file older than this is broken. */
  staleLockSeconds: number;
  ownership: Ownership;
  /** Who opens: the recipient, or root for a root-owned spool. */
  identity: Identity;
  /** Owner for a newly created file when it differs from `identity` (chown_uid/gid). */
  createOwner?: Identity;
  mode: number;
  dotLock: boolean;
  /** A dot-lock that cannot be made for a reason other than EEXIST is only a warning. */
  dotLockMayFail: boolean;
  defaultDsn: string;
  warn(text: string): void;
}

export interface OpenMailbox {
  path: string;
  handle: FileHandle;
  stat: FileStat;
  release(): Promise<void>;
}

const lockTables = new WeakMap<FileSystem, Map<string, Promise<void>>>();

/** Waits for the in-process exclusive lock on `path`; returns its release function. */
async function exclusiveLock(fs: FileSystem, path: string): Promise<() => void> {
  let table = lockTables.get(fs);
  if (table === undefined) { table = new Map(); lockTables.set(fs, table); }
  const previous = table.get(path) ?? Promise.resolve();
  let release = (): void => {};
  const current = new Promise<void>((resolve) => { release = resolve; });
  const chained = previous.then(() => current);
  table.set(path, chained);
  await previous;
  return () => {
    release();
    if (table?.get(path) === chained) table.delete(path);
  };
}

function sleep(timers: Timers, delayMs: number): Promise<void> {
  return new Promise((resolve) => { timers.after(delayMs, resolve); });
}

/** dot_lockfile(): undefined on success, else the reason and errno. */
async function dotLock(options: MailboxOpenOptions, path: string): Promise<{ code?: string; reason: string } | undefined> {
  const lockPath = `${path}.lock`;
  let last: { code?: string; text: string } = { text: '' };
  for (let attempt = 1; attempt <= DOT_LOCK_ATTEMPTS; attempt++) {
    try {
      if (!(await mayCreateIn(options.fs, options.ownership, lockPath, options.identity))) {
        throw new PlatformError('EACCES', 'open', lockPath);
      }
      const handle = await options.fs.open(lockPath, 'wx', LOCK_FILE_MODE);
      await handle.close();
      return undefined;
    } catch (error) {
      last = errorText(error);
      if (last.code !== 'EEXIST' || attempt === DOT_LOCK_ATTEMPTS) break;
      await breakStaleLock(options, lockPath);
      await sleep(options.timers, DOT_LOCK_DELAY_MS);
    }
  }
  return { code: last.code, reason: `unable to create lock file ${lockPath}: ${last.text}` };
}

/** dot_lockfile(): a lock file older than stale_lock_time belongs to a delivery that died
 *  (a crash, a kill) and is removed so that the next attempt can take the lock. */
async function breakStaleLock(options: MailboxOpenOptions, lockPath: string): Promise<void> {
  const stat = await statOrUndefined(options.fs, lockPath, false);
  if (stat === undefined || options.clock.nowMs() <= stat.mtimeMs + options.staleLockSeconds * 1000) return;
  try { await options.fs.unlink(lockPath); } catch { /* gone already, or the next attempt reports it */ }
}

async function removeDotLock(fs: FileSystem, path: string): Promise<void> {
  try { await fs.unlink(`${path}.lock`); } catch { /* as dot_unlockfile: ignored */ }
}

async function statOrUndefined(fs: FileSystem, path: string, follow: boolean): Promise<FileStat | undefined> {
  try {
    return follow ? await fs.stat(path) : await fs.lstat(path);
  } catch {
    return undefined;
  }
}

/** safe_open() with O_APPEND|O_CREAT: returns the handle or a reason and errno. */
async function safeOpen(options: MailboxOpenOptions, path: string): Promise<{ handle: FileHandle; stat: FileStat } | { code?: string; reason: string }> {
  const { fs } = options;
  const existing = await statOrUndefined(fs, path, false);
  if (existing !== undefined) {
    if (existing.isSymbolicLink) return { code: 'EPERM', reason: 'file is a symbolic link' };
    if (existing.isDirectory) return { code: 'EISDIR', reason: 'file is a directory' };
    if (existing.nlink !== 1) return { code: 'EPERM', reason: `file has ${existing.nlink} hard links` };
    if (options.ownership.enforced && !mayAccess(existing, options.identity, 'write')) {
      return { code: 'EACCES', reason: `cannot open file: ${describeCode('EACCES')}` };
    }
    try {
      const handle = await fs.open(path, 'a');
      return { handle, stat: await handle.stat() };
    } catch (error) {
      const failure = errorText(error);
      return { code: failure.code, reason: `cannot open file: ${failure.text}` };
    }
  }
  try {
    if (!(await mayCreateIn(fs, options.ownership, path, options.identity))) throw new PlatformError('EACCES', 'open', path);
    const handle = await fs.open(path, 'ax', options.mode);
    const owner = options.createOwner ?? options.identity;
    await options.ownership.chown(path, owner.uid, owner.gid);
    return { handle, stat: await handle.stat() };
  } catch (error) {
    const failure = errorText(error);
    return { code: failure.code, reason: `cannot create file exclusively: ${failure.text}` };
  }
}

/** mbox_open(): dot-lock, open or create, lock. A failure comes back as a Why. */
export async function openMailbox(path: string, options: MailboxOpenOptions): Promise<OpenMailbox | Why> {
  let dotLocked = false;
  if (options.dotLock) {
    const target = await statOrUndefined(options.fs, path, true);
    if (target === undefined || target.isFile) {
      const failure = await dotLock(options, path);
      if (failure === undefined) {
        dotLocked = true;
      } else if (failure.code === 'EEXIST') {
        return { dsn: mailboxDsn('EAGAIN', options.defaultDsn), reason: failure.reason };
      } else if (options.dotLockMayFail) {
        options.warn(failure.reason);
      } else {
        return { dsn: mailboxDsn(failure.code, options.defaultDsn), reason: failure.reason };
      }
    }
  }
  const opened = await safeOpen(options, path);
  if ('reason' in opened) {
    if (dotLocked) await removeDotLock(options.fs, path);
    return { dsn: mailboxDsn(opened.code, options.defaultDsn), reason: opened.reason };
  }
  const unlock = opened.stat.isFile ? await exclusiveLock(options.fs, path) : () => {};
  return {
    path,
    handle: opened.handle,
    stat: opened.stat,
    release: async () => {
      unlock();
      if (dotLocked) await removeDotLock(options.fs, path);
    },
  };
}

/** Appends `bytes` at the end, syncs, and undoes a partial write. `sizeLimitBytes` 0 means
 *  no limit. Returns undefined on success, else the reason and DSN. */
export async function appendMessage(mailbox: OpenMailbox, bytes: Uint8Array, sizeLimitBytes: number, toFile: boolean): Promise<Why | undefined> {
  const { handle } = mailbox;
  let originalLength = 0;
  try {
    originalLength = (await handle.stat()).size;
    if (toFile && sizeLimitBytes > 0 && originalLength + bytes.length > sizeLimitBytes) throw new MailboxLimitError();
    await handle.write(bytes);
    if (toFile) await handle.sync();
    return undefined;
  } catch (error) {
    const failure = errorText(error);
    if (toFile) {
      try { await handle.truncate(originalLength); } catch { /* "So sue me", as mail_copy says */ }
    }
    return { dsn: mailboxDsn(failure.code, '5.3.0'), reason: `error writing message: ${failure.text}` };
  } finally {
    try { await handle.close(); } catch { /* closing is best effort after the sync */ }
  }
}
