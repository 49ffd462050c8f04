// The entries of an alias value, a .forward file or an :include: file, one address at a
// time: "/file" and "~/file" (file delivery), "|command" (when allowed for this source),
// ":include:/path" (another list, read with the right owner's rights), and everything
// else an address that is rewritten and resolved as cleanup and qmgr would: local
// addresses are delivered here (recursively), others are forwarded through cleanup.
// A backslash before a name ("\bob") survives tokenizing, so that recipient.ts can deliver
// straight to that user's mailbox. Called by alias.ts, dotforward.ts and unknown.ts.
// Models src/local/token.c, include.c, resolve.c and indirect.c.

import { internalize, parseAddressTokens, type Token } from '../global/address/index.ts';
import { lookupUid } from '../global/passwd.ts';
import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { beenHere, nextLevel, STATUS_OK } from './state.ts';
import { reportBounced, reportDeferred } from './status.ts';
import { deliverFile } from './file.ts';
import { deliverCommand } from './command.ts';
import { deliverRecipient } from './recipient.ts';
import { forwardAppend } from './forward.ts';
import { ExpansionType, ExtensionPropagation } from './settings.ts';
import { mayAccess } from '../global/ownership.ts';
import { errorText } from '../global/mbox.ts';

/** Lines read from one .forward or :include: file (Postfix bounds each line only). */
export const LIST_FILE_LINES_MAX = 100_000;
/** Bytes read from one list file. */
export const LIST_FILE_BYTES_MAX = 10_000_000;

/** Stands in for a backslash while the address scanner (which drops escapes) runs. */
const BACKSLASH_MARK = '\uE000';

/** Hides backslashes outside quoted strings, comments and literals from the scanner. */
function protectBackslashes(text: string): string {
  let result = '';
  let quote: string | undefined;
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text.charAt(index);
    if (quote !== undefined || depth > 0) {
      result += character;
      if (character === '\\' && index + 1 < text.length) { result += text.charAt(index + 1); index++; continue; }
      if (quote !== undefined && character === quote) quote = undefined;
      else if (depth > 0 && character === '(') depth++;
      else if (depth > 0 && character === ')') depth--;
      continue;
    }
    if (character === '"') quote = '"';
    else if (character === '[') quote = ']';
    else if (character === '(') depth = 1;
    result += character === '\\' ? BACKSLASH_MARK : character;
  }
  return result;
}

function restoreBackslashes(text: string): string {
  return text.split(BACKSLASH_MARK).join('\\');
}

/** deliver_token_string(): each address of a list; `counted.addresses` counts them. */
export async function deliverTokenString(state: LocalState, user: UserAttr, text: string, counted?: { addresses: number }): Promise<DeliveryStatus> {
  let status = STATUS_OK;
  const tokens: Token[] = parseAddressTokens(protectBackslashes(text));
  for (const token of tokens) {
    if (token.kind !== 'address') continue;
    if (counted) counted.addresses++;
    status |= await deliverToken(state, user, restoreBackslashes(internalize(token.tokens, {}, true)));
  }
  return status;
}

/** deliver_token_stream(): a list file, '#' lines skipped, stopping at the first failure. */
export async function deliverTokenLines(state: LocalState, user: UserAttr, text: string, counted?: { addresses: number }): Promise<DeliveryStatus> {
  const lines = text.split('\n');
  let status = STATUS_OK;
  for (let index = 0; index < lines.length && index < LIST_FILE_LINES_MAX; index++) {
    const line = lines[index] ?? '';
    if (line.startsWith('#')) continue;
    status = await deliverTokenString(state, user, line, counted);
    if (status !== STATUS_OK) break;
  }
  return status;
}

const INCLUDE = ':include:';

/** deliver_token(): one internalized entry. */
export async function deliverToken(state: LocalState, user: UserAttr, entry: string): Promise<DeliveryStatus> {
  if (entry.startsWith('/')) return deliverFile(state, user, entry);
  if (entry.startsWith('~')) return deliverHome(state, user, entry);
  if (entry.startsWith('|')) {
    if ((state.shared.deps.settings.commandMask & state.attr.expansionType) === 0) {
      return reportBounced(state, { dsn: '5.7.1', reason: 'mail to command is restricted' });
    }
    return deliverCommand(state, user, entry.slice(1));
  }
  if (entry.slice(0, INCLUDE.length).toLowerCase() === INCLUDE) return deliverInclude(state, user, entry.slice(INCLUDE.length));
  return deliverResolveAddress(state, user, entry);
}

