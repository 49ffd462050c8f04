// Address resolution, trivial-rewrite's "resolve" request: an internal-form recipient
// becomes (class, transport, nexthop, final recipient, flags). Classes, first match wins:
// local (the domain is this host's, see local-domain.ts), virtual alias
// (virtual_alias_domains: error:5.1.1 until cleanup's virtual_alias_maps rewrote it),
// virtual mailbox (virtual_mailbox_domains, virtual_transport), relay (relay_domains,
// relay_transport) and default (default_transport or
// sender_dependent_default_transport_maps). Relay and default mail goes to the
// sender-dependent relayhost, else relayhost, else the recipient domain. A
// "transport:nexthop" parameter value sets the nexthop; then transport_maps may override
// both; then relocated_maps turns the recipient into "error:5.1.6 User has moved to ...".
// Invalid domains set the error flag; a table that fails sets the fail flag (qmgr then
// defers with "address resolver failure").
// Called by api.ts. Trusts its settings and tables. Models resolve_addr() in
// src/trivial-rewrite/resolve.c (Postfix 3.7).

import { checkHostAddress, checkHostname, checkMailhostLiteral } from '../global/address/domain.ts';
import type { MatchList } from '../global/address/match-list.ts';
import { MapError, type LookupTable } from '../global/maps/index.ts';
import { virtualOrder } from '../global/maps/lookup-order.ts';
import { canonicalRecipient } from './canonical.ts';
import { isLocalDomain } from './local-domain.ts';
import type { ResolverContextSettings, ResolveSettings } from './settings.ts';
import type { ContextTables, ResolverTables } from './tables.ts';
import { lookupTransport, type Route } from './transport.ts';

export type AddressClass = 'local' | 'alias' | 'virtual' | 'relay' | 'default';

export interface ResolveFlags {
  /** A table failed: try again later ("address resolver failure"). */
  fail: boolean;
  /** The address is malformed (bad domain syntax, leading '-'): bounce. */
  error: boolean;
  /** The local part still holds routing operators (@, !, %) for the next hop. */
  routed: boolean;
}

export interface Resolution {
  /** The address class; 'default' as well when resolution failed before classifying. */
  class: AddressClass;
  /** The delivery transport (master.cf service); '' when the error or fail flag says
   *  that resolution stopped early. */
  transport: string;
  nexthop: string;
  /** The final recipient in internal form. */
  recipient: string;
  flags: ResolveFlags;
  /** The transport_maps entry that applied, if any. */
  transportMatch?: { key: string; value: string; table: string };
  /** The relocated_maps entry that applied, if any. */
  relocatedTo?: string;
}

export interface ResolveOptions {
  /** The envelope sender, for the sender-dependent maps ('' for the null sender). */
  sender?: string;
  /** Use address verification's parameters (address_verify_*). */
  verify?: boolean;
}

class ResolverFailure extends Error {}

/** A lookup that failed: Postfix warns "<name> lookup failure" and sets the fail flag.
 *  Takes the lookup's promise (every lookup here is an async function, so nothing throws
 *  before it is awaited). */
async function orFail<T>(pending: Promise<T>, tables: ResolverTables, parameter?: string): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if (!(error instanceof MapError)) throw error;
    if (parameter !== undefined) tables.reporter.warn(`${parameter} lookup failure`);
    throw new ResolverFailure(parameter ?? 'resolve');
  }
}

/** mail_addr_find with the default strategy, as for the sender-dependent maps. */
async function findByAddress(maps: readonly LookupTable[], key: string, settings: ResolveSettings,
  tables: ResolverTables): Promise<string | undefined> {
  if (maps.length === 0) return undefined;
  const hit = await virtualOrder(maps, key, {
    recipientDelimiter: settings.recipientDelimiter,
    isLocalDomain: (domain) => isLocalDomain(domain, tables),
  });
  return hit?.value;
}

/** Whether the recipient domain is syntactically acceptable; may rewrite a bare IP
 *  domain into a literal (resolve_numeric_domain). */
async function checkDomain(recipient: string, settings: ResolveSettings, tables: ResolverTables):
  Promise<{ recipient: string; domain: string; error: boolean; becameLocal: boolean }> {
  const at = recipient.lastIndexOf('@');
  const domain = recipient.slice(at + 1);
  if (domain.startsWith('[')) return { recipient, domain, error: !checkMailhostLiteral(domain).ok, becameLocal: false };
  if (checkHostname(domain, settings.smtputf8Enable).ok) return { recipient, domain, error: false, becameLocal: false };
  if (settings.resolveNumericDomain && checkHostAddress(domain).ok) {
    const literal = `[${domain}]`;
    const becameLocal = await orFail(isLocalDomain(literal, tables), tables);
    return { recipient: `${recipient.slice(0, at + 1)}${literal}`, domain: literal, error: false, becameLocal };
  }
  return { recipient, domain, error: true, becameLocal: false };
}

