// The smtp client against scripted servers on the simulated network: success, per-
// recipient 4xx/5xx, whole-session failures (refused, lost greeting, timeouts, 5xx
// greeting), pipelining and its absence, HELO fallback, SIZE/BODY/DSN parameters,
// dot-stuffing and CRLF, and the maillog lines and DSN fields of logs/i, i2 and w.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smtpProgram } from '../../../engine/smtp/service.ts';
import { createClientFixture, startFakeServer } from './fixture.ts';

const decode = (bytes: Uint8Array): string => new TextDecoder('latin1').decode(bytes);
const strip = (line: string): string => line.replace(/delay=[\d.]+, delays=[\d./]+/, 'delay=D, delays=D');

test('a message relayed to [127.0.0.1]:10033 logs relay=, the remote reply and dsn 2.0.0', async () => {
  const fixture = await createClientFixture();
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10033, { dot: '250 2.0.0 Ok: queued as B1D95168039' });
  const request = await fixture.queueMessage({ sender: 'alice@example.com', recipients: [{ address: 'user@ok.test' }], content: 'Subject: to ok\n\nx\n', nexthop: '[127.0.0.1]:10033' });
  const result = await fixture.deliver(smtpProgram, request);
  assert.deepEqual(result, { deferred: false });
  const lines = fixture.logLines().map(strip);
  assert.deepEqual(lines, [`postfix/smtp[2000]: ${request.queueId}: to=<user@ok.test>, relay=127.0.0.1[127.0.0.1]:10033, delay=D, delays=D, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as B1D95168039)`]);
  assert.deepEqual(server.sessions[0], [
    'EHLO mail.example.com', `MAIL FROM:<alice@example.com> SIZE=${request.messageSize}`,
    'RCPT TO:<user@ok.test> ORCPT=rfc822;user@ok.test', 'DATA', 'QUIT',
  ]);
  assert.equal(decode(server.messages[0]!), 'Subject: to ok\r\n\r\nx\r\n.\r\n');
  assert.equal(await fixture.isDone(request, 0), true);
});

test('connection refused: logs i\'s info line, relay=none, dsn=4.4.1, and the destination is dead', async () => {
  const fixture = await createClientFixture();
  const request = await fixture.queueMessage({ sender: 'alice@example.com', recipients: [{ address: 'friend@other.test' }, { address: 'friend2@other.test' }], content: 'Subject: x\n\ny\n', nexthop: '[127.0.0.1]:10099' });
  const result = await fixture.deliver(smtpProgram, request);
  const reason = 'connect to 127.0.0.1[127.0.0.1]:10099: Connection refused';
  assert.deepEqual(result, { deferred: true, destinationDead: { dsn: '4.4.1', reason } });
  assert.deepEqual(fixture.logLines(), [
    `postfix/smtp[2000]: ${reason}`,
    `postfix/smtp[2000]: ${request.queueId}: to=<friend@other.test>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred (${reason})`,
    `postfix/smtp[2000]: ${request.queueId}: to=<friend2@other.test>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred (${reason})`,
  ]);
  assert.deepEqual(fixture.appended.map((record) => [record.log, record.status.dsn, record.status.action, record.status.remoteMta]), [
    ['defer', '4.4.1', 'delayed', undefined], ['defer', '4.4.1', 'delayed', undefined],
  ]);
});

test('a server that never greets and then drops the connection: logs i2 (4.4.2, setup time in delays c)', async () => {
  const fixture = await createClientFixture();
  await startFakeServer(fixture.platform, '127.0.0.1', 10098, { greeting: null, closeAfterMs: 83_000 });
  const request = await fixture.queueMessage({ sender: 'alice@example.com', recipients: [{ address: 'user1@slow.test' }, { address: 'user2@slow.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10098' });
  const result = await fixture.deliver(smtpProgram, request);
  const reason = 'lost connection with 127.0.0.1[127.0.0.1] while receiving the initial server greeting';
  assert.equal(result.destinationDead?.dsn, '4.4.2');
  assert.deepEqual(fixture.logLines(), ['user1', 'user2'].map((user) =>
    `postfix/smtp[2000]: ${request.queueId}: to=<${user}@slow.test>, relay=127.0.0.1[127.0.0.1]:10098, delay=83, delays=0/0/83/0, dsn=4.4.2, status=deferred (${reason})`));
});

test('a silent server times out after smtp_helo_timeout', async () => {
  const fixture = await createClientFixture({ mainCf: `${(await import('./fixture.ts')).BASE_MAIN_CF}smtp_helo_timeout = 20s\n` });
  await startFakeServer(fixture.platform, '127.0.0.1', 10097, { greeting: null });
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'b@slow.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10097' });
  await fixture.deliver(smtpProgram, request);
  assert.match(fixture.logLines()[0]!, /delays=0\/0\/20\/0, dsn=4\.4\.2, status=deferred \(conversation with 127\.0\.0\.1\[127\.0\.0\.1\] timed out while receiving the initial server greeting\)$/);
});

