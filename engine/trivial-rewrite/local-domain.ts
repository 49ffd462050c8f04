// Whether a domain is this host's own: listed in mydestination, or an address literal
// ("[127.0.0.1]", "[IPv6:::1]") naming one of the addresses in inet_interfaces or
// proxy_interfaces. One trailing dot is ignored; "example.com.." and "" are never local.
// Called by resolve.ts (the local class and the strip-local-domain loop) and by the
// relocated_maps lookup (local-part-only keys for local domains). Trusts its tables; a
// failing mydestination table throws MapError after Postfix's warning. An invalid
// literal gets Postfix's "valid_..." warning, as resolve_local gripes about it.
// Models src/global/resolve_local.c.

import { mailhostAddress } from '../global/address/domain.ts';
import { parseAddress } from '../global/maps/cidr.ts';
import type { ResolverTables } from './tables.ts';

function sameAddress(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, index) => byte === right[index]);
}

export async function isLocalDomain(domain: string, tables: ResolverTables): Promise<boolean> {
  let name = domain;
  if (name === '') return false;
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name.endsWith('.')) return false;
  if (await tables.mydestination.match(name)) return true;
  if (!(name.startsWith('[') && name.endsWith(']'))) return false;
  const bare = mailhostAddress(name.slice(1, -1));
  if (!('address' in bare)) {
    tables.reporter.warn(bare.warning);
    return false;
  }
  const parsed = parseAddress(bare.address);
  if (parsed === undefined) return false;
  return tables.ownAddresses.some((own) => own.family === parsed.family && sameAddress(own.bytes, parsed.bytes));
}
