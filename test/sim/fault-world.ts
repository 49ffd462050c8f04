// The two-hosts world with extra scenario data (faults, actors) for the fault and actor
// tests: the scenario's own definition and files, a copy of its zone (faults edit it), a
// real macrotask turn after each scheduler event as test/sim/world.ts's openWorld has.
// Used by test/sim/faults.test.ts and test/sim/actors.test.ts.

import { setImmediate as macrotask } from 'node:timers/promises';
import { readScenarioTexts } from '../../scenarios/load-from-disk.ts';
import { twoHosts } from '../../scenarios/two-hosts/scenario.ts';
import { createScenarioHosts, type ScenarioDefinition } from '../../engine/sim/scenario.ts';
import { bootWorld, type World } from '../../engine/sim/world.ts';
import type { TraceEvent } from '../../engine/global/trace.ts';
import { check, TEST_EVENTS_MAX } from './world.ts';

export const A = 'a.example.test';
export const B = 'b.example.test';

export async function twoHostsWith(extra: Partial<ScenarioDefinition>, seed?: number): Promise<World> {
  const definition: ScenarioDefinition = { ...twoHosts, dns: structuredClone(twoHosts.dns), ...extra };
  const loaded = await createScenarioHosts(definition, readScenarioTexts('two-hosts'), {
    settle: () => macrotask(), ...(seed === undefined ? {} : { seed }),
  });
  return bootWorld(loaded);
}

export function isDelivery(host: string, status: string) {
  return (event: TraceEvent): boolean => event.kind === 'delivery.status' && event.host === host && event.status === status;
}

/** Runs until a trace event matches; fails with the world's SEED/scenario message. */
export async function until(world: World, predicate: (event: TraceEvent) => boolean, what: string): Promise<TraceEvent> {
  const outcome = await world.runUntil(predicate, { eventsMax: TEST_EVENTS_MAX });
  check(world, outcome.reason === 'matched', `${what}: ${outcome.runaway ?? outcome.reason}`);
  return outcome.matched!;
}
