// Step back by replay: after N steps of two-hosts, back() gives a fresh world at N-1 steps
// whose trace equals, byte for byte, the trace the first world had at N-1; stepping forward
// again reaches the same trace as before the step back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReplayer } from '../../engine/sim/replay.ts';
import { openWorld, tag } from './world.ts';

const STEPS = 40;

test('back() replays the world to one event earlier, byte for byte', async () => {
  const replayer = await createReplayer(() => openWorld('two-hosts'));
  const traces: string[] = [replayer.world().traceLines()];
  for (let index = 0; index < STEPS; index++) {
    await replayer.step();
    traces.push(replayer.world().traceLines());
  }
  const first = replayer.world();
  assert.equal(replayer.position(), STEPS, tag(first, 'position'));
  assert.ok(first.trace.some((event) => event.kind === 'delivery.status'), tag(first, `${STEPS} steps reach a delivery`));
  assert.equal(await replayer.back(), true);
  const second = replayer.world();
  assert.notEqual(second, first, tag(second, 'back() builds a new world'));
  assert.equal(replayer.position(), STEPS - 1, tag(second, 'position after back'));
  assert.equal(second.traceLines(), traces[STEPS - 1], tag(second, 'trace after back'));
  await replayer.step();
  assert.equal(second.traceLines(), traces[STEPS], tag(second, 'trace after stepping forward again'));
  await replayer.seek(0);
  assert.equal(replayer.position(), 0);
  assert.equal(await replayer.back(), false, tag(replayer.world(), 'no step before the first'));
  assert.equal(replayer.world().traceLines(), traces[0], tag(replayer.world(), 'trace at position 0'));
});
