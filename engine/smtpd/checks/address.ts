// Restrictions on an envelope address: reject_non_fqdn_sender/recipient (need
// fully-qualified address), reject_unknown_sender/recipient_domain (no MX or address record
// for the domain, through the Resolver), and the "unlisted" checks: is the address a known
// user of the class it resolves to (local_recipient_maps, virtual_mailbox_maps,
// relay_recipient_maps; virtual alias and canonical entries count as known; the error
// transport, as relocated_maps and unknown virtual alias domains produce, rejects with its
// own text).
// Called by generic.ts and stages.ts. Models reject_non_fqdn_address(),
// reject_unknown_address(), reject_unknown_mailhost() and check_rcpt_maps() in
// src/smtpd/smtpd_check.c.

import { checkHostname } from '../../global/address/domain.ts';
import { MapError, type LookupTable } from '../../global/maps/index.ts';
import { virtualOrder } from '../../global/maps/lookup-order.ts';
import { PlatformError } from '../../platform/types.ts';
import { dsnSplit, smtpdDsnFix } from './dsn.ts';
import type { CheckRun, CheckStatus } from './run.ts';

export const SENDER_CLASS = 'Sender address';
export const RECIPIENT_CLASS = 'Recipient address';

/** dup_if_truncate(): one trailing dot does not count. */
export function withoutTrailingDot(name: string): string {
  return name.length > 1 && name.endsWith('.') && !name.endsWith('..') ? name.slice(0, -1) : name;
}

export function rejectNonFqdnAddress(run: CheckRun, address: string, replyClass: string): CheckStatus {
  const at = address.lastIndexOf('@');
  const domain = at < 0 ? '' : address.slice(at + 1);
  if (domain.startsWith('[') && domain.endsWith(']')) return 'dunno';
  const test = withoutTrailingDot(domain);
  const utf8 = run.session.transaction?.smtputf8 ?? false;
  if (test === '' || !checkHostname(test, utf8).ok || !test.includes('.')) {
    return run.reject(run.settings.codes.nonFqdn, '4.5.2', `<${address}>: ${replyClass} rejected: need fully-qualified address`);
  }
  return 'dunno';
}

/** What an MX-then-address lookup says about a mail domain. */
async function mailhostStatus(run: CheckRun, domain: string): Promise<'ok' | 'notfound' | 'retry' | 'nullmx'> {
  const failure = (error: unknown): 'notfound' | 'retry' => {
    if (error instanceof PlatformError && (error.code === 'NXDOMAIN' || error.code === 'NODATA')) return 'notfound';
    return 'retry';
  };
  try {
    const records = await run.env.dns.mx(domain);
    if (records.length === 1 && records[0]?.exchange === '' ) return 'nullmx';
    if (records.length > 0) return 'ok';
  } catch (error) {
    if (failure(error) === 'retry') return 'retry';
  }
  for (const query of [run.env.dns.a.bind(run.env.dns), run.env.dns.aaaa.bind(run.env.dns)]) {
    try {
      if ((await query(domain)).length > 0) return 'ok';
    } catch (error) {
      if (failure(error) === 'retry') return 'retry';
    }
  }
  return 'notfound';
}

/** reject_unknown_mailhost(). */
async function rejectUnknownMailhost(run: CheckRun, domain: string, replyName: string, replyClass: string): Promise<CheckStatus> {
  const sender = replyClass === SENDER_CLASS;
  const status = await mailhostStatus(run, domain);
  switch (status) {
    case 'ok':
      return 'dunno';
    case 'nullmx':
      return run.reject(sender ? 550 : 556, sender ? '4.7.27' : '4.1.10',
        `<${replyName}>: ${replyClass} rejected: Domain ${domain} does not accept mail (nullMX)`);
    case 'notfound':
      return run.reject(run.settings.codes.unknownAddress, sender ? '4.1.8' : '4.1.2',
        `<${replyName}>: ${replyClass} rejected: Domain not found`);
    case 'retry':
      return run.deferIf('permit', 450, sender ? '4.1.8' : '4.1.2', `<${replyName}>: ${replyClass} rejected: Domain not found`);
  }
}

/** reject_unknown_address(): only domains that are not this host's own are looked up. */
export async function rejectUnknownAddress(run: CheckRun, address: string, replyClass: string): Promise<CheckStatus> {
  const other = replyClass === SENDER_CLASS ? run.names.recipient : run.names.sender;
  const resolved = await run.env.resolver.resolve(other, address);
  if (resolved.fail) run.dictRetry(address);
  const at = resolved.recipient.lastIndexOf('@');
  if (at < 0 || resolved.final) return 'dunno';
  const domain = resolved.recipient.slice(at + 1);
  if (domain.startsWith('[') && domain.endsWith(']')) return 'dunno';
  return rejectUnknownMailhost(run, domain, address, replyClass);
}

