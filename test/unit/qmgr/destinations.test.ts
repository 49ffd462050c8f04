// The destination queue's concurrency window and on-demand connection caching as
// qmgr_queue.c and qmgr_entry_select() drive them: the window opens from
// initial_destination_concurrency by one per window's worth of successes up to the limit;
// caching (CONN_FETCH|CONN_STORE) starts when deliveries run back to back and storing stops
// when they are neither concurrent nor back to back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DestinationQueue, TransportQueues } from '../../../engine/qmgr/destinations.ts';

function queue(initial = 5, limit = 20): DestinationQueue<unknown> {
  return new DestinationQueue(new TransportQueues<unknown>('smtp', initial, limit, 50, 1), 'example.com', 'example.com');
}

test('the window opens from 5 to the limit 20 as deliveries succeed while the queue is busy', () => {
  const destination = queue();
  assert.equal(destination.window, 5);
  const seen = [destination.window];
  for (let delivery = 0; delivery < 200 && destination.window < 20; delivery++) {
    destination.busy = destination.window;
    destination.noteSuccess();
    if (destination.window !== seen.at(-1)) seen.push(destination.window);
  }
  assert.deepEqual(seen, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  destination.busy = 20;
  destination.noteSuccess();
  assert.equal(destination.window, 20);
});

test('connection caching: off for a first burst, on once a delivery ended within the second, storing off when idle', () => {
  const destination = queue();
  destination.busy = 3;
  destination.selectConnectionCache(100);
  assert.deepEqual(destination.connectionCache, { fetch: false, store: false });
  destination.lastDoneSeconds = 100;
  destination.selectConnectionCache(101);
  assert.deepEqual(destination.connectionCache, { fetch: true, store: true });
  destination.busy = 2;
  destination.selectConnectionCache(105);
  assert.deepEqual(destination.connectionCache, { fetch: true, store: true });
  destination.busy = 1;
  destination.selectConnectionCache(105);
  assert.deepEqual(destination.connectionCache, { fetch: true, store: false });
});
