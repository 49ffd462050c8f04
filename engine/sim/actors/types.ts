// The scripted actors a scenario declares as data (`actors: [...]`): an SMTP client with a
// dialog (a user's mail client, a slow client, a rude one), a spammer probing for an open
// relay, and a remote server that answers per script (4xx/5xx). Read by
// engine/sim/actors/index.ts (startActors) and by engine/sim/scenario.ts (the scenario type).
// Models no Postfix program: these are the other side of Postfix's conversations.

/** One step of a client's dialog.
 *  - "EHLO x": sent as a line (CRLF added), then the client waits for the reply;
 *  - { send, wait?, raw? }: sent (raw: as is, no CRLF), waiting for a reply unless wait is false;
 *  - { data }: message content after a 354: lines end in CRLF, dots are doubled, "." ends it;
 *  - { pauseMs }: the client sits silent for that long (beyond smtpd_timeout: a slow client);
 *  - { close: true }: the client drops the connection at once (a rude one, e.g. mid-DATA);
 *  - { read: n }: waits for n replies it has not taken yet (a rude client that talked
 *    before the greeting takes the greeting and the early command's reply so). */
export type ClientStep =
  | string
  | { send: string; wait?: boolean; raw?: boolean }
  | { read: number }
  | { data: string }
  | { pauseMs: number }
  | { close: true };

interface ActorBase {
  /** The actor's name in the trace (and its host name on the network when `from` is an
   *  address no world host owns). */
  name: string;
  /** Milliseconds after the world's boot. */
  atMs: number;
}

/** An SMTP client: connects from `from` to `to`:`port` and plays its steps in order. */
export interface ClientActorSpec extends ActorBase {
  kind: 'client';
  /** A world host's name (its network), or an address the actor takes for itself. */
  from: string;
  /** The server's address or a world host's name. */
  to: string;
  /** 25 by default; 587 for submission. */
  port?: number;
  /** Wait for the server's greeting before the first step (default true). A rude client
   *  says false and talks first; its first waiting step then takes the greeting. */
  greeting?: boolean;
  steps: ClientStep[];
}

/** A spammer: one session that tries to relay to `relayTo` (an outside domain) through the
 *  server, plainly and with the %, ! and quoted-@ routing tricks on `serverDomain`, each
 *  attempt MAIL + RCPT + RSET; every reply lands in the trace. */
export interface SpammerActorSpec extends ActorBase {
  kind: 'spammer';
  from: string;
  to: string;
  port?: number;
  /** The domain to reach through the relay, e.g. "victim.example". */
  relayTo: string;
  /** A domain the server receives mail for, for the routed forms (user%outside@here). */
  serverDomain: string;
  helo?: string;
  sender?: string;
}

/** Replies of a scripted remote server: each a reply text (several lines joined by "\n");
 *  rcpt may list one reply per RCPT in order (the last repeats). A 421 reply closes. */
export interface ResponderReplies {
  greeting?: string;
  ehlo?: string;
  helo?: string;
  mail?: string;
  rcpt?: string | string[];
  data?: string;
  /** The reply after the message's final ".". */
  dot?: string;
  rset?: string;
  quit?: string;
}

/** A remote SMTP server on its own address: answers every command from its script. */
export interface ResponderActorSpec extends ActorBase {
  kind: 'responder';
  address: string;
  port?: number;
  replies?: ResponderReplies;
}

export type ActorSpec = ClientActorSpec | SpammerActorSpec | ResponderActorSpec;
