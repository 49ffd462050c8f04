// smtpd's Received header as Postfix 3.7 writes it: "with ESMTPS" after STARTTLS, "ESMTPA"
// after AUTH, "ESMTPSA" for both, the "(using TLSv1.3 with cipher ...)" comment with
// smtpd_tls_received_header = yes, "(Authenticated sender: NAME)" with
// smtpd_sasl_authenticated_header = yes, and plain "SMTP"/"ESMTP" otherwise; read from the
// delivered mailbox of a sim host.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64, SimClient, securityHost } from './client.ts';
import type { PipelineHost } from '../../pipeline/harness.ts';

const TLS = { smtpd_tls_security_level: 'may', smtpd_tls_cert_file: '/etc/postfix/cert.pem', smtpd_tls_key_file: '/etc/postfix/key.pem' };
const AUTH = { smtpd_sasl_auth_enable: 'yes', mtalab_sasl_password_maps: 'texthash:/etc/postfix/sasl_users' };

/** Runs one session (STARTTLS and/or AUTH as asked) and returns alice's Received header. */
async function receivedAfter(host: PipelineHost, options: { helo: 'HELO' | 'EHLO'; tls?: boolean; login?: string }): Promise<string> {
  const client = await SimClient.connect(host);
  await client.reply();
  client.send(`${options.helo} client.example`);
  await client.reply();
  if (options.tls === true) {
    assert.equal(await client.command('STARTTLS'), '220 2.0.0 Ready to start TLS');
    await client.startTls();
    client.send(`${options.helo} client.example`);
    await client.reply();
  }
  if (options.login !== undefined) {
    assert.equal(await client.command(`AUTH PLAIN ${base64(`\0${options.login}\0wonderland`)}`), '235 2.7.0 Authentication successful');
  }
  assert.equal(await client.command('MAIL FROM:<sender@remote.test>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<alice@example.com>'), '250 2.1.5 Ok');
  assert.equal(await client.command('DATA'), '354 End data with <CR><LF>.<CR><LF>');
  client.send('Subject: received\r\n\r\nbody\r\n.');
  const queued = /queued as (\w+)$/.exec((await client.reply()).at(-1) ?? '');
  assert.ok(queued !== null, 'message queued');
  await client.quit();
  await host.run({ quietMs: 5000 });
  const mailbox = await host.readFile('/var/mail/alice');
  const match = /\nReceived: [^\n]*(?:\n\t[^\n]*)*/.exec(mailbox);
  assert.ok(match !== null, mailbox);
  await host.stop();
  return match[0].slice(1).replace(queued[1] as string, 'QUEUEID').replace(/; [A-Z][a-z]{2}, .*$/, '; DATE');
}

test('plain HELO and EHLO sessions: "with SMTP" and "with ESMTP"', async () => {
  assert.match(await receivedAfter(await securityHost({}), { helo: 'HELO' }), /\n\tby mail\.example\.com \(Postfix\) with SMTP id QUEUEID\n/);
  assert.match(await receivedAfter(await securityHost({}), { helo: 'EHLO' }), /\n\tby mail\.example\.com \(Postfix\) with ESMTP id QUEUEID\n/);
});

test('STARTTLS: "with ESMTPS", no TLS comment unless smtpd_tls_received_header = yes', async () => {
  const header = await receivedAfter(await securityHost(TLS), { helo: 'EHLO', tls: true });
  assert.equal(header, [
    'Received: from client.example (localhost [127.0.0.1])',
    '\tby mail.example.com (Postfix) with ESMTPS id QUEUEID',
    '\tfor <alice@example.com>; DATE',
  ].join('\n'));
});

test('STARTTLS with smtpd_tls_received_header = yes: the "(using ...)" comment and the certificate line', async () => {
  const header = await receivedAfter(await securityHost({ ...TLS, smtpd_tls_received_header: 'yes' }), { helo: 'EHLO', tls: true });
  assert.equal(header, [
    'Received: from client.example (localhost [127.0.0.1])',
    '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
    '\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)',
    '\t(No client certificate requested)',
    '\tby mail.example.com (Postfix) with ESMTPS id QUEUEID',
    '\tfor <alice@example.com>; DATE',
  ].join('\n'));
  const asked = await receivedAfter(await securityHost({ ...TLS, smtpd_tls_received_header: 'yes', smtpd_tls_ask_ccert: 'yes' }), { helo: 'EHLO', tls: true });
  assert.match(asked, /\n\t\(Client did not present a certificate\)\n/);
});

test('AUTH: "with ESMTPA"; smtpd_sasl_authenticated_header = yes adds "(Authenticated sender: alice)"', async () => {
  const plain = await receivedAfter(await securityHost(AUTH), { helo: 'EHLO', login: 'alice' });
  assert.match(plain, /\n\tby mail\.example\.com \(Postfix\) with ESMTPA id QUEUEID\n/);
  assert.doesNotMatch(plain, /Authenticated sender/);
  const shown = await receivedAfter(await securityHost({ ...AUTH, smtpd_sasl_authenticated_header: 'yes' }), { helo: 'EHLO', login: 'alice' });
  assert.equal(shown, [
    'Received: from client.example (localhost [127.0.0.1])',
    '\t(Authenticated sender: alice)',
    '\tby mail.example.com (Postfix) with ESMTPA id QUEUEID',
    '\tfor <alice@example.com>; DATE',
  ].join('\n'));
});

test('STARTTLS and AUTH: "with ESMTPSA", the TLS comment before the login comment', async () => {
  const header = await receivedAfter(await securityHost({ ...TLS, ...AUTH, smtpd_tls_received_header: 'yes', smtpd_sasl_authenticated_header: 'yes' }),
    { helo: 'EHLO', tls: true, login: 'alice' });
  assert.equal(header, [
    'Received: from client.example (localhost [127.0.0.1])',
    '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
    '\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)',
    '\t(No client certificate requested)',
    '\t(Authenticated sender: alice)',
    '\tby mail.example.com (Postfix) with ESMTPSA id QUEUEID',
    '\tfor <alice@example.com>; DATE',
  ].join('\n'));
});

test('HELO (SMTP) with AUTH: RFC 3848 suffixes are for ESMTP only', async () => {
  const header = await receivedAfter(await securityHost(AUTH), { helo: 'HELO', login: 'alice' });
  assert.match(header, /\n\tby mail\.example\.com \(Postfix\) with SMTP id QUEUEID\n/);
});
