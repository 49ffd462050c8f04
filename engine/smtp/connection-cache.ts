// The smtp/lmtp client's cache of idle connections, kept inside the service (mtalab runs
// all deliveries of a transport in one process, so the cache needs no separate scache(8)
// daemon and can hold the ClientSession itself, features and all). As in Postfix, a
// connection that ended a transaction cleanly is filed under its endpoint label, and the
// first good connection of a delivery also under the request's nexthop label (a binding
// from the label to that endpoint), both for smtp_connection_cache_time_limit; a later
// delivery looks up the nexthop label first (which skips servers that did not answer),
// then the endpoint label of each best-preference address. The labels hold what decides
// whether two deliveries may share a connection (smtp_key.c): the service, the sender
// when smtp_sender_dependent_authentication picks SASL credentials by sender, the nexthop,
// and for the endpoint the address, port and TLS level, with the current nexthop and host
// name when smtp_sasl_password_maps is set (the keys its credentials are found by) or the
// TLS level must match a name. So connections with two SASL identities never meet.
// An idle connection the server closes, or whose time runs out, is dropped (closed without
// QUIT, as scache closes what it expires).
// Called by api.ts (take/store) and service.ts (one cache per running service, closed at
// stop). Trusts the platform's Timers. Models src/scache/scache.c with scache_multi.c,
// src/smtp/smtp_key.c and the smtp side of src/smtp/smtp_reuse.c.

import type { Timers } from '../platform/types.ts';
import type { ClientSession } from './session.ts';

/** Idle connections held at once, over all destinations. */
export const IDLE_CONNECTIONS_MAX = 1_000;

/** Nexthop labels bound to an endpoint at once. */
export const DESTINATION_BINDINGS_MAX = 1_000;

interface IdleEntry {
  session: ClientSession;
  endpoint: string;
  cancelTimer: () => void;
}

interface Binding {
  endpoint: string;
  cancelTimer: () => void;
}

/** smtp_key_prefix()'s field: the text and a newline; "*" for nothing; base64 for text that
 *  holds the delimiter or the place holder. */
function keyField(text: string | number | undefined): string {
  const value = text === undefined ? '' : String(text);
  if (value === '') return '*\n';
  if (/[\n*]/.test(value)) return `${btoa(String.fromCharCode(...new TextEncoder().encode(value)))}\n`;
  return `${value}\n`;
}

/** What a label is made of (SMTP_KEY_FLAG_*); absent fields are not part of it. */
export interface LabelParts {
  /** The master.cf service name (SERVICE): a proxy for its configuration. */
  service: string;
  /** The envelope sender (SENDER), with sender-dependent SASL credentials only. */
  sender?: string;
  /** The delivery request's nexthop as given (REQ_NEXTHOP). */
  requestNexthop?: string;
  /** The nexthop being tried, the request's or a fallback relay (CUR_NEXTHOP). */
  currentNexthop?: string;
  hostName?: string;
  address?: string;
  port?: number;
  tlsLevel?: string;
}

/** SMTP_KEY_MASK_SCACHE_DEST_LABEL: service, [sender], request nexthop. */
export function destinationLabel(parts: LabelParts): string {
  return keyField(parts.service) + (parts.sender === undefined ? '' : keyField(parts.sender)) + keyField(parts.requestNexthop);
}

/** SMTP_KEY_MASK_SCACHE_ENDP_LABEL: service, [sender], [current nexthop], [host name],
 *  address, port, TLS level. */
export function endpointLabel(parts: LabelParts): string {
  return keyField(parts.service) + (parts.sender === undefined ? '' : keyField(parts.sender))
    + (parts.currentNexthop === undefined ? '' : keyField(parts.currentNexthop))
    + (parts.hostName === undefined ? '' : keyField(parts.hostName))
    + keyField(parts.address) + keyField(parts.port) + keyField(parts.tlsLevel);
}

export class ConnectionCache {
  private readonly idle = new Set<IdleEntry>();
  private readonly destinations = new Map<string, Binding>();

  constructor(private readonly timers: Timers) {}

  get size(): number { return this.idle.size; }

  /** Nexthop labels currently bound to an endpoint. */
  get destinationCount(): number { return this.destinations.size; }

  /** Keeps a session that is good for another transaction, for `idleSeconds`, under its
   *  endpoint label and, when given, binds the nexthop label to that endpoint
   *  (scache_save_dest + scache_save_endp). */
  store(session: ClientSession, labels: { endpoint: string; destination?: string }, idleSeconds: number): void {
    if (session.stream.isClosed) return;
    const endpoint = labels.endpoint;
    if (labels.destination !== undefined) this.bind(labels.destination, endpoint, idleSeconds);
    if (this.idle.size >= IDLE_CONNECTIONS_MAX) {
      session.stream.close(true, 'connection cache full');
      return;
    }
    const entry: IdleEntry = { session, endpoint, cancelTimer: () => undefined };
    entry.cancelTimer = this.timers.after(Math.max(idleSeconds, 1) * 1000, () => this.expire(entry));
    this.idle.add(entry);
  }

  /** The most recently stored open connection to a server endpoint. */
  takeByEndpoint(endpoint: string): ClientSession | undefined {
    return this.take(endpoint);
  }

  /** scache_find_dest(): a connection to the endpoint the nexthop label is bound to. */
  takeByDestination(destination: string): ClientSession | undefined {
    const binding = this.destinations.get(destination);
    return binding === undefined ? undefined : this.takeByEndpoint(binding.endpoint);
  }

  /** Closes every idle connection (the service stops). */
  closeAll(): void {
    for (const entry of [...this.idle]) this.expire(entry);
    for (const binding of this.destinations.values()) binding.cancelTimer();
    this.destinations.clear();
  }

  private bind(destination: string, endpoint: string, idleSeconds: number): void {
    const old = this.destinations.get(destination);
    if (old !== undefined) {
      old.cancelTimer();
      this.destinations.delete(destination);
    }
    if (this.destinations.size >= DESTINATION_BINDINGS_MAX) return;
    const binding: Binding = { endpoint, cancelTimer: () => undefined };
    binding.cancelTimer = this.timers.after(Math.max(idleSeconds, 1) * 1000, () => {
      if (this.destinations.get(destination) === binding) this.destinations.delete(destination);
    });
    this.destinations.set(destination, binding);
  }

  /** The most recently stored open connection under `endpoint`; closed ones met on the
   *  way are dropped. */
  private take(endpoint: string): ClientSession | undefined {
    let found: IdleEntry | undefined;
    for (const entry of this.idle) {
      if (entry.session.stream.isClosed) {
        this.drop(entry);
        continue;
      }
      if (entry.endpoint === endpoint) found = entry;
    }
    if (found === undefined) return undefined;
    this.drop(found);
    return found.session;
  }

  private drop(entry: IdleEntry): void {
    entry.cancelTimer();
    this.idle.delete(entry);
  }

  private expire(entry: IdleEntry): void {
    if (!this.idle.has(entry)) return;
    this.drop(entry);
    if (!entry.session.stream.isClosed) entry.session.stream.close(true, 'connection cache time limit');
  }
}
