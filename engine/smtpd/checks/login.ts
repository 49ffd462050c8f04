// permit_sasl_authenticated and the sender login checks: smtpd_sender_login_maps says which
// SASL login names own a sender address (lookup in virtual(5) order: user@domain, user,
// @domain; the value is a list of logins, comma or space separated).
// reject_authenticated_sender_login_mismatch refuses a logged-in client that does not own
// the sender ("553 5.7.1 <a@b>: Sender address rejected: not owned by user alice");
// reject_known_sender_login_mismatch only when the address has an owner;
// reject_unauthenticated_sender_login_mismatch refuses a client that did not log in when
// the address has an owner ("... not logged in"); reject_sender_login_mismatch is the
// first and the third.
// Called by the restriction evaluator (generic.ts). Models permit_sasl_auth()
// (smtpd_sasl_proto.c), reject_auth_sender_login_mismatch() and
// reject_unauth_sender_login_mismatch() (smtpd_check.c).

import { virtualOrder } from '../../global/maps/lookup-order.ts';
import { MapError } from '../../global/maps/index.ts';
import type { CheckRun, CheckStatus } from './run.ts';

/** Owners listed per address, and names per list, past which the rest is ignored. */
export const LOGIN_OWNERS_MAX = 1000;

export function permitSaslAuthenticated(run: CheckRun): CheckStatus {
  const method = run.session.saslMethod;
  return method !== undefined && method.toLowerCase() !== 'anonymous' ? 'ok' : 'dunno';
}

/** The owners of a sender address, undefined when it has none. */
async function owners(run: CheckRun, sender: string): Promise<string[] | undefined> {
  const maps = run.env.security?.senderLoginMaps ?? [];
  if (maps.length === 0) return undefined;
  const resolved = await run.env.resolver.resolve(run.names.recipient, sender);
  if (resolved.fail) run.dictRetry(sender);
  try {
    const hit = await virtualOrder(maps, resolved.recipient, { recipientDelimiter: run.settings.recipientDelimiter });
    return hit === undefined ? undefined : hit.value.split(/[\s,]+/).filter((name) => name !== '').slice(0, LOGIN_OWNERS_MAX);
  } catch (error) {
    if (error instanceof MapError) run.dictRetry(sender);
    throw error;
  }
}

export type LoginCheck = 'authenticated' | 'known' | 'unauthenticated' | 'both';

async function authenticatedMismatch(run: CheckRun, sender: string, allowUnknown: boolean): Promise<CheckStatus> {
  const username = run.session.saslUsername as string;
  const list = await owners(run, sender);
  if (list === undefined && allowUnknown) return 'dunno';
  if (list !== undefined && list.some((name) => name.toLowerCase() === username.toLowerCase())) return 'dunno';
  if (list === undefined && (run.env.security?.senderLoginMaps.length ?? 0) === 0) return 'dunno';
  return run.reject(553, '5.7.1', `<${sender}>: Sender address rejected: not owned by user ${username}`);
}

async function unauthenticatedMismatch(run: CheckRun, sender: string): Promise<CheckStatus> {
  if (await owners(run, sender) === undefined) return 'dunno';
  return run.reject(553, '5.7.1', `<${sender}>: Sender address rejected: not logged in`);
}

/** One of the sender login restrictions; a no-op (with Postfix's warning) without SASL. */
export async function senderLoginMismatch(run: CheckRun, name: string, check: LoginCheck): Promise<CheckStatus> {
  if (run.env.security?.sasl.enabled !== true) {
    run.env.log.warn(`restriction \`${name}' ignored: no SASL support`);
    return 'dunno';
  }
  const sender = run.names.sender;
  if (!sender) return 'dunno';
  const loggedIn = run.session.saslUsername !== undefined;
  if (check === 'authenticated') return loggedIn ? authenticatedMismatch(run, sender, false) : 'dunno';
  if (check === 'unauthenticated') return loggedIn ? 'dunno' : unauthenticatedMismatch(run, sender);
  if (loggedIn) return authenticatedMismatch(run, sender, check === 'known');
  return unauthenticatedMismatch(run, sender);
}
