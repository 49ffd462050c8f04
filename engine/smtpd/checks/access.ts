// Access tables (access(5)) as smtpd consults them: the lookup orders for a client (name
// and its parent domains, then the address and its shorter prefixes), a HELO name or
// domain, and an e-mail address (user@domain, domain, parents, user@), and what the value
// found means: OK/RELAY, REJECT [text], DEFER [text], DEFER_IF_PERMIT, DEFER_IF_REJECT,
// DUNNO, HOLD, DISCARD, FILTER, REDIRECT, BCC, WARN, INFO, "nnn text", a number (permit), or
// a restriction list that is evaluated in turn (restriction classes by name).
// Called by generic.ts for check_client_access, check_helo_access, check_sender_access,
// check_recipient_access, check_etrn_access and bare "type:name" entries.
// Models check_table_result(), check_access(), check_domain_access(), check_addr_access(),
// check_namadr_access() and check_mail_access() in src/smtpd/smtpd_check.c.

import { checkHostAddress } from '../../global/address/domain.ts';
import { accessOrder } from '../../global/maps/lookup-order.ts';
import { MapError, type LookupTable } from '../../global/maps/index.ts';
import { dsnSplit, smtpdDsnFix } from './dsn.ts';
import { CheckAbort, RESTRICTION_RECURSION_MAX, type CheckRun, type CheckStatus } from './run.ts';

/** Evaluates a restriction list found in a table (set by generic.ts to avoid a cycle). */
export type ListEvaluator = (run: CheckRun, list: string[], replyName: string, replyClass: string, defaultAcl: string | undefined) => Promise<CheckStatus>;

const SERVER_ERROR_VALUE = '451 4.3.5 Server configuration error';

/** The access table actions that need a message to act on (not at CONNECT/HELO/ETRN time). */
function canDelegate(run: CheckRun, table: string, action: string, replyClass: string): boolean {
  const where = run.session.where;
  if (where === 'CONNECT' || where === 'HELO' || where === 'EHLO' || where === 'ETRN' || where === 'VRFY') {
    run.env.log.warn(`access table ${table}: with ${where} restrictions, action ${action} is not supported for ${replyClass}`);
    return false;
  }
  return run.session.transaction !== undefined || run.names.sender !== undefined;
}

