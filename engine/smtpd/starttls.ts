// STARTTLS in smtpd (RFC 3207): announced in EHLO while smtpd_tls_security_level (or
// smtpd_use_tls) allows it and the session is not yet encrypted; the command replies "220
// 2.0.0 Ready to start TLS", throws away any plaintext the client sent after it (the
// command-injection defence), forgets the HELO name and the transaction, and lets the
// connection do the handshake (node:tls on real ports, a simulated one traced as
// tls.handshake in sim). A handshake that fails or takes smtpd_starttls_timeout ends the
// session ("lost connection after STARTTLS"). The maillog gets Postfix's "Anonymous TLS
// connection established from NAME[ADDR]: TLSv1.3 with cipher ... (256/256 bits)".
// Called through the command table (commands.ts) and by ehloKeywords (commands-session.ts).
// Models starttls_cmd(), smtpd_start_tls() of src/smtpd/smtpd.c and tls_server.c's log.

import type { TlsInfo } from '../platform/types.ts';
import { describeTls } from '../global/tls-summary.ts';
import type { SmtpdProtocol } from './api.ts';
import { InputClosed } from './input.ts';
import { replies } from './replies.ts';
import type { Word } from './tokens.ts';

/** Whether EHLO announces STARTTLS now. */
export function announcesStartTls(protocol: SmtpdProtocol): boolean {
  const tls = protocol.env.security?.tls;
  return tls !== undefined && tls.use && protocol.session.tls === undefined
    && !protocol.session.discardedEhloKeywords.has('starttls');
}

export { cipherBits, describeTls, tlsSession } from '../global/tls-summary.ts';

/** The handshake, bounded by smtpd_starttls_timeout. */
function handshake(protocol: SmtpdProtocol, certPem: string, keyPem: string, timeoutMs: number): Promise<TlsInfo> {
  const start = protocol.output.startTls;
  if (start === undefined) return Promise.reject(new Error('no TLS on this transport'));
  return new Promise<TlsInfo>((resolve, reject) => {
    let settled = false;
    const cancel = timeoutMs > 0 ? protocol.env.timers.after(timeoutMs, () => {
      if (settled) return;
      settled = true;
      reject(new Error('timeout'));
    }) : () => undefined;
    start.call(protocol.output, { role: 'server', certPem, keyPem }).then((info) => {
      if (settled) return;
      settled = true;
      cancel();
      resolve(info);
    }, (error: unknown) => {
      if (settled) return;
      settled = true;
      cancel();
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

export async function starttlsCommand(protocol: SmtpdProtocol, words: readonly Word[]): Promise<boolean> {
  const session = protocol.session;
  const tls = protocol.env.security?.tls;
  if (words.length !== 1) {
    await protocol.reply(replies.starttlsSyntax);
    return false;
  }
  if (session.tls !== undefined) {
    await protocol.reply(replies.tlsActive);
    return false;
  }
  if (tls === undefined || !tls.use || session.discardedEhloKeywords.has('starttls')) {
    await protocol.reply(replies.notImplemented);
    return false;
  }
  if (tls.certPem === undefined || tls.keyPem === undefined || protocol.output.startTls === undefined) {
    await protocol.reply(replies.tlsUnavailable);
    return false;
  }
  await protocol.reply(replies.readyForTls);
  // No plaintext may survive into the encrypted session.
  const pending = protocol.input.pending.length;
  if (pending > 0) await protocol.input.readBytes(pending);
  session.heloName = undefined;
  await protocol.resetTransaction();
  let info: TlsInfo;
  try {
    info = await handshake(protocol, tls.certPem, tls.keyPem, tls.startTlsTimeoutMs);
  } catch (error) {
    const text = error instanceof Error && error.message === 'timeout' ? 'timeout' : 'lost connection';
    protocol.env.log.warn(`TLS handshake failed for ${session.namaddr}: ${text}`);
    throw new InputClosed();
  }
  session.tls = info;
  protocol.env.log.info(`Anonymous TLS connection established from ${session.namaddr}: ${describeTls(info)}`);
  return true;
}
