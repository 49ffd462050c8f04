// cleanup's Received header for smtpd clients (headers.ts): the "with" protocol by RFC 3848
// and SMTPUTF8, the TLS comment split where Postfix splits it (no key exchange known: one
// line), and comment_sanitize on the login name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { receivedHeader, receivedProtocol, sanitizeComment } from '../../../engine/cleanup/headers.ts';
import type { CleanupClient } from '../../../engine/master/contracts.ts';

const SMTPD: CleanupClient = { service: 'smtpd', rewriteContext: 'remote', clientName: 'client.example', clientAddress: '192.0.2.1', protocol: 'ESMTP', helo: 'client.example' };
const TLS = { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', usedBits: 128, algorithmBits: 128 };

test('the with-protocol: ESMTP, ESMTPS, ESMTPA, ESMTPSA, SMTP without suffixes, UTF8SMTP', () => {
  assert.equal(receivedProtocol(SMTPD), 'ESMTP');
  assert.equal(receivedProtocol({ ...SMTPD, tls: TLS }), 'ESMTPS');
  assert.equal(receivedProtocol({ ...SMTPD, saslUsername: 'alice' }), 'ESMTPA');
  assert.equal(receivedProtocol({ ...SMTPD, tls: TLS, saslUsername: 'alice' }), 'ESMTPSA');
  assert.equal(receivedProtocol({ ...SMTPD, protocol: 'SMTP', tls: TLS, saslUsername: 'alice' }), 'SMTP');
  assert.equal(receivedProtocol({ ...SMTPD, smtputf8: true, tls: TLS }), 'UTF8SMTPS');
});

test('a TLS session without key-exchange details gives one "(using ...)" line; two recipients: no "for"', () => {
  const header = receivedHeader({ ...SMTPD, tls: TLS, tlsReceivedHeader: true }, {
    myhostname: 'mail.example.com', queueId: 'ABC123', time: { seconds: 1_700_000_000, microseconds: 0 }, recipients: ['a@example.com', 'b@example.com'],
  });
  assert.equal(header, [
    'Received: from client.example (client.example [192.0.2.1])',
    '\t(using TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits))',
    '\t(No client certificate requested)',
    '\tby mail.example.com (Postfix) with ESMTPS id ABC123;',
    '\tTue, 14 Nov 2023 22:13:20 +0000 (UTC)',
  ].join('\n'));
});

test('comment_sanitize: non-printables, backslashes and a stray ")" become "?", an open "(" is closed', () => {
  assert.equal(sanitizeComment('alice'), 'alice');
  assert.equal(sanitizeComment('a\\b)c(d'), 'a?b?c(d)');
  assert.equal(sanitizeComment('zoë\t'), 'zo???');
});
