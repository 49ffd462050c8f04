// The worker's guard on incoming messages (ui/src/worker/protocol.ts): well-formed page
// requests pass, anything else (wrong type, missing or mistyped fields) is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPageToWorker } from '../../../ui/src/worker/protocol.ts';

test('accepts the three page requests', () => {
  assert.ok(isPageToWorker({ type: 'boot', scenario: 'single-host', columns: 80, rows: 24 }));
  assert.ok(isPageToWorker({ type: 'input', hostId: 'mail', data: 'postconf -n\r' }));
  assert.ok(isPageToWorker({ type: 'resize', hostId: 'mail', columns: 120, rows: 40 }));
});

test('refuses malformed messages', () => {
  const bad: unknown[] = [
    null, undefined, 'boot', 42, [], {},
    { type: 'boot' },
    { type: 'input', hostId: 'mail' },
    { type: 'input', hostId: 7, data: 'x' },
    { type: 'resize', hostId: 'mail', columns: '80', rows: 24 },
    { type: 'ready', hosts: [] },
    { type: 'output', hostId: 'mail', data: 'x' },
  ];
  for (const message of bad) assert.equal(isPageToWorker(message), false, JSON.stringify(message));
});

test('accepts the time controls; fast-forward needs a positive finite span', () => {
  for (const type of ['play', 'pause', 'step', 'back']) assert.ok(isPageToWorker({ type }), type);
  assert.ok(isPageToWorker({ type: 'fast-forward', ms: 60_000 }));
  for (const ms of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60000', undefined]) {
    assert.equal(isPageToWorker({ type: 'fast-forward', ms }), false, String(ms));
  }
  assert.equal(isPageToWorker({ type: 'trace', rows: [] }), false, 'a worker message is not a request');
  assert.equal(isPageToWorker({ type: 'world', world: {} }), false);
});
