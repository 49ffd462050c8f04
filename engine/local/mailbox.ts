// Mailbox delivery for a local user: mailbox_transport / mailbox_command_maps /
// mailbox_command first, then home_mailbox (Maildir when it ends in '/', else an mbox file
// in the home directory), then mail_spool_directory (a Maildir per user when it ends in
// '/', else the mbox file mail_spool_directory/USER). The mbox is written with the rights
// Postfix picks: as the user when the spool directory is world-writable, as the user with
// the spool group when it is group-writable, else as root with the new file given to the
// user. Called by recipient.ts. Models src/local/mailbox.c.

import { lookupUser } from '../global/passwd.ts';
import { findInTables } from '../global/maps/lookup-order.ts';
import { MapError } from '../global/maps/index.ts';
import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { beenHere, nextLevel } from './state.ts';
import { reportDeferred, reportFailure, reportSent, type Why } from './status.ts';
import { appendMessage, openMailbox } from '../global/mbox.ts';
import { mailCopy, MBOX_COPY } from '../global/mail-copy.ts';
import { deliverMaildir } from './maildir.ts';
import { deliverCommand } from './command.ts';
import { DeliveredHeader } from './settings.ts';
import type { Identity } from '../global/ownership.ts';

/** deliver_mailbox(): undefined when the user does not exist (the caller then tries
 *  deliver_unknown), else the delivery status. */
export async function deliverMailbox(state: LocalState, userAttr: UserAttr): Promise<DeliveryStatus | undefined> {
  const { deps } = state.shared;
  const settings = deps.settings;
  if (beenHere(state, `mailbox ${state.attr.local}`)) return 0;
  const here = nextLevel(state);
  if (settings.mailboxTransport !== '') {
    return reportDeferred(here, { dsn: '4.3.0', reason: `mailbox_transport ${settings.mailboxTransport} is not supported by this local(8)` });
  }
  const user = await lookupUser(deps.fs, here.attr.user);
  if (user === undefined) return undefined;
  const recipientUser: UserAttr = { uid: user.uid, gid: user.gid, home: user.home, logname: user.name, shell: user.shell };
  void userAttr;
  const command = await mailboxCommandFor(here);
  if (command === 'error') return reportDeferred(here, { dsn: '4.3.0', reason: 'table lookup failure' });
  if (command !== undefined) return deliverCommand(here, recipientUser, command);
  if (settings.mailboxCommand !== '') return deliverCommand(here, recipientUser, settings.mailboxCommand);
  if (settings.homeMailbox.endsWith('/')) {
    return deliverMaildir(here, recipientUser, `${user.home}/${settings.homeMailbox}`);
  }
  if (settings.homeMailbox === '' && settings.mailSpoolDirectory.endsWith('/')) {
    return deliverMaildir(here, recipientUser, `${settings.mailSpoolDirectory}${here.attr.user}/`);
  }
  return deliverMailboxFile(here, recipientUser);
}

/** mailbox_command_maps: the command for this user, undefined, or 'error'. */
async function mailboxCommandFor(state: LocalState): Promise<string | undefined | 'error'> {
  const { deps } = state.shared;
  if (deps.settings.mailboxCommandMaps.length === 0) return undefined;
  try {
    const tables = await Promise.all(deps.settings.mailboxCommandMaps.map((spec) => deps.openTable(spec)));
    return (await findInTables(tables, state.attr.user, false))?.value;
  } catch (error) {
    if (error instanceof MapError) return 'error';
    throw error;
  }
}

/** The rights for a spool mailbox: who opens it, and who owns it if it is new. */
async function spoolRights(state: LocalState, user: UserAttr, spoolDirectory: string | undefined): Promise<{ identity: Identity; createOwner: Identity }> {
  const recipient = { uid: user.uid, gid: user.gid };
  if (spoolDirectory === undefined) return { identity: recipient, createOwner: recipient };
  try {
    const stat = await state.shared.deps.fs.stat(spoolDirectory);
    if ((stat.mode & 0o002) !== 0) return { identity: recipient, createOwner: recipient };
    if ((stat.mode & 0o020) !== 0) {
      const identity = { uid: user.uid, gid: stat.gid };
      return { identity, createOwner: identity };
    }
    return { identity: { uid: 0, gid: 0 }, createOwner: recipient };
  } catch {
    return { identity: recipient, createOwner: recipient };
  }
}

/** deliver_mailbox_file(): append to the mbox. */
async function deliverMailboxFile(state: LocalState, user: UserAttr): Promise<DeliveryStatus> {
  const { deps, message } = state.shared;
  const settings = deps.settings;
  const platform = deps.host.platform;
  const attr = settings.frozenDeliveredTo ? state.attr : { ...state.attr, delivered: state.attr.recipient.address };
  const here = { ...state, attr };
  const spoolDirectory = settings.homeMailbox !== '' ? undefined : settings.mailSpoolDirectory;
  const mailbox = spoolDirectory === undefined ? `${user.home ?? ''}/${settings.homeMailbox}` : `${spoolDirectory}/${attr.user}`;
  const rights = await spoolRights(here, user, spoolDirectory);
  const opened = await openMailbox(mailbox, {
    fs: deps.fs, timers: platform.timers, clock: platform.clock, staleLockSeconds: settings.staleLockSeconds,
    ownership: deps.ownership, identity: rights.identity,
    createOwner: rights.createOwner, mode: 0o600, dotLock: settings.useDotLock, dotLockMayFail: false,
    defaultDsn: '5.2.0', warn: (text) => deps.log.warn(text),
  });
  let failure: Why | undefined;
  if ('reason' in opened) {
    failure = opened;
  } else if (!opened.stat.isFile) {
    await opened.handle.close();
    failure = { dsn: '5.2.0', reason: `destination ${mailbox} is not a regular file` };
  } else if (deps.ownership.enforced && settings.strictMailboxOwnership && opened.stat.uid !== user.uid) {
    await opened.handle.close();
    failure = { dsn: '4.2.0', reason: `destination ${mailbox} is not owned by recipient` };
    deps.log.warn('specify "strict_mailbox_ownership = no" to ignore mailbox ownership mismatch');
  } else {
    const bytes = mailCopy(message, {
      sender: attr.sender, originalRecipient: attr.recipient.originalRecipient,
      delivered: attr.delivered ?? attr.recipient.address, nowMs: platform.clock.nowMs(),
    }, { ...MBOX_COPY, delivered: (settings.deliveredHeaderMask & DeliveredHeader.file) !== 0, enableOriginalRecipient: settings.enableOriginalRecipient });
    failure = await appendMessage(opened, bytes, settings.mailboxSizeLimitBytes, true);
  }
  if (!('reason' in opened)) await opened.release();
  if (failure !== undefined) {
    return reportFailure(here, { dsn: failure.dsn, reason: `cannot update mailbox ${mailbox} for user ${attr.user}. ${failure.reason}` });
  }
  return reportSent(here, { dsn: '2.0.0', reason: 'delivered to mailbox' });
}
