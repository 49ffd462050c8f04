// Step back by replay: after N steps of two-hosts, back() gives a fresh world at N-1 steps
// whose trace equals, byte for byte, the trace the first world had at N-1; stepping forward
// again reaches the same trace as before the step back. Several backs in a row (the twin
// world, then a rebuilt one) and a world run on through world() give the traces a plain
// replay from the start gives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReplayer } from '../../engine/sim/replay.ts';
import { check, openWorld, scheduleStandardInputs, tag, TEST_EVENTS_MAX } from './world.ts';

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

const BACKS = 5;

test('back() several times in a row: each step back equals the trace at that position', async () => {
  const open = async () => { const world = await openWorld('two-hosts'); scheduleStandardInputs(world); return world; };
  const replayer = await createReplayer(open);
  const traces: string[] = [replayer.world().traceLines()];
  for (let index = 0; index < STEPS; index++) {
    await replayer.step();
    traces.push(replayer.world().traceLines());
  }
  for (let back = 1; back <= BACKS; back++) {
    assert.equal(await replayer.back(), true);
    assert.equal(replayer.position(), STEPS - back, tag(replayer.world(), `position after ${back} backs`));
    assert.equal(replayer.world().traceLines(), traces[STEPS - back], tag(replayer.world(), `trace after ${back} backs`));
  }
  await replayer.seek(STEPS);
  assert.equal(replayer.world().traceLines(), traces[STEPS], tag(replayer.world(), 'seek forward again'));
  await replayer.rebuilding();
  replayer.dispose();
});

test('a world run on through world() steps back to the trace a replay from the start gives', async () => {
  const open = async () => { const world = await openWorld('two-hosts'); scheduleStandardInputs(world); return world; };
  const replayer = await createReplayer(open);
  for (let index = 0; index < 3; index++) await replayer.step();
  await replayer.world().runUntilQuiet({ eventsMax: TEST_EVENTS_MAX });
  const here = replayer.position();
  check(replayer.world(), here > STEPS, `only ${here} events`);
  const plain = await createReplayer(open, { twin: false });
  await plain.seek(here - 1);
  assert.equal(await replayer.back(), true);
  assert.equal(replayer.position(), here - 1, tag(replayer.world(), 'position'));
  assert.equal(replayer.world().traceLines(), plain.world().traceLines(), tag(replayer.world(), 'twin against a plain replay'));
  assert.equal(await plain.back(), true);
  assert.equal(await replayer.back(), true);
  assert.equal(replayer.world().traceLines(), plain.world().traceLines(), tag(replayer.world(), 'second back'));
  await replayer.rebuilding();
  replayer.dispose();
});
