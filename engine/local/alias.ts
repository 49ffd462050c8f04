// aliases(5) expansion: the recipient's local part is looked up in alias_maps (the full
// local part first, then without its extension, by recipient.ts), and the value is
// delivered as an address list: other local names (recursively), remote addresses
// (forwarded through cleanup), /file, |command and :include: entries. An owner-NAME alias
// becomes the sender of the expansion (where delivery problems are reported) and makes
// local names in the list go through a new queue file. An alias that lists itself
// delivers to the user of that name instead; nesting deeper than ALIAS_DEPTH_MAX is an
// "alias database loop". /file and |command run with the rights of the database owner, or
// default_privs when root owns it. Called by recipient.ts and status.ts.
// Models src/local/alias.c.

import { lookupUid } from '../global/passwd.ts';
import { MapError, type LookupTable } from '../global/maps/index.ts';
import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { NO_USER, nextLevel } from './state.ts';
import { reportBounced, reportDeferred } from './status.ts';
import { deliverTokenString } from './token.ts';
import { ExpansionType } from './settings.ts';

/** Postfix's "state.level > 100" bound on nested expansion. */
export const ALIAS_DEPTH_MAX = 100;

/** DSN NOTIFY bits (dsn.h). */
export const DsnNotify = { never: 1, success: 2, failure: 4, delay: 8 } as const;

/** NOTIFY for forwarding addresses: the same, without SUCCESS. */
export function withoutSuccess(notify: number): number {
  return notify === DsnNotify.success ? DsnNotify.never : notify & ~DsnNotify.success;
}

async function aliasTables(state: LocalState): Promise<LookupTable[]> {
  const { deps } = state.shared;
  return Promise.all(deps.settings.aliasMaps.map((spec) => deps.openTable(spec)));
}

/** maps_find(alias_maps, key): the value, undefined, or 'error' when a table fails. */
async function findAlias(state: LocalState, key: string): Promise<string | undefined | 'error'> {
  try {
    for (const table of await aliasTables(state)) {
      const value = await table.lookup(key);
      if (value !== undefined) return value;
    }
    return undefined;
  } catch (error) {
    if (error instanceof MapError) return 'error';
    throw error;
  }
}

/** The owner-LOCAL alias for an address (bounce_workaround's FIND_OWNER), tried with and
 *  without the address extension; the canonical owner address, undefined, or 'error'. */
export async function findOwnerAlias(state: LocalState, address: string): Promise<string | undefined | 'error'> {
  const at = address.lastIndexOf('@');
  const local = (at < 0 ? address : address.slice(0, at)).toLowerCase();
  const delimiters = state.shared.deps.settings.recipientDelimiter;
  const candidates = [`owner-${local}`];
  for (let index = 1; delimiters !== '' && index < local.length; index++) {
    if (delimiters.includes(local.charAt(index))) { candidates.push(`owner-${local.slice(0, index)}`); break; }
  }
  for (const key of candidates) {
    const value = await findAlias(state, key);
    if (value === 'error') return 'error';
    if (value !== undefined) {
      return state.shared.deps.rewrite.rewrite('local', state.shared.deps.settings.expandOwnerAlias ? value : key);
    }
  }
  return undefined;
}

/** The file behind a table, whose owner decides the rights of /file and |command. */
function tableFile(table: LookupTable): string | undefined {
  if (['hash', 'btree'].includes(table.type)) return `${table.name}.db`;
  if (table.type === 'lmdb') return `${table.name}.lmdb`;
  if (['texthash', 'regexp', 'pcre', 'cidr'].includes(table.type)) return table.name;
  return undefined;
}

/** The rights an alias table confers: none (root-owned: default_privs later) or its owner's. */
async function tableRights(state: LocalState, table: LookupTable): Promise<UserAttr | 'unknown-owner'> {
  const file = tableFile(table);
  if (file === undefined) return NO_USER;
  const fs = state.shared.deps.fs;
  let uid: number;
  try { uid = (await fs.stat(file)).uid; } catch { return NO_USER; }
  if (uid === 0) return NO_USER;
  const owner = await lookupUid(fs, uid);
  if (owner === undefined) {
    state.shared.deps.log.warn(`cannot find alias database owner for ${table.type}:${table.name}`);
    return 'unknown-owner';
  }
  return { uid: owner.uid, gid: owner.gid, home: owner.home, logname: owner.name, shell: owner.shell };
}

/** deliver_alias(): undefined when `name` is no alias, else the delivery status. */
export async function deliverAlias(state: LocalState, userAttr: UserAttr, name: string): Promise<DeliveryStatus | undefined> {
  const level = nextLevel(state);
  if (level.attr.expandedFrom !== undefined && level.attr.expandedFrom.toLowerCase() === name.toLowerCase()) return undefined;
  if (level.level > ALIAS_DEPTH_MAX) {
    level.shared.deps.log.warn(`alias database loop for ${name}`);
    return reportBounced(level, { dsn: '5.4.6', reason: `alias database loop for ${name}` });
  }
  level.attr.expandedFrom = name;
  let tables: LookupTable[];
  try {
    tables = await aliasTables(level);
  } catch {
    return reportDeferred(level, { dsn: '4.3.0', reason: 'alias database unavailable' });
  }
  for (const table of tables) {
    let value: string | undefined;
    try {
      value = await table.lookup(name);
    } catch (error) {
      if (!(error instanceof MapError)) throw error;
      level.shared.deps.log.warn(`${table.type}:${table.name}: lookup of '${name}' failed`);
      return reportDeferred(level, { dsn: '4.3.0', reason: 'alias database unavailable' });
    }
    if (value !== undefined) return expandAlias(level, table, name, value);
  }
  void userAttr;
  return undefined;
}

/** Delivers an alias's value with the owner, rights and DSN rules of alias.c. */
async function expandAlias(state: LocalState, table: LookupTable, name: string, value: string): Promise<DeliveryStatus> {
  const { deps } = state.shared;
  const attr = state.attr;
  attr.expansionType = ExpansionType.alias;
  const rights = await tableRights(state, table);
  if (rights === 'unknown-owner') return reportDeferred(state, { dsn: '4.3.0', reason: 'cannot find alias database owner' });
  let owner: string | undefined;
  if (deps.settings.ownerRequestSpecial) {
    const ownerValue = await findAlias(state, `owner-${name}`);
    if (ownerValue === 'error') return reportDeferred(state, { dsn: '4.3.0', reason: 'alias database unavailable' });
    if (ownerValue !== undefined) {
      owner = await deps.rewrite.rewrite('local', deps.settings.expandOwnerAlias ? ownerValue : `owner-${name}`);
    }
  }
  if (owner !== undefined) {
    attr.sender = owner;
    attr.owner = owner;
  } else if (deps.settings.resetOwnerAlias) {
    attr.owner = undefined;
  }
  if (!deps.settings.frozenDeliveredTo) attr.delivered = attr.recipient.address;
  const recipient = { ...attr.recipient, dsnNotify: withoutSuccess(attr.recipient.dsnNotify) };
  if (owner !== undefined) {
    attr.dsnEnvelopeId = undefined;
    attr.dsnReturn = undefined;
    recipient.dsnOriginalRecipient = undefined;
    recipient.originalRecipient = '';
  }
  attr.recipient = recipient;
  const counted = { addresses: 0 };
  const status = await deliverTokenString(state, rights, value, counted);
  if (counted.addresses < 1) {
    deps.log.warn(`no recipient in alias lookup result for ${name}`);
    return reportDeferred(state, { dsn: '4.3.0', reason: 'alias database unavailable' });
  }
  return status;
}
