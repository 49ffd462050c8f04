// One local recipient, at any depth of alias/.forward expansion: the duplicate filter, the
// Delivered-To loop check ("mail forwarding loop for X", 5.4.6), case folding and the
// recipient_delimiter split into user and extension, then the delivery switch: "\user"
// goes straight to the mailbox; else aliases (user+ext, then user), then forwarding
// through a new queue file when an owner is set (list expansions, .forward files, include
// files), then the user's .forward, the mailbox, and finally the unknown-user rules.
// A user whose home directory cannot be reached is deferred. Called by api.ts and
// token.ts (recursion). Models src/local/recipient.c.

import { lookupUser } from '../global/passwd.ts';
import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { beenHere, nextLevel, STATUS_OK } from './state.ts';
import { bounceWorkaround, reportBounced, reportDeferred } from './status.ts';
import { isDelivered } from '../global/mail-copy.ts';
import { deliverAlias } from './alias.ts';
import { deliverIndirect } from './token.ts';
import { deliverDotForward } from './dotforward.ts';
import { deliverMailbox } from './mailbox.ts';
import { deliverUnknown } from './unknown.ts';
import { ExpansionType, ExtensionPropagation } from './settings.ts';
import { errorText } from '../global/mbox.ts';

/** Splits user+ext at the first delimiter character after the first character. */
function splitExtension(local: string, delimiters: string): { user: string; extension?: string } {
  for (let index = 1; delimiters !== '' && index < local.length; index++) {
    if (delimiters.includes(local.charAt(index))) return { user: local.slice(0, index), extension: local.slice(index + 1) };
  }
  return { user: local };
}

/** deliver_recipient(). */
export async function deliverRecipient(state: LocalState, user: UserAttr): Promise<DeliveryStatus> {
  const here = nextLevel(state);
  const { deps } = here.shared;
  const address = here.attr.recipient.address;
  if (beenHere(here, `recipient ${here.level} ${address}`)) return STATUS_OK;
  if (isDelivered(here.shared.deliveredTo, address)) {
    return bounceWorkaround(here, { dsn: '5.4.6', reason: `mail forwarding loop for ${address}` });
  }
  if (here.attr.delivered === undefined) here.attr.delivered = address;
  const folded = address.toLowerCase();
  const at = folded.lastIndexOf('@');
  if (at < 0) deps.log.warn(`no @ in recipient address: ${folded}`);
  let local = at < 0 ? folded : folded.slice(0, at);
  here.attr.domain = at < 0 ? undefined : folded.slice(at + 1);
  const split = splitExtension(local, deps.settings.recipientDelimiter);
  if (split.extension !== undefined && split.extension.includes('/')) {
    deps.log.warn(`${here.shared.request.queueId}: address with illegal extension: ${local}`);
    local = split.user;
    split.extension = undefined;
  }
  here.attr.local = local;
  here.attr.user = split.user;
  here.attr.extension = split.extension;
  here.attr.unmatched = split.extension;
  if (here.attr.user === '') {
    return reportBounced(here, { dsn: '5.1.3', reason: `null username in "${address}"` });
  }
  return deliverSwitch(here, user);
}

/** deliver_switch(). */
async function deliverSwitch(state: LocalState, user: UserAttr): Promise<DeliveryStatus> {
  const here = nextLevel(state);
  const { deps } = here.shared;
  const attr = here.attr;
  if (attr.recipient.address.startsWith('\\')) {
    attr.recipient = { ...attr.recipient, address: attr.recipient.address.slice(1) };
    attr.local = attr.local.slice(1);
    attr.user = attr.user.slice(1);
    const status = await deliverMailbox(here, user);
    return status ?? deliverUnknown(here, user);
  }
  attr.unmatched = undefined;
  const aliased = await deliverAlias(here, user, attr.local);
  if (aliased !== undefined) return aliased;
  if (attr.extension !== undefined) {
    if ((deps.settings.extensionPropagation & ExtensionPropagation.alias) !== 0) attr.unmatched = attr.extension;
    const baseAliased = await deliverAlias(here, user, attr.user);
    if (baseAliased !== undefined) return baseAliased;
    attr.unmatched = attr.extension;
  }
  if (attr.owner !== undefined && attr.owner.toLowerCase() !== attr.user.toLowerCase()) return deliverIndirect(here);
  if (attr.expansionType === ExpansionType.include) return deliverIndirect(here);
  const homeProblem = await homeDirectoryProblem(here);
  if (homeProblem !== undefined) return reportDeferred(here, { dsn: '4.3.0', reason: homeProblem });
  const forwarded = await deliverDotForward(here, user);
  if (forwarded !== undefined) return forwarded;
  const delivered = await deliverMailbox(here, user);
  if (delivered !== undefined) return delivered;
  return deliverUnknown(here, user);
}

/** stat_home_dir: a user whose home directory cannot be reached is deferred. */
async function homeDirectoryProblem(state: LocalState): Promise<string | undefined> {
  const fs = state.shared.deps.fs;
  const account = await lookupUser(fs, state.attr.user);
  if (account === undefined) return undefined;
  try {
    await fs.stat(account.home);
    return undefined;
  } catch (error) {
    return `cannot access home directory ${account.home}: ${errorText(error).text}`;
  }
}
