// The seeded random streams: repeatable for a seed, different across seeds, and forks that
// depend only on (seed, label path), never on how much the parent has drawn.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSeededRandom } from '../../../engine/platform/sim/random.ts';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import type { Random } from '../../../engine/platform/types.ts';

const draw = (random: Random, count: number): number[] => Array.from({ length: count }, () => random.next());

test('the same seed gives the same sequence; another seed another one', () => {
  const first = draw(createSeededRandom(42), 100);
  assert.deepEqual(draw(createSeededRandom(42), 100), first);
  const other = draw(createSeededRandom(43), 100);
  assert.notDeepEqual(other, first);
  assert.ok(first.every((value) => value >= 0 && value < 1));
  assert.equal(new Set(first).size, 100);
});

test('a fork does not depend on the parent draws, and labels give independent streams', () => {
  const untouched = createSeededRandom(7);
  const busy = createSeededRandom(7);
  draw(busy, 1000);
  assert.deepEqual(draw(busy.fork('smtp'), 20), draw(untouched.fork('smtp'), 20));
  const smtp = draw(untouched.fork('smtp'), 20);
  const queue = draw(untouched.fork('queue'), 20);
  assert.notDeepEqual(smtp, queue);
  assert.notDeepEqual(draw(untouched.fork('smtp').fork('x'), 20), draw(untouched.fork('smtp/x'.replace('/', '-')), 20));
  const parent = createSeededRandom(7);
  const before = draw(parent, 5);
  parent.fork('anything');
  assert.notDeepEqual(draw(parent, 5), before);
  const again = createSeededRandom(7);
  draw(again, 5);
  draw(again.fork('more'), 50);
  assert.deepEqual(draw(again, 5), draw(createSeededRandom(7), 10).slice(5));
});

test('int stays in range and covers it; a bad bound throws', () => {
  const random = createSeededRandom(1);
  const counts = new Array<number>(6).fill(0);
  for (let index = 0; index < 6000; index++) {
    const value = random.int(6);
    assert.ok(Number.isInteger(value) && value >= 0 && value < 6);
    counts[value]!++;
  }
  assert.ok(counts.every((count) => count > 800 && count < 1200), `skewed: ${counts.join(',')}`);
  assert.throws(() => random.int(0), RangeError);
  assert.throws(() => random.int(2.5), RangeError);
});

test('sim hosts with one seed get different streams by host name, repeatably', () => {
  const a = createSimPlatform({ hostName: 'a', seed: 9 }).random;
  const b = createSimPlatform({ hostName: 'b', seed: 9 }).random;
  const aAgain = createSimPlatform({ hostName: 'a', seed: 9 }).random;
  const first = draw(a, 10);
  assert.notDeepEqual(draw(b, 10), first);
  assert.deepEqual(draw(aAgain, 10), first);
});

test('streams are pinned: the same seed and label path give the numbers they always gave', () => {
  // Values drawn from the generator as it was before its seeding hashed in one pass.
  const cases: [number, string[], number[]][] = [
    [1, ['host:a.example.test', 'smtp:0037129'], [995410, 18086, 909614]],
    [7, ['host:b', 'cleanup'], [148656, 736582, 264789]],
    [4294967295, ['postdrop:1234', 'ü/ß'], [786735, 208046, 339221]],
  ];
  for (const [seed, labels, expected] of cases) {
    let random = createSeededRandom(seed);
    for (const label of labels) random = random.fork(label);
    assert.deepEqual([random.int(1_000_000), random.int(1_000_000), random.int(1_000_000)], expected);
  }
});
