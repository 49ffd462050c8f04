// The smtp/lmtp client's STARTTLS and SASL after the EHLO handshake. STARTTLS is sent when
// the server offers it and smtp_tls_security_level (or smtp_use_tls/smtp_enforce_tls) is
// "may" or stronger; after "220" the connection does the TLS handshake (node:tls, or the
// simulated one) and EHLO is sent again. "encrypt" and stronger levels defer when the server
// does not offer STARTTLS ("TLS is required, but was not offered by host NAME[ADDR]",
// 4.7.4) or refuses it; "verify"/"secure" also need a certificate that verifies. Then, with
// smtp_sasl_auth_enable and a smtp_sasl_password_maps entry for the server's host name or
// the nexthop ("[host]:port"), the client logs in with PLAIN or LOGIN; a refusal defers
// ("SASL authentication failed; server NAME[ADDR] said: 535 ...", 5xx softened by
// smtp_sasl_auth_soft_bounce). Without an entry it talks to the server as a stranger.
// Called by api.ts after handshake(). Models the TLS part of smtp_helo(), smtp_start_tls()
// (src/smtp/smtp_proto.c), smtp_sasl_helo_login() and smtp_sasl_authenticate()
// (smtp_sasl_proto.c, smtp_sasl_glue.c).

import { describeTls } from '../global/tls-summary.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { openLookupTable, type LookupTable } from '../global/maps/index.ts';
import { startClientExchange, CLIENT_STEPS_MAX } from '../global/sasl/client.ts';
import type { FileSystem, TlsInfo } from '../platform/types.ts';
import type { Reporter } from '../global/msg.ts';
import { checkFeatures, siteFail, streamFailure, type HandshakeInput } from './handshake.ts';
import { oneLine, type ServerReply } from './reply.ts';
import type { ClientSession } from './session.ts';
import { StreamError } from './stream.ts';

export type ClientTlsLevel = 'none' | 'may' | 'encrypt' | 'verify';

export interface ClientSecurity {
  tlsLevel: ClientTlsLevel;
  startTlsTimeoutSeconds: number;
  noteStartTlsOffer: boolean;
  saslEnabled: boolean;
  passwordMaps: LookupTable[];
  saslSecurityOptions: string[];
  saslTlsSecurityOptions: string[];
  mechanismFilter: string[];
  authSoftBounce: boolean;
}

const cache = new WeakMap<MainConfig, Promise<ClientSecurity>>();

function tlsLevel(config: MainConfig, prefix: string): ClientTlsLevel {
  const level = (config.get(`${prefix}_tls_security_level`) ?? '').trim().toLowerCase();
  if (level === '') {
    if (config.getBool(`${prefix}_enforce_tls`)) return 'encrypt';
    return config.getBool(`${prefix}_use_tls`) ? 'may' : 'none';
  }
  if (level === 'none' || level === 'may' || level === 'encrypt') return level;
  // dane and fingerprint need what this platform does not have; they are "encrypt" here,
  // verify and secure ask the TLS layer to verify the certificate.
  return level === 'verify' || level === 'secure' ? 'verify' : 'encrypt';
}

/** The client's security settings for a configuration (tables opened once per config). */
export function readClientSecurity(config: MainConfig, prefix: 'smtp' | 'lmtp', open: (spec: string) => Promise<LookupTable>): Promise<ClientSecurity> {
  let pending = cache.get(config);
  if (pending === undefined) {
    pending = (async () => {
      const saslEnabled = config.getBool(`${prefix}_sasl_auth_enable`);
      const passwordMaps: LookupTable[] = [];
      if (saslEnabled) {
        for (const spec of config.getList(`${prefix}_sasl_password_maps`).slice(0, 16)) {
          if (spec.includes(':')) passwordMaps.push(await open(spec));
        }
      }
      return {
        tlsLevel: tlsLevel(config, prefix),
        startTlsTimeoutSeconds: config.getTimeSeconds(`${prefix}_starttls_timeout`),
        noteStartTlsOffer: config.getBool(`${prefix}_tls_note_starttls_offer`),
        saslEnabled,
        passwordMaps,
        saslSecurityOptions: config.getList(`${prefix}_sasl_security_options`),
        saslTlsSecurityOptions: config.getList(`${prefix}_sasl_tls_security_options`),
        mechanismFilter: config.getList(`${prefix}_sasl_mechanism_filter`),
        authSoftBounce: config.getBool(`${prefix}_sasl_auth_soft_bounce`),
      };
    })();
    cache.set(config, pending);
  }
  return pending;
}

