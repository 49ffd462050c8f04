// The discrete-event scheduler of a simulated world: a queue of callbacks ordered by
// virtual time (ms) and, for equal times, by insertion order, with a clock that jumps to
// each event as it fires. Timers.after and Clock.nowMs of every sim host in a world read
// one Scheduler; the World steps, runs or fast-forwards it. Every run is bounded by an
// event count so that a runaway (a mail loop) ends with a clear result, never a hung tab.
// Models nothing in Postfix; it stands in for the operating system's clock and timers.

import type { Cancel, Clock, Timers } from '../types.ts';

/** The virtual epoch a world starts at unless told otherwise: 2024-01-01T00:00:00Z. */
export const defaultStartMs = 1_704_067_200_000;

/** How many events one run may fire before it stops and reports 'limit'. */
export const defaultRunEventsMax = 100_000;

/** How many microtask turns a run lets pass after each event by default, so that promise
 *  chains started by the event finish at the event's virtual time. */
export const defaultSettleTurns = 200;

export interface ScheduledEvent {
  readonly atMs: number;
  /** Insertion number: breaks ties between events at the same time. */
  readonly order: number;
  readonly label: string;
}

export type RunStopReason = 'idle' | 'limit' | 'until';

export interface RunResult {
  /** Events fired by this run. */
  events: number;
  reason: RunStopReason;
  nowMs: number;
}

export interface RunOptions {
  eventsMax?: number;
}

export interface SchedulerOptions {
  startMs?: number;
  /** Awaited after each event in run()/runUntil(); the default drains microtasks for a
   *  bounded number of turns and never waits on a real macrotask. */
  settle?: () => Promise<void>;
}

interface QueueEntry extends ScheduledEvent {
  fn: () => void;
  cancelled: boolean;
}

/** What a cancelled entry keeps instead of its callback, so that the callback's closure (a
 *  timed-out session, a promise's resolve) is garbage at once rather than when the entry
 *  reaches the top of the heap (a 300 s smtpd timeout would keep it for 300 s of virtual time). */
const cancelledFn = (): void => undefined;

/** Cancelled entries the heap may hold before a compaction, at the least... */
const COMPACT_CANCELLED_MIN = 256;

/** A binary min-heap by (atMs, order). */
class EventHeap {
  private readonly items: QueueEntry[] = [];

  get size(): number { return this.items.length; }

  /** Drops every entry `dead` says is dead and restores the heap order (Floyd's build):
   *  the live entries keep their (atMs, order) keys, so the firing order is unchanged. */
  compact(dead: (entry: QueueEntry) => boolean): void {
    const items = this.items;
    let kept = 0;
    for (let index = 0; index < items.length; index++) {
      const entry = items[index]!;
      if (!dead(entry)) items[kept++] = entry;
    }
    items.length = kept;
    for (let index = (kept >> 1) - 1; index >= 0; index--) this.siftDown(index);
  }

  peek(): QueueEntry | undefined { return this.items[0]; }

  push(entry: QueueEntry): void {
    const items = this.items;
    items.push(entry);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(items[index]!, items[parent]!)) break;
      const moved = items[index]!;
      items[index] = items[parent]!;
      items[parent] = moved;
      index = parent;
    }
  }

  pop(): QueueEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const items = this.items;
    let index = start;
    // Bounded by the heap's depth: each pass moves one level down.
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
      if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
      if (smallest === index) break;
      const moved = items[index]!;
      items[index] = items[smallest]!;
      items[smallest] = moved;
      index = smallest;
    }
  }
}

const isCancelled = (entry: QueueEntry): boolean => entry.cancelled;

function before(a: QueueEntry, b: QueueEntry): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}

async function drainMicrotasks(): Promise<void> {
  for (let turn = 0; turn < defaultSettleTurns; turn++) await Promise.resolve();
}

export class Scheduler implements Clock, Timers {
  private now: number;
  private nextOrder = 0;
  private firedTotal = 0;
  private readonly heap = new EventHeap();
  private readonly settle: () => Promise<void>;
  /** Cancelled entries still in the heap. */
  private cancelledCount = 0;

