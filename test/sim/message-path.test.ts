// engine/sim/message-path.ts on a hand-made trace: stages by (host, queue id); a relay link
// by "queued as" to the host owning the relay's address (not a same-id stage elsewhere);
// forward and bounce links on the same host; a link to a stage outside the trace kept with
// `to` undefined. No world here, so messages carry "SEED=0 scenario=synthetic".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messagePaths, pathOf } from '../../engine/sim/message-path.ts';
import type { TraceEvent } from '../../engine/global/trace.ts';

const TAG = 'SEED=0 scenario=synthetic';
const delays = { beforeActiveSeconds: 0.1, inActiveSeconds: 0, connectionSetupSeconds: 0.2, transmissionSeconds: 0.3 };
let seq = 0;

function event(host: string, queueId: string, detail: Record<string, unknown>, atMs = seq * 10): TraceEvent {
  seq++;
  return { host, service: 'x', pid: 1, queueId, seq, atMs, ...detail } as unknown as TraceEvent;
}

function sent(host: string, queueId: string, recipient: string, relay: string, text: string): TraceEvent {
  return event(host, queueId, { kind: 'delivery.status', recipient, relay, delaySeconds: 0.6, delays, dsn: '2.0.0', status: 'sent', text });
}

test('relay, forward and bounce links make one path per origin', () => {
  const trace = [
    event('a', 'A1', { kind: 'qmgr.active', sender: 's@a', size: 10, recipients: 1 }),
    // A stage with the same id on an unrelated host must not be taken for the relay target.
    event('c', 'B7', { kind: 'qmgr.active', sender: 'other@c', size: 1, recipients: 1 }),
    event('b', 'B7', { kind: 'smtpd.client', clientName: 'a', clientAddress: '10.0.0.1' }),
    sent('a', 'A1', 'u@b', 'b[10.0.0.2]:25', '250 2.0.0 Ok: queued as B7'),
    event('b', 'B7', { kind: 'local.forwarded', recipient: 'u@b', newQueueId: 'B8' }),
    sent('b', 'B7', 'u@b', 'local', 'forwarded as B8'),
    event('b', 'B8', { kind: 'qmgr.active', sender: 's@a', size: 10, recipients: 1 }),
    event('b', 'B8', { kind: 'delivery.status', recipient: 'x@nowhere', relay: 'none', delaySeconds: 1, delays, dsn: '5.1.1', status: 'bounced', text: 'unknown' }),
    event('b', 'B8', { kind: 'bounce.notification', notice: 'sender non-delivery notification', newQueueId: 'B9' }),
    sent('a', 'A1', 'v@d', 'd[10.0.0.4]:25', '250 2.0.0 Ok: queued as D1'),
  ];
  const owners = new Map([['10.0.0.2', 'b'], ['10.0.0.4', 'd']]);
  const paths = messagePaths(trace, { ownerOf: (address) => owners.get(address) });
  assert.deepEqual(paths.map((path) => [path.origin, path.stages.map((stage) => stage.key)]), [
    ['a/A1', ['a/A1', 'b/B7', 'b/B8']],
    ['c/B7', ['c/B7']],
  ], TAG);
  const [origin] = paths[0]!.stages;
  assert.deepEqual(origin!.links.map((link) => [link.kind, link.via, link.to, link.toHost, link.toQueueId]), [
    ['relay', 'u@b', 'b/B7', 'b', 'B7'],
    ['relay', 'v@d', undefined, 'd', 'D1'],
  ], TAG);
  const b8 = paths[0]!.stages[2]!;
  assert.deepEqual(b8.links.map((link) => [link.kind, link.to, link.toQueueId]), [['bounce', undefined, 'B9']], TAG);
  assert.equal(b8.deliveries[0]?.status, 'bounced', TAG);
  assert.equal(pathOf(paths, 'b', 'B8')?.origin, 'a/A1', TAG);
  assert.equal(pathOf(paths, 'z', 'Q'), undefined, TAG);
});
