// SMTP AUTH in smtpd (RFC 4954) with mtalab's own SASL (engine/global/sasl): PLAIN and
// LOGIN checked against mtalab_sasl_password_maps. AUTH is active when
// smtpd_sasl_auth_enable is on and, with smtpd_tls_auth_only (or TLS enforced), once the
// session is encrypted; EHLO then announces "AUTH PLAIN LOGIN" (and "AUTH=PLAIN LOGIN"
// for broken_sasl_auth_clients) unless smtpd_sasl_exceptions_networks lists the client.
// The dialog: "334 challenge" lines, "*" aborts, a too long answer is refused, success is
// "235 2.7.0 Authentication successful", failure "535 5.7.8 Error: authentication failed:
// REASON" with the warning "NAME[ADDR]: SASL PLAIN authentication failed: REASON,
// sasl_username=USER". The login then shows on the "ID: client=..., sasl_method=PLAIN,
// sasl_username=alice" line and permits permit_sasl_authenticated.
// Called through the command table (commands.ts), by ehloKeywords and mail parameters.
// Models smtpd_sasl_auth_cmd() (smtpd_sasl_proto.c) and smtpd_sasl_authenticate()
// (smtpd_sasl_glue.c).

import { offeredMechanisms, startServerExchange, SASL_REASONS, type SaslStep } from '../global/sasl/server.ts';
import type { SmtpdProtocol } from './api.ts';
import { eventLimit } from './limits.ts';
import { replies } from './replies.ts';
import type { Session } from './session.ts';
import type { Word } from './tokens.ts';

/** Challenge/response rounds one AUTH may take. */
export const AUTH_ROUNDS_MAX = 10;

/** smtpd_sasl_is_active(): SASL is switched on for this session now. */
export function saslActive(protocol: SmtpdProtocol): boolean {
  const security = protocol.env.security;
  if (security === undefined || !security.sasl.enabled) return false;
  return protocol.session.tls !== undefined || !security.tls.authOnly;
}

/** The mechanisms on offer for this session (the security options for its encryption). */
export function sessionMechanisms(protocol: SmtpdProtocol): string[] {
  const sasl = protocol.env.security?.sasl;
  if (sasl === undefined) return [];
  const encrypted = protocol.session.tls !== undefined;
  return offeredMechanisms(encrypted ? sasl.tlsSecurityOptions : sasl.securityOptions, encrypted);
}

/** EHLO's AUTH lines ("AUTH PLAIN LOGIN", and "AUTH=PLAIN LOGIN" for broken clients). */
export function authEhloKeywords(protocol: SmtpdProtocol): string[] {
  const session = protocol.session;
  if (session.discardedEhloKeywords.has('auth') || !saslActive(protocol) || session.saslExcepted) return [];
  const mechanisms = sessionMechanisms(protocol);
  if (mechanisms.length === 0) return [];
  const list = mechanisms.join(' ');
  return protocol.env.security?.sasl.brokenClients === true ? [`AUTH ${list}`, `AUTH=${list}`] : [`AUTH ${list}`];
}

/** The ", sasl_method=PLAIN, sasl_username=alice, sasl_sender=x" fields of a session. */
export function saslLogFields(session: Session): { saslMethod?: string; saslUsername?: string; saslSender?: string } {
  const sender = session.transaction?.saslSender;
  return {
    ...(session.saslMethod === undefined ? {} : { saslMethod: session.saslMethod }),
    ...(session.saslUsername === undefined ? {} : { saslUsername: session.saslUsername }),
    ...(sender === undefined ? {} : { saslSender: sender }),
  };
}

/** smtpd_chat_query_limit(): one answer line, or undefined when it is longer than the limit. */
async function readAnswer(protocol: SmtpdProtocol, limit: number): Promise<string | undefined> {
  const line = await protocol.input.readLine(Math.max(1, limit), { skipRest: true });
  const text = new TextDecoder('latin1').decode(line.bytes);
  protocol.trace({ kind: 'smtpd.command', line: text });
  return line.ended ? text : undefined;
}

/** printable(): the name as kept and logged. */
const printableName = (text: string): string => text.replace(/[\x00-\x1f\x7f]/g, '?');

export async function authCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  const session = protocol.session;
  const security = protocol.env.security;
  if (!await eventLimit(protocol, 'auth')) return false;
  if (protocol.settings.heloRequired && session.heloName === undefined) {
    await protocol.reply(replies.needHelo);
    return false;
  }
  if (security === undefined || !saslActive(protocol) || session.discardedEhloKeywords.has('auth')) {
    await protocol.reply(replies.authNotEnabled);
    return false;
  }
  if (session.inTransaction) {
    await protocol.reply(replies.authInTransaction);
    return false;
  }
  if (security.tls.authOnly && session.tls === undefined) {
    await protocol.reply(replies.authEncryptionRequired);
    return false;
  }
  if (session.saslUsername !== undefined) {
    await protocol.reply(replies.alreadyAuthenticated);
    return false;
  }
  if (words.length < 2 || words.length > 3) {
    await protocol.reply(replies.authSyntax);
    return false;
  }
  const method = (words[1] as Word).text;
  const initial = words.length === 3 ? (words[2] as Word).text : undefined;
  const exchange = startServerExchange(method, sessionMechanisms(protocol), (user, password) => security.sasl.passwords.verify(user, password));
  let step: SaslStep = exchange === undefined ? { kind: 'fail', reason: SASL_REASONS.noMechanism, temporary: false } : await exchange.first(initial);
  for (let round = 0; step.kind === 'challenge' && exchange !== undefined; round++) {
    if (round >= AUTH_ROUNDS_MAX) {
      step = { kind: 'fail', reason: SASL_REASONS.badProtocol, temporary: false };
      break;
    }
    await protocol.reply(replies.authChallenge(step.challenge));
    const answer = await readAnswer(protocol, security.sasl.responseLimit);
    if (answer === undefined) {
      await protocol.reply(replies.authResponseLimit);
      return false;
    }
    if (answer === '*') {
      protocol.env.log.warn(`${session.namaddr}: SASL ${method} authentication aborted`);
      await protocol.reply(replies.authAborted);
      return false;
    }
    step = await exchange.next(answer);
  }
  if (step.kind === 'fail') {
    protocol.env.log.warn(`${session.namaddr}: SASL ${method.slice(0, 100)} authentication failed: ${step.reason}, sasl_username=${step.username === undefined ? '(unavailable)' : printableName(step.username).slice(0, 100)}`);
    await protocol.reply(step.temporary ? replies.authTemporaryFailure(step.reason) : replies.authFailed(step.reason));
    return false;
  }
  if (step.kind !== 'done') return false;
  await protocol.reply(replies.authOk);
  session.saslUsername = printableName(step.username);
  session.saslMethod = printableName(method);
  return true;
}
