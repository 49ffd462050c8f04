// The simulated network: bytes between two hosts through the scheduler with the link's
// latency, connection refused, end/destroy semantics, simulated STARTTLS (traced), link
// faults, addresses and ports.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, SimNetwork, createSimPlatform, type SimPlatform } from '../../../engine/platform/sim/index.ts';
import type { Connection, PlatformError } from '../../../engine/platform/types.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface World { scheduler: Scheduler; network: SimNetwork; client: SimPlatform; server: SimPlatform }

function world(latencyMs = 5): World {
  const scheduler = new Scheduler({ startMs: 0 });
  const network = new SimNetwork(scheduler, { latencyMs });
  const client = createSimPlatform({ hostName: 'client', seed: 1, scheduler, network, addresses: ['192.0.2.1'] });
  const server = createSimPlatform({ hostName: 'server', seed: 1, scheduler, network, addresses: ['192.0.2.2'] });
  return { scheduler, network, client, server };
}

/** Starts an operation, runs the world until idle, and returns the operation's outcome. */
async function settle<T>(scheduler: Scheduler, operation: Promise<T>): Promise<T> {
  const outcome = operation.then((value) => ({ value }), (error: unknown) => ({ error }));
  await scheduler.run({ eventsMax: 1000 });
  const result = await outcome;
  if ('error' in result) throw result.error;
  return result.value;
}

async function echoServer(platform: SimPlatform, port: number, log: string[]): Promise<void> {
  await platform.net.listen('0.0.0.0', port, (connection) => {
    log.push(`accept ${connection.remoteAddress}->${connection.localAddress}:${connection.localPort}`);
    connection.onData((chunk) => {
      log.push(`server got ${decoder.decode(chunk).trim()}`);
      if (decoder.decode(chunk).startsWith('QUIT')) connection.end();
      else connection.write(chunk);
    });
    connection.onClose((error) => log.push(`server close ${error?.code ?? 'clean'}`));
  });
}

test('echo between two hosts takes one latency per direction, in order', async () => {
  const { scheduler, client, server } = world(5);
  const log: string[] = [];
  await echoServer(server, 25, log);
  const connection = await settle(scheduler, client.net.connect('192.0.2.2', 25));
  assert.equal(scheduler.nowMs(), 10);
  assert.equal(connection.localAddress, '192.0.2.1');
  assert.equal(connection.remoteAddress, '192.0.2.2');
  assert.equal(connection.remotePort, 25);
  const received: string[] = [];
  connection.onData((chunk) => received.push(`${decoder.decode(chunk)}@${scheduler.nowMs()}`));
  connection.onClose((error) => received.push(`close ${error?.code ?? 'clean'}@${scheduler.nowMs()}`));
  connection.write(encoder.encode('one'));
  connection.write(encoder.encode('two'));
  connection.write(encoder.encode('QUIT'));
  await scheduler.run({ eventsMax: 1000 });
  assert.deepEqual(received, ['one@20', 'two@20', 'close clean@20']);
  assert.deepEqual(log, ['accept 192.0.2.1->192.0.2.2:25', 'server got one', 'server got two', 'server got QUIT', 'server close clean']);
});

test('connecting where nobody listens is refused; unknown addresses are unreachable', async () => {
  const { scheduler, client } = world();
  await assert.rejects(settle(scheduler, client.net.connect('192.0.2.2', 25)), (error: PlatformError) =>
    error.code === 'ECONNREFUSED' && error.message === "ECONNREFUSED: Connection refused, connect '192.0.2.2:25'");
  await assert.rejects(settle(scheduler, client.net.connect('198.51.100.9', 25)), { code: 'EHOSTUNREACH' });
});

test('bytes written before end() arrive before the close; destroy() drops bytes in flight', async () => {
  const { scheduler, client, server } = world(5);
  const serverLog: string[] = [];
  await server.net.listen('192.0.2.2', 25, (connection) => {
    connection.onData((chunk) => serverLog.push(decoder.decode(chunk)));
    connection.onClose(() => serverLog.push('close'));
  });
  const first = await settle(scheduler, client.net.connect('192.0.2.2', 25));
  first.write(encoder.encode('kept'));
  first.end();
  first.write(encoder.encode('after end is ignored'));
  await scheduler.run();
  assert.deepEqual(serverLog, ['kept', 'close']);

  serverLog.length = 0;
  const second = await settle(scheduler, client.net.connect('192.0.2.2', 25));
  let closes = 0;
  second.onClose(() => closes++);
  second.write(encoder.encode('dropped'));
  second.destroy();
  second.destroy();
  await scheduler.run();
  assert.deepEqual(serverLog, ['close']);
  assert.equal(closes, 1);
});

