// The sim scheduler's handling of cancelled timers (engine/platform/sim/scheduler.ts): a
// cancelled entry lets go of its callback at once and the heap is compacted once more than
// half of it is cancelled, without changing which events fire or in what order; and the
// world's trace string sharing (engine/sim/trace-intern.ts) keeps every value equal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../../engine/platform/sim/scheduler.ts';
import { createStringInterner } from '../../../engine/sim/trace-intern.ts';

/** Timers the tests schedule: enough to pass the compaction threshold several times. */
const TIMERS = 5000;

test('cancelling most timers compacts the heap and keeps the live ones in (time, insertion) order', async () => {
  const scheduler = new Scheduler({ startMs: 0 });
  const fired: number[] = [];
  const cancels: Array<() => void> = [];
  // Times repeat (index % 97) so that ties are broken by insertion order.
  for (let index = 0; index < TIMERS; index++) cancels.push(scheduler.at(index % 97, () => fired.push(index)));
  const live = new Set<number>();
  for (let index = 0; index < TIMERS; index++) {
    if (index % 7 === 3) live.add(index);
    else cancels[index]!();
  }
  assert.ok(scheduler.pending < TIMERS / 2, `pending ${scheduler.pending} after cancelling ${TIMERS - live.size}`);
  const result = await scheduler.run({ eventsMax: TIMERS });
  const expected = [...live].sort((one, other) => (one % 97) - (other % 97) || one - other);
  assert.deepEqual(fired, expected);
  assert.equal(result.events, live.size);
  assert.equal(result.reason, 'idle');
});

test('a cancelled timer releases its callback (checked under --expose-gc); a cancel after firing is harmless', async () => {
  const scheduler = new Scheduler({ startMs: 0 });
  // The callback closes over `held`; nothing else does once the arrow below returns.
  let cancel: () => void = () => undefined;
  const probe = (() => {
    const held = new Uint8Array(16);
    cancel = scheduler.after(1000, () => { assert.fail(`fired with ${held.length}`); });
    return new WeakRef(held);
  })();
  cancel();
  // The entry is still in the heap (one cancel is below the compaction threshold), but what
  // it held is not reachable through it any more.
  assert.equal(scheduler.pending, 1);
  const fired: string[] = [];
  const cancelFired = scheduler.after(1, () => fired.push('one'));
  scheduler.after(2, () => fired.push('two'));
  assert.equal(scheduler.step(), true);
  cancelFired();
  cancelFired();
  await scheduler.run();
  assert.deepEqual(fired, ['one', 'two']);
  assert.equal(scheduler.pending, 0);
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) {
    // A WeakRef's target stays alive until the job that made it ends.
    await new Promise((resolve) => { setImmediate(resolve); });
    collect();
    assert.equal(probe.deref(), undefined, 'the cancelled callback still holds what it closed over');
  }
});

test('trace string sharing keeps every key, value and order', () => {
  const interner = createStringInterner();
  const make = (index: number) => ({
    host: `b.${'example'}.test`, service: 'smtp', pid: 7, kind: 'delivery.status',
    recipient: ['bob', 'b.example.test'].join('@'), recipients: [`bob@b.example.test`, `x${index}@b.example.test`],
    frozen: Object.freeze(['a', 'b']), text: 'x'.repeat(200), delays: { beforeActiveSeconds: 0.5 }, seq: index, atMs: 1.5,
  });
  for (let index = 0; index < 3; index++) {
    const event = make(index);
    const before = JSON.stringify(event);
    assert.equal(interner.internEvent(event), event);
    assert.equal(JSON.stringify(event), before);
    assert.deepEqual(Object.keys(event), Object.keys(make(index)));
  }
});
