// How the smtp client finds servers: MX preference order with the A-record fallback,
// lookup failures in Postfix's words, "loops back to myself", smtp_fallback_relay, the
// relayhost safety net, the LMTP variant, and the session limits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smtpProgram, lmtpProgram } from '../../../engine/smtp/service.ts';
import { BASE_MAIN_CF, createClientFixture, startFakeServer } from './fixture.ts';

const tail = (line: string): string => line.replace(/^.*?: to=/, 'to=').replace(/delay=[\d.]+, delays=[\d./]+, /, '');

test('MX hosts are tried in preference order; a refused primary is logged and the backup delivers', async () => {
  const fixture = await createClientFixture();
  fixture.zone.records['example.net'] = { mx: [{ preference: 20, exchange: 'mx2.example.net' }, { preference: 10, exchange: 'mx1.example.net' }] };
  fixture.zone.records['mx1.example.net'] = { a: ['192.0.2.10'] };
  fixture.zone.records['mx2.example.net'] = { a: ['192.0.2.20'] };
  fixture.addMachine('mx1', ['192.0.2.10']);
  const backup = fixture.addMachine('mx2', ['192.0.2.20']);
  const server = await startFakeServer(backup, '192.0.2.20', 25, { dot: '250 2.0.0 Ok: queued as 42' });
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'bob@example.net' }], content: 'x\n', nexthop: 'example.net' });
  const result = await fixture.deliver(smtpProgram, request);
  assert.deepEqual(result, { deferred: false });
  const lines = fixture.logLines();
  assert.equal(lines[0], 'postfix/smtp[2000]: connect to mx1.example.net[192.0.2.10]:25: Connection refused');
  assert.equal(tail(lines[1]!), 'to=<bob@example.net>, relay=mx2.example.net[192.0.2.20]:25, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 42)');
  assert.equal(server.sessions.length, 1);
  const dns = fixture.events.filter((event) => event.kind === 'smtp-client.dns').map((event) => `${(event as { name: string }).name}/${(event as { type: string }).type}`);
  assert.deepEqual(dns, ['example.net/MX', 'mx1.example.net/A', 'mx2.example.net/A']);
});

test('a domain without MX falls back to its A record', async () => {
  const fixture = await createClientFixture();
  fixture.zone.records['plain.test'] = { a: ['192.0.2.30'] };
  const machine = fixture.addMachine('plain', ['192.0.2.30']);
  await startFakeServer(machine, '192.0.2.30', 25, {});
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@plain.test' }], content: 'x\n', nexthop: 'plain.test' });
  await fixture.deliver(smtpProgram, request);
  assert.match(fixture.logLines()[0]!, /relay=plain\.test\[192\.0\.2\.30\]:25, .*status=sent/);
});

test('a name that does not exist bounces 5.4.4 with the A lookup\'s text (README: Host not found)', async () => {
  const fixture = await createClientFixture();
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'someone@remote.test' }], content: 'x\n', nexthop: 'remote.test' });
  const result = await fixture.deliver(smtpProgram, request);
  assert.deepEqual(result, { deferred: false });
  assert.equal(tail(fixture.logLines()[0]!), 'to=<someone@remote.test>, relay=none, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=remote.test type=A: Host not found)');
});

test('an MX lookup that fails temporarily defers 4.4.3 with type=MX', async () => {
  const fixture = await createClientFixture();
  fixture.zone.failures!['flaky.test'] = 'SERVFAIL';
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@flaky.test' }], content: 'x\n', nexthop: 'flaky.test' });
  const result = await fixture.deliver(smtpProgram, request);
  assert.equal(result.deferred, true);
  assert.equal(tail(fixture.logLines()[0]!), 'to=<u@flaky.test>, relay=none, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=flaky.test type=MX: Host not found, try again)');
});

test('an MX that points at this host: "mail for X loops back to myself" (5.4.6)', async () => {
  const fixture = await createClientFixture();
  fixture.zone.records['loop.test'] = { mx: [{ preference: 10, exchange: 'mail.example.com' }] };
  fixture.zone.records['mail.example.com'] = { a: ['192.0.2.1'] };
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@loop.test' }], content: 'x\n', nexthop: 'loop.test' });
  await fixture.deliver(smtpProgram, request);
  assert.equal(tail(fixture.logLines()[0]!), 'to=<u@loop.test>, relay=none, dsn=5.4.6, status=bounced (mail for loop.test loops back to myself)');
});

test('we are a backup MX: only better MX hosts are tried; none reachable defers', async () => {
  const fixture = await createClientFixture();
  fixture.zone.records['backup.test'] = { mx: [{ preference: 10, exchange: 'primary.backup.test' }, { preference: 20, exchange: 'mail.example.com' }] };
  fixture.zone.records['primary.backup.test'] = { a: ['192.0.2.40'] };
  fixture.zone.records['mail.example.com'] = { a: ['192.0.2.1'] };
  fixture.addMachine('primary', ['192.0.2.40']);
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@backup.test' }], content: 'x\n', nexthop: 'backup.test' });
  await fixture.deliver(smtpProgram, request);
  assert.equal(tail(fixture.logLines()[1]!), 'to=<u@backup.test>, relay=none, dsn=4.4.1, status=deferred (connect to primary.backup.test[192.0.2.40]:25: Connection refused)');
});

