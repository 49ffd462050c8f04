// smtpd's side of anvil(8): at connect the client is counted in (and refused with "421
// 4.7.0 HOST Error: too many connections from ADDR" past smtpd_client_connection_count_limit
// or _connection_rate_limit), MAIL, RCPT and AUTH are counted against
// smtpd_client_message_rate_limit, _recipient_rate_limit and _auth_rate_limit ("450 4.7.1
// Error: too much mail from ADDR", ...), and the client is counted out at the end. Clients
// in smtpd_client_event_limit_exceptions ($mynetworks by default) are not counted, nor is
// anything when master runs no anvil service. Each refusal logs Postfix's warning
// ("Connection rate limit exceeded: 3 from NAME[ADDR] for service smtp").
// Called by the protocol core (api.ts greet/finish, commands-mail.ts, auth.ts).
// Models the anvil_clnt_*() calls of src/smtpd/smtpd.c.

import type { AnvilEndpoint } from '../anvil/api.ts';
import type { SmtpdProtocol } from './api.ts';
import { replies, type Reply } from './replies.ts';

/** The anvil to use for this client, or undefined (no anvil, or an exempt client). */
function anvilFor(protocol: SmtpdProtocol): AnvilEndpoint | undefined {
  const security = protocol.env.security;
  if (security === undefined || !protocol.session.anvilConnected) return undefined;
  return security.anvil();
}

/** At CONNECT, before the greeting: false when the client was refused (421 sent). */
export async function connectLimits(protocol: SmtpdProtocol): Promise<boolean> {
  const security = protocol.env.security;
  const session = protocol.session;
  const client = session.client;
  if (security === undefined) return true;
  session.saslExcepted = !security.sasl.exceptions.isEmpty
    && await security.sasl.exceptions.match(client.name, client.address).catch(() => false);
  const anvil = security.anvil();
  if (anvil === undefined) return true;
  // A table that fails in the exception list counts the client in, as Postfix's
  // namadr_list_match() error does not match.
  const exempt = await security.limits.exceptions.match(client.name, client.address).catch(() => false);
  if (exempt) return true;
  const counts = await anvil.connect(security.serviceName, client.address);
  session.anvilConnected = true;
  const limits = security.limits;
  const myhostname = protocol.settings.myhostname;
  if (limits.connectionCount > 0 && counts.count > limits.connectionCount) {
    protocol.env.log.warn(`Connection concurrency limit exceeded: ${counts.count} from ${session.namaddr} for service ${security.serviceName}`);
    await protocol.reply(replies.tooManyConnections(myhostname, client.address));
    return false;
  }
  if (limits.connectionRate > 0 && counts.rate > limits.connectionRate) {
    protocol.env.log.warn(`Connection rate limit exceeded: ${counts.rate} from ${session.namaddr} for service ${security.serviceName}`);
    await protocol.reply(replies.tooManyConnections(myhostname, client.address));
    return false;
  }
  return true;
}

/** At the end of the session. */
export function disconnectLimits(protocol: SmtpdProtocol): void {
  const anvil = anvilFor(protocol);
  if (anvil === undefined) return;
  anvil.disconnect(protocol.env.security?.serviceName ?? '', protocol.session.client.address);
  protocol.session.anvilConnected = false;
}

type EventName = 'mail' | 'recipient' | 'auth';

const EVENTS: Readonly<Record<EventName, { limit: 'messageRate' | 'recipientRate' | 'authRate'; warning: string; reply: (address: string) => Reply }>> = {
  mail: { limit: 'messageRate', warning: 'Message delivery request rate limit exceeded', reply: replies.tooMuchMail },
  recipient: { limit: 'recipientRate', warning: 'Recipient address rate limit exceeded', reply: replies.tooManyRecipientsFrom },
  auth: { limit: 'authRate', warning: 'AUTH command rate limit exceeded', reply: replies.tooManyAuth },
};

/** MAIL, RCPT or AUTH: false when the rate is over its limit (450 sent). Nothing is counted
 *  when the limit is 0, as smtpd asks anvil only then. */
export async function eventLimit(protocol: SmtpdProtocol, event: EventName): Promise<boolean> {
  const security = protocol.env.security;
  const anvil = anvilFor(protocol);
  if (security === undefined || anvil === undefined) return true;
  const spec = EVENTS[event];
  const limit = security.limits[spec.limit];
  if (limit <= 0) return true;
  const address = protocol.session.client.address;
  const rate = await (event === 'mail' ? anvil.mail(security.serviceName, address)
    : event === 'recipient' ? anvil.recipient(security.serviceName, address)
      : anvil.auth(security.serviceName, address));
  if (rate <= limit) return true;
  protocol.env.log.warn(`${spec.warning}: ${rate} from ${protocol.session.namaddr} for service ${security.serviceName}`);
  await protocol.reply(spec.reply(address));
  return false;
}
