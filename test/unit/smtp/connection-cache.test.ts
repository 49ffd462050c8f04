// Connection reuse in the smtp client (Postfix's scache with smtp_connection_cache_on_demand
// and smtp_connection_cache_destinations): back-to-back requests to one server share one
// connection (no QUIT after the first, an RSET probe before the second, conn_use=2 in the
// log), an idle connection is closed after smtp_connection_cache_time_limit, and a cached
// connection the server dropped or whose RSET probe fails is replaced by a new one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smtpProgram } from '../../../engine/smtp/service.ts';
import { BASE_MAIN_CF, createClientFixture, startFakeServer, type ClientFixture } from './fixture.ts';
import type { DeliveryRequest } from '../../../engine/master/contracts.ts';

const strip = (line: string): string => line.replace(/delay=[\d.]+, delays=[\d./]+/, 'delay=D, delays=D');
const ON_DEMAND: DeliveryRequest['flags'] = { connectionFetch: true, connectionStore: true };

async function twoMessages(fixture: ClientFixture, port: number, flags: DeliveryRequest['flags'] | undefined, pauseMs = 0) {
  const running = await fixture.start(smtpProgram);
  const requests: DeliveryRequest[] = [];
  for (const user of ['one', 'two']) {
    const request = await fixture.queueMessage({
      sender: 'alice@example.com', recipients: [{ address: `${user}@ok.test` }], content: `Subject: ${user}\n\nx\n`,
      nexthop: `[127.0.0.1]:${port}`, ...(flags ? { flags } : {}),
    });
    requests.push(request);
    assert.deepEqual(await fixture.deliverWith(running, request), { deferred: false });
    if (pauseMs > 0) await fixture.scheduler.runUntil(fixture.scheduler.nowMs() + pauseMs, { eventsMax: 10_000 });
  }
  return { running, requests };
}

test('on demand: the second request reuses the connection after an RSET probe and logs conn_use=2', async () => {
  const fixture = await createClientFixture();
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10040, {});
  const { running, requests } = await twoMessages(fixture, 10040, ON_DEMAND);
  assert.equal(server.sessions.length, 1);
  assert.deepEqual(server.sessions[0]!.map((line) => line.split(/[ :]/)[0]), ['EHLO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'MAIL', 'RCPT', 'DATA']);
  assert.deepEqual(fixture.logLines().map(strip), [
    `postfix/smtp[2000]: ${requests[0]!.queueId}: to=<one@ok.test>, relay=127.0.0.1[127.0.0.1]:10040, delay=D, delays=D, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1A2B3C4D5E)`,
    `postfix/smtp[2000]: ${requests[1]!.queueId}: to=<two@ok.test>, relay=127.0.0.1[127.0.0.1]:10040, conn_use=2, delay=D, delays=D, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1A2B3C4D5E)`,
  ]);
  // Idle longer than smtp_connection_cache_time_limit (2s): closed, without QUIT.
  await fixture.scheduler.runUntil(fixture.scheduler.nowMs() + 3_000, { eventsMax: 10_000 });
  const closed = fixture.events.filter((event) => event.kind === 'smtp-client.disconnect');
  assert.deepEqual(closed.map((event) => (event as { reason: string }).reason), ['connection cache time limit']);
  assert.equal(server.sessions[0]!.includes('QUIT'), false);
  await running.stop();
});

test('without qmgr\'s flags every request has its own session, ended with QUIT', async () => {
  const fixture = await createClientFixture();
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10041, {});
  const { running } = await twoMessages(fixture, 10041, undefined);
  assert.equal(server.sessions.length, 2);
  for (const session of server.sessions) assert.equal(session.at(-1), 'QUIT');
  assert.equal(fixture.logLines().some((line) => line.includes('conn_use=')), false);
  await running.stop();
});

test('smtp_connection_cache_destinations caches for a listed nexthop without qmgr\'s flags; on_demand = no ignores the flags', async () => {
  const listed = await createClientFixture({ mainCf: `${BASE_MAIN_CF}smtp_connection_cache_destinations = [127.0.0.1]:10042\n` });
  const server = await startFakeServer(listed.platform, '127.0.0.1', 10042, {});
  await (await twoMessages(listed, 10042, undefined)).running.stop();
  assert.equal(server.sessions.length, 1);
  const off = await createClientFixture({ mainCf: `${BASE_MAIN_CF}smtp_connection_cache_on_demand = no\n` });
  const other = await startFakeServer(off.platform, '127.0.0.1', 10043, {});
  await (await twoMessages(off, 10043, ON_DEMAND)).running.stop();
  assert.equal(other.sessions.length, 2);
});

test('a cached connection the server dropped, or whose RSET probe is refused, is replaced by a new one', async () => {
  const dropped = await createClientFixture();
  const server = await startFakeServer(dropped.platform, '127.0.0.1', 10044, { closeAfterMs: 1_500 });
  await (await twoMessages(dropped, 10044, ON_DEMAND, 1_000)).running.stop();
  assert.equal(server.sessions.length, 2);
  assert.equal(server.sessions[1]![0], 'EHLO mail.example.com');
  assert.equal(dropped.logLines().some((line) => line.includes('conn_use=')), false);
  const refusing = await createClientFixture();
  const picky = await startFakeServer(refusing.platform, '127.0.0.1', 10045, { rset: '503 5.5.1 Error: no' });
  await (await twoMessages(refusing, 10045, ON_DEMAND)).running.stop();
  assert.equal(picky.sessions.length, 2);
  assert.deepEqual(picky.sessions[0]!.slice(-1), ['RSET']);
  assert.equal(refusing.logLines().filter((line) => line.includes('status=sent')).length, 2);
});

test('smtp_connection_reuse_count_limit = 2: a connection serves two messages, then a new one is made', async () => {
  const fixture = await createClientFixture({ mainCf: `${BASE_MAIN_CF}smtp_connection_reuse_count_limit = 2\n` });
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10046, {});
  const running = await fixture.start(smtpProgram);
  for (const user of ['one', 'two', 'three']) {
    const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: `${user}@ok.test` }], content: 'x\n', nexthop: '[127.0.0.1]:10046', flags: ON_DEMAND });
    await fixture.deliverWith(running, request);
  }
  await running.stop();
  assert.deepEqual(server.sessions.map((session) => session.filter((line) => line.startsWith('MAIL')).length), [2, 1]);
  assert.equal(server.sessions[0]!.at(-1), 'QUIT');
});
