// Relay control: permit_mynetworks (the client is in $mynetworks), permit_auth_destination
// (the recipient resolves to a class this host delivers or relays for: local, virtual alias,
// virtual mailbox, relay_domains), reject_unauth_destination / defer_unauth_destination
// ("Relay access denied" with relay_domains_reject_code, or that code - 100), and
// reject_unauth_pipelining. A recipient whose local part still routes elsewhere (%, !, @)
// is not an authorized destination unless allow_untrusted_routing says so.
// Called by generic.ts. Models permit_mynetworks(), permit_auth_destination(),
// reject_unauth_destination() and reject_unauth_pipelining() in src/smtpd/smtpd_check.c.

import { MapError } from '../../global/maps/index.ts';
import type { CheckRun, CheckStatus } from './run.ts';

export async function permitMynetworks(run: CheckRun): Promise<CheckStatus> {
  const client = run.session.client;
  try {
    return await run.env.tables.mynetworks.match(client.name, client.address) ? 'ok' : 'dunno';
  } catch (error) {
    if (error instanceof MapError) run.dictRetry(run.session.namaddr);
    throw error;
  }
}

export async function permitAuthDestination(run: CheckRun, recipient: string): Promise<CheckStatus> {
  const resolved = await run.env.resolver.resolve(run.names.sender, recipient);
  if (resolved.fail) run.dictRetry(recipient);
  if (!resolved.recipient.includes('@')) return 'ok';
  if (!run.settings.allowUntrustedRouting && resolved.routed) return 'dunno';
  if (resolved.final || resolved.addressClass === 'relay') return 'ok';
  return 'dunno';
}

export async function rejectUnauthDestination(run: CheckRun, recipient: string, code: number, dsn: string): Promise<CheckStatus> {
  if (await permitAuthDestination(run, recipient) === 'ok') return 'dunno';
  return run.reject(code, dsn, `<${recipient}>: Relay access denied`);
}

export function rejectUnauthPipelining(run: CheckRun, replyName: string, replyClass: string): CheckStatus {
  if (!run.session.illegalPipelining) return 'dunno';
  return run.reject(503, '5.5.0', `<${replyName}>: ${replyClass} rejected: Improper use of SMTP command pipelining`);
}
