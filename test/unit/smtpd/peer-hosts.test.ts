// smtpd's client name lookup (engine/smtpd/peer.ts) reads /etc/hosts through a cache kept
// until the file's stat changes: repeated connections do not read the file again, an edit
// (a new size or mtime) or a replaced file is seen by the next connection, a removed file
// means no entries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { lookupClient } from '../../../engine/smtpd/peer.ts';
import type { Platform } from '../../../engine/platform/types.ts';

const encoder = new TextEncoder();

/** A sim platform whose readFile calls of /etc/hosts are counted. */
async function withHosts(text: string): Promise<{ platform: Platform; reads: () => number }> {
  const sim = createSimPlatform({ hostName: 'mail.example.test', seed: 1, dns: { records: {} } });
  await sim.fs.mkdir('/etc', { recursive: true });
  await sim.fs.writeFile('/etc/hosts', encoder.encode(text));
  let reads = 0;
  const readFile = sim.fs.readFile.bind(sim.fs);
  const fs = { ...sim.fs, readFile: (path: string) => { if (path === '/etc/hosts') reads++; return readFile(path); } };
  return { platform: { ...sim, fs }, reads: () => reads };
}

test('client lookup: /etc/hosts is read once while it is unchanged, and again after an edit or a replacement', async () => {
  const { platform, reads } = await withHosts('127.0.0.1 localhost\n192.0.2.7 client.example.test\n');
  for (let connection = 0; connection < 5; connection++) {
    const client = await lookupClient(platform, '192.0.2.7', 40000 + connection);
    assert.equal(client.name, 'client.example.test');
    assert.equal(client.nameStatus, 'ok');
  }
  assert.equal(reads(), 1);
  await platform.fs.writeFile('/etc/hosts', encoder.encode('127.0.0.1 localhost\n192.0.2.7 renamed-client.example.test\n'));
  assert.equal((await lookupClient(platform, '192.0.2.7', 41000)).name, 'renamed-client.example.test');
  assert.equal(reads(), 2);
  // A new file renamed over the old one (a new inode) with the same size and text length.
  await platform.fs.writeFile('/etc/hosts.new', encoder.encode('127.0.0.1 localhost\n192.0.2.7 replaced-client.example.test\n'));
  await platform.fs.rename('/etc/hosts.new', '/etc/hosts');
  assert.equal((await lookupClient(platform, '192.0.2.7', 41001)).name, 'replaced-client.example.test');
  assert.equal(reads(), 3);
});

test('client lookup: without /etc/hosts (removed) the address falls to DNS, here unknown', async () => {
  const { platform } = await withHosts('192.0.2.7 client.example.test\n');
  assert.equal((await lookupClient(platform, '192.0.2.7', 40000)).name, 'client.example.test');
  await platform.fs.unlink('/etc/hosts');
  const client = await lookupClient(platform, '192.0.2.7', 40001);
  assert.equal(client.name, 'unknown');
});
