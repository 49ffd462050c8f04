// DNS block lists: reject_rbl_client DOMAIN (the client address reversed under DOMAIN has
// an A record, optionally one of "=127.0.0.2;127.0.0.3" codes), reject_rhsbl_client,
// reject_rhsbl_sender, reject_rhsbl_helo, reject_rhsbl_recipient (a name under DOMAIN). The
// reply is default_rbl_reply with $rbl_code, $rbl_class, $rbl_what, $rbl_domain and
// $rbl_reason (the TXT record) filled in.
// Called by generic.ts; queries go through Platform.dns. Models reject_rbl_addr(),
// reject_rbl_domain() and rbl_reject_reply() in src/smtpd/smtpd_check.c.

import { PlatformError } from '../../platform/types.ts';
import { dsnSplit, smtpdDsnFix } from './dsn.ts';
import type { CheckRun, CheckStatus } from './run.ts';

interface Listing {
  txt: string;
}

/** "zen.example=127.0.0.2;127.0.0.10" -> the zone and the codes that count. */
function splitDomain(spec: string): { zone: string; codes: string[] | undefined } {
  const equals = spec.indexOf('=');
  if (equals < 0) return { zone: spec, codes: undefined };
  return { zone: spec.slice(0, equals), codes: spec.slice(equals + 1).split(';').filter((code) => code !== '') };
}

async function query(run: CheckRun, name: string, codes: string[] | undefined): Promise<Listing | undefined | 'soft'> {
  let addresses: string[];
  try {
    addresses = await run.env.dns.a(name);
  } catch (error) {
    if (error instanceof PlatformError && (error.code === 'NXDOMAIN' || error.code === 'NODATA')) return undefined;
    return 'soft';
  }
  const listed = codes === undefined ? addresses : addresses.filter((address) => codes.includes(address));
  if (listed.length === 0) return undefined;
  let txt = '';
  try {
    txt = (await run.env.dns.txt(name)).join(' ');
  } catch {
    txt = '';
  }
  return { txt };
}

function expandReply(template: string, values: Record<string, string>): string {
  return template
    .replace(/\$\{(\w+)\?([^}]*)\}/g, (_, name: string, text: string) => (values[name] ? text.replace(/\$(\w+)/g, (__, inner: string) => values[inner] ?? '') : ''))
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => values[braced ?? bare ?? ''] ?? '');
}

function rejectListed(run: CheckRun, zone: string, what: string, replyClass: string, listing: Listing): CheckStatus {
  const text = expandReply(run.settings.defaultRblReply, {
    rbl_code: String(run.settings.codes.mapsRbl), rbl_class: replyClass, rbl_what: what,
    rbl_domain: zone, rbl_reason: listing.txt, rbl_txt: listing.txt,
  });
  const match = /^([45]\d\d) (.*)$/s.exec(text);
  if (match === null) {
    run.env.log.warn(`rbl response code configuration error: ${text}`);
    return run.reject(450, '4.7.1', 'Service unavailable');
  }
  const split = dsnSplit('4.7.1', match[2] as string);
  return run.reject(Number(match[1]), smtpdDsnFix(split.dsn, replyClass), split.text || 'Service unavailable');
}

export async function rejectRblAddress(run: CheckRun, spec: string, address: string, replyClass: string): Promise<CheckStatus> {
  const { zone, codes } = splitDomain(spec);
  const reversed = address.includes(':') ? undefined : address.split('.').reverse().join('.');
  if (reversed === undefined) return 'dunno';
  const listing = await query(run, `${reversed}.${zone}`, codes);
  if (listing === undefined || listing === 'soft') return 'dunno';
  return rejectListed(run, zone, address, replyClass, listing);
}

export async function rejectRblDomain(run: CheckRun, spec: string, name: string, replyClass: string): Promise<CheckStatus> {
  const { zone, codes } = splitDomain(spec);
  const domain = name.includes('@') ? name.slice(name.lastIndexOf('@') + 1) : name;
  if (domain === '' || domain.startsWith('[')) return 'dunno';
  const listing = await query(run, `${domain}.${zone}`, codes);
  if (listing === undefined || listing === 'soft') return 'dunno';
  return rejectListed(run, zone, domain, replyClass, listing);
}
