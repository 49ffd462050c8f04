// The client side of SASL PLAIN and LOGIN for the smtp(8) client: choose a mechanism the
// server offers (smtp_sasl_mechanism_filter, and "noplaintext" in
// smtp_sasl_security_options outside TLS), make the initial response, and answer
// challenges. Failures are texts that the client puts into "SASL authentication failed;
// cannot authenticate to server ...: TEXT".
// Called by engine/smtp/sasl.ts. Models xsasl_cyrus_client.c over Cyrus's plain and login
// plugins (which prefer PLAIN to LOGIN).

import { decodeBase64Text, encodeBase64Text } from './base64.ts';

export const CLIENT_MECHANISMS = ['PLAIN', 'LOGIN'] as const;

/** Answers in one exchange before the client calls it a protocol loop. */
export const CLIENT_STEPS_MAX = 100;

export interface SaslClientExchange {
  readonly mechanism: string;
  /** The initial response for "AUTH MECH response", or '' when the mechanism has none. */
  readonly initialResponse: string;
  /** The answer to a base64 challenge, or an error text. */
  next(challenge: string): { response: string } | { error: string };
}

/** The mechanism to use, or an error text when none fits. */
export function startClientExchange(serverMechanisms: readonly string[], filter: readonly string[], securityOptions: readonly string[],
  encrypted: boolean, username: string, password: string): SaslClientExchange | { error: string } {
  const offered = new Set(serverMechanisms.map((name) => name.toUpperCase()));
  const allowed = filter.length === 0 ? undefined : new Set(filter.map((name) => name.toUpperCase()));
  const options = new Set(securityOptions.map((option) => option.toLowerCase()));
  const usable = CLIENT_MECHANISMS.filter((name) => offered.has(name) && (allowed === undefined || allowed.has(name))
    && (encrypted || !options.has('noplaintext')));
  const mechanism = usable[0];
  if (mechanism === undefined) return { error: 'no mechanism available' };
  if (mechanism === 'PLAIN') {
    return {
      mechanism,
      initialResponse: encodeBase64Text(`\0${username}\0${password}`),
      next: () => ({ error: 'bad protocol / cancel' }),
    };
  }
  let step = 0;
  return {
    mechanism,
    initialResponse: '',
    next(challenge) {
      const prompt = decodeBase64Text(challenge);
      if (prompt === undefined) return { error: 'bad protocol / cancel' };
      step++;
      if (step === 1) return { response: encodeBase64Text(username) };
      if (step === 2) return { response: encodeBase64Text(password) };
      return { error: 'bad protocol / cancel' };
    },
  };
}
