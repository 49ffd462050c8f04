// Maildir delivery for local(8): the copy carries Return-Path, X-Original-To and (when
// prepend_delivered_header has "file") Delivered-To, and is written by the Maildir code
// local shares with virtual (engine/global/maildir.ts); a failure defers or bounces by its
// code (5.2.0 by default). Called by mailbox.ts and file.ts. Models src/local/maildir.c.

import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { reportFailure, reportSent } from './status.ts';
import { mailCopy } from '../global/mail-copy.ts';
import { deliverToMaildir } from '../global/maildir.ts';
import { DeliveredHeader } from './settings.ts';

/** deliver_maildir(): `path` ends in '/'. */
export async function deliverMaildir(state: LocalState, user: UserAttr, path: string): Promise<DeliveryStatus> {
  const { deps, message } = state.shared;
  const { fs } = deps;
  const { clock } = deps.host.platform;
  const settings = deps.settings;
  const attr = settings.frozenDeliveredTo ? state.attr : { ...state.attr, delivered: state.attr.recipient.address };
  const here = { ...state, attr };
  const nowMs = clock.nowMs();
  const bytes = mailCopy(message, {
    sender: attr.sender, originalRecipient: attr.recipient.originalRecipient,
    delivered: attr.delivered ?? attr.recipient.address, nowMs,
  }, {
    returnPath: true, originalRecipient: true, enableOriginalRecipient: settings.enableOriginalRecipient,
    delivered: (settings.deliveredHeaderMask & DeliveredHeader.file) !== 0,
  });
  const failure = await deliverToMaildir({
    fs, ownership: deps.ownership, owner: { uid: user.uid, gid: user.gid }, path, pid: deps.pid,
    hostName: deps.host.name, nowMs, bytes, sizeLimitBytes: settings.mailboxSizeLimitBytes, defaultDsn: '5.2.0',
    warn: (text) => deps.log.warn(text),
  });
  if (failure !== undefined) {
    return reportFailure(here, { dsn: failure.dsn, reason: `maildir delivery failed: ${failure.reason}` });
  }
  return reportSent(here, { dsn: '2.0.0', reason: 'delivered to maildir' });
}