/** check_table_result(). */
export async function tableResult(run: CheckRun, table: string, value: string, datum: string,
  replyName: string, replyClass: string, defaultAcl: string | undefined, evaluate: ListEvaluator): Promise<CheckStatus> {
  const space = value.search(/[ \t]/);
  const command = space < 0 ? value : value.slice(0, space);
  const text = space < 0 ? '' : value.slice(space).replace(/^\s+/, '');
  const upper = command.toUpperCase();
  const transaction = run.session.transaction;
  switch (upper) {
    case 'DUNNO':
      return 'dunno';
    case 'REJECT': {
      const split = dsnSplit('5.7.1', text);
      return run.reject(run.settings.codes.accessMapReject, smtpdDsnFix(split.dsn, replyClass),
        `<${replyName}>: ${replyClass} rejected: ${split.text || 'Access denied'}`);
    }
    case 'DEFER': {
      const split = dsnSplit('4.7.1', text);
      return run.reject(run.settings.codes.accessMapDefer, smtpdDsnFix(split.dsn, replyClass),
        `<${replyName}>: ${replyClass} rejected: ${split.text || 'Access denied'}`);
    }
    case 'DEFER_IF_PERMIT': {
      const split = dsnSplit('4.7.1', text);
      return run.deferIf('permit', run.settings.codes.accessMapDefer, smtpdDsnFix(split.dsn, replyClass),
        `<${replyName}>: ${replyClass} rejected: ${split.text || 'Service unavailable'}`);
    }
    case 'DEFER_IF_REJECT': {
      const split = dsnSplit('4.7.1', text);
      return run.deferIf('reject', run.settings.codes.accessMapDefer, smtpdDsnFix(split.dsn, replyClass),
        `<${replyName}>: ${replyClass} rejected: ${split.text || 'Service unavailable'}`);
    }
    case 'INFO': case 'WARN':
      run.env.whatsup(run.session, run.names, upper.toLowerCase(), text);
      return 'dunno';
    case 'HOLD':
      if (!canDelegate(run, table, 'HOLD', replyClass) || transaction?.hold) return 'dunno';
      run.env.whatsup(run.session, run.names, 'hold', `<${replyName}>: ${replyClass} ${text || 'triggers HOLD action'}`);
      if (transaction) transaction.hold = true;
      return 'dunno';
    case 'DISCARD':
      if (!canDelegate(run, table, 'DISCARD', replyClass)) return 'dunno';
      run.env.whatsup(run.session, run.names, 'discard', `<${replyName}>: ${replyClass} ${text || 'triggers DISCARD action'}`);
      if (transaction) transaction.discard = true;
      run.discard = true;
      return 'ok';
    case 'FILTER': case 'REDIRECT': case 'BCC': {
      if (!canDelegate(run, table, upper, replyClass)) return 'dunno';
      const needs = upper === 'FILTER' ? ':' : '@';
      if (upper === 'FILTER' && text === '') {
        run.env.log.warn(`access table ${table} entry "${datum}" has FILTER entry without value`);
        return 'dunno';
      }
      if (!text.includes(needs)) {
        run.env.log.warn(`access table ${table} entry "${datum}" requires ${upper === 'FILTER' ? 'transport:destination' : 'user@domain target'}`);
        return 'dunno';
      }
      run.env.whatsup(run.session, run.names, upper.toLowerCase(), `<${replyName}>: ${replyClass} triggers ${upper} ${text}`);
      if (transaction && upper === 'FILTER') transaction.filter = text;
      if (transaction && upper === 'REDIRECT') transaction.redirect = text;
      if (transaction && upper === 'BCC') transaction.bcc.push(text);
      return 'dunno';
    }
    case 'PREPEND':
      return 'dunno';
    case 'OK': case 'RELAY':
      return 'ok';
    default:
      break;
  }
  if (/^\d+$/.test(value)) return 'ok';
  if (command.length === 3 && text !== '' && /^[45]\d\d$/.test(command)) {
    const split = dsnSplit(`${command[0]}.7.1`, text);
    return run.reject(Number(command), smtpdDsnFix(split.dsn, replyClass), `<${replyName}>: ${replyClass} rejected: ${split.text}`);
  }
  if (value.includes(':')) {
    run.env.log.warn(`access table ${table} has entry with lookup table: ${value}`);
    run.env.log.warn('do not specify lookup tables inside SMTPD access maps');
    run.env.log.warn('define a restriction class and specify its name instead.');
    run.serverError();
  }
  if (run.recursion > RESTRICTION_RECURSION_MAX) {
    run.env.log.warn(`access table ${table} entry ${value} causes unreasonable recursion`);
    run.serverError();
  }
  const list = value.split(/[\s,]+/).filter((word) => word !== '');
  if (list.length === 0) {
    run.env.log.warn(`access table ${table} entry ${value} has empty value`);
    return 'ok';
  }
  return evaluate(run, list, replyName, replyClass, defaultAcl);
}

function tableOf(run: CheckRun, spec: string): LookupTable | undefined {
  return run.env.tables.access.get(spec);
}

async function lookup(table: LookupTable, key: string): Promise<string | undefined | MapError> {
  try {
    return await table.lookup(key);
  } catch (error) {
    if (error instanceof MapError) return error;
    throw error;
  }
}

/** check_domain_access(): the name, then its parent domains (".parent" form unless
 *  parent_domain_matches_subdomains lists smtpd_access_maps). An address stops at itself. */
async function domainAccess(run: CheckRun, spec: string, domain: string, replyName: string, replyClass: string,
  defaultAcl: string | undefined, evaluate: ListEvaluator): Promise<{ status: CheckStatus; found: boolean }> {
  const table = tableOf(run, spec);
  if (table === undefined) return { status: await tableResult(run, spec, SERVER_ERROR_VALUE, domain, replyName, replyClass, defaultAcl, evaluate), found: true };
  const parentStyle = run.settings.parentDomainMatchesSubdomains.includes('smtpd_access_maps');
  const numeric = checkHostAddress(domain).ok;
  let name = domain;
  for (let step = 0; step < 128 && name !== ''; step++) {
    const value = await lookup(table, name);
    if (value instanceof MapError) return { status: await tableResult(run, spec, SERVER_ERROR_VALUE, domain, replyName, replyClass, defaultAcl, evaluate), found: true };
    if (value !== undefined) return { status: await tableResult(run, spec, value, domain, replyName, replyClass, defaultAcl, evaluate), found: true };
    if (numeric) break;
    const dot = name.indexOf('.', 1);
    if (dot < 0) break;
    name = parentStyle ? name.slice(dot + 1) : name.slice(dot);
  }
  return { status: 'dunno', found: false };
}

