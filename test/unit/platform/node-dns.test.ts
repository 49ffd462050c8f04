// The node platform's resolver with a static override table: answers and failures from the
// table without touching the network, and offline mode for every other name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNodePlatform } from '../../../engine/platform/node/index.ts';
import type { PlatformError } from '../../../engine/platform/types.ts';

const platform = createNodePlatform({
  seed: 1,
  dnsOffline: true,
  dnsOverrides: {
    records: {
      'example.test': { mx: [{ preference: 5, exchange: 'mail.example.test' }] },
      'mail.example.test': { a: ['127.0.0.1'], aaaa: ['::1'] },
      'alias.example.test': { cname: 'mail.example.test' },
      '1.0.0.127.in-addr.arpa': { ptr: ['mail.example.test'] },
      '2.0.0.127.zen.test': { a: ['127.0.0.2'], txt: ['listed for testing'] },
    },
    failures: { 'flaky.example.test': 'SERVFAIL', 'hang.example.test': 'timeout', 'bad.example.test': 'NXDOMAIN' },
  },
});

test('node dns: the override table answers MX, A, AAAA, TXT, PTR and CNAMEs', async () => {
  assert.deepEqual(await platform.dns.mx('Example.Test.'), [{ preference: 5, exchange: 'mail.example.test' }]);
  assert.deepEqual(await platform.dns.a('mail.example.test'), ['127.0.0.1']);
  assert.deepEqual(await platform.dns.aaaa('mail.example.test'), ['::1']);
  assert.deepEqual(await platform.dns.a('alias.example.test'), ['127.0.0.1']);
  assert.deepEqual(await platform.dns.ptr('127.0.0.1'), ['mail.example.test']);
  assert.deepEqual(await platform.dns.txt('2.0.0.127.zen.test'), ['listed for testing']);
});

test('node dns: table failures and offline misses map to PlatformError codes', async () => {
  await assert.rejects(platform.dns.mx('flaky.example.test'), { code: 'SERVFAIL' });
  await assert.rejects(platform.dns.a('hang.example.test'), { code: 'ETIMEDOUT' });
  await assert.rejects(platform.dns.a('bad.example.test'), { code: 'NXDOMAIN' });
  await assert.rejects(platform.dns.a('example.test'), { code: 'NODATA' });
  await assert.rejects(platform.dns.a('elsewhere.invalid'), (error: PlatformError) =>
    error.code === 'NXDOMAIN' && error.message === "NXDOMAIN: Host not found, queryA 'elsewhere.invalid'");
  await assert.rejects(platform.dns.ptr('127.0.0.9'), { code: 'NXDOMAIN' });
});
