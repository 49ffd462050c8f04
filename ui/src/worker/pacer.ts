// Paces a simulated world in real time inside the engine worker: every tick it lets
// virtual time follow the wall clock and fires the events that are due by then, at most
// eventsPerTick of them (engine/sim/world.ts runDue). When nothing is due the tick only
// moves the clock, so an idle world costs one cheap call per tick. A world that falls
// behind (too many events for one tick) catches up over the next ticks instead of freezing
// the worker. This is the only place where the wall clock and setTimeout meet the engine:
// the engine itself never reads a real clock. Called by ui/src/worker/boot.ts.

import type { World } from '../../../engine/sim/world.ts';

export interface PacerOptions {
  /** Real milliseconds between ticks. */
  tickMs?: number;
  /** Events fired per tick at most. */
  eventsPerTick?: number;
  /** Real time one tick may account for: a tab that slept does not jump the world ahead. */
  catchUpMsMax?: number;
  /** Reports an engine failure in a tick (the pacer stops). */
  onError?(error: unknown): void;
}

export interface Pacer {
  stop(): void;
}

export const PACER_TICK_MS = 50;
export const PACER_EVENTS_PER_TICK = 500;
export const PACER_CATCH_UP_MS_MAX = 1000;

export function startPacer(world: World, options: PacerOptions = {}): Pacer {
  const tickMs = options.tickMs ?? PACER_TICK_MS;
  const eventsPerTick = options.eventsPerTick ?? PACER_EVENTS_PER_TICK;
  const catchUpMsMax = options.catchUpMsMax ?? PACER_CATCH_UP_MS_MAX;
  let stopped = false;
  let last = performance.now();
  const tick = async (): Promise<void> => {
    const now = performance.now();
    const elapsedMs = Math.min(Math.max(now - last, 0), catchUpMsMax);
    last = now;
    try {
      await world.runDue(world.nowMs() + elapsedMs, eventsPerTick);
    } catch (error) {
      stopped = true;
      options.onError?.(error);
      return;
    }
    if (!stopped) setTimeout(() => void tick(), tickMs);
  };
  setTimeout(() => void tick(), tickMs);
  return { stop: () => { stopped = true; } };
}

/** A settle step for the scheduler: one real macrotask turn (a MessageChannel message, which
 *  browsers do not throttle as they throttle setTimeout), so that the promise chains an
 *  event starts finish at that event's virtual time. */
export function macrotaskSettle(): () => Promise<void> {
  const channel = new MessageChannel();
  const waiting: Array<() => void> = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () => new Promise<void>((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}
