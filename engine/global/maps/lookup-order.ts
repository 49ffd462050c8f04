// The orders in which Postfix's callers search tables for an address or a domain, as pure
// functions over a list of tables (Postfix's "maps": the first table that has the key
// wins). Each returns what matched and which key matched it, so callers can log the
// lookup and re-append an address extension (propagate_unmatched_extensions).
//   addressLookup: the mail_addr_find strategies; accessOrder (smtpd access(5)),
//     virtualOrder (virtual(5), canonical(5), relocated) are presets of it.
//   transportLookup: transport(5): user+ext@domain, user@domain, domain, parent
//     domains, "*".
//   aliasLookup: aliases(5): the local part, then without its extension.
// Pattern tables (regexp, pcre, cidr) see only the full address, as in Postfix, where the
// partial keys (user@domain without extension, domains, @domain, user@) go to fixed-string
// tables only. A table that fails stops the search with its MapError.
// Models global/mail_addr_find.c, global/maps.c, smtpd/smtpd_check.c (check_mail_access),
// trivial-rewrite/transport.c and local/alias.c.

import type { LookupTable } from './types.ts';

export interface LookupHit {
  value: string;
  /** The key that matched, as it was asked (before any case folding by the table). */
  key: string;
  table: LookupTable;
  /** The address extension that was stripped to find this entry, if any. */
  extension?: string;
}

const patternTypes = new Set(['regexp', 'pcre', 'cidr']);

/** Searches tables in order; `partial` keys skip pattern tables (maps_find PARTIAL). */
export async function findInTables(tables: readonly LookupTable[], key: string, partial: boolean): Promise<LookupHit | undefined> {
  for (const table of tables) {
    if (partial && patternTypes.has(table.type)) continue;
    const value = await table.lookup(key);
    if (value !== undefined) return { value, key, table };
  }
  return undefined;
}

/** Splits user+ext at the first recipient_delimiter character (any of them, Postfix 3.x).
 *  A delimiter as the first character does not count. */
export function splitExtension(localPart: string, delimiters: string): { user: string; extension?: string } {
  if (delimiters === '') return { user: localPart };
  for (let index = 1; index < localPart.length; index++) {
    if (delimiters.includes(localPart[index] ?? '')) {
      return { user: localPart.slice(0, index), extension: localPart.slice(index + 1) };
    }
  }
  return { user: localPart };
}

/** Parent domains as Postfix walks them: "a.b.c", then "b.c", "c" when parent domains
 *  match subdomains, or ".b.c", ".c" when they do not (the table then needs the dot form). */
export function domainCandidates(domain: string, parentMatchesSubdomains: boolean, withParents = true): string[] {
  const candidates = [domain];
  if (!withParents) return candidates;
  for (let index = domain.indexOf('.', 1); index >= 0 && candidates.length < 128; index = domain.indexOf('.', index + 1)) {
    candidates.push(parentMatchesSubdomains ? domain.slice(index + 1) : domain.slice(index));
  }
  return candidates.filter((candidate) => candidate !== '' && candidate !== '.');
}

export interface AddressStrategy {
  /** user+ext@domain */
  full: boolean;
  /** user@domain with the extension removed */
  withoutExtension: boolean;
  /** user+ext, then user, when the domain is local */
  localPartIfLocal: boolean;
  /** user+ext@, then user@, when the domain is local */
  localPartAtIfLocal: boolean;
  /** @domain */
  atDomain: boolean;
  /** domain, then parent domains as `parentStyle` says */
  domain: boolean;
  parentStyle: 'none' | 'parent' | 'dot-parent';
  /** user+ext@, then user@, whatever the domain */
  localPartAt: boolean;
}

export interface AddressLookupOptions {
  /** recipient_delimiter ("" for none). */
  recipientDelimiter: string;
  /** Whether the domain is local ($myorigin, $mydestination, [$inet_interfaces]). */
  isLocalDomain?: (domain: string) => boolean | Promise<boolean>;
}