/** check_mail_addr_find(): a failing table ends the evaluation with a 451. */
async function matches(run: CheckRun, tables: readonly LookupTable[], key: string, replyName: string, local: boolean): Promise<boolean> {
  if (tables.length === 0) return false;
  try {
    const hit = await virtualOrder(tables, key, {
      recipientDelimiter: run.settings.recipientDelimiter,
      isLocalDomain: () => local,
    });
    return hit !== undefined;
  } catch (error) {
    if (error instanceof MapError) {
      if (error.code === 'retry') run.dictRetry(replyName);
      run.serverError();
    }
    throw error;
  }
}

/** check_rcpt_maps(): is the address a known user where it resolves to? */
export async function checkRecipientMaps(run: CheckRun, sender: string | undefined, address: string, replyClass: string): Promise<CheckStatus> {
  const settings = run.settings;
  const tables = run.env.tables;
  const resolved = await run.env.resolver.resolve(sender, address);
  if (resolved.fail) run.dictRetry(address);
  const recipient = resolved.recipient;
  const isLocal = resolved.addressClass === 'local';
  if (await matches(run, tables.recipientCanonicalMaps, recipient, address, isLocal)
    || (replyClass === SENDER_CLASS && await matches(run, tables.senderCanonicalMaps, recipient, address, isLocal))
    || await matches(run, tables.canonicalMaps, recipient, address, isLocal)
    || await matches(run, tables.virtualAliasMaps, recipient, address, isLocal)) return 'dunno';
  const isSender = replyClass === SENDER_CLASS;
  if (resolved.transport === 'error' || resolved.transport === 'retry') {
    const permanent = resolved.transport === 'error';
    const split = dsnSplit(permanent ? (isSender ? '5.1.0' : '5.1.1') : (isSender ? '4.1.0' : '4.1.1'), resolved.nexthop);
    const code = !permanent ? 450 : resolved.addressClass === 'alias' ? settings.codes.unknownVirtualAlias : 550;
    return run.reject(code, smtpdDsnFix(split.dsn, replyClass), `<${address}>: ${replyClass} rejected: ${split.text}`);
  }
  const unknown = (code: number, table: string): CheckStatus => run.reject(code, isSender ? '5.1.0' : '5.1.1',
    `<${address}>: ${replyClass} rejected: User unknown${settings.showUnknownRecipientTable ? ` in ${table}` : ''}`);
  const localPart = recipient.slice(0, Math.max(0, recipient.lastIndexOf('@'))) || recipient;
  switch (resolved.addressClass) {
    case 'local': {
      const exempt = [settings.doubleBounceSender, 'postmaster', 'mailer-daemon'].some((name) => localPart.toLowerCase() === name.toLowerCase());
      if (tables.localRecipientCheck && !exempt && !await matches(run, tables.localRecipientMaps, recipient, address, true)) {
        return unknown(settings.codes.unknownLocalRecipient, 'local recipient table');
      }
      return 'dunno';
    }
    case 'virtual':
      if (tables.virtualMailboxMaps.length > 0 && !await matches(run, tables.virtualMailboxMaps, recipient, address, false)) {
        return unknown(settings.codes.unknownVirtualMailbox, 'virtual mailbox table');
      }
      return 'dunno';
    case 'relay':
      if (tables.relayRecipientMaps.length > 0 && !await matches(run, tables.relayRecipientMaps, recipient, address, false)) {
        return unknown(settings.codes.unknownRelayRecipient, 'relay recipient table');
      }
      return 'dunno';
    default:
      return 'dunno';
  }
}

/** check_recipient_rcpt_maps(): at most once per RCPT (unless under warn_if_reject). */
export async function rejectUnlistedRecipient(run: CheckRun, recipient: string): Promise<CheckStatus> {
  if (run.recipientMapsChecked) return 'dunno';
  if (run.warnIfReject === 0) run.recipientMapsChecked = true;
  return checkRecipientMaps(run, run.names.sender, recipient, RECIPIENT_CLASS);
}

/** check_sender_rcpt_maps(). */
export async function rejectUnlistedSender(run: CheckRun, sender: string): Promise<CheckStatus> {
  if (run.senderMapsChecked) return 'dunno';
  if (run.warnIfReject === 0) run.senderMapsChecked = true;
  return checkRecipientMaps(run, run.names.recipient, sender, SENDER_CLASS);
}
