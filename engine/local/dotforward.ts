// Per-user forwarding: the first file of forward_path that exists (by default
// $home/.forward+EXTENSION, then $home/.forward) is read as the user and delivered like
// an alias value, with the user's rights for /file and |command, the user as "owner" (so
// local names in it are forwarded through a new queue file, and \user stops expansion),
// and NOTIFY without SUCCESS. A file that is not regular, is owned by someone other than
// the user or root, or is world-writable is ignored with a warning, as Postfix does.
// Called by recipient.ts. Models src/local/dotforward.c.

import { lookupUser } from '../global/passwd.ts';
import type { FileStat } from '../platform/types.ts';
import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { beenHere, beenHereCheck, nextLevel, STATUS_OK } from './state.ts';
import { localExpand } from './expand.ts';
import { deliverTokenLines, LIST_FILE_BYTES_MAX } from './token.ts';
import { withoutSuccess } from './alias.ts';
import { ExpansionType, ExtensionPropagation } from './settings.ts';
import { mayAccess } from '../global/ownership.ts';
import { errorText } from '../global/mbox.ts';

/** Entries of forward_path tried at most. */
export const FORWARD_PATH_ENTRIES_MAX = 64;

/** The last forward_path split into its entries: the split is a pure function of the text,
 *  which changes only with main.cf (every delivery split the same text anew). */
let splitForwardPath: { text: string; entries: readonly string[] } | undefined;

function forwardPathEntries(text: string): readonly string[] {
  if (splitForwardPath?.text !== text) {
    const entries = Object.freeze(text.split(/[\s,]+/).filter((entry) => entry !== '').slice(0, FORWARD_PATH_ENTRIES_MAX));
    splitForwardPath = { text, entries };
  }
  return splitForwardPath.entries;
}

/** deliver_dotforward(): undefined when no forward file applies, else the status. */
export async function deliverDotForward(state: LocalState, userAttr: UserAttr): Promise<DeliveryStatus | undefined> {
  const here = nextLevel(state);
  const { deps } = here.shared;
  const fs = deps.fs;
  const settings = deps.settings;
  void userAttr;
  if (settings.forwardPath.trim() === '') return undefined;
  const account = await lookupUser(fs, here.attr.user);
  if (account === undefined) return undefined;
  if (!settings.frozenDeliveredTo) here.attr.delivered = here.attr.recipient.address;
  const user: UserAttr = { uid: account.uid, gid: account.gid, home: account.home, logname: account.name, shell: account.shell };
  here.attr.expansionType = ExpansionType.forward;
  here.attr.owner = here.attr.user;
  let found: { path: string; stat: FileStat } | undefined;
  const entries = forwardPathEntries(settings.forwardPath);
  for (const entry of entries) {
    const expanded = localExpand(entry, here, user, settings.forwardExpansionFilter);
    if (expanded.error || expanded.undefinedName) continue;
    try {
      const stat = await fs.lstat(expanded.text);
      found = { path: expanded.text, stat };
      if (expanded.extensionMatched || (settings.extensionPropagation & ExtensionPropagation.forward) === 0) here.attr.unmatched = undefined;
      break;
    } catch {
      continue;
    }
  }
  if (found === undefined) return undefined;
  const { path, stat } = found;
  if (beenHere(here, `forward ${path}`)) {
    return beenHereCheck(here, `forward-done ${path}`) ? STATUS_OK : undefined;
  }
  here.attr.expandedFrom = here.attr.local;
  if (!stat.isFile) {
    deps.log.warn(`file ${path} is not a regular file`);
    return undefined;
  }
  if (stat.uid !== 0 && stat.uid !== user.uid && deps.ownership.enforced) {
    deps.log.warn(`file ${path} has bad owner uid ${stat.uid}`);
    return undefined;
  }
  if ((stat.mode & 0o002) !== 0) {
    deps.log.warn(`file ${path} is world writable`);
    return undefined;
  }
  let text: string;
  try {
    if (deps.ownership.enforced && !mayAccess(stat, user, 'read')) throw new Error('Permission denied');
    text = new TextDecoder().decode((await fs.readFile(path)).subarray(0, LIST_FILE_BYTES_MAX));
  } catch (error) {
    deps.log.warn(`cannot open file ${path}: ${error instanceof Error && !('code' in error) ? error.message : errorText(error).text}`);
    return undefined;
  }
  here.attr.recipient = { ...here.attr.recipient, dsnNotify: withoutSuccess(here.attr.recipient.dsnNotify) };
  const counted = { addresses: 0 };
  const status = await deliverTokenLines(here, user, text, counted);
  if (counted.addresses === 0) return undefined;
  beenHere(here, `forward-done ${path}`);
  return status;
}
