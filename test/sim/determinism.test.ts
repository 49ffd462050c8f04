// Determinism (issue 5): every scenario in scenarios/, booted twice with the same seed and
// the same inputs (its own scripted actions plus scheduleStandardInputs), gives the same
// trace as JSON lines, byte for byte; a different seed gives the same deliveries, and they
// come to what the scenario declares (ScenarioDefinition.outcomes: a bounce, a deferral then
// a delivery), every other delivery "sent". Each failure message starts with
// "SEED=<n> scenario=<id>".

import { test } from 'node:test';
import { scenarioIds } from '../../engine/sim/scenario.ts';
import type { World } from '../../engine/sim/world.ts';
import { check, deliveries, openWorld, runQuiet, scheduleStandardInputs, tag } from './world.ts';
import assert from 'node:assert/strict';

/** The scenario's declared outcomes against the trace: the statuses each names happen at
 *  its host for its recipient, in that order (other mail to the same recipient, such as the
 *  standard inputs, may add deliveries between them). Every other delivery is "sent"; it
 *  may be deferred first only in a scenario that scripts faults (the standard inputs meet
 *  the dead primary of backup-mx too). */
function checkOutcomes(world: World): void {
  const scenario = world.loaded.scenario;
  const faulty = (scenario.faults ?? []).length > 0;
  const key = (host: string, recipient: string): string => `${host} to=<${recipient}>`;
  const statuses = new Map<string, string[]>();
  for (const event of world.trace) {
    if (event.kind !== 'delivery.status') continue;
    const name = key(event.host, event.recipient);
    statuses.set(name, [...(statuses.get(name) ?? []), event.status]);
  }
  for (const outcome of scenario.outcomes ?? []) {
    const name = key(outcome.host, outcome.recipient);
    const seen = statuses.get(name) ?? [];
    const rest: string[] = [];
    let matched = 0;
    for (const status of seen) {
      if (matched < outcome.statuses.length && status === outcome.statuses[matched]) matched++;
      else rest.push(status);
    }
    check(world, matched === outcome.statuses.length, `${outcome.story}: ${name} logs ${seen.join(', ') || 'nothing'}, not ${outcome.statuses.join(', ')}`);
    if (rest.length === 0) statuses.delete(name);
    else statuses.set(name, rest);
  }
  for (const [name, seen] of statuses) {
    const allowed = seen.at(-1) === 'sent' && seen.every((status) => status === 'sent' || (faulty && status === 'deferred'));
    check(world, allowed, `${name}: ${seen.join(', ')}, and no outcome of the scenario says so`);
  }
}

async function traceOf(id: string, seed?: number) {
  const world = await openWorld(id, seed);
  scheduleStandardInputs(world);
  await runQuiet(world);
  return { world, lines: world.traceLines(), delivered: deliveries(world.trace) };
}

/** The first line where two JSON-lines traces differ, for the failure message. */
function firstDifference(one: string, other: string): string {
  const left = one.split('\n');
  const right = other.split('\n');
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    if (left[index] !== right[index]) return `line ${index + 1}:\n  ${left[index] ?? '(end)'}\n  ${right[index] ?? '(end)'}`;
  }
  return 'none';
}

for (const id of scenarioIds()) {
  test(`${id}: the same seed and inputs give the same trace, byte for byte`, async () => {
    const first = await traceOf(id);
    const second = await traceOf(id);
    check(first.world, first.world.trace.length > 10, `only ${first.world.trace.length} trace events`);
    check(first.world, first.delivered.length >= first.world.hosts.length, `too few deliveries: ${first.delivered.join('; ')}`);
    check(first.world, first.lines === second.lines, `traces differ at ${firstDifference(first.lines, second.lines)}`);
  });

  test(`${id}: another seed still delivers the same mail`, async () => {
    const base = await traceOf(id);
    const other = await traceOf(id, base.world.seed + 1000);
    assert.deepEqual(other.delivered, base.delivered, tag(other.world, `deliveries differ from seed ${base.world.seed}`));
    if (base.world.trace.some((event) => event.queueId !== undefined)) {
      check(other.world, other.lines !== base.lines, 'the seed changed nothing in the trace (queue ids come from it)');
    }
    checkOutcomes(base.world);
    checkOutcomes(other.world);
  });
}
