// One connection to one server and what the handshake learned about it: the names used
// in log lines (host[addr], host[addr]:port), the ESMTP features the server announced
// (minus smtp_discard_ehlo_keywords), its SIZE limit, and how often it has been used.
// Called by api.ts (connect) and protocol.ts. Trusts the platform's Network.
// Models SMTP_SESSION (src/smtp/smtp_session.c) and smtp_connect_addr()/smtp_connect_sock()
// in src/smtp/smtp_connect.c.

import type { Connection, TlsInfo } from '../platform/types.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import type { ServiceContext } from '../master/contracts.ts';
import { ClientStream } from './stream.ts';
import type { ClientSettings } from './settings.ts';

export type Feature = 'esmtp' | 'pipelining' | 'size' | '8bitmime' | 'dsn' | 'smtputf8' | 'starttls' | 'auth' | 'bestMx';

export class ClientSession {
  readonly features = new Set<Feature>();
  sizeLimit = 0;
  reuseCount = 0;
  /** When the connection was made (smtp_connection_reuse_time_limit counts from it). */
  connectedMs = 0;
  /** The server refused RSET (SMTP_FEATURE_RSET_REJECTED): the session is not reused. */
  rsetRejected = false;
  /** The name the server gave in its EHLO reply. */
  heloName: string | undefined;
  /** STARTTLS completed (security.ts). */
  tls: TlsInfo | undefined;
  /** The mechanisms of the EHLO reply's AUTH (or AUTH=) line. */
  saslMechanisms: string[] = [];
  constructor(
    readonly stream: ClientStream,
    readonly hostName: string,
    readonly address: string,
    readonly port: number,
  ) {}
  get namaddr(): string { return `${this.hostName}[${this.address}]`; }
  get namaddrport(): string { return `${this.namaddr}:${this.port}`; }
  has(feature: Feature): boolean { return this.features.has(feature); }
}

export interface ConnectTarget {
  nexthop: string;
  hostName: string;
  address: string;
  port: number;
}

/** Connects within smtp_connect_timeout; on failure returns the reason text with its DSN
 *  ("connect to host[addr]:port: Connection refused", 4.4.1). */
export async function connectServer(context: ServiceContext, settings: ClientSettings, target: ConnectTarget, queueId: string):
  Promise<ClientSession | { dsn: string; reason: string }> {
  const platform = context.host.platform;
  const timeoutMs = settings.timeouts.connectSeconds * 1000;
  const bind = settings.bindAddress.replace(/^\[|\]$/g, '');
  const label = `${target.hostName}[${target.address}]:${target.port}`;
  let connection: Connection;
  try {
    connection = await withTimeout(context, platform.net.connect(target.address, target.port, {
      ...(timeoutMs > 0 ? { timeoutMs } : {}), ...(bind !== '' ? { localAddress: bind } : {}),
    }), timeoutMs);
  } catch (error) {
    const code = error instanceof PlatformError ? error.code : 'EIO';
    const text = code === 'ETIMEDOUT' ? 'Connection timed out' : describeCode(code);
    context.trace({ kind: 'smtp-client.connect', queueId, nexthop: target.nexthop, hostName: target.hostName,
      address: target.address, port: target.port, ok: false, error: text });
    return { dsn: '4.4.1', reason: `connect to ${label}: ${text}` };
  }
  context.trace({ kind: 'smtp-client.connect', queueId, nexthop: target.nexthop, hostName: target.hostName,
    address: target.address, port: target.port, ok: true });
  const stream = new ClientStream(connection, platform.timers, context, label, settings.replyLineLimit, queueId);
  const session = new ClientSession(stream, target.hostName, target.address, target.port);
  session.connectedMs = platform.clock.nowMs();
  return session;
}

/** Races a connect against the timer; a late connection is closed at once. */
function withTimeout(context: ServiceContext, pending: Promise<Connection>, timeoutMs: number): Promise<Connection> {
  if (timeoutMs <= 0) return pending;
  return new Promise<Connection>((resolve, reject) => {
    let settled = false;
    const cancel = context.host.platform.timers.after(timeoutMs, () => {
      if (settled) return;
      settled = true;
      reject(new PlatformError('ETIMEDOUT', 'connect'));
    });
    pending.then((connection) => {
      if (settled) { connection.destroy(); return; }
      settled = true;
      cancel();
      resolve(connection);
    }, (error: unknown) => {
      if (settled) return;
      settled = true;
      cancel();
      reject(error);
    });
  });
}
