// Maildir delivery: the message is written to tmp/ under a name made of the time, the
// process id and the host name, then linked into new/ under the name Postfix uses,
// "SECONDS.VdevIinoMmicroseconds.HOST", and removed from tmp/. Missing tmp/, new/ and cur/
// directories are created (mode 0700, owned by the recipient). The platform's FileStat has
// no device number, so the V part is the fixed value MAILDIR_DEVICE (the reference
// machine's 0xfe00). Called by mailbox.ts and file.ts. Models src/local/maildir.c.

import type { FileSystem } from '../platform/types.ts';
import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { reportFailure, reportSent } from './status.ts';
import { mailCopy } from './message.ts';
import { errorText, mailboxDsn, MailboxLimitError } from './mbox.ts';
import { DeliveredHeader } from './settings.ts';
import { mayCreateIn, type Identity, type Ownership } from './ownership.ts';
import { PlatformError } from '../platform/types.ts';

/** The device number shown in Maildir file names (see the header comment). */
export const MAILDIR_DEVICE = 0xfe00;
/** Path components make_dirs() creates at most. */
const DIRECTORY_DEPTH_MAX = 64;

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

async function createExclusive(fs: FileSystem, ownership: Ownership, path: string, owner: Identity): Promise<Awaited<ReturnType<FileSystem['open']>>> {
  if (!(await mayCreateIn(fs, ownership, path, owner))) throw new PlatformError('EACCES', 'open', path);
  const handle = await fs.open(path, 'wx', 0o600);
  await ownership.chown(path, owner.uid, owner.gid);
  return handle;
}

function isMissing(error: unknown): boolean {
  return error instanceof PlatformError && error.code === 'ENOENT';
}

/** deliver_maildir(): `path` ends in '/'. */
export async function deliverMaildir(state: LocalState, user: UserAttr, path: string): Promise<DeliveryStatus> {
  const { deps, message } = state.shared;
  const { fs } = deps;
  const { clock } = deps.host.platform;
  const settings = deps.settings;
  const attr = settings.frozenDeliveredTo ? state.attr : { ...state.attr, delivered: state.attr.recipient.address };
  const here = { ...state, attr };
  const owner = { uid: user.uid, gid: user.gid };
  const nowMs = clock.nowMs();
  const seconds = Math.floor(nowMs / 1000);
  const microseconds = Math.floor((nowMs - seconds * 1000) * 1000);
  const hostName = deps.host.name;
  const tmpFile = `${path}tmp/${seconds}.P${deps.pid}.${hostName}`;
  let newFile = '';
  let failure: { dsn: string; reason: string } | undefined;
  let handle;
  try {
    try {
      handle = await createExclusive(fs, deps.ownership, tmpFile, owner);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeDirectories(fs, deps.ownership, `${path}tmp`, owner, 0o700);
      handle = await createExclusive(fs, deps.ownership, tmpFile, owner);
    }
  } catch (error) {
    const detail = errorText(error);
    failure = { dsn: mailboxDsn(detail.code, '5.2.0'), reason: `create maildir file ${tmpFile}: ${detail.text}` };
  }
  if (handle !== undefined) {
    const stat = await handle.stat();
    newFile = `${path}new/${seconds}.V${MAILDIR_DEVICE.toString(16)}I${stat.ino.toString(16)}M${microseconds}.${hostName}`;
    const bytes = mailCopy(message, {
      sender: attr.sender, originalRecipient: attr.recipient.originalRecipient,
      delivered: attr.delivered ?? attr.recipient.address, nowMs,
    }, {
      returnPath: true, originalRecipient: true, enableOriginalRecipient: settings.enableOriginalRecipient,
      delivered: (settings.deliveredHeaderMask & DeliveredHeader.file) !== 0,
    });
    failure = await writeAndLink(here, handle, bytes, tmpFile, newFile, path, owner);
    try { await fs.unlink(tmpFile); } catch (error) { deps.log.warn(`remove ${tmpFile}: ${errorText(error).text}`); }
  }
  if (failure !== undefined) {
    return reportFailure(here, { dsn: failure.dsn, reason: `maildir delivery failed: ${failure.reason}` });
  }
  return reportSent(here, { dsn: '2.0.0', reason: 'delivered to maildir' });
}

async function writeAndLink(state: LocalState, handle: Awaited<ReturnType<FileSystem['open']>>, bytes: Uint8Array,
  tmpFile: string, newFile: string, path: string, owner: Identity): Promise<{ dsn: string; reason: string } | undefined> {
  const { deps } = state.shared;
  const { fs } = deps;
  const limit = deps.settings.mailboxSizeLimitBytes;
  try {
    if (limit > 0 && bytes.length > limit) throw new MailboxLimitError();
    await handle.write(bytes);
    await handle.sync();
  } catch (error) {
    const detail = errorText(error);
    await handle.close().catch(() => undefined);
    return { dsn: mailboxDsn(detail.code, '5.3.0'), reason: `error writing message: ${detail.text}` };
  }
  await handle.close();
  try {
    try {
      await fs.link(tmpFile, newFile);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeDirectories(fs, deps.ownership, `${path}cur`, owner, 0o700);
      await makeDirectories(fs, deps.ownership, `${path}new`, owner, 0o700);
      await fs.link(tmpFile, newFile);
    }
  } catch (error) {
    const detail = errorText(error);
    return { dsn: mailboxDsn(detail.code, '5.2.0'), reason: `create maildir file ${newFile}: ${detail.text}` };
  }
  return undefined;
}
