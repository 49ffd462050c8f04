// The node platform's network on 127.0.0.1 (port 0): echo, refused, close, and STARTTLS
// upgrading a plain connection in place with a throwaway self-signed certificate. Every
// listener and connection opened here is closed before the test ends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodePlatform } from '../../../engine/platform/node/index.ts';
import type { Connection, Listener, PlatformError } from '../../../engine/platform/types.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Real-time bound for anything awaited from the network in these tests. */
const waitMsMax = 5000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), waitMsMax); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Collects a connection's bytes until `predicate` holds on the text so far. */
function readUntil(connection: Connection, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    connection.onData((chunk) => {
      text += decoder.decode(chunk);
      if (predicate(text)) resolve(text);
    });
  });
}

test('node: echo on 127.0.0.1, then a clean close on both ends', async () => {
  const platform = createNodePlatform({ seed: 1, dnsOffline: true });
  const serverClosed: Array<string> = [];
  const listener = await platform.net.listen('127.0.0.1', 0, (connection) => {
    connection.onData((chunk) => connection.write(chunk));
    connection.onClose((error) => serverClosed.push(error?.code ?? 'clean'));
  });
  try {
    assert.ok(listener.port > 0);
    const connection = await within(platform.net.connect('127.0.0.1', listener.port), 'connect');
    assert.equal(connection.remoteAddress, '127.0.0.1');
    assert.equal(connection.remotePort, listener.port);
    const echoed = readUntil(connection, (text) => text.includes('two\n'));
    const closed = new Promise<string>((resolve) => connection.onClose((error) => resolve(error?.code ?? 'clean')));
    connection.write(encoder.encode('one\n'));
    connection.write(encoder.encode('two\n'));
    assert.equal(await within(echoed, 'echo'), 'one\ntwo\n');
    connection.end();
    assert.equal(await within(closed, 'close'), 'clean');
    for (let wait = 0; wait < 50 && serverClosed.length === 0; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(serverClosed, ['clean']);
  } finally {
    await listener.close();
  }
});

test('node: a port nobody listens on is ECONNREFUSED; a taken port is EADDRINUSE', async () => {
  const platform = createNodePlatform({ seed: 1, dnsOffline: true });
  const listener = await platform.net.listen('127.0.0.1', 0, (connection) => connection.destroy());
  const port = listener.port;
  await assert.rejects(platform.net.listen('127.0.0.1', port, () => undefined), { code: 'EADDRINUSE' });
  await listener.close();
  await assert.rejects(within(platform.net.connect('127.0.0.1', port), 'refused'), (error: PlatformError) =>
    error.code === 'ECONNREFUSED' && error.message === `ECONNREFUSED: Connection refused, connect '127.0.0.1:${port}'`);
});

function selfSignedCertificate(): { certPem: string; keyPem: string } | undefined {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-keyout', join(directory, 'key.pem'), '-out', join(directory, 'cert.pem')], { stdio: 'ignore', timeout: 20_000 });
    return { certPem: readFileSync(join(directory, 'cert.pem'), 'utf8'), keyPem: readFileSync(join(directory, 'key.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

test('node: STARTTLS upgrades both ends in place and is traced', async (t) => {
  const certificate = selfSignedCertificate();
  if (certificate === undefined) return t.skip('openssl is not available');
  const traced: TraceEvent[] = [];
  const platform = createNodePlatform({ seed: 1, dnsOffline: true, hostName: 'tls-test' });
  platform.trace.subscribe((event) => traced.push(event));
  let listener: Listener | undefined;
  let client: Connection | undefined;
  try {
    listener = await platform.net.listen('127.0.0.1', 0, (connection) => {
      connection.write(encoder.encode('220 ready\r\n'));
      let upgraded = false;
      connection.onData((chunk) => {
        const line = decoder.decode(chunk);
        if (!upgraded && line.startsWith('STARTTLS')) {
          upgraded = true;
          connection.write(encoder.encode('220 go ahead\r\n'));
          void connection.startTls({ role: 'server', ...certificate }).then(() => {
            connection.onData((secret) => connection.write(encoder.encode(`secure echo: ${decoder.decode(secret)}`)));
          });
        }
      });
    });
    client = await within(platform.net.connect('127.0.0.1', listener.port), 'connect');
    const connection = client;
    let text = '';
    let wake: (() => void) | undefined;
    connection.onData((chunk) => { text += decoder.decode(chunk); wake?.(); });
    const waitFor = async (needle: string) => {
      for (let round = 0; round < 100 && !text.includes(needle); round++) await within(new Promise<void>((resolve) => { wake = resolve; }), needle);
    };
    await waitFor('220 ready');
    connection.write(encoder.encode('STARTTLS\r\n'));
    await waitFor('220 go ahead');
    const info = await within(connection.startTls({ role: 'client', serverName: 'localhost', verifyPeer: false }), 'handshake');
    assert.match(info.protocol, /^TLSv1\.[23]$/);
    assert.ok(info.cipher.length > 0);
    assert.equal(info.peerVerified, false);
    connection.write(encoder.encode('EHLO secret\r\n'));
    await waitFor('secure echo: EHLO secret');
    for (let wait = 0; wait < 50 && traced.length < 2; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(traced.map((event) => event.kind === 'tls.handshake' ? `${event.role}:${event.ok}` : event.kind).sort(), ['client:true', 'server:true']);
  } finally {
    client?.destroy();
    await listener?.close();
  }
});