/** The table opener the client uses (daemons keep going with a table that fails). */
export function clientTableOpener(config: MainConfig, input: { fs: FileSystem; reporter: Reporter }): (spec: string) => Promise<LookupTable> {
  return (spec) => openLookupTable(spec, { fs: input.fs, reporter: input.reporter, cwd: config.configDirectory, allowSurrogate: true });
}

/** "Untrusted TLS connection established to host[addr]:25: TLSv1.3 with cipher ..." */
function logTls(input: HandshakeInput, security: ClientSecurity, info: TlsInfo): void {
  const trust = info.peerVerified && security.tlsLevel === 'verify' ? 'Verified' : info.peerVerified ? 'Trusted' : 'Untrusted';
  input.state.context.log.info(`${trust} TLS connection established to ${input.session.namaddrport}: ${describeTls(info)}`);
}

/** The TLS handshake, bounded by smtp_starttls_timeout. */
function startTls(input: HandshakeInput, security: ClientSecurity): Promise<TlsInfo> {
  const { session, state } = input;
  const timers = state.context.host.platform.timers;
  return new Promise<TlsInfo>((resolve, reject) => {
    let settled = false;
    const cancel = security.startTlsTimeoutSeconds > 0 ? timers.after(security.startTlsTimeoutSeconds * 1000, () => {
      if (settled) return;
      settled = true;
      reject(new Error('timeout'));
    }) : () => undefined;
    session.stream.connection.startTls({ role: 'client', serverName: session.hostName, verifyPeer: security.tlsLevel === 'verify' })
      .then((info) => { if (!settled) { settled = true; cancel(); resolve(info); } },
        (error: unknown) => { if (!settled) { settled = true; cancel(); reject(error); } });
  });
}

/** STARTTLS and the second EHLO; false when the session must end (reason filled). */
async function negotiateTls(input: HandshakeInput, security: ClientSecurity): Promise<boolean> {
  const { session, state, settings } = input;
  const required = security.tlsLevel === 'encrypt' || security.tlsLevel === 'verify';
  if (session.has('starttls') && security.noteStartTlsOffer && security.tlsLevel === 'none') {
    state.context.log.info(`Host offered STARTTLS: [${session.hostName}]`);
  }
  if (session.has('starttls') && security.tlsLevel !== 'none') {
    session.stream.writeCommand('STARTTLS');
    const reply = await session.stream.readReply(security.startTlsTimeoutSeconds);
    if (Math.floor(reply.code / 100) === 2) {
      let info: TlsInfo;
      try {
        info = await startTls(input, security);
      } catch {
        session.stream.close(false, 'TLS handshake failed');
        await siteFail(state, '4.7.5', 'Cannot start TLS: handshake failure');
        return false;
      }
      session.tls = info;
      logTls(input, security, info);
      const bestMx = session.has('bestMx');
      session.features.clear();
      session.saslMechanisms = [];
      if (bestMx) session.features.add('bestMx');
      session.features.add('esmtp');
      session.stream.writeCommand(`${settings.protocol === 'lmtp' ? 'LHLO' : 'EHLO'} ${settings.heloName}`);
      const ehlo = await session.stream.readReply(settings.timeouts.heloSeconds);
      if (Math.floor(ehlo.code / 100) !== 2) {
        await siteFail(state, ehlo.dsn, `host ${session.namaddr} refused to talk to me: ${oneLine(ehlo)}`, session.hostName, ehlo);
        return false;
      }
      return checkFeatures(input, ehlo);
    }
    session.features.delete('starttls');
    if (required) {
      await siteFail(state, reply.dsn, `TLS is required, but host ${session.namaddr} refused to start TLS: ${oneLine(reply)}`, session.hostName, reply);
      return false;
    }
  }
  if (required && session.tls === undefined) {
    await siteFail(state, '4.7.4', `TLS is required, but was not offered by host ${session.namaddr}`);
    return false;
  }
  return true;
}