/** check_addr_access(): 1.2.3.4, 1.2.3, 1.2, 1 (or IPv6 by ':'). */
async function addressAccess(run: CheckRun, spec: string, address: string, replyName: string, replyClass: string,
  defaultAcl: string | undefined, evaluate: ListEvaluator): Promise<{ status: CheckStatus; found: boolean }> {
  const table = tableOf(run, spec);
  if (table === undefined) return { status: await tableResult(run, spec, SERVER_ERROR_VALUE, address, replyName, replyClass, defaultAcl, evaluate), found: true };
  const delimiter = address.includes(':') ? ':' : '.';
  let key = address;
  for (let step = 0; step < 40 && key !== ''; step++) {
    const value = await lookup(table, key);
    if (value instanceof MapError) return { status: await tableResult(run, spec, SERVER_ERROR_VALUE, address, replyName, replyClass, defaultAcl, evaluate), found: true };
    if (value !== undefined) return { status: await tableResult(run, spec, value, address, replyName, replyClass, defaultAcl, evaluate), found: true };
    const cut = key.lastIndexOf(delimiter);
    if (cut < 0) break;
    key = key.slice(0, cut);
  }
  return { status: 'dunno', found: false };
}

/** check_namadr_access(): client name (with parents), then client address (with prefixes). */
export async function clientAccess(run: CheckRun, spec: string, name: string, address: string, replyName: string,
  replyClass: string, defaultAcl: string | undefined, evaluate: ListEvaluator): Promise<CheckStatus> {
  const byName = await domainAccess(run, spec, name, replyName, replyClass, defaultAcl, evaluate);
  if (byName.status !== 'dunno' || byName.found) return byName.status;
  const byAddress = await addressAccess(run, spec, address, replyName, replyClass, defaultAcl, evaluate);
  return byAddress.status;
}

/** check_domain_access() for HELO and ETRN names. */
export async function nameAccess(run: CheckRun, spec: string, name: string, replyClass: string,
  defaultAcl: string | undefined, evaluate: ListEvaluator): Promise<CheckStatus> {
  return (await domainAccess(run, spec, name, name, replyClass, defaultAcl, evaluate)).status;
}

/** check_access(): one exact key (the null sender's "<>"). */
export async function exactAccess(run: CheckRun, spec: string, key: string, replyName: string, replyClass: string,
  defaultAcl: string | undefined, evaluate: ListEvaluator): Promise<CheckStatus> {
  const table = tableOf(run, spec);
  const value = table === undefined ? SERVER_ERROR_VALUE : await lookup(table, key);
  if (value === undefined) return 'dunno';
  return tableResult(run, spec, value instanceof MapError ? SERVER_ERROR_VALUE : value, key, replyName, replyClass, defaultAcl, evaluate);
}

/** check_mail_access(): the resolved address in access(5) order. A permit for a recipient
 *  whose local part still routes elsewhere (%, !, @) is not trusted. */
export async function mailAccess(run: CheckRun, spec: string, address: string, replyClass: string,
  defaultAcl: string | undefined, evaluate: ListEvaluator): Promise<CheckStatus> {
  const other = replyClass === 'Sender address' ? run.names.recipient : run.names.sender;
  const resolved = await run.env.resolver.resolve(other, address);
  if (resolved.fail) run.dictRetry(address);
  if (!resolved.recipient.includes('@')) {
    run.env.log.warn(`check_mail_access: no @domain in address: ${resolved.recipient}`);
    return 'dunno';
  }
  const table = tableOf(run, spec);
  if (table === undefined) return tableResult(run, spec, SERVER_ERROR_VALUE, resolved.recipient, address, replyClass, defaultAcl, evaluate);
  let hit;
  try {
    hit = await accessOrder([table], resolved.recipient, {
      recipientDelimiter: run.settings.recipientDelimiter,
      parentMatchesSubdomains: run.settings.parentDomainMatchesSubdomains.includes('smtpd_access_maps'),
    });
  } catch (error) {
    if (!(error instanceof MapError)) throw error;
    return tableResult(run, spec, SERVER_ERROR_VALUE, resolved.recipient, address, replyClass, defaultAcl, evaluate);
  }
  if (hit === undefined) return 'dunno';
  const status = await tableResult(run, spec, hit.value, resolved.recipient, address, replyClass, defaultAcl, evaluate);
  const suspicious = !run.settings.allowUntrustedRouting && resolved.routed && replyClass === 'Recipient address';
  return status === 'ok' && suspicious ? 'dunno' : status;
}

export { CheckAbort };
