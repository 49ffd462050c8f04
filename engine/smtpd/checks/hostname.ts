// Restrictions on the HELO name and the client's hostname: reject_invalid_helo_hostname
// (bad syntax: "Invalid name"; a bad [address]: "invalid ip address"),
// reject_non_fqdn_helo_hostname, reject_unknown_helo_hostname (no A/AAAA/MX record),
// reject_unknown_client_hostname and reject_unknown_reverse_client_hostname.
// Called by generic.ts. Models reject_invalid_hostname(), reject_invalid_hostaddr(),
// reject_non_fqdn_hostname(), reject_unknown_hostname(), reject_unknown_client() and
// reject_unknown_reverse_name() in src/smtpd/smtpd_check.c.

import { checkHostAddress, checkHostname, mailhostAddress } from '../../global/address/domain.ts';
import { PlatformError } from '../../platform/types.ts';
import { withoutTrailingDot } from './address.ts';
import type { CheckRun, CheckStatus } from './run.ts';

export function rejectInvalidHostAddress(run: CheckRun, address: string, replyName: string, replyClass: string): CheckStatus {
  const inner = address.startsWith('[') && address.endsWith(']') && address.length > 2 ? address.slice(1, -1) : address;
  if ('address' in mailhostAddress(inner)) return 'dunno';
  return run.reject(run.settings.codes.invalidHostname, '5.5.2', `<${replyName}>: ${replyClass} rejected: invalid ip address`);
}

export function rejectInvalidHostname(run: CheckRun, name: string, replyName: string, replyClass: string): CheckStatus {
  const test = withoutTrailingDot(name);
  if (checkHostname(test).ok || checkHostAddress(test).ok) return 'dunno';
  return run.reject(run.settings.codes.invalidHostname, '5.5.2', `<${replyName}>: ${replyClass} rejected: Invalid name`);
}

export function rejectNonFqdnHostname(run: CheckRun, name: string, replyName: string, replyClass: string): CheckStatus {
  const test = withoutTrailingDot(name);
  const utf8 = run.session.transaction?.smtputf8 ?? false;
  if (checkHostname(test, utf8).ok && test.includes('.')) return 'dunno';
  return run.reject(run.settings.codes.nonFqdn, '5.5.2', `<${replyName}>: ${replyClass} rejected: need fully-qualified hostname`);
}

export async function rejectUnknownHostname(run: CheckRun, name: string, replyName: string, replyClass: string): Promise<CheckStatus> {
  let retry = false;
  const dns = run.env.dns;
  for (const query of [dns.a.bind(dns), dns.aaaa.bind(dns), dns.mx.bind(dns)]) {
    try {
      if ((await query(name)).length > 0) return 'dunno';
    } catch (error) {
      if (!(error instanceof PlatformError) || (error.code !== 'NXDOMAIN' && error.code !== 'NODATA')) retry = true;
    }
  }
  if (retry) return run.deferIf('permit', 450, '4.7.1', `<${replyName}>: ${replyClass} rejected: Host not found`);
  return run.reject(run.settings.codes.unknownHostname, '4.7.1', `<${replyName}>: ${replyClass} rejected: Host not found`);
}

export function rejectUnknownClient(run: CheckRun): CheckStatus {
  const client = run.session.client;
  if (client.nameStatus === 'ok') return 'dunno';
  return run.reject(client.nameStatus === 'permanent' ? run.settings.codes.unknownClient : 450, '4.7.25',
    `Client host rejected: cannot find your hostname, [${client.address}]`);
}

export function rejectUnknownReverseClient(run: CheckRun): CheckStatus {
  const client = run.session.client;
  if (client.reverseNameStatus === 'ok') return 'dunno';
  return run.reject(client.reverseNameStatus === 'permanent' ? run.settings.codes.unknownClient : 450, '4.7.1',
    `Client host rejected: cannot find your reverse hostname, [${client.address}]`);
}
