// Connection reuse in the smtp client (Postfix's scache with smtp_connection_cache_on_demand
// and smtp_connection_cache_destinations): back-to-back requests to one server share one
// connection (no QUIT after the first, an RSET probe before the second, conn_use=2 in the
// log), an idle connection is closed after smtp_connection_cache_time_limit, and a cached
// connection the server dropped or whose RSET probe fails is replaced by a new one. The
// cache labels (smtp_key.c): with smtp_sasl_password_maps two nexthops on one address never
// share a connection (each keeps its own login), without it they do; a STARTTLS session is
// never kept (smtp_tls_connection_reuse needs tlsproxy), a plaintext one at level may is.

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
  const listed = await createClientFixture({ mainCf: `${BASE_MAIN_CF}smtp_connection_cache_destinations = 127.0.0.1\n` });
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

/** Three messages, to the nexthops given in turn, through one running service. */
async function sendTo(fixture: ClientFixture, nexthops: readonly string[]) {
  const running = await fixture.start(smtpProgram);
  for (const [index, nexthop] of nexthops.entries()) {
    const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: `r${index}@ok.test` }], content: 'x\n', nexthop, flags: ON_DEMAND });
    assert.deepEqual(await fixture.deliverWith(running, request), { deferred: false });
  }
  await running.stop();
}

const SASL_MAIN_CF = `${BASE_MAIN_CF}smtp_connection_cache_time_limit = 10s\nsmtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = texthash:/etc/postfix/sasl_passwd\nsmtp_sasl_security_options =\n`;

async function saslFixture(passwords: string): Promise<ClientFixture> {
  const fixture = await createClientFixture({ mainCf: SASL_MAIN_CF });
  await fixture.platform.fs.writeFile('/etc/postfix/sasl_passwd', passwords);
  fixture.zone.records['a.test'] = { a: ['127.0.0.1'] };
  fixture.zone.records['b.test'] = { a: ['127.0.0.1'] };
  return fixture;
}

test('SASL: two messages to one nexthop share one authenticated connection (one AUTH, conn_use=2)', async () => {
  const fixture = await saslFixture('[a.test]:10050 alice:secret\n');
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10050, { auth: true });
  await sendTo(fixture, ['[a.test]:10050', '[a.test]:10050']);
  assert.equal(server.sessions.length, 1);
  assert.deepEqual(server.logins, [['alice']]);
  assert.equal(fixture.logLines().filter((line) => line.includes('conn_use=2')).length, 1);
});

test('SASL: two identities on one server address never share a connection', async () => {
  const fixture = await saslFixture('[a.test]:10051 alice:secret\n[b.test]:10051 bob:other\n');
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10051, { auth: true });
  await sendTo(fixture, ['[a.test]:10051', '[b.test]:10051', '[a.test]:10051', '[b.test]:10051']);
  assert.deepEqual(server.logins, [['alice'], ['bob']]);
  assert.deepEqual(server.sessions.map((session) => session.filter((line) => line.startsWith('MAIL')).length), [2, 2]);
});

test('without smtp_sasl_password_maps, two nexthops on one address share the connection by endpoint', async () => {
  const fixture = await createClientFixture();
  fixture.zone.records['a.test'] = { a: ['127.0.0.1'] };
  fixture.zone.records['b.test'] = { a: ['127.0.0.1'] };
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10052, {});
  await sendTo(fixture, ['[a.test]:10052', '[b.test]:10052']);
  assert.equal(server.sessions.length, 1);
});

test('TLS: a STARTTLS session is not reused (smtp_tls_connection_reuse needs tlsproxy); a plaintext one at level may is', async () => {
  for (const reuse of ['no', 'yes']) {
    const fixture = await createClientFixture({ mainCf: `${BASE_MAIN_CF}smtp_tls_security_level = may\nsmtp_tls_connection_reuse = ${reuse}\n` });
    const server = await startFakeServer(fixture.platform, '127.0.0.1', 10053, { starttls: true });
    await sendTo(fixture, ['[127.0.0.1]:10053', '[127.0.0.1]:10053']);
    assert.equal(server.sessions.length, 2, `smtp_tls_connection_reuse = ${reuse}`);
    for (const session of server.sessions) assert.deepEqual([session[1], session.at(-1)], ['STARTTLS', 'QUIT']);
  }
  const plain = await createClientFixture({ mainCf: `${BASE_MAIN_CF}smtp_tls_security_level = may\n` });
  const server = await startFakeServer(plain.platform, '127.0.0.1', 10054, {});
  await sendTo(plain, ['[127.0.0.1]:10054', '[127.0.0.1]:10054']);
  assert.equal(server.sessions.length, 1);
});
