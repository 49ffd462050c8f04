// The restriction list evaluator: walks smtpd_*_restrictions word by word, dispatching each
// name through a table to its restriction, until one permits (OK) or rejects. warn_if_reject
// turns the next reject into a logged warning; restriction classes (smtpd_restriction_classes)
// and restriction lists found in access tables are evaluated recursively; a bare
// "type:name" is the stage's own access check (check_client_access for client
// restrictions...). An unknown name is a configuration error: "451 4.3.5 Server
// configuration error" and a warning.
// Called by stages.ts and access.ts. Models generic_checks() in src/smtpd/smtpd_check.c.

import { clientAccess, exactAccess, mailAccess, nameAccess } from './access.ts';
import {
  rejectNonFqdnAddress, rejectUnknownAddress, rejectUnlistedRecipient, rejectUnlistedSender, RECIPIENT_CLASS, SENDER_CLASS,
} from './address.ts';
import {
  rejectInvalidHostAddress, rejectInvalidHostname, rejectNonFqdnHostname, rejectUnknownClient, rejectUnknownHostname,
  rejectUnknownReverseClient,
} from './hostname.ts';
import { rejectRblAddress, rejectRblDomain } from './rbl.ts';
import { permitAuthDestination, permitMynetworks, rejectUnauthDestination, rejectUnauthPipelining } from './relay.ts';
import type { CheckRun, CheckStatus } from './run.ts';
import { permitSaslAuthenticated, senderLoginMismatch } from './login.ts';
import { checkPolicyService } from './policy.ts';

export const CLIENT_CLASS = 'Client host';
export const HELO_CLASS = 'Helo command';
export const ETRN_CLASS = 'Etrn command';
export const DATA_CLASS = 'Data command';
export const EOD_CLASS = 'End-of-data';

interface Step {
  run: CheckRun;
  replyName: string;
  replyClass: string;
  defaultAcl: string | undefined;
  /** Takes the next word of the list (a table or a DNSBL domain), if there is one. */
  next(): string | undefined;
}

type Restriction = (step: Step) => CheckStatus | Promise<CheckStatus>;

const dunno = (): CheckStatus => 'dunno';

/** The word after a map restriction; a missing one is a configuration error. */
function tableWord(step: Step, name: string): string {
  const word = step.next();
  if (word === undefined) {
    step.run.env.log.warn(`restriction ${name} requires a table name argument`);
    step.run.serverError();
  }
  return word;
}

function domainWord(step: Step, name: string): string | undefined {
  const word = step.next();
  if (word === undefined) step.run.env.log.warn(`restriction ${name} requires domain name argument`);
  return word;
}

const helo = (step: Step): string | undefined => step.run.names.helo;
const sender = (step: Step): string | undefined => step.run.names.sender;
const recipient = (step: Step): string | undefined => step.run.names.recipient;

/** HELO checks treat "[address]" as an address literal. */
function heloCheck(step: Step, check: (run: CheckRun, name: string, replyName: string, replyClass: string) => CheckStatus | Promise<CheckStatus>): CheckStatus | Promise<CheckStatus> {
  const name = helo(step);
  if (name === undefined) return 'dunno';
  if (name.startsWith('[')) return rejectInvalidHostAddress(step.run, name, name, HELO_CLASS);
  return check(step.run, name, name, HELO_CLASS);
}

