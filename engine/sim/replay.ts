// Step back by replay (issue 5, item 3): a world cannot run backwards, but it is
// deterministic, so "back" builds the world afresh from its scenario and seed and runs it
// to one event before where it was. The Replayer counts the scheduler events fired since
// boot. Besides the scenario's own actions (and what `open` schedules), the only input a
// world takes is typing into its terminals; each world logs it with the point it was fed at
// (World.terminals.log: after N events, at virtual time T), and every replay feeds the
// current world's log again at the same points -- inputs at the target position included --
// so that back() after typing gives the world one step earlier, typed commands and all.
//
// Why not snapshots: a world's state is more than its disks. Each host's memfs volume could
// be copied, but the daemons' memory (qmgr's active queue, smtpd sessions half way through a
// dialog, anvil's counters), the scheduler's pending callbacks (closures) and the promise
// chains suspended in an await cannot be captured in JavaScript, let alone restored, so a
// restored world would not give the same trace byte for byte. What is kept instead:
//   - a twin: a second world built from the same `open`, kept one event behind the current
//     one (step() moves both). back() swaps it in and only fires the events it lags by --
//     none after step(), so one step back costs no replay at all. A fresh twin for the next
//     back() is then rebuilt from the start in the background (`rebuilding()`); a back()
//     that arrives before it is ready waits for it.
//   - batched replay: a rebuild fires its events in one scheduler run (one settle after
//     each event) instead of one step() per event (which settles before and after).
// Both worlds run the same deterministic code on separate schedulers, volumes and hosts,
// so interleaving them does not change either's trace (test/sim/replay.test.ts checks).
// Called by the UI and tests. Trusts `open` to build the same world every time (same
// scenario, seed, settle and scheduled inputs).

import type { World, WorldRunOutcome } from './world.ts';
import type { TerminalInput } from './terminals.ts';

/** Events one back()/seek() may replay. */
export const REPLAY_EVENTS_MAX = 1_000_000;

/** Events a background rebuild fires between checks for a cancel. */
const REPLAY_SLICE_EVENTS = 500;
/** How far behind (in events) step() lets the twin catch up at once; a twin further behind
 *  (the world was run on through world()) catches up in back() instead. */
const TWIN_STEP_LAG_MAX = 100;

export interface ReplayerOptions {
  /** Keep a twin world one event behind for instant back() (default true); false halves
   *  the memory and the cost of step(), and every back() replays from the start. */
  twin?: boolean;
}

export interface Replayer {
  /** The current world (a new object after back()). */
  world(): World;
  /** Scheduler events fired since the world booted. */
  position(): number;
  /** Fires one event of the current world (and keeps the twin one event behind). */
  step(): Promise<WorldRunOutcome>;
  /** Goes to position() - 1 (by the twin, or by a replay from the start); false at 0. */
  back(): Promise<boolean>;
  /** Goes to `position` events: forward by stepping on, backward as back() does. */
  seek(position: number): Promise<void>;
  /** Settles when no twin rebuild runs in the background (for tests and benchmarks). */
  rebuilding(): Promise<void>;
  /** Stops a background rebuild and drops the twin; the replayer still works without it. */
  dispose(): void;
}

/** A world and the scheduler count it booted with. */
interface Tracked {
  world: World;
  base: number;
}

async function openTracked(open: () => Promise<World>): Promise<Tracked> {
  const world = await open();
  return { world, base: world.scheduler.fired };
}

const positionOf = (tracked: Tracked): number => tracked.world.scheduler.fired - tracked.base;

/** Feeds `tracked` the entries of `inputs` it has not had yet that are due where it stands
 *  (its own log is the prefix of `inputs` it has been fed); returns the next one. */
async function feedDue(tracked: Tracked, inputs: readonly TerminalInput[]): Promise<TerminalInput | undefined> {
  const terminals = tracked.world.terminals;
  // Bounded by the entries of `inputs`: each pass feeds one.
  for (let fed = terminals.log.length; fed < inputs.length; fed = terminals.log.length) {
    const next = inputs[fed]!;
    if (next.position > tracked.world.position()) return next;
    await terminals.feed(next);
  }
  return undefined;
}