test('data sent before the other end sets onData is delivered, then the close', async () => {
  const { scheduler, client, server } = world(1);
  await server.net.listen('0.0.0.0', 25, (connection) => {
    connection.write(encoder.encode('220 greeting\r\n'));
    connection.end();
  });
  const connection: Connection = await settle(scheduler, client.net.connect('192.0.2.2', 25));
  const events: string[] = [];
  connection.onClose(() => events.push('close'));
  connection.onData((chunk) => events.push(decoder.decode(chunk)));
  await scheduler.run();
  assert.deepEqual(events, ['220 greeting\r\n', 'close']);
});

test('STARTTLS is simulated on both ends, traced, and checks the server certificate', async () => {
  const { scheduler, client, server } = world(5);
  const traced: TraceEvent[] = [];
  client.trace.subscribe((event) => traced.push(event));
  server.trace.subscribe((event) => traced.push(event));
  const serverSides: Array<Promise<unknown>> = [];
  let withCertificate = true;
  await server.net.listen('0.0.0.0', 25, (connection) => {
    serverSides.push(connection.startTls(withCertificate ? { role: 'server', certPem: 'CERT', keyPem: 'KEY' } : { role: 'server' }).catch((error: PlatformError) => error.code));
  });
  const connection = await settle(scheduler, client.net.connect('192.0.2.2', 25));
  const info = await settle(scheduler, connection.startTls({ role: 'client', serverName: 'mx.example', verifyPeer: true }));
  assert.deepEqual(info, { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', keyExchange: 'X25519', serverSignature: 'RSA-PSS', serverSignatureBits: 2048, serverDigest: 'SHA256', peerVerified: true });
  assert.deepEqual(await serverSides[0], { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', keyExchange: 'X25519', serverSignature: 'RSA-PSS', serverSignatureBits: 2048, serverDigest: 'SHA256', peerVerified: false });
  assert.deepEqual(traced.map((event) => [event.kind, event.host, 'role' in event ? event.role : '', 'ok' in event ? event.ok : '']),
    [['tls.handshake', 'client', 'client', true], ['tls.handshake', 'server', 'server', true]]);

  withCertificate = false;
  const second = await settle(scheduler, client.net.connect('192.0.2.2', 25));
  await assert.rejects(settle(scheduler, second.startTls({ role: 'client', verifyPeer: true })), (error: PlatformError) =>
    error.code === 'ECONNRESET' && error.message.includes('certificate verify failed'));
  assert.equal(await serverSides[1], 'ECONNRESET');
});

test('a link that is down times out new connections and holds bytes until it is up', async () => {
  const { scheduler, network, client, server } = world(5);
  const received: string[] = [];
  await server.net.listen('0.0.0.0', 25, (connection) => connection.onData((chunk) => received.push(`${decoder.decode(chunk)}@${scheduler.nowMs()}`)));
  const connection = await settle(scheduler, client.net.connect('192.0.2.2', 25));
  network.setLinkUp('client', 'server', false);
  await assert.rejects(settle(scheduler, client.net.connect('192.0.2.2', 25, { timeoutMs: 2000 })), { code: 'ETIMEDOUT' });
  assert.equal(scheduler.nowMs(), 2010);
  connection.write(encoder.encode('held'));
  await scheduler.run();
  assert.deepEqual(received, []);
  network.setLinkUp('client', 'server', true);
  await scheduler.run();
  assert.deepEqual(received, ['held@2015']);
});

test('listen: port 0 picks a free port, a taken port is EADDRINUSE, a foreign address EADDRNOTAVAIL; loopback stays on the host', async () => {
  const { scheduler, client, server } = world();
  const any = await server.net.listen('0.0.0.0', 0, () => undefined);
  assert.ok(any.port >= 32768);
  const another = await server.net.listen('0.0.0.0', 0, () => undefined);
  assert.notEqual(another.port, any.port);
  await server.net.listen('127.0.0.1', 10025, () => undefined);
  await assert.rejects(server.net.listen('127.0.0.1', 10025, () => undefined), { code: 'EADDRINUSE' });
  await assert.rejects(server.net.listen('192.0.2.1', 25, () => undefined), { code: 'EADDRNOTAVAIL' });
  await assert.rejects(settle(scheduler, client.net.connect('127.0.0.1', 10025)), { code: 'ECONNREFUSED' });
  const local = await settle(scheduler, server.net.connect('127.0.0.1', 10025));
  assert.equal(local.localAddress, '127.0.0.1');
  await any.close();
  await assert.rejects(settle(scheduler, client.net.connect('192.0.2.2', any.port)), { code: 'ECONNREFUSED' });
});
