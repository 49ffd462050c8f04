// Determinism (issue 5): every scenario in scenarios/, booted twice with the same seed and
// the same inputs (its own scripted actions plus scheduleStandardInputs), gives the same
// trace as JSON lines, byte for byte; a different seed gives the same deliveries. Each
// failure message starts with "SEED=<n> scenario=<id>".

import { test } from 'node:test';
import { scenarioIds } from '../../engine/sim/scenario.ts';
import { check, deliveries, openWorld, runQuiet, scheduleStandardInputs, tag } from './world.ts';
import assert from 'node:assert/strict';

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
    check(other.world, other.delivered.every((line) => / sent 2\.0\.0$/.test(line)), `not all sent: ${other.delivered.join('; ')}`);
  });
}
