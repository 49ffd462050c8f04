// Address mapping for cleanup: one table lookup turned into a list of addresses the way
// Postfix's mail_addr_map does (virtual(5)/canonical(5) key order, "@domain" results keep
// the original user, each result rewritten to canonical form and the unmatched address
// extension propagated), the one-to-one canonical mapping (map11, repeated until the address
// maps to itself, at most MAP11_ROUNDS_MAX times) and masquerading (strip subdomains of a
// masquerade_domains entry, "!domain" excludes, masquerade_exceptions users are left alone).
// Called by envelope.ts, header-rewrite.ts and virtual-alias.ts. Trusts its tables; a table
// that fails throws MapError, which the caller turns into a temporary failure.
// Models src/global/mail_addr_map.c, mail_addr_crunch.c, src/cleanup/cleanup_map11.c and
// cleanup_masquerade.c.

import { parseAddressListInternal } from '../global/address/header-list.ts';
import { quoteLocalPart, unquoteLocalPart } from '../global/address/quote.ts';
import type { MatchList } from '../global/address/match-list.ts';
import type { LookupTable } from '../global/maps/types.ts';
import { virtualOrder } from '../global/maps/lookup-order.ts';

/** cleanup_map11's MAX_RECURSION. */
export const MAP11_ROUNDS_MAX = 10;

/** What the mapping functions need from their caller. */
export interface AddressMapper {
  recipientDelimiter: string;
  /** mydestination for local-part-only keys ("user" for user@local-domain). */
  mydestination: MatchList;
  /** Rewrites an internal-form address in the local context (canon_addr_internal). */
  canonicalize(address: string): Promise<string>;
  warn(text: string): void;
}

/** A table's title in warnings: "hash:/etc/postfix/virtual" for one table, the parameter
 *  name for several (Postfix's maps title is the parameter name). */
export function mapsTitle(parameter: string, tables: readonly LookupTable[]): string {
  return tables.length === 1 && tables[0] !== undefined ? `${tables[0].type}:${tables[0].name}` : parameter;
}

/** Inserts "+ext" before the domain of an internal-form address. */
function withExtension(address: string, delimiter: string, extension: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return `${address}${delimiter}${extension}`;
  return `${address.slice(0, at)}${delimiter}${extension}${address.slice(at)}`;
}

/** mail_addr_map_internal: undefined when no table has the address. */
export async function mapAddress(mapper: AddressMapper, tables: readonly LookupTable[], address: string,
  propagate: boolean, title: string): Promise<string[] | undefined> {
  if (tables.length === 0) return undefined;
  const hit = await virtualOrder(tables, address, {
    recipientDelimiter: mapper.recipientDelimiter,
    isLocalDomain: (domain) => mapper.mydestination.match(domain),
  });
  if (hit === undefined) return undefined;
  const at = address.lastIndexOf('@');
  const localPart = at < 0 ? address : address.slice(0, at);
  const user = hit.extension === undefined ? localPart : localPart.slice(0, localPart.length - hit.extension.length - 1);
  const delimiter = hit.extension === undefined ? '' : localPart.charAt(user.length);
  let value = hit.value;
  if (value.startsWith('@')) value = quoteLocalPart(`${user}${value}`, { eightBitClean: true });
  const results: string[] = [];
  for (const found of parseAddressListInternal(value)) {
    let mapped = await mapper.canonicalize(found);
    if (propagate && hit.extension !== undefined) mapped = withExtension(mapped, delimiter, hit.extension);
    results.push(mapped);
  }
  if (results.length === 0) {
    mapper.warn(`${title} lookup of ${address} returns non-address result "${value}"`);
    return undefined;
  }
  return results;
}

/** cleanup_map11_internal: the address after one-to-one mapping. */
export async function mapOneToOne(mapper: AddressMapper, tables: readonly LookupTable[], address: string,
  propagate: boolean, title: string, queueId: string): Promise<string> {
  let current = address;
  for (let round = 0; round < MAP11_ROUNDS_MAX; round++) {
    const mapped = await mapAddress(mapper, tables, current, propagate, title);
    if (mapped === undefined || mapped[0] === undefined) return current;
    if (mapped.length > 1) mapper.warn(`${queueId}: multi-valued ${title} entry for ${current}`);
    const previous = current;
    current = mapped[0];
    if (previous.toLowerCase() === current.toLowerCase()) return current;
  }
  mapper.warn(`${queueId}: unreasonable ${title} map nesting for ${current} -- message not accepted, try again later`);
  return current;
}

/** cleanup_masquerade_external on an internal-form address; returns it unchanged when no
 *  masquerade domain applies. */
export async function masquerade(address: string, domains: readonly string[], exceptions: MatchList | undefined): Promise<string> {
  const external = quoteLocalPart(address, { eightBitClean: true });
  const at = external.lastIndexOf('@');
  if (at < 0) return address;
  const name = external.slice(0, at);
  const domain = external.slice(at + 1).toLowerCase();
  if (exceptions !== undefined && await exceptions.match(name)) return address;
  for (const entry of domains) {
    let masq = entry;
    let truncate = true;
    while (masq.startsWith('!')) {
      masq = masq.slice(1);
      truncate = !truncate;
    }
    masq = masq.toLowerCase();
    if (masq === '') continue;
    if (masq === domain) break;
    if (masq.length < domain.length && domain.endsWith(masq) && domain.charAt(domain.length - masq.length - 1) === '.') {
      return truncate ? unquoteLocalPart(`${name}@${masq}`) : address;
    }
  }
  return address;
}