/** deliver_token_home(): ~/file in the home of the user whose rights apply. */
async function deliverHome(state: LocalState, user: UserAttr, entry: string): Promise<DeliveryStatus> {
  const { deps } = state.shared;
  if (entry.charAt(1) !== '/') {
    deps.log.warn(`bad home directory syntax for: ${entry}`);
    return reportBounced(state, { dsn: '5.3.5', reason: 'mail system configuration error' });
  }
  if (user.home === undefined) {
    deps.log.warn(`unknown home directory for: ${entry}`);
    return reportBounced(state, { dsn: '5.3.5', reason: 'mail system configuration error' });
  }
  return deliverFile(state, user, user.home === '/' ? entry.slice(1) : `${user.home}${entry.slice(1)}`);
}

/** deliver_include(): an :include: file. */
async function deliverInclude(state: LocalState, userAttr: UserAttr, path: string): Promise<DeliveryStatus> {
  const here = nextLevel(state);
  const { deps } = here.shared;
  const fs = deps.fs;
  if (beenHere(here, `include ${userAttr.uid} ${path}`)) return STATUS_OK;
  here.attr.expandedFrom = here.attr.local;
  const configurationError = (warning: string): Promise<DeliveryStatus> => {
    deps.log.warn(warning);
    return reportBounced(here, { dsn: '5.3.5', reason: 'mail system configuration error' });
  };
  if (!path.startsWith('/')) return configurationError(`:include:${path} uses a relative path`);
  let stat;
  try { stat = await fs.stat(path); } catch (error) {
    return configurationError(`unable to lookup :include: file ${path}: ${errorText(error).text}`);
  }
  if (!stat.isFile) return configurationError(`:include: file ${path} is not a regular file`);
  if ((stat.mode & 0o002) !== 0) return configurationError(`:include: file ${path} is world writable`);
  here.attr.expansionType = ExpansionType.include;
  let user = userAttr;
  if (user.uid === 0) {
    const owner = await lookupUid(fs, stat.uid);
    if (owner === undefined) {
      deps.log.warn(`cannot find username for uid ${stat.uid}`);
      deps.log.warn(`${path}: cannot find :include: file owner username`);
      return reportDeferred(here, { dsn: '4.3.5', reason: 'mail system configuration error' });
    }
    if (owner.uid !== 0) user = { uid: owner.uid, gid: owner.gid, home: owner.home, logname: owner.name, shell: owner.shell };
  }
  if (here.attr.owner === undefined) here.attr.owner = here.attr.recipient.address;
  if (deps.ownership.enforced && !mayAccess(stat, user, 'read')) {
    return configurationError(`cannot open include file ${path}: Permission denied`);
  }
  let text: string;
  try {
    text = new TextDecoder().decode((await fs.readFile(path)).subarray(0, LIST_FILE_BYTES_MAX));
  } catch (error) {
    return configurationError(`cannot open include file ${path}: ${errorText(error).text}`);
  }
  if ((deps.settings.extensionPropagation & ExtensionPropagation.include) === 0) here.attr.unmatched = undefined;
  return deliverTokenLines(here, user, text);
}

/** deliver_resolve_addr/tree(): rewrite, resolve, then deliver here or forward. */
export async function deliverResolveAddress(state: LocalState, user: UserAttr, address: string): Promise<DeliveryStatus> {
  const here = nextLevel(state);
  const { deps } = here.shared;
  let resolution;
  try {
    const canonical = await deps.rewrite.rewrite('local', address);
    resolution = await deps.rewrite.resolve(here.attr.sender, canonical);
  } catch {
    return reportDeferred(here, { dsn: '4.3.0', reason: 'address resolver failure' });
  }
  if (resolution.flags.includes('fail')) return reportDeferred(here, { dsn: '4.3.0', reason: 'address resolver failure' });
  if (resolution.flags.includes('error')) {
    return reportBounced(here, { dsn: '5.1.3', reason: `bad recipient address syntax: ${resolution.recipient}` });
  }
  let recipient = resolution.recipient;
  if (here.attr.unmatched !== undefined) {
    const delimiter = here.attr.local.charAt(here.attr.user.length);
    const at = recipient.lastIndexOf('@');
    recipient = at < 0 ? `${recipient}${delimiter}${here.attr.unmatched}`
      : `${recipient.slice(0, at)}${delimiter}${here.attr.unmatched}${recipient.slice(at)}`;
  }
  here.attr.recipient = { ...here.attr.recipient, address: recipient };
  if (resolution.transport === here.attr.relay) return deliverRecipient(here, user);
  return deliverIndirect(here);
}

/** deliver_indirect(): queue this address for the forwarded copy. */
export async function deliverIndirect(state: LocalState): Promise<DeliveryStatus> {
  if (beenHere(state, `indirect ${state.attr.recipient.address}`)) return STATUS_OK;
  if (!forwardAppend(state)) return reportDeferred(state, { dsn: '4.3.0', reason: 'unable to forward message' });
  return STATUS_OK;
}
