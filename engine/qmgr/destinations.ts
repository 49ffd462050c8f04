// Per-transport, per-destination delivery queues with Postfix's concurrency window: a
// destination starts at initial_destination_concurrency parallel deliveries, grows by one
// per window's worth of successes up to <transport>_destination_concurrency_limit, shrinks
// on failures (feedback 1/concurrency, the "basic" default), and after a failed cohort
// (default_destination_concurrency_failed_cohort_limit) is throttled: dead, its pending
// work deferred, until minimal_backoff_time has passed.
// Called by api.ts, which owns the entries' messages and the timers. Pure bookkeeping.
// Models src/qmgr/qmgr_queue.c (qmgr_queue_throttle/unthrottle, QMGR_FEEDBACK_VAL with
// positive and negative feedback 1/concurrency and hysteresis 1), qmgr_transport.c and
// qmgr_entry.c.

import type { DeliveryRecipient } from '../master/contracts.ts';

/** One delivery request in the making: recipients of one message for one destination. */
export interface QueueEntry<Message> {
  message: Message;
  destination: DestinationQueue<Message>;
  recipients: DeliveryRecipient[];
  /** When it was made, counted across all destinations: qmgr starts ready entries of
   *  different destinations in this order. */
  order: number;
}

/** Why a destination is dead, as the agent reported it. */
export interface DeadReason {
  dsn: string;
  reason: string;
}

export class DestinationQueue<Message> {
  /** The concurrency window; 0 while throttled. */
  window: number;
  busy = 0;
  readonly todo: QueueEntry<Message>[] = [];
  dead: DeadReason | undefined;
  cancelRevive: (() => void) | undefined;
  private success = 0;
  private failure = 0;
  private failedCohorts = 0;

  constructor(readonly transport: TransportQueues<Message>, readonly name: string, readonly nexthop: string) {
    this.window = transport.initialConcurrency;
  }

  get ready(): boolean { return this.dead === undefined && this.busy < this.window; }

  /** When the last delivery to this destination ended, in seconds (event_time()). */
  lastDoneSeconds = Number.NEGATIVE_INFINITY;
  /** On-demand connection caching (DEL_REQ_FLAG_CONN_FETCH/CONN_STORE in queue->dflags). */
  readonly connectionCache = { fetch: false, store: false };

  /** qmgr_entry_select()'s caching rule, after an entry went busy: caching starts once
   *  deliveries run back to back (one ended within the last second) and stays on, for
   *  storing, while deliveries are concurrent or back to back; fetching stays on so that
   *  no new connection is made while cached ones exist. */
  selectConnectionCache(nowSeconds: number): void {
    const backToBack = this.lastDoneSeconds + 1 >= nowSeconds;
    if (!this.connectionCache.store) {
      if (backToBack) {
        this.connectionCache.fetch = true;
        this.connectionCache.store = true;
      }
    } else if (!(this.busy > 1 || backToBack)) {
      this.connectionCache.store = false;
    }
  }

  /** qmgr_queue_unthrottle after a delivery that went well. */
  noteSuccess(): void {
    this.failedCohorts = 0;
    const limit = this.transport.concurrencyLimit;
    if (limit !== 0 && limit <= this.window) return;
    if (this.window >= this.busy + this.transport.initialConcurrency) return;
    const feedback = 1 / this.window;
    this.success += feedback;
    while (this.success + feedback / 2 >= 1) {
      this.window += 1;
      this.success -= 1;
      this.failure = 0;
    }
    if (limit > 0 && this.window > limit) this.window = limit;
  }

  /** qmgr_queue_throttle after the agent said the destination failed. Returns true when
   *  the destination is now dead (window 0). */
  noteFailure(reason: DeadReason): boolean {
    if (this.dead !== undefined) return true;
    this.failedCohorts += 1 / Math.max(this.window, 1);
    const cohortLimit = this.transport.failedCohortLimit;
    if (cohortLimit > 0 && this.failedCohorts >= cohortLimit) {
      this.window = 0;
      this.dead = { dsn: reason.dsn, reason: `delivery temporarily suspended: ${reason.reason}` };
      return true;
    }
    const feedback = 1 / this.window;
    this.failure -= feedback;
    while (this.failure - feedback / 2 < 0) {
      this.window -= 1;
      this.success = 0;
      this.failure += 1;
    }
    if (this.window < 1) this.window = 1;
    return false;
  }

  /** The revive timer fired, or a flush asked: back to a working window. */
  revive(): void {
    this.cancelRevive?.();
    this.cancelRevive = undefined;
    if (this.dead === undefined) return;
    this.dead = undefined;
    this.window = this.busy > 0 ? this.busy : this.transport.initialConcurrency;
    this.success = 0;
    this.failure = 0;
    this.failedCohorts = 0;
  }

  get idle(): boolean { return this.busy === 0 && this.todo.length === 0; }
}

export class TransportQueues<Message> {
  readonly queues = new Map<string, DestinationQueue<Message>>();

  constructor(
    readonly name: string,
    readonly initialConcurrency: number,
    readonly concurrencyLimit: number,
    readonly recipientLimit: number,
    readonly failedCohortLimit: number,
  ) {}

  queue(name: string, nexthop: string): DestinationQueue<Message> {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new DestinationQueue(this, name, nexthop);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Drops idle, live queues (qmgr_queue_done) so that windows start afresh later. */
  prune(): void {
    // forEach, not for-of: qmgr prunes after every message it looks at (a deferred scan
    // looks at every deferred file), and forEach allocates no iterator.
    this.queues.forEach(dropIfIdle, this.queues);
  }
}

function dropIfIdle<Message>(this: Map<string, DestinationQueue<Message>>, queue: DestinationQueue<Message>, name: string): void {
  if (queue.idle && queue.dead === undefined) this.delete(name);
}

/** The queue name Postfix gives a destination: the nexthop, or for transports that take one
 *  recipient per delivery (local) "localpart@nexthop" with any extension stripped, so that
 *  concurrency is counted per mailbox. Lowercased. */
export function destinationName(transport: string, recipientLimit: number, recipient: string, nexthop: string, delimiters: string): string {
  if (transport === 'error' || transport === 'retry' || recipientLimit !== 1) return nexthop.toLowerCase();
  const at = recipient.lastIndexOf('@');
  let local = at < 0 ? recipient : recipient.slice(0, at);
  if (delimiters !== '') {
    let cut = -1;
    for (const delimiter of delimiters) {
      const index = local.indexOf(delimiter);
      if (index > 0 && (cut < 0 || index < cut)) cut = index;
    }
    if (cut > 0) local = local.slice(0, cut);
  }
  return `${local}@${nexthop}`.toLowerCase();
}
