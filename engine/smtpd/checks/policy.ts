// check_policy_service: asks an external policy server (Postfix's SMTP access policy
// delegation) about the current stage and treats its "action=" as an access table result
// (OK, DUNNO, REJECT text, DEFER, 4xx/5xx text, HOLD, restriction names...). A server that
// cannot be reached or does not answer yields smtpd_policy_service_default_action ("451
// 4.3.5 Server configuration problem") after the warning "problem talking to server
// inet:127.0.0.1:9998: Connection refused".
// Called by the restriction evaluator (generic.ts). Models check_policy_service() in
// src/smtpd/smtpd_check.c.

import { tableResult, type ListEvaluator } from './access.ts';
import { PolicyClient } from './policy-client.ts';
import type { CheckRun, CheckStatus } from './run.ts';
import type { SmtpdSecurity } from '../security.ts';
import { describeTls, cipherBits } from '../starttls.ts';

/** Policy connections per environment (one per server name). */
const clients = new WeakMap<SmtpdSecurity, Map<string, PolicyClient>>();

/** Policy servers one environment keeps connections to. */
export const POLICY_SERVERS_MAX = 64;

function clientFor(run: CheckRun, server: string): PolicyClient | undefined {
  const { security, net, timers, clock } = run.env;
  if (security === undefined || net === undefined || timers === undefined || clock === undefined) return undefined;
  let pool = clients.get(security);
  if (pool === undefined) {
    pool = new Map();
    clients.set(security, pool);
  }
  let client = pool.get(server);
  if (client === undefined && pool.size < POLICY_SERVERS_MAX) {
    client = new PolicyClient(server, net, timers, clock, security.policy);
    pool.set(server, client);
  }
  return client;
}

/** The request attributes, in Postfix 3.7's order. */
export function policyAttributes(run: CheckRun): [string, string][] {
  const session = run.session;
  const client = session.client;
  const transaction = session.transaction;
  const where = session.where;
  const counted = where === 'DATA' || where === 'END-OF-MESSAGE';
  const tls = session.tls;
  const policy = run.env.security?.policy;
  const mailCount = session.counts.get('mail')?.total ?? 0;
  const sessionNumbers = session.sessionId.split('/').slice(-2).map((part) => (Number.parseInt(part, 10) || 0).toString(16));
  return [
    ['request', 'smtpd_access_policy'],
    ['protocol_state', where],
    ['protocol_name', session.protocol],
    ['client_address', client.address],
    ['client_name', client.name],
    ['client_port', String(client.port)],
    ['reverse_client_name', client.reverseName],
    ['server_address', ''],
    ['server_port', ''],
    ['helo_name', run.names.helo ?? ''],
    ['sender', run.names.sender ?? ''],
    ['recipient', run.names.recipient ?? ''],
    ['recipient_count', String(counted ? transaction?.recipientCount ?? 0 : 0)],
    ['queue_id', transaction?.queueId ?? ''],
    ['instance', `${sessionNumbers.join('.')}.${mailCount.toString(16)}`],
    ['size', String(where === 'END-OF-MESSAGE' ? transaction?.actualSize ?? 0 : session.declaredSize)],
    ['etrn_domain', run.names.etrnDomain ?? ''],
    ['stress', ''],
    ['sasl_method', session.saslMethod ?? ''],
    ['sasl_username', session.saslUsername ?? ''],
    ['sasl_sender', transaction?.saslSender ?? ''],
    ['ccert_subject', ''],
    ['ccert_issuer', ''],
    ['ccert_fingerprint', ''],
    ['ccert_pubkey_fingerprint', ''],
    ['encryption_protocol', tls?.protocol ?? ''],
    ['encryption_cipher', tls?.cipher ?? ''],
    ['encryption_keysize', tls === undefined ? '0' : String(cipherBits(tls.cipher))],
    ['policy_context', policy?.policyContext ?? ''],
    ['compatibility_level', policy?.compatibilityLevel ?? ''],
    ['mail_version', '3.7.11'],
  ];
}

export async function checkPolicyService(run: CheckRun, server: string, replyName: string, replyClass: string,
  defaultAcl: string | undefined, evaluate: ListEvaluator): Promise<CheckStatus> {
  const client = clientFor(run, server);
  const defaultAction = run.env.security?.policy.defaultAction ?? '451 4.3.5 Server configuration problem';
  const answer = client === undefined ? { error: 'no network' } : await client.query(policyAttributes(run));
  if ('error' in answer) {
    run.env.log.warn(`problem talking to server ${server}: ${answer.error}`);
    return tableResult(run, server, defaultAction, 'policy query', replyName, replyClass, defaultAcl, evaluate);
  }
  return tableResult(run, server, answer.action, 'policy query', replyName, replyClass, defaultAcl, evaluate);
}

export { describeTls };