/** The routed flag: the text after the first routing operator is not just the domain. */
function isRouted(recipient: string, domain: string): boolean {
  const first = recipient.search(/[@!%]/);
  return recipient.slice(first + 1) !== domain;
}

/** The answer when a lookup failed: the fail flag on top of the flags found so far. */
function failedResolution(recipient: string, flags: ResolveFlags): Resolution {
  return { class: 'default', transport: '', nexthop: '', recipient, flags: { ...flags, fail: true } };
}

export async function resolveAddress(address: string, settings: ResolveSettings, tables: ResolverTables,
  options: ResolveOptions = {}): Promise<Resolution> {
  const flags: ResolveFlags = { fail: false, error: false, routed: false };
  try {
    const canonical = await orFail(canonicalRecipient(address, settings, tables), tables);
    if (canonical.kind === 'gave-up') {
      tables.reporter.warn(`resolve_addr: <${address}>: giving up after ${canonical.rounds} iterations`);
      return failedResolution(address, flags);
    }
    const checked = await checkDomain(canonical.recipient, settings, tables);
    const isLocal = canonical.domainIsLocal || checked.becameLocal;
    if (checked.error) {
      return { class: 'default', transport: '', nexthop: '', recipient: checked.recipient, flags: { ...flags, error: true } };
    }
    flags.routed = isRouted(checked.recipient, checked.domain);
    const context = options.verify ? settings.verify : settings.regular;
    const contextTables = options.verify ? tables.verify : tables.regular;
    return await classify(checked.recipient, checked.domain, isLocal, settings, context, contextTables, tables, flags, options);
  } catch (error) {
    if (error instanceof ResolverFailure) return failedResolution(address, flags);
    throw error;
  }
}

/** Picks the class and its route, then applies transport_maps and relocated_maps. */
async function classify(recipient: string, domain: string, isLocal: boolean, settings: ResolveSettings,
  context: ResolverContextSettings, contextTables: ContextTables, tables: ResolverTables, flags: ResolveFlags,
  options: ResolveOptions): Promise<Resolution> {
  const chosen = isLocal
    ? await localClass(domain, settings, context, tables)
    : await remoteClass(domain, settings, context, contextTables, tables, options.sender ?? '');
  let route: Route = chosen.route;
  const colon = route.transport.indexOf(':');
  if (colon >= 0) {
    const nexthop = route.transport.slice(colon + 1);
    route = { transport: route.transport.slice(0, colon), nexthop: nexthop !== '' ? nexthop : route.nexthop };
  }
  if (route.transport === '') {
    tables.reporter.warn(`file ${settings.configDirectory}/main.cf: parameter ${chosen.blame}: null transport is not allowed`);
    throw new ResolverFailure(chosen.blame);
  }
  const result: Resolution = { class: chosen.class, transport: route.transport, nexthop: route.nexthop, recipient, flags };
  if (chosen.class !== 'alias') {
    const looked = await orFail(lookupTransport(contextTables.transportMaps, recipient, domain, route, {
      recipientDelimiter: settings.recipientDelimiter, parentMatchesSubdomains: tables.transportParentMatchesSubdomains,
    }), tables, context.transportMaps.name);
    result.transport = looked.route.transport;
    result.nexthop = looked.route.nexthop;
    if (looked.match) result.transportMatch = looked.match;
  }
  const relocated = await orFail(findRelocated(recipient, settings, tables), tables, 'relocated_maps');
  if (relocated !== undefined) {
    result.transport = 'error';
    result.nexthop = `5.1.6 User has moved to ${relocated}`;
    result.relocatedTo = relocated;
  }
  if (!settings.allowMinUser && recipient.startsWith('-')) flags.error = true;
  return result;
}

/** relocated_maps, searched as virtual(5) is but without the address extension. */
async function findRelocated(recipient: string, settings: ResolveSettings, tables: ResolverTables): Promise<string | undefined> {
  if (tables.relocatedMaps.length === 0) return undefined;
  const hit = await virtualOrder(tables.relocatedMaps, recipient, {
    recipientDelimiter: settings.recipientDelimiter,
    isLocalDomain: (domain) => isLocalDomain(domain, tables),
  });
  return hit?.value;
}

/** Whether the domain is in the list; a lookup failure fails the resolution. */
async function listed(list: MatchList, domain: string, tables: ResolverTables, name: string): Promise<boolean> {
  return !list.isEmpty && await orFail(list.match(domain), tables, name);
}

