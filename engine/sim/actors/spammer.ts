// A spammer looking for an open relay: one SMTP session to the server in which it tries,
// one MAIL/RCPT/RSET round each, to reach a user of an outside domain plainly
// (user@outside) and through the routing tricks an old relay let through: the percent hack
// (user%outside@server), a bang path (outside!user@server), a quoted local part holding an
// "@" ("user@outside"@server) and a source route (@server:user@outside). A Postfix with
// the default relay restrictions refuses every one at RCPT, and nothing is queued. Called
// by engine/sim/actors/index.ts (as a client.ts dialog). Models no Postfix program.

import type { ClientStep, SpammerActorSpec } from './types.ts';

/** The recipients the spammer tries, in order. */
export function relayAttempts(spec: Pick<SpammerActorSpec, 'relayTo' | 'serverDomain'>): string[] {
  const outside = spec.relayTo;
  const here = spec.serverDomain;
  return [
    `victim@${outside}`,
    `victim%${outside}@${here}`,
    `${outside}!victim@${here}`,
    `"victim@${outside}"@${here}`,
    `@${here}:victim@${outside}`,
  ];
}

export function spammerSteps(spec: SpammerActorSpec): ClientStep[] {
  const sender = spec.sender ?? `offers@${spec.relayTo}`;
  const steps: ClientStep[] = [`EHLO ${spec.helo ?? 'bulk.example'}`];
  for (const recipient of relayAttempts(spec)) {
    steps.push(`MAIL FROM:<${sender}>`, `RCPT TO:<${recipient}>`, 'RSET');
  }
  steps.push('QUIT');
  return steps;
}
