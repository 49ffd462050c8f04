// ConnectOptions.earlyData on the simulated network: the bytes a client sends the moment it
// is connected are at the server when its accept handler sets up the reader (delivered
// while the handler runs, at accept time), and nothing is sent twice; a connection without
// earlyData still sees the client's first write one latency after its connect resolved.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, SimNetwork, createSimPlatform } from '../../../engine/platform/sim/index.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function world(): Promise<{ scheduler: Scheduler; client: ReturnType<typeof createSimPlatform>; log: string[] }> {
  const scheduler = new Scheduler({ startMs: 0 });
  const network = new SimNetwork(scheduler, { latencyMs: 5 });
  const client = createSimPlatform({ hostName: 'client', seed: 1, scheduler, network, addresses: ['192.0.2.1'] });
  const server = createSimPlatform({ hostName: 'server', seed: 1, scheduler, network, addresses: ['192.0.2.2'] });
  const log: string[] = [];
  await server.net.listen('0.0.0.0', 25, (connection) => {
    log.push(`accept@${scheduler.nowMs()}`);
    connection.onData((chunk) => log.push(`data ${decoder.decode(chunk)}@${scheduler.nowMs()}`));
    log.push('handler set');
  });
  return { scheduler, client, log };
}

test('earlyData reaches the server inside its accept, before any later event', async () => {
  const { scheduler, client, log } = await world();
  const pending = client.net.connect('192.0.2.2', 25, { earlyData: encoder.encode('EHLO early\r\n') });
  await scheduler.run({ eventsMax: 1000 });
  await pending;
  assert.deepEqual(log, ['accept@5', 'handler set', 'data EHLO early\r\n@5']);
});

test('without earlyData the first write arrives one latency after connect resolved', async () => {
  const { scheduler, client, log } = await world();
  const pending = client.net.connect('192.0.2.2', 25);
  await scheduler.run({ eventsMax: 1000 });
  const connection = await pending;
  connection.write(encoder.encode('EHLO late\r\n'));
  await scheduler.run({ eventsMax: 1000 });
  assert.deepEqual(log, ['accept@5', 'handler set', 'data EHLO late\r\n@15']);
});