/** Fires events of `tracked` until it reaches `target` (or runs dry, or `cancelled`),
 *  feeding the typed inputs of `inputs` at their points, those at `target` included. */
async function advance(tracked: Tracked, target: number, inputs: readonly TerminalInput[], cancelled: () => boolean = () => false): Promise<void> {
  if (target > REPLAY_EVENTS_MAX) throw new Error(`replay: ${target} events is past the limit of ${REPLAY_EVENTS_MAX}`);
  const scheduler = tracked.world.scheduler;
  // Bounded: each round fires at least one event or stops.
  for (let round = 0; round <= REPLAY_EVENTS_MAX && !cancelled(); round++) {
    const nextInput = await feedDue(tracked, inputs);
    const missing = target - positionOf(tracked);
    if (missing <= 0) return;
    const untilInput = nextInput === undefined ? Infinity : nextInput.position - tracked.world.position();
    // In slices, so that a cancel (dispose, a newer rebuild) takes effect soon.
    const result = await scheduler.run({ eventsMax: Math.min(missing, REPLAY_SLICE_EVENTS, untilInput) });
    if (result.events === 0) return;
  }
}


export async function createReplayer(open: () => Promise<World>, options: ReplayerOptions = {}): Promise<Replayer> {
  const twinWanted = options.twin ?? true;
  let current = await openTracked(open);
  /** A world at or behind position() - 1, ready to become current. */
  let twin: Tracked | undefined;
  /** The rebuild in flight; its generation tells a stale one to stop. */
  let rebuild: Promise<void> | undefined;
  let generation = 0;
  let disposed = false;

  const position = (): number => positionOf(current);

  /** Builds a new twin in the background, run to `target` events. */
  const startRebuild = (target: number): void => {
    if (!twinWanted || disposed || target < 0) return;
    const mine = ++generation;
    const stale = (): boolean => disposed || mine !== generation;
    const inputs = current.world.terminals.log;
    const work = (async () => {
      const built = await openTracked(open);
      await advance(built, target, inputs, stale);
      if (!stale()) twin = built;
    })();
    const tracked: Promise<void> = work.finally(() => { if (rebuild === tracked) rebuild = undefined; });
    rebuild = tracked;
  };

  /** The twin, if one exists (or is being built) at or behind `target`. */
  const usableTwin = async (target: number): Promise<Tracked | undefined> => {
    if (rebuild !== undefined) await rebuild.catch(() => undefined);
    if (twin !== undefined && positionOf(twin) <= target) return twin;
    return undefined;
  };

  const goBackTo = async (target: number): Promise<void> => {
    const inputs = current.world.terminals.log;
    let next = await usableTwin(target);
    twin = undefined;
    if (next === undefined) next = await openTracked(open);
    await advance(next, target, inputs);
    current = next;
    startRebuild(target - 1);
  };

  const replayer: Replayer = {
    world: () => current.world,
    position,
    async step() {
      const outcome = await current.world.step();
      if (twin === undefined && rebuild === undefined && twinWanted && !disposed) {
        startRebuild(position() - 1);
      } else if (twin !== undefined && rebuild === undefined && position() - 1 - positionOf(twin) <= TWIN_STEP_LAG_MAX) {
        await advance(twin, position() - 1, current.world.terminals.log);
      }
      return outcome;
    },
    async back() {
      const here = position();
      if (here === 0) return false;
      await goBackTo(here - 1);
      return true;
    },
    async seek(target) {
      if (target > REPLAY_EVENTS_MAX) throw new Error(`replay: ${target} events is past the limit of ${REPLAY_EVENTS_MAX}`);
      if (target >= position()) {
        await advance(current, target, current.world.terminals.log);
        return;
      }
      await goBackTo(Math.max(0, target));
    },
    async rebuilding() {
      // Bounded: each pass waits for one rebuild; a new one starts only after a back().
      for (let pass = 0; pass < 3 && rebuild !== undefined; pass++) await rebuild.catch(() => undefined);
    },
    dispose() {
      disposed = true;
      generation++;
      twin = undefined;
    },
  };
  return replayer;
}
