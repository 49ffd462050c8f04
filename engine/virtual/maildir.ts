// Delivery to a virtual Maildir (the looked-up path ends in '/'): the message goes into
// tmp/SECONDS.PPID.HOST (created exclusively, mode 0600, as the recipient's uid/gid),
// is linked into new/SECONDS.VdevIinoMmicroseconds.HOST, and the tmp/ name is removed.
// Missing tmp/, new/ and cur/ (and their parents) are created mode 0700 on the fly. The
// copy carries Return-Path, X-Original-To and Delivered-To, no From_ line. A failure is
// deferred or bounced by its code (4.2.0 by default: the administrator controls the path),
// with Postfix's extra warnings for a permission problem.
// Called by api.ts. Reuses make_dirs and the device number of engine/local/maildir.ts.
// Models deliver_maildir() of src/virtual/maildir.c.

import type { FileHandle } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import { makeDirectories, MAILDIR_DEVICE } from '../local/maildir.ts';
import { errorText, mailboxDsn, MailboxLimitError } from '../local/mbox.ts';
import { mailCopy } from '../local/message.ts';
import { mayCreateIn } from '../local/ownership.ts';
import type { Why } from '../error/recipient-outcome.ts';
import { reportFailure, reportSent, type MailboxOwner, type RecipientJob } from './recipient.ts';

const MICROSECONDS_PER_MILLISECOND = 1000;

interface Failure extends Why {
  code?: string;
}

function isMissing(error: unknown): boolean {
  return error instanceof PlatformError && error.code === 'ENOENT';
}

async function createExclusive(job: RecipientJob, path: string, owner: MailboxOwner): Promise<FileHandle> {
  const fs = job.context.host.platform.fs;
  if (!(await mayCreateIn(fs, job.ownership, path, owner))) throw new PlatformError('EACCES', 'open', path);
  const handle = await fs.open(path, 'wx', 0o600);
  await job.ownership.chown(path, owner.uid, owner.gid);
  return handle;
}

/** Opens tmp/NAME, creating the directories when tmp/ is missing. */
async function openTemporary(job: RecipientJob, directory: string, path: string, owner: MailboxOwner): Promise<FileHandle | Failure> {
  try {
    try {
      return await createExclusive(job, path, owner);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeDirectories(job.context.host.platform.fs, job.ownership, directory, owner, 0o700);
      return await createExclusive(job, path, owner);
    }
  } catch (error) {
    const detail = errorText(error);
    return { dsn: mailboxDsn(detail.code, '4.2.0'), reason: `create maildir file ${path}: ${detail.text}`, code: detail.code };
  }
}

/** mail_copy() into the open tmp/ file, bounded by virtual_mailbox_limit. */
async function writeCopy(job: RecipientJob, handle: FileHandle, bytes: Uint8Array): Promise<Failure | undefined> {
  const limit = job.settings.mailboxLimitBytes;
  try {
    if (limit > 0 && bytes.length > limit) throw new MailboxLimitError();
    await handle.write(bytes);
    await handle.sync();
    return undefined;
  } catch (error) {
    const detail = errorText(error);
    try { await handle.truncate(0); } catch { /* undo is best effort, as in mail_copy */ }
    return { dsn: mailboxDsn(detail.code, '5.3.0'), reason: `error writing message: ${detail.text}`, code: detail.code };
  } finally {
    try { await handle.close(); } catch { /* the data was synced or the failure is reported */ }
  }
}

/** sane_link() tmp -> new, making cur/ and new/ when new/ is missing. */
async function linkIntoNew(job: RecipientJob, owner: MailboxOwner, tmpFile: string, newFile: string): Promise<Failure | undefined> {
  const fs = job.context.host.platform.fs;
  try {
    try {
      await fs.link(tmpFile, newFile);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeDirectories(fs, job.ownership, `${owner.mailbox}cur`, owner, 0o700);
      await makeDirectories(fs, job.ownership, `${owner.mailbox}new`, owner, 0o700);
      await fs.link(tmpFile, newFile);
    }
    return undefined;
  } catch (error) {
    const detail = errorText(error);
    return { dsn: mailboxDsn(detail.code, '4.2.0'), reason: `create maildir file ${newFile}: ${detail.text}`, code: detail.code };
  }
}

export async function deliverMaildir(job: RecipientJob, owner: MailboxOwner): Promise<void> {
  const { context, request, settings } = job;
  const platform = context.host.platform;
  if (request.flags?.verify === true) return reportSent(job, { dsn: '2.0.0', reason: 'delivers to maildir' });
  const startMs = platform.clock.nowMs();
  const seconds = Math.floor(startMs / 1000);
  const microseconds = Math.floor((startMs - seconds * 1000) * MICROSECONDS_PER_MILLISECOND);
  const hostName = context.host.name;
  const tmpDirectory = `${owner.mailbox}tmp`;
  const tmpFile = `${tmpDirectory}/${seconds}.P${context.pid}.${hostName}`;
  let failure: Failure | undefined;
  const opened = await openTemporary(job, tmpDirectory, tmpFile, owner);
  if ('reason' in opened) {
    failure = opened;
  } else {
    const stat = await opened.stat();
    const newFile = `${owner.mailbox}new/${seconds}.V${MAILDIR_DEVICE.toString(16)}I${stat.ino.toString(16)}M${microseconds}.${hostName}`;
    const bytes = mailCopy(job.message, {
      sender: request.sender, originalRecipient: job.recipient.originalRecipient,
      delivered: job.recipient.address, nowMs: startMs,
    }, { returnPath: true, originalRecipient: true, delivered: true, enableOriginalRecipient: settings.enableOriginalRecipient });
    failure = await writeCopy(job, opened, bytes);
    if (failure === undefined) failure = await linkIntoNew(job, owner, tmpFile, newFile);
    try {
      await platform.fs.unlink(tmpFile);
    } catch (error) {
      context.log.warn(`remove ${tmpFile}: ${errorText(error).text}`);
    }
  }
  if (failure === undefined) return reportSent(job, { dsn: '2.0.0', reason: 'delivered to maildir' });
  if (failure.code === 'EACCES') {
    context.log.warn(`maildir access problem for UID/GID=${owner.uid}/${owner.gid}: ${failure.reason}`);
    context.log.warn('perhaps you need to create the maildirs in advance');
  }
  return reportFailure(job, { dsn: failure.dsn, reason: `maildir delivery failed: ${failure.reason}` });
}