  constructor(options: SchedulerOptions = {}) {
    this.now = options.startMs ?? defaultStartMs;
    this.settle = options.settle ?? drainMicrotasks;
  }

  nowMs(): number { return this.now; }

  /** Events fired since the scheduler was made. */
  get fired(): number { return this.firedTotal; }

  /** Events waiting (cancelled ones are dropped lazily and may still be counted). */
  get pending(): number { return this.heap.size; }

  /** Schedules fn at now + delayMs (a negative or NaN delay counts as 0). */
  after(delayMs: number, fn: () => void, label = 'timer'): Cancel {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    return this.at(this.now + delay, fn, label);
  }

  /** Schedules fn at an absolute virtual time (never earlier than now). */
  at(atMs: number, fn: () => void, label = 'event'): Cancel {
    const entry: QueueEntry = { atMs: Math.max(atMs, this.now), order: this.nextOrder++, label, fn, cancelled: false };
    this.heap.push(entry);
    return () => { this.cancel(entry); };
  }

  private cancel(entry: QueueEntry): void {
    if (entry.cancelled || entry.fn === cancelledFn) return;
    entry.cancelled = true;
    entry.fn = cancelledFn;
    this.cancelledCount++;
    // ... and at most half of it: compaction then costs O(n) per n/2 cancels.
    if (this.cancelledCount >= COMPACT_CANCELLED_MIN && this.cancelledCount * 2 > this.heap.size) {
      this.heap.compact(isCancelled);
      this.cancelledCount = 0;
    }
  }

  /** The next live event, without firing it. */
  peek(): ScheduledEvent | undefined {
    const top = this.nextEntry();
    return top === undefined ? undefined : { atMs: top.atMs, order: top.order, label: top.label };
  }

  /** The next live entry itself (no copy: the run loop asks twice per event). */
  private nextEntry(): QueueEntry | undefined {
    this.dropCancelled();
    return this.heap.peek();
  }

  /** Fires the next event synchronously; false when there is none. */
  step(): boolean {
    this.dropCancelled();
    const entry = this.heap.pop();
    if (entry === undefined) return false;
    this.now = entry.atMs;
    this.firedTotal++;
    const fn = entry.fn;
    // A fired entry counts as done: a cancel after it is a no-op (see cancel()).
    entry.fn = cancelledFn;
    fn();
    return true;
  }

  /** Fires events until none is left or eventsMax have fired, settling after each. */
  run(options: RunOptions = {}): Promise<RunResult> {
    return this.runWhile(() => true, options);
  }

  /** Fires events up to virtual time untilMs (or until `until` returns true after an event),
   *  then sets the clock to untilMs when the queue runs dry earlier. */
  async runUntil(until: number | (() => boolean), options: RunOptions = {}): Promise<RunResult> {
    if (typeof until === 'number') {
      const result = await this.runWhile(() => (this.nextEntry()?.atMs ?? Infinity) <= until, options);
      if (result.reason === 'idle' || result.reason === 'until') {
        this.now = Math.max(this.now, until);
        return { ...result, reason: 'until', nowMs: this.now };
      }
      return result;
    }
    let stopped = false;
    const result = await this.runWhile(() => !stopped && !(stopped = until()), options);
    return stopped ? { ...result, reason: 'until' } : result;
  }

  private async runWhile(keepGoing: () => boolean, options: RunOptions): Promise<RunResult> {
    const eventsMax = options.eventsMax ?? defaultRunEventsMax;
    let events = 0;
    await this.settle();
    for (;;) {
      if (!keepGoing()) return { events, reason: 'until', nowMs: this.now };
      if (this.nextEntry() === undefined) return { events, reason: 'idle', nowMs: this.now };
      if (events >= eventsMax) return { events, reason: 'limit', nowMs: this.now };
      this.step();
      events++;
      await this.settle();
    }
  }

  private dropCancelled(): void {
    for (let top = this.heap.peek(); top !== undefined && top.cancelled; top = this.heap.peek()) {
      this.heap.pop();
      this.cancelledCount--;
    }
  }
}
