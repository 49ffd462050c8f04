// Delivery to a /file/name from an alias, a .forward file or an :include: file, when
// allow_mail_to_files permits that source. The file is written with the rights of the
// alias database owner, the .forward user or the include file owner, or with
// default_privs when none applies (root rights are never used); a name ending in '/' is a
// Maildir. The dot-lock may fail with only a warning (the directory may not be writable).
// Called by token.ts. Models src/local/file.c.

import { lookupUser } from '../global/passwd.ts';
import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { beenHere, nextLevel } from './state.ts';
import { bounceWorkaround, reportSent, type Why } from './status.ts';
import { appendMessage, openMailbox } from '../global/mbox.ts';
import { mailCopy, MBOX_COPY } from '../global/mail-copy.ts';
import { deliverMaildir } from './maildir.ts';
import { DeliveredHeader } from './settings.ts';

/** Replaces root rights by default_privs (the "nobody" user). */
export async function unprivileged(state: LocalState, user: UserAttr): Promise<UserAttr | undefined> {
  if (user.uid !== 0 && user.gid !== 0) return user;
  const nobody = await lookupUser(state.shared.deps.fs, state.shared.deps.settings.defaultPrivileges);
  if (nobody === undefined || nobody.uid === 0) return undefined;
  return { ...user, uid: user.uid === 0 ? nobody.uid : user.uid, gid: user.gid === 0 ? nobody.gid : user.gid };
}

export async function deliverFile(state: LocalState, userAttr: UserAttr, path: string): Promise<DeliveryStatus> {
  const here = nextLevel(state);
  const { deps, message } = here.shared;
  const settings = deps.settings;
  const platform = deps.host.platform;
  if (beenHere(here, `file ${userAttr.uid} ${path}`)) return 0;
  if ((settings.fileMask & here.attr.expansionType) === 0) {
    return bounceWorkaround(here, { dsn: '5.7.1', reason: 'mail to file is restricted' });
  }
  const user = await unprivileged(here, userAttr);
  if (user === undefined) {
    return bounceWorkaround(here, { dsn: '4.3.5', reason: `mail system configuration error: no unprivileged user "${settings.defaultPrivileges}"` });
  }
  if (path.endsWith('/')) return deliverMaildir(here, user, path);
  const identity = { uid: user.uid, gid: user.gid };
  const opened = await openMailbox(path, {
    fs: deps.fs, timers: platform.timers, clock: platform.clock, staleLockSeconds: settings.staleLockSeconds,
    ownership: deps.ownership, identity, mode: 0o600,
    dotLock: settings.useDotLock, dotLockMayFail: true, defaultDsn: '5.2.0', warn: (text) => deps.log.warn(text),
  });
  let failure: Why | undefined;
  if ('reason' in opened) {
    failure = opened;
  } else if (opened.stat.isFile && (opened.stat.mode & 0o111) !== 0) {
    await opened.handle.close();
    failure = { dsn: '5.7.1', reason: 'file is executable' };
  } else {
    const toFile = opened.stat.isFile;
    const bytes = mailCopy(message, {
      sender: here.attr.sender, originalRecipient: here.attr.recipient.originalRecipient,
      delivered: here.attr.delivered ?? here.attr.recipient.address, nowMs: platform.clock.nowMs(),
    }, { ...MBOX_COPY, delivered: (settings.deliveredHeaderMask & DeliveredHeader.file) !== 0, enableOriginalRecipient: settings.enableOriginalRecipient });
    failure = await appendMessage(opened, bytes, settings.mailboxSizeLimitBytes, toFile);
  }
  if (!('reason' in opened)) await opened.release();
  if (failure !== undefined) {
    return bounceWorkaround(here, { dsn: failure.dsn, reason: `cannot append message to file ${path}: ${failure.reason}` });
  }
  return reportSent(here, { dsn: '2.0.0', reason: `delivered to file: ${path}` });
}