/** mail_addr_find_opt over internal-form addresses. */
export async function addressLookup(
  tables: readonly LookupTable[], address: string, strategy: AddressStrategy, options: AddressLookupOptions,
): Promise<LookupHit | undefined> {
  const at = address.lastIndexOf('@');
  const localPart = at < 0 ? address : address.slice(0, at);
  const domain = at < 0 ? '' : address.slice(at + 1);
  const split = strategy.withoutExtension ? splitExtension(localPart, options.recipientDelimiter) : { user: localPart };
  const bareAddress = split.extension === undefined ? undefined : at < 0 ? split.user : `${split.user}@${domain}`;
  const withExtension = (hit: LookupHit | undefined, stripped: boolean): LookupHit | undefined =>
    hit === undefined ? undefined : stripped && split.extension !== undefined ? { ...hit, extension: split.extension } : hit;

  if (strategy.full) {
    const hit = await findInTables(tables, address, false);
    if (hit) return hit;
  }
  if (bareAddress !== undefined) {
    const hit = await findInTables(tables, bareAddress, true);
    if (hit) return withExtension(hit, true);
  }
  const findLocal = async (suffix: string): Promise<LookupHit | undefined> => {
    const first = await findInTables(tables, `${localPart}${suffix}`, true);
    if (first) return first;
    if (split.extension === undefined) return undefined;
    return withExtension(await findInTables(tables, `${split.user}${suffix}`, true), true);
  };
  if (at >= 0 && (strategy.localPartIfLocal || strategy.localPartAtIfLocal)) {
    const local = options.isLocalDomain ? await options.isLocalDomain(domain) : false;
    if (local) {
      if (strategy.localPartIfLocal) {
        const hit = await findLocal('');
        if (hit) return hit;
      }
      if (strategy.localPartAtIfLocal) {
        const hit = await findLocal('@');
        if (hit) return hit;
      }
    }
  }
  if (at >= 0 && strategy.atDomain) {
    const hit = await findInTables(tables, `@${domain}`, true);
    if (hit) return hit;
  }
  if (at >= 0 && strategy.domain && domain !== '') {
    const candidates = domainCandidates(domain, strategy.parentStyle === 'parent', strategy.parentStyle !== 'none');
    for (const candidate of candidates) {
      const hit = await findInTables(tables, candidate, true);
      if (hit) return hit;
    }
  }
  if (strategy.localPartAt) {
    const hit = await findLocal('@');
    if (hit) return hit;
  }
  return undefined;
}

/** smtpd access(5) order (check_mail_access): user+ext@domain, user@domain, domain and
 *  its parents (bare parents when parent_domain_matches_subdomains lists
 *  smtpd_access_maps, else ".parent"), then user+ext@, user@. */
export function accessOrder(tables: readonly LookupTable[], address: string,
  options: AddressLookupOptions & { parentMatchesSubdomains: boolean }): Promise<LookupHit | undefined> {
  return addressLookup(tables, address, {
    full: true, withoutExtension: true, localPartIfLocal: false, localPartAtIfLocal: false,
    atDomain: false, domain: true, parentStyle: options.parentMatchesSubdomains ? 'parent' : 'dot-parent', localPartAt: true,
  }, options);
}

/** virtual(5), canonical(5), relocated(5) order (MA_FIND_DEFAULT): user+ext@domain,
 *  user@domain, then user+ext and user when the domain is local, then @domain. */
export function virtualOrder(tables: readonly LookupTable[], address: string, options: AddressLookupOptions): Promise<LookupHit | undefined> {
  return addressLookup(tables, address, {
    full: true, withoutExtension: true, localPartIfLocal: true, localPartAtIfLocal: false,
    atDomain: true, domain: false, parentStyle: 'none', localPartAt: false,
  }, options);
}

/** transport(5): user+ext@domain, user@domain, domain, parent domains (".parent" unless
 *  parent_domain_matches_subdomains lists transport_maps), then "*". */
export async function transportLookup(tables: readonly LookupTable[], address: string,
  options: { recipientDelimiter: string; parentMatchesSubdomains: boolean }): Promise<LookupHit | undefined> {
  const byAddress = await addressLookup(tables, address, {
    full: true, withoutExtension: true, localPartIfLocal: false, localPartAtIfLocal: false,
    atDomain: false, domain: false, parentStyle: 'none', localPartAt: false,
  }, options);
  if (byAddress) return byAddress;
  const at = address.lastIndexOf('@');
  const domain = at < 0 ? '' : address.slice(at + 1);
  if (domain !== '') {
    for (const candidate of domainCandidates(domain, options.parentMatchesSubdomains)) {
      const hit = await findInTables(tables, candidate, true);
      if (hit) return hit;
    }
  }
  return findInTables(tables, '*', true);
}

/** aliases(5): the local part in lower case, then without its extension. */
export async function aliasLookup(tables: readonly LookupTable[], localPart: string,
  options: { recipientDelimiter: string }): Promise<LookupHit | undefined> {
  const folded = localPart.toLowerCase();
  const first = await findInTables(tables, folded, false);
  if (first) return first;
  const split = splitExtension(folded, options.recipientDelimiter);
  if (split.extension === undefined) return undefined;
  const hit = await findInTables(tables, split.user, false);
  return hit ? { ...hit, extension: split.extension } : undefined;
}
