// The TLS session as Postfix words it: the cipher's key size from its name, tls_log_summary's
// text ("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519
// server-signature RSA-PSS (2048 bits) server-digest SHA256") and the summary cleanup puts
// in smtpd's Received header. Pure functions over the platform's TlsInfo.
// Used by smtpd (starttls.ts, the Received header, policy attributes) and the smtp client's
// log line. Models tls_log_summary() in src/tls/tls_misc.c.

import type { CleanupTlsSession } from '../master/contracts.ts';
import type { TlsInfo } from '../platform/types.ts';

/** The symmetric key size a cipher suite name implies ("TLS_AES_256_GCM_SHA384" -> 256). */
export function cipherBits(cipher: string): number {
  const upper = cipher.toUpperCase();
  if (/AES_?128/.test(upper)) return 128;
  if (/3DES|DES_CBC3/.test(upper)) return 168;
  return 256;
}

/** The session as the Received header's "(using ...)" comment and the log show it. */
export function tlsSession(info: TlsInfo): CleanupTlsSession {
  const bits = cipherBits(info.cipher);
  return {
    protocol: info.protocol, cipher: info.cipher, usedBits: bits, algorithmBits: bits,
    ...(info.keyExchange === undefined ? {} : { keyExchange: info.keyExchange }),
    ...(info.serverSignature === undefined ? {} : { serverSignature: info.serverSignature }),
    ...(info.serverSignatureBits === undefined ? {} : { serverSignatureBits: info.serverSignatureBits }),
    ...(info.serverDigest === undefined ? {} : { serverDigest: info.serverDigest }),
  };
}

/** "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519
 *  server-signature RSA-PSS (2048 bits) server-digest SHA256": tls_log_summary's text
 *  after the peer (the key exchange and signature parts when the platform knows them). */
export function describeTls(info: TlsInfo): string {
  const session = tlsSession(info);
  let text = `${session.protocol} with cipher ${session.cipher} (${session.usedBits}/${session.algorithmBits} bits)`;
  if (session.keyExchange !== undefined && session.keyExchange !== '') text += ` key-exchange ${session.keyExchange}`;
  if (session.serverSignature !== undefined && session.serverSignature !== '') {
    text += ` server-signature ${session.serverSignature}`;
    if ((session.serverSignatureBits ?? 0) > 0) text += ` (${session.serverSignatureBits} bits)`;
    if (session.serverDigest !== undefined && session.serverDigest !== '') text += ` server-digest ${session.serverDigest}`;
  }
  return text;
}

