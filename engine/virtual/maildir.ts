// Delivery to a virtual Maildir (the looked-up path ends in '/'): the message goes into
// tmp/SECONDS.PPID.HOST (created exclusively, mode 0600, as the recipient's uid/gid),
// is linked into new/SECONDS.VdevIinoMmicroseconds.HOST, and the tmp/ name is removed.
// Missing tmp/, new/ and cur/ (and their parents) are created mode 0700 on the fly. The
// copy carries Return-Path, X-Original-To and Delivered-To, no From_ line. A failure is
// deferred or bounced by its code (4.2.0 by default: the administrator controls the path),
// with Postfix's extra warnings for a permission problem.
// Called by api.ts. The Maildir writing is shared with local (engine/global/maildir.ts).
// Models deliver_maildir() of src/virtual/maildir.c.

import { mailCopy } from '../global/mail-copy.ts';
import { deliverToMaildir } from '../global/maildir.ts';
import { reportFailure, reportSent, type MailboxOwner, type RecipientJob } from './recipient.ts';

export async function deliverMaildir(job: RecipientJob, owner: MailboxOwner): Promise<void> {
  const { context, request, settings } = job;
  const platform = context.host.platform;
  if (request.flags?.verify === true) return reportSent(job, { dsn: '2.0.0', reason: 'delivers to maildir' });
  const nowMs = platform.clock.nowMs();
  const bytes = mailCopy(job.message, {
    sender: request.sender, originalRecipient: job.recipient.originalRecipient,
    delivered: job.recipient.address, nowMs,
  }, { returnPath: true, originalRecipient: true, delivered: true, enableOriginalRecipient: settings.enableOriginalRecipient });
  const failure = await deliverToMaildir({
    fs: platform.fs, ownership: job.ownership, owner: { uid: owner.uid, gid: owner.gid }, path: owner.mailbox,
    pid: context.pid, hostName: context.host.name, nowMs, bytes, sizeLimitBytes: settings.mailboxLimitBytes,
    defaultDsn: '4.2.0', warn: (text) => context.log.warn(text),
  });
  if (failure === undefined) return reportSent(job, { dsn: '2.0.0', reason: 'delivered to maildir' });
  if (failure.code === 'EACCES') {
    context.log.warn(`maildir access problem for UID/GID=${owner.uid}/${owner.gid}: ${failure.reason}`);
    context.log.warn('perhaps you need to create the maildirs in advance');
  }
  return reportFailure(job, { dsn: failure.dsn, reason: `maildir delivery failed: ${failure.reason}` });
}