const RESTRICTIONS: Readonly<Record<string, Restriction>> = {
  permit: () => 'ok',
  reject: (step) => step.run.reject(step.run.settings.codes.reject, '5.7.1', `<${step.replyName}>: ${step.replyClass} rejected: Access denied`),
  defer: (step) => step.run.reject(step.run.settings.codes.defer, '4.3.2', `<${step.replyName}>: ${step.replyClass} rejected: Try again later`),
  defer_if_permit: (step) => step.run.deferIf('permit', 450, '4.7.0', `<${step.replyName}>: ${step.replyClass} rejected: defer_if_permit requested`),
  defer_if_reject: (step) => step.run.deferIf('reject', 450, '4.7.0', `<${step.replyName}>: ${step.replyClass} rejected: defer_if_reject requested`),
  reject_unauth_pipelining: (step) => rejectUnauthPipelining(step.run, step.replyName, step.replyClass),
  reject_plaintext_session: (step) => step.run.reject(step.run.settings.codes.plaintext, '4.7.1', 'Session encryption is required'),
  reject_unknown_client_hostname: (step) => rejectUnknownClient(step.run),
  reject_unknown_client: (step) => rejectUnknownClient(step.run),
  reject_unknown_reverse_client_hostname: (step) => rejectUnknownReverseClient(step.run),
  permit_mynetworks: (step) => permitMynetworks(step.run),
  permit_inet_interfaces: (step) => (step.run.env.tables.interfaceAddresses.includes(step.run.session.client.address) ? 'ok' : 'dunno'),
  permit_sasl_authenticated: (step) => permitSaslAuthenticated(step.run),
  check_policy_service: (step) => {
    const server = step.next();
    if (server === undefined || !server.includes(':')) {
      step.run.env.log.warn('restriction check_policy_service must be followed by transport:server');
      return step.run.serverError();
    }
    return checkPolicyService(step.run, server, step.replyName, step.replyClass, step.defaultAcl, evaluateList);
  },
  reject_sender_login_mismatch: (step) => senderLoginMismatch(step.run, 'reject_sender_login_mismatch', 'both'),
  reject_authenticated_sender_login_mismatch: (step) => senderLoginMismatch(step.run, 'reject_authenticated_sender_login_mismatch', 'authenticated'),
  reject_known_sender_login_mismatch: (step) => senderLoginMismatch(step.run, 'reject_known_sender_login_mismatch', 'known'),
  reject_unauthenticated_sender_login_mismatch: (step) => senderLoginMismatch(step.run, 'reject_unauthenticated_sender_login_mismatch', 'unauthenticated'),
  permit_tls_clientcerts: dunno,
  permit_tls_all_clientcerts: dunno,
  check_client_access: (step) => {
    const table = tableWord(step, 'check_client_access');
    const client = step.run.session.client;
    return clientAccess(step.run, table, client.name, client.address, step.run.session.namaddr, CLIENT_CLASS, step.defaultAcl, evaluateList);
  },
  check_reverse_client_access: (step) => {
    const table = tableWord(step, 'check_reverse_client_access');
    const client = step.run.session.client;
    return clientAccess(step.run, table, client.reverseName, client.address, client.reverseName, 'Unverified Client host', step.defaultAcl, evaluateList);
  },
  reject_rbl_client: (step) => {
    const domain = domainWord(step, 'reject_rbl_client');
    return domain === undefined ? 'dunno' : rejectRblAddress(step.run, domain, step.run.session.client.address, CLIENT_CLASS);
  },
  reject_rhsbl_client: (step) => {
    const domain = domainWord(step, 'reject_rhsbl_client');
    const name = step.run.session.client.name;
    return domain === undefined || name === 'unknown' ? 'dunno' : rejectRblDomain(step.run, domain, name, CLIENT_CLASS);
  },
  reject_rhsbl_reverse_client: (step) => {
    const domain = domainWord(step, 'reject_rhsbl_reverse_client');
    const name = step.run.session.client.reverseName;
    return domain === undefined || name === 'unknown' ? 'dunno' : rejectRblDomain(step.run, domain, name, 'Unverified Client host');
  },
  check_helo_access: (step) => {
    const table = tableWord(step, 'check_helo_access');
    const name = helo(step);
    return name === undefined ? 'dunno' : nameAccess(step.run, table, name, HELO_CLASS, step.defaultAcl, evaluateList);
  },
  reject_invalid_helo_hostname: (step) => heloCheck(step, rejectInvalidHostname),
  reject_invalid_hostname: (step) => heloCheck(step, rejectInvalidHostname),
  reject_non_fqdn_helo_hostname: (step) => heloCheck(step, rejectNonFqdnHostname),
  reject_non_fqdn_hostname: (step) => heloCheck(step, rejectNonFqdnHostname),
  reject_unknown_helo_hostname: (step) => heloCheck(step, rejectUnknownHostname),
  reject_unknown_hostname: (step) => heloCheck(step, rejectUnknownHostname),
  reject_rhsbl_helo: (step) => {
    const domain = domainWord(step, 'reject_rhsbl_helo');
    const name = helo(step);
    return domain === undefined || name === undefined ? 'dunno' : rejectRblDomain(step.run, domain, name, HELO_CLASS);
  },
  check_sender_access: (step) => {
    const table = tableWord(step, 'check_sender_access');
    const address = sender(step);
    if (address === undefined) return 'dunno';
    if (address === '') return exactAccess(step.run, table, step.run.settings.nullAccessLookupKey, address, SENDER_CLASS, step.defaultAcl, evaluateList);
    return mailAccess(step.run, table, address, SENDER_CLASS, step.defaultAcl, evaluateList);
  },
  reject_unknown_sender_domain: (step) => {
    const address = sender(step);
    return address ? rejectUnknownAddress(step.run, address, SENDER_CLASS) : 'dunno';
  },
  reject_unknown_address: (step) => {
    const address = sender(step);
    return address ? rejectUnknownAddress(step.run, address, SENDER_CLASS) : 'dunno';
  },
  reject_non_fqdn_sender: (step) => {
    const address = sender(step);
    return address ? rejectNonFqdnAddress(step.run, address, SENDER_CLASS) : 'dunno';
  },
  reject_unlisted_sender: (step) => {
    const address = sender(step);
    return address ? rejectUnlistedSender(step.run, address) : 'dunno';
  },
  reject_rhsbl_sender: (step) => {
    const domain = domainWord(step, 'reject_rhsbl_sender');
    const address = sender(step);
    return domain === undefined || !address ? 'dunno' : rejectRblDomain(step.run, domain, address, SENDER_CLASS);
  },
  check_recipient_access: (step) => {
    const table = tableWord(step, 'check_recipient_access');
    const address = recipient(step);
    return address === undefined ? 'dunno' : mailAccess(step.run, table, address, RECIPIENT_CLASS, step.defaultAcl, evaluateList);
  },
  permit_auth_destination: (step) => {
    const address = recipient(step);
    return address === undefined ? 'dunno' : permitAuthDestination(step.run, address);
  },
  reject_unauth_destination: (step) => {
    const address = recipient(step);
    return address === undefined ? 'dunno' : rejectUnauthDestination(step.run, address, step.run.settings.codes.relayDomainsReject, '5.7.1');
  },
  defer_unauth_destination: (step) => {
    const address = recipient(step);
    return address === undefined ? 'dunno' : rejectUnauthDestination(step.run, address, step.run.settings.codes.relayDomainsReject - 100, '4.7.1');
  },
  reject_unknown_recipient_domain: (step) => {
    const address = recipient(step);
    return address === undefined ? 'dunno' : rejectUnknownAddress(step.run, address, RECIPIENT_CLASS);
  },
  reject_non_fqdn_recipient: (step) => {
    const address = recipient(step);
    return address === undefined ? 'dunno' : rejectNonFqdnAddress(step.run, address, RECIPIENT_CLASS);
  },
  reject_unlisted_recipient: (step) => {
    const address = recipient(step);
    return address ? rejectUnlistedRecipient(step.run, address) : 'dunno';
  },
  check_recipient_maps: (step) => {
    const address = recipient(step);
    return address ? rejectUnlistedRecipient(step.run, address) : 'dunno';
  },
  reject_rhsbl_recipient: (step) => {
    const domain = domainWord(step, 'reject_rhsbl_recipient');
    const address = recipient(step);
    return domain === undefined || !address ? 'dunno' : rejectRblDomain(step.run, domain, address, RECIPIENT_CLASS);
  },
  reject_multi_recipient_bounce: (step) => {
    const transaction = step.run.session.transaction;
    const count = transaction?.recipientCount ?? 0;
    if (step.run.names.sender !== '' || count <= (step.run.session.where === 'RCPT' ? 0 : 1)) return 'dunno';
    return step.run.reject(step.run.settings.codes.multiRecipientBounce, '5.5.3', `<${step.replyName}>: ${step.replyClass} rejected: Multi-recipient bounce`);
  },
  check_etrn_access: (step) => {
    const table = tableWord(step, 'check_etrn_access');
    const domain = step.run.names.etrnDomain;
    return domain === undefined ? 'dunno' : nameAccess(step.run, table, domain, ETRN_CLASS, step.defaultAcl, evaluateList);
  },
};

