// anvil(8)'s core: per-client counters that smtpd consults to limit one client's share of
// the server. Each (service, client address) pair, the "ident" "smtp:192.0.2.1", has a
// connection count and, per anvil_rate_time_unit, connection, message (MAIL), recipient
// (RCPT), new-TLS-session and AUTH rates. As in Postfix, a rate is a counter that is reset
// when the unit since the first event of the window has passed (not a moving average),
// and an ident whose last connection closed is forgotten one unit later. The largest
// values seen are kept for the "statistics: max connection rate 3/60s for (smtp:...) at
// ..." lines, which the service logs every anvil_status_update_time and at stop.
// Called by engine/anvil/service.ts (one per host) and, through the AnvilEndpoint, by
// smtpd (engine/smtpd/limits.ts); tests make one directly. Time is the Platform clock.
// Models src/anvil/anvil.c and the requests of src/global/anvil_clnt.c.

import type { Clock } from '../platform/types.ts';
import { formatLogTime } from '../global/maillog/format.ts';

/** Idents kept at once; past this, idle ones are dropped first, then the oldest. */
export const ANVIL_IDENTS_MAX = 100_000;

export interface AnvilConnectCounts {
  /** Connections from this client to this service now, this one included. */
  count: number;
  /** Connections in the current time unit, this one included. */
  rate: number;
}

/** What smtpd asks of anvil (anvil_clnt_connect, _disconnect, _mail, _rcpt, _auth, _newtls).
 *  The answers are immediate from the host's own anvil, and promises from a worker process's
 *  client that asks master's anvil (client.ts); callers await them either way. */
export interface AnvilEndpoint {
  connect(service: string, address: string): AnvilConnectCounts | Promise<AnvilConnectCounts>;
  disconnect(service: string, address: string): void;
  /** Each returns the rate in the current unit, this event included. */
  mail(service: string, address: string): number | Promise<number>;
  recipient(service: string, address: string): number | Promise<number>;
  auth(service: string, address: string): number | Promise<number>;
  newTls(service: string, address: string): number | Promise<number>;
}

type RateName = 'rate' | 'mail' | 'recipient' | 'newTls' | 'auth';

interface Remote {
  count: number;
  rate: number;
  mail: number;
  recipient: number;
  newTls: number;
  auth: number;
  /** Window start, in whole seconds (event_time()). */
  startSeconds: number;
  /** When the count dropped to 0 (the ident expires one unit later); -1 while connected. */
  idleSinceSeconds: number;
}

interface Maximum {
  value: number;
  ident: string;
  atMs: number;
}

const REPORTS: readonly { name: RateName | 'count'; label: string; kind: 'rate' | 'count' }[] = [
  { name: 'rate', label: 'connection', kind: 'rate' },
  { name: 'count', label: 'connection', kind: 'count' },
  { name: 'mail', label: 'message', kind: 'rate' },
  { name: 'recipient', label: 'recipient', kind: 'rate' },
  { name: 'newTls', label: 'newtls', kind: 'rate' },
  { name: 'auth', label: 'auth', kind: 'rate' },
];

/** ctime()'s "Mar  1 12:00:00" (day padded with a space), as anvil's statistics show it. */
function ctimeStamp(atMs: number): string {
  return formatLogTime(atMs).replace(/^(\w{3}) 0/, '$1  ');
}

/** The counters themselves: every answer is immediate. */
export class Anvil implements AnvilEndpoint {
  private readonly remotes = new Map<string, Remote>();
  private readonly maxima = new Map<string, Maximum>();
  private maxCacheSize: Maximum = { value: 0, ident: '', atMs: 0 };

  constructor(private readonly clock: Clock, private readonly timeUnitSeconds: number) {}

