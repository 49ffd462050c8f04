// qmgr's resolve_clnt one-entry cache: the same (sender, address) within 30 s of the last
// answer is answered without a query; another address, another sender, an empty address,
// the 30 s passing, a new configuration or a failed query all ask trivial-rewrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResolveCache, RESOLVE_CACHE_SECONDS } from '../../../engine/qmgr/resolve-cache.ts';
import type { Resolution } from '../../../engine/master/contracts.ts';

function fixture() {
  let nowMs = 1_700_000_000_000;
  const asked: string[] = [];
  let failNext = false;
  const cache = new ResolveCache({ nowMs: () => nowMs } as never, async (sender, address) => {
    asked.push(`${sender} ${address}`);
    if (failNext) { failNext = false; throw new Error('rewrite service unavailable'); }
    const answer: Resolution = { addressClass: 'default', transport: 'smtp', nexthop: address.split('@')[1] ?? '', recipient: address, flags: [] };
    return answer;
  });
  return { cache, asked, advance: (seconds: number) => { nowMs += seconds * 1000; }, failOnce: () => { failNext = true; } };
}

test('a repeated query within 30 s is answered from the cache, with the same answer', async () => {
  const { cache, asked, advance } = fixture();
  const config = {};
  const first = await cache.resolve('a@x.test', 'b@y.test', config);
  advance(RESOLVE_CACHE_SECONDS - 1);
  const second = await cache.resolve('a@x.test', 'b@y.test', config);
  assert.equal(second, first);
  assert.deepEqual(asked, ['a@x.test b@y.test']);
  advance(1);
  await cache.resolve('a@x.test', 'b@y.test', config);
  assert.equal(asked.length, 2, 'expired 30 s after the answer came');
});

test('another address, sender, configuration or an empty address is asked', async () => {
  const { cache, asked } = fixture();
  const config = {};
  await cache.resolve('a@x.test', 'b@y.test', config);
  await cache.resolve('a@x.test', 'c@y.test', config);
  await cache.resolve('a@x.test', 'b@y.test', config);
  await cache.resolve('d@x.test', 'b@y.test', config);
  await cache.resolve('d@x.test', 'b@y.test', {});
  await cache.resolve('d@x.test', '', {});
  await cache.resolve('d@x.test', '', {});
  assert.deepEqual(asked, [
    'a@x.test b@y.test', 'a@x.test c@y.test', 'a@x.test b@y.test', 'd@x.test b@y.test', 'd@x.test b@y.test', 'd@x.test ', 'd@x.test ',
  ]);
});

test('a failed query is not cached and does not replace the cached answer', async () => {
  const { cache, asked, failOnce } = fixture();
  const config = {};
  await cache.resolve('a@x.test', 'b@y.test', config);
  failOnce();
  await assert.rejects(async () => cache.resolve('a@x.test', 'c@y.test', config));
  await cache.resolve('a@x.test', 'b@y.test', config);
  await cache.resolve('a@x.test', 'c@y.test', config);
  assert.deepEqual(asked, ['a@x.test b@y.test', 'a@x.test c@y.test', 'a@x.test c@y.test']);
});