/** The same where a failure only costs a warning: it counts as not listed. */
async function quietlyListed(list: MatchList, domain: string): Promise<boolean> {
  return !list.isEmpty && await list.match(domain).catch(() => false);
}

interface Chosen {
  class: AddressClass;
  route: Route;
  /** The parameter to blame for a null transport. */
  blame: string;
}

async function localClass(domain: string, settings: ResolveSettings, context: ResolverContextSettings,
  tables: ResolverTables): Promise<Chosen> {
  if (settings.helpfulWarnings) {
    // Lookup failures here only cost a warning, as Postfix ignores the list's error.
    if (await quietlyListed(tables.virtualAliasDomains, domain)) tables.reporter.warn(`do not list domain ${domain} in BOTH mydestination and virtual_alias_domains`);
    if (await quietlyListed(tables.virtualMailboxDomains, domain)) tables.reporter.warn(`do not list domain ${domain} in BOTH mydestination and virtual_mailbox_domains`);
  }
  return { class: 'local', route: { transport: context.localTransport.value, nexthop: domain }, blame: context.localTransport.name };
}

async function remoteClass(domain: string, settings: ResolveSettings, context: ResolverContextSettings,
  contextTables: ContextTables, tables: ResolverTables, sender: string): Promise<Chosen> {
  if (await listed(tables.virtualAliasDomains, domain, tables, 'virtual_alias_domains')) {
    if (settings.helpfulWarnings) {
      if (await quietlyListed(tables.virtualMailboxDomains, domain)) tables.reporter.warn(`do not list domain ${domain} in BOTH virtual_alias_domains and virtual_mailbox_domains`);
      if (await quietlyListed(tables.relayDomains, domain)) tables.reporter.warn(`do not list domain ${domain} in BOTH virtual_alias_domains and relay_domains`);
    }
    const text = `5.1.1 User unknown${settings.showUserUnknownTableName ? ' in virtual alias table' : ''}`;
    return { class: 'alias', route: { transport: 'error', nexthop: text }, blame: 'virtual_alias_domains' };
  }
  if (await listed(tables.virtualMailboxDomains, domain, tables, 'virtual_mailbox_domains')) {
    if (settings.helpfulWarnings && await quietlyListed(tables.relayDomains, domain)) {
      tables.reporter.warn(`do not list domain ${domain} in BOTH virtual_mailbox_domains and relay_domains`);
    }
    return { class: 'virtual', route: { transport: context.virtualTransport.value, nexthop: domain }, blame: context.virtualTransport.name };
  }
  let chosen: Chosen;
  if (await listed(tables.relayDomains, domain, tables, 'relay_domains')) {
    chosen = { class: 'relay', route: { transport: context.relayTransport.value, nexthop: '' }, blame: context.relayTransport.name };
  } else {
    chosen = await defaultRoute(settings, context, contextTables, tables, sender);
  }
  chosen.route.nexthop = await relayhostFor(settings, context, contextTables, tables, sender) ?? domain;
  return chosen;
}

async function defaultRoute(settings: ResolveSettings, context: ResolverContextSettings, contextTables: ContextTables,
  tables: ResolverTables, sender: string): Promise<Chosen> {
  const mapsName = context.senderDependentDefaultTransportMaps.name;
  const key = sender !== '' ? sender : settings.emptyAddressDefaultTransportMapsLookupKey;
  let found = await orFail(findByAddress(contextTables.senderDependentDefaultTransportMaps, key, settings, tables), tables, mapsName);
  if (found === undefined) return { class: 'default', route: { transport: context.defaultTransport.value, nexthop: '' }, blame: context.defaultTransport.name };
  if (found === '') {
    tables.reporter.warn(`${mapsName}: ignoring null lookup result for ${key}`);
    found = 'DUNNO';
  }
  const transport = found.toLowerCase() === 'dunno' ? context.defaultTransport.value : found;
  return { class: 'default', route: { transport, nexthop: '' }, blame: mapsName };
}

/** Sender-dependent relayhost, else relayhost; undefined means "the recipient domain". */
async function relayhostFor(settings: ResolveSettings, context: ResolverContextSettings, contextTables: ContextTables,
  tables: ResolverTables, sender: string): Promise<string | undefined> {
  const mapsName = context.senderDependentRelayhostMaps.name;
  const key = sender !== '' ? sender : settings.emptyAddressRelayhostMapsLookupKey;
  const found = await orFail(findByAddress(contextTables.senderDependentRelayhostMaps, key, settings, tables), tables, mapsName);
  if (found === '') tables.reporter.warn(`${mapsName}: ignoring null lookup result for ${key}`);
  if (found !== undefined && found !== '' && found.toLowerCase() !== 'dunno') return found;
  return context.relayhost !== '' ? context.relayhost : undefined;
}