/** Restrictions that take the DNSBL domain after them although their names differ. */
const ALIASES: Readonly<Record<string, string>> = { reject_rbl: 'reject_rbl_client' };

/** generic_checks(). */
export async function evaluateList(run: CheckRun, list: readonly string[], replyName: string, replyClass: string,
  defaultAcl: string | undefined): Promise<CheckStatus> {
  const savedRecursion = run.recursion++;
  let status: CheckStatus = 'dunno';
  let index = 0;
  const step: Step = {
    run, replyName, replyClass, defaultAcl,
    next: () => (index + 1 < list.length ? list[++index] : undefined),
  };
  for (; index < list.length; index++) {
    if (run.discard) break;
    let name = (list[index] as string).toLowerCase();
    if (name === 'warn_if_reject') {
      if (run.warnIfReject === 0) run.warnIfReject = run.recursion;
      continue;
    }
    if (name.includes(':')) {
      if (defaultAcl === undefined) {
        run.env.log.warn(`specify one of (check_client_access, check_reverse_client_access, check_helo_access, check_sender_access, check_recipient_access, check_etrn_access) before ${replyClass} restriction "${list[index]}"`);
        run.serverError();
      }
      name = defaultAcl;
      index -= 1;
    }
    const restriction = RESTRICTIONS[ALIASES[name] ?? name];
    const restrictionClass = run.env.tables.classes.get(list[index] ?? '');
    if (restriction !== undefined) {
      status = await restriction(step);
    } else if (restrictionClass !== undefined) {
      status = await evaluateList(run, restrictionClass, replyName, replyClass, defaultAcl);
    } else {
      run.env.log.warn(`unknown smtpd restriction: "${list[index]}"`);
      run.serverError();
    }
    if (run.warnIfReject >= run.recursion) run.warnIfReject = 0;
    if (status !== 'dunno') break;
    if (run.deferIfPermit !== undefined && run.deferIfReject !== undefined) break;
  }
  run.recursion = savedRecursion;
  if (run.warnIfReject >= run.recursion) run.warnIfReject = 0;
  return status;
}
