// Paces a simulated world in real time inside the engine worker: every tick it lets
// virtual time follow the wall clock and fires the events that are due by then, at most
// eventsPerTick of them (engine/sim/world.ts runDue). When nothing is due the tick only
// moves the clock, so an idle world costs one cheap call per tick. A world that falls
// behind (too many events for one tick) catches up over the next ticks instead of freezing
// the worker. This is the only place where the wall clock and setTimeout meet the engine:
// the engine itself never reads a real clock. Called by ui/src/worker/world-control.ts,
// which stops it to pause and starts a new one to play; the world is read through a getter
// because step back replaces it.

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
  /** Called after every tick that ran (to stream the trace and the clock). */
  onTick?(): void;
}

export interface Pacer {
  /** Stops ticking; resolves once a tick in progress has finished. */
  stop(): Promise<void>;
}

export const PACER_TICK_MS = 50;
export const PACER_EVENTS_PER_TICK = 500;
export const PACER_CATCH_UP_MS_MAX = 1000;

export function startPacer(world: () => World, options: PacerOptions = {}): Pacer {
  const tickMs = options.tickMs ?? PACER_TICK_MS;
  const eventsPerTick = options.eventsPerTick ?? PACER_EVENTS_PER_TICK;
  const catchUpMsMax = options.catchUpMsMax ?? PACER_CATCH_UP_MS_MAX;
  let stopped = false;
  let last = performance.now();
  let inFlight: Promise<void> | undefined;
  const tick = async (): Promise<void> => {
    const now = performance.now();
    const elapsedMs = Math.min(Math.max(now - last, 0), catchUpMsMax);
    last = now;
    if (stopped) return;
    try {
      const current = world();
      const running = current.runDue(current.nowMs() + elapsedMs, eventsPerTick).then(() => undefined);
      inFlight = running;
      await running;
    } catch (error) {
      stopped = true;
      options.onError?.(error);
      return;
    }
    inFlight = undefined;
    if (stopped) return;
    options.onTick?.();
    setTimeout(() => void tick(), tickMs);
  };
  setTimeout(() => void tick(), tickMs);
  return {
    async stop() {
      stopped = true;
      await inFlight?.catch(() => undefined);
    },
  };
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
