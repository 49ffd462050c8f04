// Step back by replay (issue 5, item 3): a world cannot run backwards, but it is
// deterministic, so "back" builds the world afresh from its scenario and seed and steps it
// to one event before where it was. The Replayer counts the scheduler events fired through
// it; inputs other than the scenario's own actions are not recorded yet, so a world that a
// user typed into replays without those commands. Called by the UI (later) and tests.
// Trusts `open` to build the same world every time (same scenario, seed and settle).

import type { World, WorldRunOutcome } from './world.ts';

/** Events one back() may replay. */
export const REPLAY_EVENTS_MAX = 1_000_000;

export interface Replayer {
  /** The current world (a new object after back()). */
  world(): World;
  /** Scheduler events fired since the world booted. */
  position(): number;
  step(): Promise<WorldRunOutcome>;
  /** Rebuilds the world and replays it to position() - 1; false at position 0. */
  back(): Promise<boolean>;
  /** Rebuilds the world and replays it to `position` events. */
  seek(position: number): Promise<void>;
}

export async function createReplayer(open: () => Promise<World>): Promise<Replayer> {
  let current = await open();
  let base = current.scheduler.fired;
  const position = (): number => current.scheduler.fired - base;
  const seek = async (target: number): Promise<void> => {
    if (target > REPLAY_EVENTS_MAX) throw new Error(`replay: ${target} events is past the limit of ${REPLAY_EVENTS_MAX}`);
    current = await open();
    base = current.scheduler.fired;
    for (let fired = 0; fired < target; fired++) {
      const outcome = await current.step();
      if (outcome.events === 0) break;
    }
  };
  return {
    world: () => current,
    position,
    step: () => current.step(),
    async back() {
      const here = position();
      if (here === 0) return false;
      await seek(here - 1);
      return true;
    },
    seek,
  };
}
