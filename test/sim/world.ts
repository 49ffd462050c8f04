// Shared helpers of the sim tests: a scenario world booted from the files on disk with a
// real macrotask turn after each scheduler event (as the browser worker and `mtalab sim`
// run it), the standard inputs every scenario gets in the determinism test, and `fail`,
// which makes every message start with "SEED=<n> scenario=<id>" as issue 5 asks.
// Used by test/sim/*.test.ts. Trusts engine/sim; every run is bounded in events.

import assert from 'node:assert/strict';
import { setImmediate as macrotask } from 'node:timers/promises';
import { loadScenarioFromDisk } from '../../scenarios/load-from-disk.ts';
import { bootWorld, type World } from '../../engine/sim/world.ts';
import type { TraceEvent } from '../../engine/global/trace.ts';

/** Events any one test run may fire. */
export const TEST_EVENTS_MAX = 50_000;

export async function openWorld(id: string, seed?: number): Promise<World> {
  const loaded = await loadScenarioFromDisk(id, { settle: () => macrotask(), ...(seed === undefined ? {} : { seed }) });
  return bootWorld(loaded);
}

/** "SEED=<n> scenario=<id>: text" */
export function tag(world: World, text: string): string {
  return `SEED=${world.seed} scenario=${world.scenarioId}: ${text}`;
}

export function check(world: World, condition: unknown, text: string): asserts condition {
  assert.ok(condition, tag(world, text));
}

/** The inputs the determinism test feeds every scenario besides its own actions: at 2 s,
 *  root on each host mails root on the next host (by name; itself when it is alone). */
export function scheduleStandardInputs(world: World): void {
  const names = world.hosts.map((entry) => entry.name);
  world.hosts.forEach((entry, index) => {
    const next = names[(index + 1) % names.length]!;
    world.scheduler.at(world.loaded.bootMs + 2_000, () => {
      void entry.command(['sendmail', '-f', `root@${entry.name}`, `root@${next}`], {
        stdin: `Subject: standard input ${index}\n\nfrom ${entry.name} to ${next}\n`,
      });
    }, `test input ${entry.name}`);
  });
}

/** Runs the world until quiet; a runaway fails the test with the world's own message. */
export async function runQuiet(world: World): Promise<void> {
  const outcome = await world.runUntilQuiet({ eventsMax: TEST_EVENTS_MAX });
  assert.notEqual(outcome.reason, 'limit', outcome.runaway ?? tag(world, 'run hit its limit'));
}

/** What was delivered where: "host to=<rcpt> status" per delivery.status event, sorted. */
export function deliveries(trace: readonly TraceEvent[]): string[] {
  return trace.flatMap((event) => event.kind === 'delivery.status'
    ? [`${event.host} ${event.service} to=<${event.recipient}> ${event.status} ${event.dsn}`] : []).sort();
}
