// The smtp/lmtp client's cache of idle connections, kept inside the service (mtalab runs
// all deliveries of a transport in one process, so the cache needs no separate scache(8)
// daemon and can hold the ClientSession itself, features and all). A connection that ended
// a transaction cleanly is kept for smtp_connection_cache_time_limit under its server
// endpoint ("smtp:address:port"); a later delivery to that endpoint takes it instead of
// connecting (Postfix also files the first good connection under the nexthop name, to skip
// DNS lookups; this cache does not: the lookups run and the endpoint is looked up after).
// An idle connection the server closes, or whose time runs out, is dropped (closed without
// QUIT, as scache closes what it expires).
// Called by api.ts (take/store) and service.ts (one cache per running service, closed at
// stop). Trusts the platform's Timers. Models src/scache/scache.c with scache_multi.c and
// the smtp side of src/smtp/smtp_reuse.c.

import type { Timers } from '../platform/types.ts';
import type { ClientSession } from './session.ts';

/** Idle connections held at once, over all destinations. */
export const IDLE_CONNECTIONS_MAX = 1_000;

interface IdleEntry {
  session: ClientSession;
  endpoint: string;
  cancelTimer: () => void;
}

export function endpointKey(protocol: string, address: string, port: number): string {
  return `${protocol}:${address}:${port}`;
}

export class ConnectionCache {
  private readonly idle = new Set<IdleEntry>();

  constructor(private readonly timers: Timers) {}

  get size(): number { return this.idle.size; }

  /** Keeps a session that is good for another transaction, for `idleSeconds`. */
  store(session: ClientSession, endpoint: string, idleSeconds: number): void {
    if (session.stream.isClosed) return;
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
    return this.take((entry) => entry.endpoint === endpoint);
  }

  /** Closes every idle connection (the service stops). */
  closeAll(): void {
    for (const entry of [...this.idle]) this.expire(entry);
  }

  private take(matches: (entry: IdleEntry) => boolean): ClientSession | undefined {
    let found: IdleEntry | undefined;
    for (const entry of this.idle) {
      if (entry.session.stream.isClosed) {
        this.drop(entry);
        continue;
      }
      if (matches(entry)) found = entry;
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
