// The sim scheduler: virtual time, insertion order for equal times, cancellation, bounded
// runs, runUntil by time and by predicate, and promise chains settling at their event's time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { defaultStartMs } from '../../../engine/platform/sim/scheduler.ts';

test('events fire in time order, equal times in insertion order, and move the clock', async () => {
  const scheduler = new Scheduler({ startMs: 1000 });
  const fired: string[] = [];
  scheduler.after(10, () => fired.push(`b@${scheduler.nowMs()}`));
  scheduler.after(5, () => fired.push(`a@${scheduler.nowMs()}`));
  scheduler.after(10, () => fired.push(`c@${scheduler.nowMs()}`));
  scheduler.after(0, () => fired.push(`zero@${scheduler.nowMs()}`));
  scheduler.after(-3, () => fired.push(`negative@${scheduler.nowMs()}`));
  const result = await scheduler.run();
  assert.deepEqual(fired, ['zero@1000', 'negative@1000', 'a@1005', 'b@1010', 'c@1010']);
  assert.deepEqual(result, { events: 5, reason: 'idle', nowMs: 1010 });
  assert.equal(scheduler.fired, 5);
});

test('a cancelled event never fires; cancelling twice is harmless', async () => {
  const scheduler = new Scheduler();
  const fired: number[] = [];
  const cancel = scheduler.after(1, () => fired.push(1));
  scheduler.after(2, () => fired.push(2));
  cancel();
  cancel();
  assert.equal(scheduler.peek()?.atMs, defaultStartMs + 2);
  assert.equal(scheduler.step(), true);
  assert.equal(scheduler.step(), false);
  assert.deepEqual(fired, [2]);
});

test('a runaway stops at eventsMax with reason limit', async () => {
  const scheduler = new Scheduler();
  let count = 0;
  const loop = (): void => { count++; scheduler.after(1, loop); };
  scheduler.after(0, loop);
  const result = await scheduler.run({ eventsMax: 50 });
  assert.equal(result.reason, 'limit');
  assert.equal(result.events, 50);
  assert.equal(count, 50);
  assert.equal(scheduler.pending, 1);
});

test('runUntil a time fires due events and advances the clock to that time', async () => {
  const scheduler = new Scheduler({ startMs: 0 });
  const fired: number[] = [];
  for (const at of [5, 10, 15, 20]) scheduler.after(at, () => fired.push(at));
  const first = await scheduler.runUntil(12);
  assert.deepEqual(fired, [5, 10]);
  assert.deepEqual(first, { events: 2, reason: 'until', nowMs: 12 });
  await scheduler.runUntil(100);
  assert.deepEqual(fired, [5, 10, 15, 20]);
  assert.equal(scheduler.nowMs(), 100);
});

test('runUntil a predicate stops right after the event that satisfies it', async () => {
  const scheduler = new Scheduler({ startMs: 0 });
  const fired: number[] = [];
  for (let index = 1; index <= 10; index++) scheduler.after(index, () => fired.push(index));
  const result = await scheduler.runUntil(() => fired.includes(4));
  assert.equal(result.reason, 'until');
  assert.deepEqual(fired, [1, 2, 3, 4]);
  assert.equal(scheduler.nowMs(), 4);
});

test('promise chains started by an event finish at that virtual time', async () => {
  const platform = createSimPlatform({ hostName: 'a', seed: 1 });
  const times: number[] = [];
  platform.timers.after(100, () => {
    void (async () => {
      await platform.fs.writeFile('/x', 'one');
      await platform.fs.appendFile('/x', 'two');
      const content = await platform.fs.readFile('/x');
      times.push(platform.clock.nowMs() - defaultStartMs, content.length);
      platform.timers.after(50, () => times.push(platform.clock.nowMs() - defaultStartMs));
    })();
  });
  platform.timers.after(101, () => times.push(-1));
  await platform.scheduler.run();
  assert.deepEqual(times, [100, 6, -1, 150]);
});

test('two runs of the same schedule give the same order and times', async () => {
  const record = async (): Promise<string[]> => {
    const scheduler = new Scheduler({ startMs: 0 });
    const log: string[] = [];
    for (let index = 0; index < 20; index++) {
      scheduler.after((index * 7) % 5, () => {
        log.push(`${index}@${scheduler.nowMs()}`);
        if (index % 3 === 0) scheduler.after(index % 4, () => log.push(`child${index}@${scheduler.nowMs()}`));
      });
    }
    await scheduler.run();
    return log;
  };
  const first = await record();
  assert.deepEqual(await record(), first);
  assert.equal(first.length, 27);
});