test('[127.0.0.1] on port 25 is our own address: loops back to myself, as a host lookup', async () => {
  const fixture = await createClientFixture();
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@x.test' }], content: 'x\n', nexthop: '[127.0.0.1]' });
  await fixture.deliver(smtpProgram, request);
  assert.equal(tail(fixture.logLines()[0]!), 'to=<u@x.test>, relay=none, dsn=5.4.6, status=bounced (mail for 127.0.0.1 loops back to myself)');
});

test('smtp_fallback_relay takes the mail when the nexthop refuses', async () => {
  const fixture = await createClientFixture({ mainCf: `${BASE_MAIN_CF}smtp_fallback_relay = [127.0.0.1]:10050\n` });
  await startFakeServer(fixture.platform, '127.0.0.1', 10050, {});
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@x.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10049' });
  await fixture.deliver(smtpProgram, request);
  const lines = fixture.logLines();
  assert.equal(lines[0], 'postfix/smtp[2000]: connect to 127.0.0.1[127.0.0.1]:10049: Connection refused');
  assert.match(lines[1]!, /relay=127\.0\.0\.1\[127\.0\.0\.1\]:10050, .*status=sent/);
});

test('a relayhost that does not resolve is a configuration problem: deferred 4.3.5, not bounced', async () => {
  const fixture = await createClientFixture({ mainCf: `${BASE_MAIN_CF}relayhost = [relay.nowhere.test]\n` });
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@x.test' }], content: 'x\n', nexthop: '[relay.nowhere.test]' });
  await fixture.deliver(smtpProgram, request);
  const lines = fixture.logLines();
  assert.equal(lines[0], 'postfix/smtp[2000]: warning: relayhost configuration problem');
  assert.equal(tail(lines[1]!), 'to=<u@x.test>, relay=none, dsn=4.3.5, status=deferred (Host or domain name not found. Name service error for name=relay.nowhere.test type=A: Host not found)');
});

test('a 4xx at the first MX keeps the recipient for the next one, with an info line', async () => {
  const fixture = await createClientFixture();
  fixture.zone.records['two.test'] = { mx: [{ preference: 10, exchange: 'a.two.test' }, { preference: 20, exchange: 'b.two.test' }] };
  fixture.zone.records['a.two.test'] = { a: ['192.0.2.50'] };
  fixture.zone.records['b.two.test'] = { a: ['192.0.2.51'] };
  await startFakeServer(fixture.addMachine('a', ['192.0.2.50']), '192.0.2.50', 25, { rcpt: '451 4.3.0 try later' });
  await startFakeServer(fixture.addMachine('b', ['192.0.2.51']), '192.0.2.51', 25, {});
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@two.test' }], content: 'x\n', nexthop: 'two.test' });
  await fixture.deliver(smtpProgram, request);
  const lines = fixture.logLines();
  assert.equal(lines[0], `postfix/smtp[2000]: ${request.queueId}: host a.two.test[192.0.2.50] said: 451 4.3.0 try later (in reply to RCPT TO command)`);
  assert.match(lines[1]!, /relay=b\.two\.test\[192\.0\.2\.51\]:25, .*status=sent/);
});

test('LMTP: LHLO, no MX lookup, one end-of-data reply per accepted recipient', async () => {
  const fixture = await createClientFixture();
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 24, {
    ehlo: ['250-lmtp.example.com', '250 PIPELINING'],
    dot: ['250 2.0.0 <a@x.test> delivered', '452 4.2.2 <b@x.test> mailbox full'],
  });
  const request = await fixture.queueMessage({ sender: 's@example.com', recipients: [{ address: 'a@x.test' }, { address: 'b@x.test' }], content: 'x\n', nexthop: '127.0.0.1', transport: 'lmtp' });
  const result = await fixture.deliver(lmtpProgram, request);
  assert.equal(result.deferred, true);
  assert.equal(server.sessions[0]![0], 'LHLO mail.example.com');
  const lines = fixture.logLines().map(tail);
  assert.deepEqual(lines, [
    'to=<a@x.test>, relay=127.0.0.1[127.0.0.1]:24, dsn=2.0.0, status=sent (250 2.0.0 <a@x.test> delivered)',
    'to=<b@x.test>, relay=127.0.0.1[127.0.0.1]:24, dsn=4.2.2, status=deferred (host 127.0.0.1[127.0.0.1] said: 452 4.2.2 <b@x.test> mailbox full (in reply to end of DATA command))',
  ]);
  assert.match(fixture.logLines()[0]!, /^postfix\/lmtp\[/);
});
