// The server side of SASL PLAIN (RFC 4616) and LOGIN (the de-facto "Username:"/"Password:"
// exchange), as smtpd's AUTH command drives them: first() with the optional initial
// response of "AUTH MECH [response]", next() with each client line after a "334" challenge.
// Steps and failure texts follow Cyrus SASL as Postfix reports them ("authentication
// failure", "bad protocol / cancel", "no mechanism available"), so the 535 replies and the
// "SASL PLAIN authentication failed: ..." warnings read as on a Postfix with Cyrus.
// Called by engine/smtpd/auth.ts. Trusts the password verifier it is given
// (passwords.ts). Models xsasl_cyrus_server.c over Cyrus's plain and login plugins.

import { decodeBase64, encodeBase64Text } from './base64.ts';
import type { PasswordVerdict } from './passwords.ts';

/** The mechanisms mtalab implements, in the order EHLO announces them. */
export const SERVER_MECHANISMS = ['PLAIN', 'LOGIN'] as const;

/** Mechanisms that send the password in the clear (filtered by "noplaintext"). */
const PLAINTEXT_MECHANISMS = new Set(['PLAIN', 'LOGIN']);

export type SaslStep =
  /** Send "334 <challenge>" (base64) and pass the client's answer to next(). */
  | { kind: 'challenge'; challenge: string }
  | { kind: 'done'; username: string }
  /** `temporary`: a lookup failed (454); otherwise 535. */
  | { kind: 'fail'; reason: string; temporary: boolean; username?: string };

export type PasswordVerifier = (username: string, password: string) => Promise<PasswordVerdict>;

export interface SaslServerExchange {
  readonly mechanism: string;
  first(initialResponse: string | undefined): Promise<SaslStep>;
  next(response: string): Promise<SaslStep>;
}

/** Cyrus's texts for its status codes, as Postfix passes them on. */
export const SASL_REASONS = {
  badAuth: 'authentication failure',
  badProtocol: 'bad protocol / cancel',
  noMechanism: 'no mechanism available',
  noAuthorization: 'authorization failure',
  temporary: 'transient failure',
} as const;

/** The mechanisms to offer, after smtpd_sasl_security_options (or _tls_ once encrypted):
 *  "noplaintext" hides PLAIN and LOGIN on a session without TLS; "noanonymous" is met. */
export function offeredMechanisms(securityOptions: readonly string[], encrypted: boolean): string[] {
  const options = new Set(securityOptions.map((option) => option.toLowerCase()));
  return SERVER_MECHANISMS.filter((mechanism) => encrypted || !options.has('noplaintext') || !PLAINTEXT_MECHANISMS.has(mechanism));
}

const fail = (reason: string, username?: string): SaslStep => ({ kind: 'fail', reason, temporary: false, ...(username === undefined ? {} : { username }) });

async function finish(verify: PasswordVerifier, username: string, password: string): Promise<SaslStep> {
  const verdict = await verify(username, password);
  if (verdict === 'ok') return { kind: 'done', username };
  if (verdict === 'temporary') return { kind: 'fail', reason: SASL_REASONS.temporary, temporary: true, username };
  return fail(SASL_REASONS.badAuth, username);
}

/** "=" is RFC 4954's empty initial response. */
function decodeResponse(text: string): Uint8Array | undefined {
  return text === '=' ? new Uint8Array(0) : decodeBase64(text);
}

const decoder = new TextDecoder();

class PlainExchange implements SaslServerExchange {
  readonly mechanism = 'PLAIN';
  constructor(private readonly verify: PasswordVerifier) {}

  async first(initialResponse: string | undefined): Promise<SaslStep> {
    if (initialResponse === undefined) return { kind: 'challenge', challenge: '' };
    return this.next(initialResponse);
  }

  async next(response: string): Promise<SaslStep> {
    const bytes = decodeResponse(response);
    if (bytes === undefined) return fail(SASL_REASONS.badProtocol);
    const parts = decoder.decode(bytes).split('\0');
    if (parts.length !== 3) return fail(SASL_REASONS.badProtocol);
    const [authorizationId, username, password] = parts as [string, string, string];
    if (username === '') return fail(SASL_REASONS.badProtocol);
    // Acting for another user (proxy authorization) is not allowed.
    if (authorizationId !== '' && authorizationId !== username) return fail(SASL_REASONS.noAuthorization, username);
    return finish(this.verify, username, password);
  }
}

class LoginExchange implements SaslServerExchange {
  readonly mechanism = 'LOGIN';
  private username: string | undefined;
  constructor(private readonly verify: PasswordVerifier) {}

  async first(initialResponse: string | undefined): Promise<SaslStep> {
    if (initialResponse === undefined) return { kind: 'challenge', challenge: encodeBase64Text('Username:') };
    return this.next(initialResponse);
  }

  async next(response: string): Promise<SaslStep> {
    const bytes = decodeResponse(response);
    if (bytes === undefined) return fail(SASL_REASONS.badProtocol, this.username);
    const text = decoder.decode(bytes);
    if (this.username === undefined) {
      if (text === '') return fail(SASL_REASONS.badProtocol);
      this.username = text;
      return { kind: 'challenge', challenge: encodeBase64Text('Password:') };
    }
    return finish(this.verify, this.username, text);
  }
}

/** An exchange for a mechanism name (any case), or undefined when it is not offered. */
export function startServerExchange(mechanism: string, offered: readonly string[], verify: PasswordVerifier): SaslServerExchange | undefined {
  const name = mechanism.toUpperCase();
  if (!offered.includes(name)) return undefined;
  if (name === 'PLAIN') return new PlainExchange(verify);
  if (name === 'LOGIN') return new LoginExchange(verify);
  return undefined;
}
