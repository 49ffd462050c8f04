// Writing one message into a Maildir, as local(8) and virtual(8) both do: the message goes
// into tmp/SECONDS.PPID.HOST (created exclusively, mode 0600, owned by the recipient), is
// linked into new/ under the name Postfix uses, "SECONDS.VdevIinoMmicroseconds.HOST", and
// the tmp/ name is removed. Missing tmp/, new/ and cur/ directories (and their parents) are
// created mode 0700, owned by the recipient. The platform's FileStat has no device number,
// so the V part is the fixed value MAILDIR_DEVICE (the reference machine's 0xfe00).
// Called by engine/local/maildir.ts and engine/virtual/maildir.ts, which build the copy and
// report the outcome. Trusts engine/global/ownership.ts for the "as the recipient" checks.
// Models the common part of src/local/maildir.c and src/virtual/maildir.c, and
// src/util/make_dirs.c.

import type { FileHandle, FileSystem } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import type { Why } from './dsn/why.ts';
import { errorText, mailboxDsn, MailboxLimitError } from './mbox.ts';
import { mayCreateIn, type Identity, type Ownership } from './ownership.ts';

/** The device number shown in Maildir file names (see the header comment). */
export const MAILDIR_DEVICE = 0xfe00;
/** Path components make_dirs() creates at most. */
const DIRECTORY_DEPTH_MAX = 64;
const DIRECTORY_MODE = 0o700;
const MESSAGE_FILE_MODE = 0o600;

/** make_dirs(): creates each missing directory of `path`, owned by `owner`. */
export async function makeDirectories(fs: FileSystem, ownership: Ownership, path: string, owner: Identity, mode: number): Promise<void> {
  const parts = path.split('/').filter((part) => part !== '');
  let current = '';
  for (const part of parts.slice(0, DIRECTORY_DEPTH_MAX)) {
    current += `/${part}`;
    try {
      const stat = await fs.stat(current);
      if (!stat.isDirectory) throw new PlatformError('ENOTDIR', 'mkdir', current);
      continue;
    } catch (error) {
      if (!(error instanceof PlatformError) || error.code !== 'ENOENT') throw error;
    }
    if (!(await mayCreateIn(fs, ownership, current, owner))) throw new PlatformError('EACCES', 'mkdir', current);
    await fs.mkdir(current, { mode });
    await ownership.chown(current, owner.uid, owner.gid);
  }
}

/** A failed Maildir delivery: the reason, its DSN and the errno behind it. */
export interface MaildirFailure extends Why {
  code?: string;
}

export interface MaildirDelivery {
  fs: FileSystem;
  ownership: Ownership;
  owner: Identity;
  /** The Maildir, ending in '/'. */
  path: string;
  pid: number;
  hostName: string;
  nowMs: number;
  /** The copy mail_copy() made. */
  bytes: Uint8Array;
  /** mailbox_size_limit or virtual_mailbox_limit; 0 means none. */
  sizeLimitBytes: number;
  /** The DSN of a failure to create a file (local: 5.2.0, virtual: 4.2.0). */
  defaultDsn: string;
  warn(text: string): void;
}

function isMissing(error: unknown): boolean {
  return error instanceof PlatformError && error.code === 'ENOENT';
}

async function createExclusive(delivery: MaildirDelivery, path: string): Promise<FileHandle> {
  const { fs, ownership, owner } = delivery;
  if (!(await mayCreateIn(fs, ownership, path, owner))) throw new PlatformError('EACCES', 'open', path);
  const handle = await fs.open(path, 'wx', MESSAGE_FILE_MODE);
  await ownership.chown(path, owner.uid, owner.gid);
  return handle;
}

function failure(error: unknown, defaultDsn: string, prefix: string): MaildirFailure {
  const detail = errorText(error);
  return { dsn: mailboxDsn(detail.code, defaultDsn), reason: `${prefix}: ${detail.text}`, code: detail.code };
}

/** Opens tmp/NAME, creating the directories when tmp/ is missing. */
async function openTemporary(delivery: MaildirDelivery, tmpFile: string): Promise<FileHandle | MaildirFailure> {
  try {
    try {
      return await createExclusive(delivery, tmpFile);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeDirectories(delivery.fs, delivery.ownership, `${delivery.path}tmp`, delivery.owner, DIRECTORY_MODE);
      return await createExclusive(delivery, tmpFile);
    }
  } catch (error) {
    return failure(error, delivery.defaultDsn, `create maildir file ${tmpFile}`);
  }
}

/** The copy into the open tmp/ file, bounded by the size limit, synced. */
async function writeCopy(delivery: MaildirDelivery, handle: FileHandle): Promise<MaildirFailure | undefined> {
  const limit = delivery.sizeLimitBytes;
  try {
    if (limit > 0 && delivery.bytes.length > limit) throw new MailboxLimitError();
    await handle.write(delivery.bytes);
    await handle.sync();
    return undefined;
  } catch (error) {
    try { await handle.truncate(0); } catch { /* undo is best effort, as in mail_copy */ }
    return failure(error, '5.3.0', 'error writing message');
  } finally {
    try { await handle.close(); } catch { /* the data was synced or the failure is reported */ }
  }
}

/** sane_link() tmp -> new, making cur/ and new/ when new/ is missing. */
async function linkIntoNew(delivery: MaildirDelivery, tmpFile: string, newFile: string): Promise<MaildirFailure | undefined> {
  const { fs, ownership, owner, path } = delivery;
  try {
    try {
      await fs.link(tmpFile, newFile);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeDirectories(fs, ownership, `${path}cur`, owner, DIRECTORY_MODE);
      await makeDirectories(fs, ownership, `${path}new`, owner, DIRECTORY_MODE);
      await fs.link(tmpFile, newFile);
    }
    return undefined;
  } catch (error) {
    return failure(error, delivery.defaultDsn, `create maildir file ${newFile}`);
  }
}

/** Delivers one copy; undefined on success, else why it failed. */
export async function deliverToMaildir(delivery: MaildirDelivery): Promise<MaildirFailure | undefined> {
  const seconds = Math.floor(delivery.nowMs / 1000);
  const microseconds = Math.floor((delivery.nowMs - seconds * 1000) * 1000);
  const tmpFile = `${delivery.path}tmp/${seconds}.P${delivery.pid}.${delivery.hostName}`;
  const opened = await openTemporary(delivery, tmpFile);
  if ('reason' in opened) return opened;
  const stat = await opened.stat();
  const newFile = `${delivery.path}new/${seconds}.V${MAILDIR_DEVICE.toString(16)}I${stat.ino.toString(16)}M${microseconds}.${delivery.hostName}`;
  const outcome = await writeCopy(delivery, opened) ?? await linkIntoNew(delivery, tmpFile, newFile);
  try {
    await delivery.fs.unlink(tmpFile);
  } catch (error) {
    delivery.warn(`remove ${tmpFile}: ${errorText(error).text}`);
  }
  return outcome;
}