test('RCPT 5xx bounces and RCPT 4xx defers with "host X said: ... (in reply to RCPT TO command)" (logs/w)', async () => {
  const fixture = await createClientFixture();
  await startFakeServer(fixture.platform, '127.0.0.1', 10031, { rcpt: (line) => line.includes('hard') ? '500 5.3.0 Error: command failed' : line.includes('soft') ? '450 4.3.0 Error: command failed' : '250 2.1.5 Ok' });
  const request = await fixture.queueMessage({ sender: 'alice@example.com', recipients: [{ address: 'user@hard.test' }, { address: 'user@soft.test' }, { address: 'user@ok.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10031' });
  const result = await fixture.deliver(smtpProgram, request);
  assert.deepEqual(result, { deferred: true });
  const lines = fixture.logLines().map(strip);
  assert.deepEqual(lines, [
    `postfix/smtp[2000]: ${request.queueId}: to=<user@hard.test>, relay=127.0.0.1[127.0.0.1]:10031, delay=D, delays=D, dsn=5.3.0, status=bounced (host 127.0.0.1[127.0.0.1] said: 500 5.3.0 Error: command failed (in reply to RCPT TO command))`,
    `postfix/smtp[2000]: ${request.queueId}: to=<user@soft.test>, relay=127.0.0.1[127.0.0.1]:10031, delay=D, delays=D, dsn=4.3.0, status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.3.0 Error: command failed (in reply to RCPT TO command))`,
    `postfix/smtp[2000]: ${request.queueId}: to=<user@ok.test>, relay=127.0.0.1[127.0.0.1]:10031, delay=D, delays=D, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1A2B3C4D5E)`,
  ]);
  const bounced = fixture.appended.find((record) => record.log === 'bounce')!;
  assert.equal(bounced.status.remoteMta, '127.0.0.1');
  assert.equal(bounced.status.diagnosticCode, 'smtp; 500 5.3.0 Error: command failed');
  assert.deepEqual([await fixture.isDone(request, 0), await fixture.isDone(request, 1), await fixture.isDone(request, 2)], [true, false, true]);
});

test('end-of-data 554 bounces every accepted recipient "(in reply to end of DATA command)"', async () => {
  const fixture = await createClientFixture();
  await startFakeServer(fixture.platform, '127.0.0.1', 10025, { dot: '554 5.4.0 Error: too many hops' });
  const request = await fixture.queueMessage({ sender: 'alice@example.com', recipients: [{ address: 'user@self.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10025' });
  await fixture.deliver(smtpProgram, request);
  assert.match(fixture.logLines()[0]!, /dsn=5\.4\.0, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 554 5\.4\.0 Error: too many hops \(in reply to end of DATA command\)\)$/);
});

test('MAIL FROM rejected: every recipient fails, then RSET and QUIT', async () => {
  const fixture = await createClientFixture();
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10040, { mail: '553 5.7.1 <a@example.com>: Sender address rejected: not owned by you', data: '503 5.5.1 Error: need RCPT command', rcpt: '503 5.5.1 Error: need MAIL command' });
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'x@y.test' }, { address: 'z@y.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10040' });
  await fixture.deliver(smtpProgram, request);
  const lines = fixture.logLines();
  assert.equal(lines.length, 2);
  for (const line of lines) assert.match(line, /dsn=5\.7\.1, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 553 5\.7\.1 <a@example\.com>: Sender address rejected: not owned by you \(in reply to MAIL FROM command\)\)$/);
  assert.deepEqual(server.sessions[0]!.slice(-3), ['DATA', 'RSET', 'QUIT']);
});

test('without PIPELINING all rejected recipients end with RSET instead of DATA; EHLO refused falls back to HELO', async () => {
  const fixture = await createClientFixture();
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10041, { ehlo: '502 5.5.2 Error: command not recognized', rcpt: '550 5.1.1 <x@y.test>: Recipient address rejected: User unknown' });
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'x@y.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10041' });
  await fixture.deliver(smtpProgram, request);
  assert.deepEqual(server.sessions[0], ['EHLO mail.example.com', 'HELO mail.example.com', 'MAIL FROM:<a@example.com>', 'RCPT TO:<x@y.test>', 'RSET', 'QUIT']);
  assert.match(fixture.logLines()[0]!, /dsn=5\.1\.1, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 <x@y\.test>: Recipient address rejected: User unknown \(in reply to RCPT TO command\)\)$/);
});

