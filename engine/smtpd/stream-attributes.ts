// The named attributes smtpd sends to cleanup with the envelope, in the order the real
// smtpd sends them, so that the queue file shows them record for record as Postfix's:
// ahead of the sender the queue id (log_ident), the rewriting context, the SASL login and
// the DSN envelope id and RET; after it the BODY= encoding, the client as log lines show it
// (log_*), and the client as it really is (client_name ... client_address_type).
// Called by openStream() in commands-mail.ts; pure functions of the session. qmgr reads
// log_client_name/log_client_address back for the delivery agents (pipe's $client_address),
// cleanup reads log_message_origin/log_protocol_name/log_helo_name for its action log lines.
// Models the attribute part of mail_open_stream() in src/smtpd/smtpd.c: the log_* attributes,
// log_ident and rewrite_context take what XFORWARD forwarded (FORWARD_*(), xforward.ts); the
// real client attributes do not (no XCLIENT: mtalab's smtpd refuses it).

import type { Session, Transaction } from './session.ts';
import { loggedClient, loggedIdent, loggedRewriteContext } from './xforward.ts';

/** One REC_TYPE_ATTR record: name and value. */
export type StreamAttribute = readonly [name: string, value: string];

/** What Postfix writes for a client or server attribute it does not know. */
const UNKNOWN = 'unknown';
/** Address families as the queue file spells them (Linux's AF_INET, AF_INET6, AF_UNSPEC). */
const ADDRESS_FAMILY = { inet: 2, inet6: 10, unspecified: 0 } as const;
/** The BODY= values as the encoding attribute stores them (mail_proto.h). */
const ENCODING_VALUE: Readonly<Record<'7bit' | '8bitmime', string>> = { '7bit': '7bit', '8bitmime': '8bit' };

const isIpv6 = (address: string): boolean => address.includes(':');

/** state->rfc_addr: an IPv6 address with its "IPv6:" prefix, as in a Received header. */
function rfcAddress(address: string): string {
  return isIpv6(address) ? `IPv6:${address}` : address;
}

function addressFamily(address: string): number {
  if (address === UNKNOWN || address === '') return ADDRESS_FAMILY.unspecified;
  return isIpv6(address) ? ADDRESS_FAMILY.inet6 : ADDRESS_FAMILY.inet;
}

/** The attributes sent before the sender record. */
export function attributesBeforeSender(session: Session, transaction: Transaction, queueId: string): StreamAttribute[] {
  const attributes: StreamAttribute[] = [
    ['log_ident', loggedIdent(session, queueId)],
    ['rewrite_context', loggedRewriteContext(session, transaction.rewriteContext)],
  ];
  if (session.saslMethod !== undefined) attributes.push(['sasl_method', session.saslMethod]);
  if (session.saslUsername !== undefined) attributes.push(['sasl_username', session.saslUsername]);
  if (transaction.saslSender !== undefined) attributes.push(['sasl_sender', transaction.saslSender]);
  if (transaction.dsnEnvelopeId !== undefined) attributes.push(['envelope_id', transaction.dsnEnvelopeId]);
  if (transaction.dsnReturn !== undefined) attributes.push(['ret_flags', transaction.dsnReturn === 'full' ? '1' : '2']);
  return attributes;
}

/** The attributes sent after the sender record: the encoding, then the client. */
export function attributesAfterSender(session: Session, transaction: Transaction): StreamAttribute[] {
  const client = session.client;
  const port = String(client.port);
  const attributes: StreamAttribute[] = [];
  if (transaction.encoding !== undefined) attributes.push(['encoding', ENCODING_VALUE[transaction.encoding]]);
  // As logs and XFORWARD show the client (all of them, "unknown" ones too): the one
  // XFORWARD named, if any (the one place where the forwarded client replaces the real one).
  const logged = loggedClient(session, {
    name: client.name, rfcAddress: rfcAddress(client.address), port, namaddr: session.namaddr,
    heloName: session.heloName, protocol: session.protocol,
  });
  attributes.push(
    ['log_client_name', logged.name],
    ['log_client_address', logged.rfcAddress],
    ['log_client_port', logged.port],
    ['log_message_origin', logged.namaddr],
  );
  if (logged.heloName !== undefined) attributes.push(['log_helo_name', logged.heloName]);
  attributes.push(['log_protocol_name', logged.protocol]);
  // The client as it is, for Milters after "postsuper -r".
  attributes.push(
    ['client_name', client.name],
    ['reverse_client_name', client.reverseName],
    ['client_address', client.address],
    ['client_port', port],
    ['server_address', client.serverAddress ?? UNKNOWN],
    ['server_port', client.serverPort === undefined ? UNKNOWN : String(client.serverPort)],
  );
  if (session.heloName !== undefined) attributes.push(['helo_name', session.heloName]);
  attributes.push(
    ['protocol_name', session.protocol],
    ['client_address_type', String(addressFamily(client.address))],
  );
  return attributes;
}
