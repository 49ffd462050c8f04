// Domains and address literals: splitting user@domain at the last '@', lower-casing the
// domain (domains are case-insensitive, local parts are not), and the syntax checks that
// trivial-rewrite and smtpd apply to a domain: a host name (RFC 952/1123 labels, not all
// numeric), a bare IPv4/IPv6 address, and a mail address literal "[1.2.3.4]" or
// "[IPv6:2001:db8::1]". The checks can "gripe" (return a warning text) as Postfix's do.
// Called by trivial-rewrite (resolve), and later by smtpd, cleanup and the delivery agents.
// Trusts nothing; every loop runs once over its input.
// Models src/util/valid_hostname.c, src/global/valid_mailhost_addr.c, split_addr.c.

import { parseIpv6 } from '../maps/cidr.ts';

/** RFC 1035 limits on a label and a whole name. */
export const HOSTNAME_LABEL_LENGTH_MAX = 63;
export const HOSTNAME_LENGTH_MAX = 255;

export interface SplitAddress {
  localPart: string;
  /** The text after the last '@'; undefined when there is no '@'. */
  domain: string | undefined;
}

/** Splits an internal-form address at its last '@' (a quoted local part may hold '@'). */
export function splitAddress(address: string): SplitAddress {
  const at = address.lastIndexOf('@');
  if (at < 0) return { localPart: address, domain: undefined };
  return { localPart: address.slice(0, at), domain: address.slice(at + 1) };
}

/** The address with its domain in lower case and its local part unchanged. */
export function lowercaseDomain(address: string): string {
  const { localPart, domain } = splitAddress(address);
  return domain === undefined ? address : `${localPart}@${domain.toLowerCase()}`;
}

/** A check's verdict: ok, or the warning text Postfix prints when asked to gripe. */
export type Verdict = { ok: true } | { ok: false; warning: string };
const ok: Verdict = { ok: true };
const bad = (warning: string): Verdict => ({ ok: false, warning });
const excerpt = (text: string): string => text.slice(0, 100);

const isDigit = (character: string): boolean => character >= '0' && character <= '9';
const isAlphanumeric = (character: string): boolean =>
  isDigit(character) || (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');

/** valid_hostname: letters, digits, '_' and inner hyphens in labels of at most 63
 *  characters, no empty labels, not all numeric, at most 255 characters. With
 *  `allowUtf8`, non-ASCII characters count as letters (SMTPUTF8 domains). */
export function checkHostname(name: string, allowUtf8 = false): Verdict {
  const where = 'valid_hostname';
  if (name === '') return bad(`${where}: empty hostname`);
  let labelLength = 0;
  let nonNumeric = false;
  for (let index = 0; index < name.length; index++) {
    const character = name.charAt(index);
    const following = name.charAt(index + 1);
    if (isAlphanumeric(character) || character === '_' || (allowUtf8 && character.charCodeAt(0) > 127)) {
      labelLength++;
      if (labelLength > HOSTNAME_LABEL_LENGTH_MAX) return bad(`${where}: hostname label too long: ${excerpt(name)}`);
      if (!isDigit(character)) nonNumeric = true;
    } else if (character === '.') {
      if (labelLength === 0 || following === '') return bad(`${where}: misplaced delimiter: ${excerpt(name)}`);
      labelLength = 0;
    } else if (character === '-') {
      nonNumeric = true;
      labelLength++;
      if (labelLength === 1 || following === '' || following === '.') return bad(`${where}: misplaced hyphen: ${excerpt(name)}`);
    } else {
      return bad(`${where}: invalid character ${character.charCodeAt(0)}(decimal): ${excerpt(name)}`);
    }
  }
  if (!nonNumeric) return bad(`${where}: numeric hostname: ${excerpt(name)}`);
  if (name.length > HOSTNAME_LENGTH_MAX) return bad(`${where}: bad length ${name.length} for ${excerpt(name)}...`);
  return ok;
}

/** valid_ipv4_hostaddr: four decimal octets; "0.0.0.0" passes, "0.1.2.3" does not. */
export function checkIpv4Address(address: string): Verdict {
  const where = 'valid_ipv4_hostaddr';
  let inOctet = false;
  let octets = 0;
  let value = 0;
  for (let index = 0; index < address.length; index++) {
    const character = address.charAt(index);
    if (isDigit(character)) {
      if (!inOctet) {
        inOctet = true;
        value = 0;
        octets++;
      }
      value = value * 10 + Number(character);
      if (value > 255) return bad(`${where}: invalid octet value: ${excerpt(address)}`);
    } else if (character === '.') {
      if (!inOctet || index + 1 === address.length) return bad(`${where}: misplaced dot: ${excerpt(address)}`);
      if (octets === 1 && value === 0 && /[^0.]/.test(address)) return bad(`${where}: bad initial octet value: ${excerpt(address)}`);
      inOctet = false;
    } else {
      return bad(`${where}: invalid character ${character.charCodeAt(0)}(decimal): ${excerpt(address)}`);
    }
  }
  if (octets !== 4) return bad(`${where}: invalid octet count: ${excerpt(address)}`);
  return ok;
}

/** valid_ipv6_hostaddr, reduced to "inet_pton accepts it" (no "IPv6:" prefix here). */
export function checkIpv6Address(address: string): Verdict {
  if (parseIpv6(address) === undefined) return bad(`valid_ipv6_hostaddr: invalid IPv6 address: ${excerpt(address)}`);
  return ok;
}

/** valid_hostaddr: an IPv6 address when it holds ':', else an IPv4 address. */
export function checkHostAddress(address: string): Verdict {
  if (address === '') return bad('valid_hostaddr: empty address');
  return address.includes(':') ? checkIpv6Address(address) : checkIpv4Address(address);
}

const IPV6_PREFIX = 'ipv6:';

/** valid_mailhost_addr: the text of an address literal without its brackets ("1.2.3.4"
 *  or "IPv6:::1"); returns the bare address, or the verdict that rejects it. */
export function mailhostAddress(text: string): { address: string } | { ok: false; warning: string } {
  const hasPrefix = text.slice(0, IPV6_PREFIX.length).toLowerCase() === IPV6_PREFIX;
  const bare = hasPrefix ? text.slice(IPV6_PREFIX.length) : text;
  const verdict = hasPrefix ? checkIpv6Address(bare) : checkIpv4Address(bare);
  return verdict.ok ? { address: bare } : verdict;
}

/** valid_mailhost_literal: "[" address "]" with nothing after the ']'. */
export function checkMailhostLiteral(literal: string): Verdict {
  const where = 'valid_mailhost_literal';
  if (!literal.startsWith('[')) return bad(`${where}: '[' expected at start: ${excerpt(literal)}`);
  const close = literal.indexOf(']');
  if (close < 0) return bad(`${where}: ']' expected at end: ${excerpt(literal)}`);
  if (close !== literal.length - 1) return bad(`${where}: unexpected text after ']': ${excerpt(literal)}`);
  const inner = mailhostAddress(literal.slice(1, close));
  return 'address' in inner ? ok : inner;
}