test('a 5xx greeting is softened by smtp_skip_5xx_greeting and the site is throttled', async () => {
  const fixture = await createClientFixture();
  await startFakeServer(fixture.platform, '127.0.0.1', 10042, { greeting: ['554-fake.example.net go away', '554 5.7.1 no service for you'] });
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'x@y.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10042' });
  const result = await fixture.deliver(smtpProgram, request);
  assert.match(fixture.logLines()[0]!, /dsn=4\.7\.1, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] refused to talk to me: 554-fake\.example\.net go away 554 5\.7\.1 no service for you\)$/);
  assert.equal(result.destinationDead?.dsn, '4.7.1');
});

test('content goes out dot-stuffed with CRLF, bytes unchanged; long lines are broken with CRLF SPACE', async () => {
  const fixture = await createClientFixture({ mainCf: `${(await import('./fixture.ts')).BASE_MAIN_CF}smtp_line_length_limit = 20\n` });
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10043, {});
  const content = 'Subject: caf\u00e9\n\n.leading dot\n..two\n.\nabcdefghijklmnopqrstuvwxyz0123\nend\n';
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'x@y.test' }], content, nexthop: '[127.0.0.1]:10043' });
  await fixture.deliver(smtpProgram, request);
  const expected = `Subject: caf\u00c3\u00a9\r\n\r\n..leading dot\r\n...two\r\n..\r\nabcdefghijklmnopqrst\r\n uvwxyz0123\r\nend\r\n.\r\n`;
  assert.equal(decode(server.messages[0]!), expected);
  assert.ok(fixture.logLines().some((line) => line.endsWith(`${request.queueId}: breaking line > 20 bytes with <CR><LF>SPACE`)));
});

test('SIZE, BODY=8BITMIME and the DSN parameters when the server offers them', async () => {
  const fixture = await createClientFixture();
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10044, {});
  const request = await fixture.queueMessage({
    sender: 'a@example.com', recipients: [{ address: 'x@y.test', originalRecipient: 'X+tag@y.test', dsnNotify: 2 | 4 }],
    content: 'x\n', nexthop: '[127.0.0.1]:10044', attributes: [{ name: 'encoding', value: '8bit' }],
    dsnEnvelopeId: 'id=1+2', dsnReturn: 'hdrs',
  });
  await fixture.deliver(smtpProgram, request);
  assert.deepEqual(server.sessions[0]!.slice(1, 3), [
    `MAIL FROM:<a@example.com> SIZE=${request.messageSize} BODY=8BITMIME ENVID=id+3D1+2B2 RET=HDRS`,
    'RCPT TO:<x@y.test> ORCPT=rfc822;X+2Btag@y.test NOTIFY=SUCCESS,FAILURE',
  ]);
});

test('a server SIZE limit below the message size bounces with 5.3.4 before MAIL FROM', async () => {
  const fixture = await createClientFixture();
  const server = await startFakeServer(fixture.platform, '127.0.0.1', 10045, { ehlo: ['250-fake.example.net', '250 SIZE 10'] });
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'x@y.test' }], content: 'Subject: big\n\nmore than ten bytes\n', nexthop: '[127.0.0.1]:10045' });
  await fixture.deliver(smtpProgram, request);
  assert.match(fixture.logLines()[0]!, new RegExp(`dsn=5\\.3\\.4, status=bounced \\(message size ${request.messageSize} exceeds size limit 10 of server 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]\\)$`));
  assert.ok(!server.sessions[0]!.some((line) => line.startsWith('MAIL')));
});

test('one read-write descriptor per delivery: the sent and bounced recipients are marked done through it', async () => {
  const fixture = await createClientFixture();
  await startFakeServer(fixture.platform, '127.0.0.1', 10034, { rcpt: (line) => line.includes('hard') ? '550 5.1.1 No such user' : '250 2.1.5 Ok' });
  const request = await fixture.queueMessage({ sender: 'alice@example.com', recipients: [{ address: 'a@ok.test' }, { address: 'user@hard.test' }, { address: 'b@ok.test' }], content: 'x\n', nexthop: '[127.0.0.1]:10034' });
  const fs = fixture.platform.fs;
  const open = fs.open.bind(fs);
  const opens: string[] = [];
  fs.open = (path, flags, mode) => {
    if (path.endsWith(request.queuePath)) opens.push(flags);
    return open(path, flags, mode);
  };
  try {
    assert.deepEqual(await fixture.deliver(smtpProgram, request), { deferred: false });
  } finally {
    fs.open = open;
  }
  assert.deepEqual(opens, ['r+']);
  assert.deepEqual([await fixture.isDone(request, 0), await fixture.isDone(request, 1), await fixture.isDone(request, 2)], [true, true, true]);
});
