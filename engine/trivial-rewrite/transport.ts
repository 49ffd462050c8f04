// transport_maps: a table entry can override the transport and/or the nexthop that the
// address class gave. Entries are "transport:nexthop", "transport:" or "transport" (the
// nexthop goes back to the recipient domain, since a nexthop means something different to
// each transport; for error and retry it becomes "Address is undeliverable"), ":nexthop"
// (keep the transport, change the nexthop) and ":" (change nothing). The search order is
// transport(5)'s: user+ext@domain, user@domain, domain, parent domains, then "*" — done by
// H3's transportLookup.
// Called by resolve.ts. Trusts nothing in the entry text: whatever follows the first ':'
// is the nexthop, as in Postfix. Models src/trivial-rewrite/transport.c (update_entry,
// parse_transport_entry, transport_lookup).

import type { LookupTable } from '../global/maps/types.ts';
import { transportLookup } from '../global/maps/lookup-order.ts';

export interface Route {
  transport: string;
  nexthop: string;
}

/** Applies one transport table entry to the route the address class gave. */
export function applyTransportEntry(value: string, recipientDomain: string, route: Route): Route {
  const colon = value.indexOf(':');
  const newTransport = colon < 0 ? value : value.slice(0, colon);
  const newNexthop = colon < 0 ? '' : value.slice(colon + 1);
  if (newTransport === '') return newNexthop === '' ? route : { transport: route.transport, nexthop: newNexthop };
  if (newNexthop !== '') return { transport: newTransport, nexthop: newNexthop };
  const undeliverable = newTransport === 'error' || newTransport === 'retry';
  return { transport: newTransport, nexthop: undeliverable ? 'Address is undeliverable' : recipientDomain };
}

export interface TransportLookupResult {
  route: Route;
  /** The table entry that matched, and the key it matched under. */
  match?: { key: string; value: string; table: string };
}

/** transport_lookup: the route after transport_maps; throws MapError when a table fails. */
export async function lookupTransport(tables: readonly LookupTable[], recipient: string, recipientDomain: string,
  route: Route, options: { recipientDelimiter: string; parentMatchesSubdomains: boolean }): Promise<TransportLookupResult> {
  if (tables.length === 0) return { route };
  const hit = await transportLookup(tables, recipient, options);
  if (hit === undefined) return { route };
  return {
    route: applyTransportEntry(hit.value, recipientDomain, route),
    match: { key: hit.key, value: hit.value, table: `${hit.table.type}:${hit.table.name}` },
  };
}
