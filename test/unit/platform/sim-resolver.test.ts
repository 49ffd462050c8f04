// The simulated resolver: answers from a live zone, and each failure kind (NXDOMAIN, NODATA,
// SERVFAIL, timeout after virtual time), CNAME chains, PTR by reverse name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, createSimPlatform, reverseName, type SimZone } from '../../../engine/platform/sim/index.ts';
import type { PlatformError } from '../../../engine/platform/types.ts';

const zone: SimZone = {
  records: {
    'Example.COM.': { mx: [{ preference: 10, exchange: 'mx.example.com' }], txt: ['v=spf1 -all'] },
    'mx.example.com': { a: ['192.0.2.25'], aaaa: ['2001:db8::25'] },
    'www.example.com': { cname: 'mx.example.com' },
    'loop1.example.com': { cname: 'loop2.example.com' },
    'loop2.example.com': { cname: 'loop1.example.com' },
    '25.2.0.192.in-addr.arpa': { ptr: ['mx.example.com'] },
    '2.0.0.127.zen.example': { a: ['127.0.0.2'], txt: ['listed'] },
    '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': { ptr: ['six.example.com'] },
  },
  failures: { 'broken.example': 'SERVFAIL', 'slow.example': 'timeout', 'gone.example.com': 'NXDOMAIN' },
};

function setup() {
  const scheduler = new Scheduler({ startMs: 0 });
  const platform = createSimPlatform({ hostName: 'h', seed: 1, scheduler, dns: zone, dnsOptions: { timeoutMs: 3000 } });
  return { scheduler, dns: platform.dns };
}

test('answers A, AAAA, MX, TXT, PTR case-insensitively and follows CNAMEs', async () => {
  const { dns } = setup();
  assert.deepEqual(await dns.mx('example.com'), [{ preference: 10, exchange: 'mx.example.com' }]);
  assert.deepEqual(await dns.txt('EXAMPLE.com'), ['v=spf1 -all']);
  assert.deepEqual(await dns.a('mx.example.com.'), ['192.0.2.25']);
  assert.deepEqual(await dns.aaaa('mx.example.com'), ['2001:db8::25']);
  assert.deepEqual(await dns.a('www.example.com'), ['192.0.2.25']);
  assert.deepEqual(await dns.ptr('192.0.2.25'), ['mx.example.com']);
  assert.deepEqual(await dns.ptr('2001:db8::25'), ['six.example.com']);
  assert.deepEqual(await dns.a('2.0.0.127.zen.example'), ['127.0.0.2']);
});

test('failure kinds: NXDOMAIN, NODATA, SERVFAIL, CNAME loop', async () => {
  const { dns } = setup();
  await assert.rejects(dns.a('nowhere.example'), (error: PlatformError) => error.code === 'NXDOMAIN' && error.message === "NXDOMAIN: Host not found, queryA 'nowhere.example'");
  await assert.rejects(dns.mx('gone.example.com'), { code: 'NXDOMAIN' });
  await assert.rejects(dns.a('example.com'), (error: PlatformError) => error.code === 'NODATA');
  await assert.rejects(dns.mx('broken.example'), (error: PlatformError) => error.code === 'SERVFAIL' && error.message.startsWith('SERVFAIL: Host not found, try again'));
  await assert.rejects(dns.a('loop1.example.com'), { code: 'SERVFAIL' });
  await assert.rejects(dns.ptr('192.0.2.99'), { code: 'NXDOMAIN' });
});

test('a timeout rejects with ETIMEDOUT after the virtual timeout', async () => {
  const { scheduler, dns } = setup();
  const outcome = dns.a('slow.example').then(() => 'answered', (error: PlatformError) => `${error.code}@${scheduler.nowMs()}`);
  await scheduler.run();
  assert.equal(await outcome, 'ETIMEDOUT@3000');
});

test('the zone is read at each query, so faults can be injected during a run', async () => {
  const { dns } = setup();
  assert.deepEqual(await dns.a('mx.example.com'), ['192.0.2.25']);
  zone.failures!['mx.example.com'] = 'SERVFAIL';
  try {
    await assert.rejects(dns.a('mx.example.com'), { code: 'SERVFAIL' });
  } finally {
    delete zone.failures!['mx.example.com'];
  }
  assert.deepEqual(await dns.a('mx.example.com'), ['192.0.2.25']);
});

test('reverse names for IPv4 and IPv6', () => {
  assert.equal(reverseName('192.0.2.1'), '1.2.0.192.in-addr.arpa');
  assert.equal(reverseName('::1'), `1.${'0.'.repeat(31)}ip6.arpa`);
  assert.equal(reverseName('not-an-address'), undefined);
  assert.equal(reverseName('300.1.1.1'), undefined);
});

test('owners match as their normalized names do: case, one trailing dot, non-ASCII, the first of two', async () => {
  const scheduler = new Scheduler({ startMs: 0 });
  const oddZone: SimZone = {
    records: {
      'TWIN.example.': { a: ['192.0.2.1'] },
      'twin.example': { a: ['192.0.2.2'] },
      'dots.example..': { a: ['192.0.2.3'] },
      'ÜBER.example': { a: ['192.0.2.4'] },
      'kelvin\u212A.example': { a: ['192.0.2.5'] },
    },
  };
  const { dns } = createSimPlatform({ hostName: 'h', seed: 1, scheduler, dns: oddZone });
  assert.deepEqual(await dns.a('twin.EXAMPLE'), ['192.0.2.1']);
  assert.deepEqual(await dns.a('DOTS.example..'), ['192.0.2.3']);
  await assert.rejects(dns.a('dots.example.'), (error: PlatformError) => error.code === 'NXDOMAIN');
  assert.deepEqual(await dns.a('über.example'), ['192.0.2.4']);
  assert.deepEqual(await dns.a('kelvink.example'), ['192.0.2.5']);
  await assert.rejects(dns.a('kelvin.example'), (error: PlatformError) => error.code === 'NXDOMAIN');
});