/** smtp_sasl_passwd_lookup(): "user:password" for the host name, then the nexthop. */
async function findCredentials(security: ClientSecurity, session: ClientSession, nexthop: string): Promise<{ username: string; password: string } | undefined> {
  for (const key of [session.hostName, nexthop]) {
    for (const table of security.passwordMaps) {
      const value = await table.lookup(key);
      if (value === undefined) continue;
      const colon = value.indexOf(':');
      return colon < 0 ? { username: value, password: '' } : { username: value.slice(0, colon), password: value.slice(colon + 1) };
    }
  }
  return undefined;
}

/** AUTH with the server; false when the session must end (reason filled). */
async function authenticate(input: HandshakeInput, security: ClientSecurity): Promise<boolean> {
  const { session, state } = input;
  if (!security.saslEnabled || !session.has('auth')) return true;
  let credentials;
  try {
    credentials = await findCredentials(security, session, state.request.nexthop);
  } catch {
    state.context.log.warn(`${state.request.queueId}: smtp_sasl_password_maps lookup error`);
    await siteFail(state, '4.3.0', 'Server local data error');
    return false;
  }
  if (credentials === undefined) {
    session.features.delete('auth');
    return true;
  }
  const encrypted = session.tls !== undefined;
  const exchange = startClientExchange(session.saslMechanisms, security.mechanismFilter,
    encrypted ? security.saslTlsSecurityOptions : security.saslSecurityOptions, encrypted, credentials.username, credentials.password);
  if ('error' in exchange) {
    await siteFail(state, '4.7.0', `SASL authentication failed: server ${session.namaddr} offered no compatible authentication mechanisms for this type of connection security`);
    return false;
  }
  session.stream.writeCommand(exchange.initialResponse === '' ? `AUTH ${exchange.mechanism}` : `AUTH ${exchange.mechanism} ${exchange.initialResponse}`);
  let reply: ServerReply = await session.stream.readReply(input.settings.timeouts.heloSeconds);
  for (let steps = 0; Math.floor(reply.code / 100) === 3; steps++) {
    if (steps >= CLIENT_STEPS_MAX) {
      await siteFail(state, '4.3.0', `SASL authentication failed; authentication protocol loop with server ${session.namaddr}`);
      return false;
    }
    const challenge = reply.text.replace(/^\d{3}[ -]?/, '').trim();
    const answer = exchange.next(challenge);
    if ('error' in answer) {
      session.stream.writeCommand('*');
      await siteFail(state, '4.7.0', `SASL authentication failed; cannot authenticate to server ${session.namaddr}: ${answer.error}`);
      return false;
    }
    session.stream.writeCommand(answer.response);
    reply = await session.stream.readReply(input.settings.timeouts.heloSeconds);
  }
  if (Math.floor(reply.code / 100) !== 2) {
    const dsn = security.authSoftBounce && reply.dsn.startsWith('5') ? `4${reply.dsn.slice(1)}` : reply.dsn;
    await siteFail(state, dsn, `SASL authentication failed; server ${session.namaddr} said: ${oneLine(reply)}`, session.hostName, reply);
    return false;
  }
  return true;
}

/** After handshake(): STARTTLS as the level says, then AUTH. True when mail may flow. */
export async function secureSession(input: HandshakeInput, security: ClientSecurity): Promise<boolean> {
  try {
    if (!await negotiateTls(input, security)) return false;
    return await authenticate(input, security);
  } catch (error) {
    if (!(error instanceof StreamError)) throw error;
    await streamFailure(input.state, input.session, error, input.session.tls === undefined ? 'receiving the STARTTLS response' : 'performing the EHLO handshake');
    return false;
  }
}