  private nowSeconds(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  private remote(ident: string): Remote | undefined {
    const remote = this.remotes.get(ident);
    if (remote !== undefined && remote.count === 0 && remote.idleSinceSeconds >= 0
      && remote.idleSinceSeconds + this.timeUnitSeconds <= this.nowSeconds()) {
      this.remotes.delete(ident);
      return undefined;
    }
    return remote;
  }

  private note(name: string, ident: string, value: number): void {
    const maximum = this.maxima.get(name);
    if (maximum === undefined || value > maximum.value) this.maxima.set(name, { value, ident, atMs: this.clock.nowMs() });
  }

  private increment(remote: Remote, ident: string, name: RateName): number {
    const now = this.nowSeconds();
    if (remote.startSeconds + this.timeUnitSeconds < now) {
      remote.rate = 0;
      remote.mail = 0;
      remote.recipient = 0;
      remote.newTls = 0;
      remote.auth = 0;
      remote.startSeconds = now;
    }
    remote[name] += 1;
    this.note(name, ident, remote[name]);
    return remote[name];
  }

  private makeRoom(): void {
    if (this.remotes.size < ANVIL_IDENTS_MAX) return;
    for (const [ident, remote] of this.remotes) {
      if (remote.count === 0) this.remotes.delete(ident);
    }
    const oldest = this.remotes.keys().next();
    if (this.remotes.size >= ANVIL_IDENTS_MAX && oldest.done !== true) this.remotes.delete(oldest.value);
  }

  connect(service: string, address: string): AnvilConnectCounts {
    const ident = `${service}:${address}`;
    let remote = this.remote(ident);
    if (remote === undefined) {
      this.makeRoom();
      remote = { count: 1, rate: 1, mail: 0, recipient: 0, newTls: 0, auth: 0, startSeconds: this.nowSeconds(), idleSinceSeconds: -1 };
      this.remotes.set(ident, remote);
      this.note('rate', ident, 1);
      if (this.remotes.size > this.maxCacheSize.value) this.maxCacheSize = { value: this.remotes.size, ident: '', atMs: this.clock.nowMs() };
    } else {
      this.increment(remote, ident, 'rate');
      remote.count += 1;
      remote.idleSinceSeconds = -1;
    }
    this.note('count', ident, remote.count);
    return { count: remote.count, rate: remote.rate };
  }

  disconnect(service: string, address: string): void {
    const remote = this.remotes.get(`${service}:${address}`);
    if (remote === undefined || remote.count === 0) return;
    remote.count -= 1;
    if (remote.count === 0) remote.idleSinceSeconds = this.nowSeconds();
  }

  private event(service: string, address: string, name: RateName): number {
    const ident = `${service}:${address}`;
    const remote = this.remote(ident);
    // anvil answers for an ident it does not know with a fresh one (a client that was
    // never counted in, e.g. after anvil restarted).
    if (remote === undefined) {
      this.connect(service, address);
      this.disconnect(service, address);
      return this.event(service, address, name);
    }
    return this.increment(remote, ident, name);
  }

  mail(service: string, address: string): number { return this.event(service, address, 'mail'); }
  recipient(service: string, address: string): number { return this.event(service, address, 'recipient'); }
  auth(service: string, address: string): number { return this.event(service, address, 'auth'); }
  newTls(service: string, address: string): number { return this.event(service, address, 'newTls'); }

  /** anvil_status_dump(): the "statistics: ..." lines since the last dump, which resets them. */
  statistics(): string[] {
    const lines: string[] = [];
    for (const report of REPORTS) {
      const maximum = this.maxima.get(report.name);
      if (maximum === undefined || maximum.value <= 0) continue;
      lines.push(report.kind === 'rate'
        ? `statistics: max ${report.label} rate ${maximum.value}/${this.timeUnitSeconds}s for (${maximum.ident}) at ${ctimeStamp(maximum.atMs)}`
        : `statistics: max ${report.label} count ${maximum.value} for (${maximum.ident}) at ${ctimeStamp(maximum.atMs)}`);
    }
    this.maxima.clear();
    if (this.maxCacheSize.value > 0) {
      lines.push(`statistics: max cache size ${this.maxCacheSize.value} at ${ctimeStamp(this.maxCacheSize.atMs)}`);
      this.maxCacheSize = { value: 0, ident: '', atMs: 0 };
    }
    return lines;
  }
}
