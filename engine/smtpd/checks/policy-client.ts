// The client side of Postfix's policy delegation protocol over Platform.net: a request is
// "name=value" lines and an empty line; the server answers "action=..." lines and an
// empty line. One connection per policy server is kept and reused (closed after
// smtpd_policy_service_max_idle without use, _max_ttl of age, or _request_limit requests),
// requests are sent one at a time, and a failed exchange is retried on a fresh connection
// up to smtpd_policy_service_try_limit times, smtpd_policy_service_retry_delay apart,
// each bounded by smtpd_policy_service_timeout. Only "inet:host:port" servers exist here
// (there are no UNIX-domain sockets); any other form fails as a connect would.
// Called by checks/policy.ts. Models src/util/attr_clnt.c and auto_clnt.c.

import type { Connection, Network, Timers, Clock } from '../../platform/types.ts';
import { PlatformError, describeCode } from '../../platform/types.ts';
import type { PolicySettings } from '../security.ts';

/** Bytes of one reply before the server counts as broken. */
export const POLICY_REPLY_BYTES_MAX = 64 * 1024;

class PolicyFailure extends Error {}

export class PolicyClient {
  private connection: Connection | undefined;
  private buffer = '';
  private closed = false;
  private waiter: (() => void) | undefined;
  private openedMs = 0;
  private usedMs = 0;
  private requests = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly server: string, private readonly net: Network, private readonly timers: Timers,
    private readonly clock: Clock, private readonly settings: PolicySettings) {}

  /** The action= value, or an error text ("Connection refused", "timeout"). */
  query(attributes: readonly (readonly [string, string])[]): Promise<{ action: string } | { error: string }> {
    const result = this.queue.then(() => this.tryAll(attributes));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async tryAll(attributes: readonly (readonly [string, string])[]): Promise<{ action: string } | { error: string }> {
    let error = 'no attempt';
    for (let attempt = 0; attempt < this.settings.tryLimit; attempt++) {
      if (attempt > 0) await this.sleep(this.settings.retryDelayMs);
      try {
        return { action: await this.exchange(attributes) };
      } catch (failure) {
        error = failure instanceof PlatformError ? describeCode(failure.code) : failure instanceof Error ? failure.message : String(failure);
        this.drop();
      }
    }
    return { error };
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => { this.timers.after(delayMs, resolve); });
  }

  private drop(): void {
    this.connection?.destroy();
    this.connection = undefined;
    this.buffer = '';
  }

  private stale(): boolean {
    const now = this.clock.nowMs();
    const settings = this.settings;
    return this.closed || (settings.maxIdleMs > 0 && now - this.usedMs >= settings.maxIdleMs)
      || (settings.maxTtlMs > 0 && now - this.openedMs >= settings.maxTtlMs)
      || (settings.requestLimit > 0 && this.requests >= settings.requestLimit);
  }

  private async open(): Promise<Connection> {
    if (this.connection !== undefined && !this.stale()) return this.connection;
    this.drop();
    const match = /^inet:(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(this.server);
    if (match === null) throw new PlatformError('ENOENT', 'connect', this.server);
    const connection = await this.net.connect(match[1] ?? match[2] as string, Number(match[3]), { timeoutMs: this.settings.timeoutMs });
    this.closed = false;
    connection.onData((chunk) => {
      this.buffer += new TextDecoder('latin1').decode(chunk);
      this.wake();
    });
    connection.onClose(() => {
      this.closed = true;
      this.wake();
    });
    this.connection = connection;
    this.openedMs = this.clock.nowMs();
    this.requests = 0;
    return connection;
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private async exchange(attributes: readonly (readonly [string, string])[]): Promise<string> {
    const connection = await this.open();
    this.requests++;
    this.usedMs = this.clock.nowMs();
    const text = attributes.map(([name, value]) => `${name}=${value.replace(/\n/g, ' ')}\n`).join('') + '\n';
    connection.write(new TextEncoder().encode(text));
    const deadline = this.clock.nowMs() + this.settings.timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0 || this.buffer.startsWith('\n')) {
        const reply = end >= 0 ? this.buffer.slice(0, end) : '';
        this.buffer = end >= 0 ? this.buffer.slice(end + 2) : this.buffer.slice(1);
        const action = reply.split('\n').find((line) => line.startsWith('action='));
        if (action === undefined) throw new PolicyFailure('malformed response');
        return action.slice('action='.length);
      }
      if (this.closed) throw new PlatformError('ECONNRESET', 'read');
      if (this.buffer.length > POLICY_REPLY_BYTES_MAX) throw new PolicyFailure('response too long');
      const remainingMs = deadline - this.clock.nowMs();
      if (remainingMs <= 0) throw new PolicyFailure('timeout');
      await new Promise<void>((resolve) => {
        const cancel = this.timers.after(remainingMs, () => { this.waiter = undefined; resolve(); });
        this.waiter = () => { cancel(); resolve(); };
      });
    }
  }
}
