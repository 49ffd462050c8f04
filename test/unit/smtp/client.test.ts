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
