// Delivery to a virtual mbox file (the looked-up path does not end in '/'): the file is
// locked (dot-lock when virtual_mailbox_lock says so, and the exclusive lock), opened or
// created (mode 0600) with the recipient's uid/gid from virtual_uid_maps/virtual_gid_maps,
// and the message appended with a From_ line, Return-Path, X-Original-To, Delivered-To,
// ">From " quoting and a blank line. virtual_mailbox_limit caps the file's size (EFBIG:
// 5.2.2 "File too large"). A failure with a 4.x.x code defers, anything else bounces.
// Called by api.ts. Reuses the mbox locking/appending and mail_copy() code local also uses
// (engine/global/mbox.ts, mail-copy.ts: Postfix's global mbox_open.c and mail_copy.c).
// Models deliver_mailbox_file() of src/virtual/mailbox.c.

import { appendMessage, openMailbox } from '../global/mbox.ts';
import { mailCopy, MBOX_COPY } from '../global/mail-copy.ts';
import type { Why } from '../global/dsn/why.ts';
import { reportFailure, reportSent, type MailboxOwner, type RecipientJob } from './recipient.ts';

export async function deliverMailboxFile(job: RecipientJob, owner: MailboxOwner): Promise<void> {
  const { context, request, settings } = job;
  const platform = context.host.platform;
  if (request.flags?.verify === true) return reportSent(job, { dsn: '2.0.0', reason: 'delivers to mailbox' });
  const identity = { uid: owner.uid, gid: owner.gid };
  const opened = await openMailbox(owner.mailbox, {
    fs: platform.fs, timers: platform.timers, clock: platform.clock, staleLockSeconds: settings.staleLockSeconds,
    ownership: job.ownership, identity, mode: 0o600,
    dotLock: settings.dotLock, dotLockMayFail: false, defaultDsn: '4.2.0', warn: (text) => context.log.warn(text),
  });
  let failure: Why | undefined;
  if ('reason' in opened) {
    failure = opened;
  } else {
    if (!opened.stat.isFile) {
      await opened.handle.close();
      context.log.warn(`recipient ${job.recipient.address}: destination ${owner.mailbox} is not a regular file`);
      failure = { dsn: '5.3.5', reason: 'mail system configuration error' };
    } else if (job.ownership.enforced && settings.strictMailboxOwnership && opened.stat.uid !== owner.uid) {
      await opened.handle.close();
      failure = { dsn: '4.2.0', reason: `destination ${owner.mailbox} is not owned by recipient` };
      context.log.warn('specify "strict_mailbox_ownership = no" to ignore mailbox ownership mismatch');
    } else {
      const bytes = mailCopy(job.message, {
        sender: request.sender, originalRecipient: job.recipient.originalRecipient,
        delivered: job.recipient.address, nowMs: platform.clock.nowMs(),
      }, { ...MBOX_COPY, enableOriginalRecipient: settings.enableOriginalRecipient });
      const written = await appendMessage(opened, bytes, settings.mailboxLimitBytes, true);
      if (written !== undefined) failure = written;
    }
    await opened.release();
  }
  if (failure !== undefined) {
    return reportFailure(job, { dsn: failure.dsn, reason: `delivery failed to mailbox ${owner.mailbox}: ${failure.reason}` });
  }
  return reportSent(job, { dsn: '2.0.0', reason: 'delivered to mailbox' });
}
