// STARTTLS in smtpd on the sim platform: announced with smtpd_tls_security_level = may and a
// certificate, "220 2.0.0 Ready to start TLS", a simulated handshake traced on both ends,
// the session reset (EHLO again, no STARTTLS now), the TLS log line, mail delivered;
// "encrypt" refuses MAIL before STARTTLS with 530; a missing certificate gives 454;
// plaintext pipelined after STARTTLS is thrown away.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClient, securityHost, smtpdLines } from './client.ts';

const TLS = { smtpd_tls_security_level: 'may', smtpd_tls_cert_file: '/etc/postfix/cert.pem', smtpd_tls_key_file: '/etc/postfix/key.pem' };

test('STARTTLS: announced, 220 Ready to start TLS, handshake traced, EHLO again, logged, mail delivered', async () => {
  const host = await securityHost(TLS);
  const client = await SimClient.connect(host);
  assert.match((await client.reply())[0] ?? '', /^220 mail\.example\.com ESMTP Postfix/);
  client.send('EHLO client.example');
  const ehlo = await client.reply();
  assert.deepEqual(ehlo.slice(0, 7), ['250-mail.example.com', '250-PIPELINING', '250-SIZE 10240000', '250-VRFY', '250-ETRN', '250-STARTTLS', '250-ENHANCEDSTATUSCODES']);
  assert.equal(await client.command('STARTTLS'), '220 2.0.0 Ready to start TLS');
  const info = await client.startTls();
  assert.equal(info.protocol, 'TLSv1.3');
  // The HELO name was forgotten: MAIL needs no HELO by default, but EHLO shows no STARTTLS now.
  client.send('EHLO client.example');
  const again = await client.reply();
  assert.ok(!again.some((line) => line.includes('STARTTLS')), again.join('\n'));
  assert.equal(await client.command('STARTTLS'), '554 5.5.1 Error: TLS already active');
  assert.equal(await client.command('MAIL FROM:<sender@remote.test>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<alice@example.com>'), '250 2.1.5 Ok');
  assert.equal(await client.command('DATA'), '354 End data with <CR><LF>.<CR><LF>');
  client.send('Subject: over TLS\r\n\r\nsecret\r\n.');
  assert.match((await client.reply()).at(-1) ?? '', /^250 2\.0\.0 Ok: queued as \w+$/);
  await client.quit();
  const handshakes = host.events.filter((event) => event.kind === 'tls.handshake');
  assert.deepEqual(handshakes.map((event) => event.kind === 'tls.handshake' ? `${event.role} ${event.ok}` : '').sort(), ['client true', 'server true']);
  const lines = await smtpdLines(host);
  assert.ok(lines.includes('Anonymous TLS connection established from localhost[127.0.0.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256'), lines.join('\n'));
  assert.equal(lines.at(-1), 'disconnect from localhost[127.0.0.1] ehlo=2 starttls=1/2 mail=1 rcpt=1 data=1 quit=1 commands=7/8');
  assert.match(await host.readFile('/var/mail/alice'), /\nsecret\n/);
  await host.stop();
});

test('smtpd_tls_security_level = encrypt: 530 5.7.0 before STARTTLS, then normal service', async () => {
  const host = await securityHost({ ...TLS, smtpd_tls_security_level: 'encrypt' });
  const client = await SimClient.connect(host);
  await client.reply();
  client.send('EHLO client.example');
  await client.reply();
  assert.equal(await client.command('MAIL FROM:<sender@remote.test>'), '530 5.7.0 Must issue a STARTTLS command first');
  assert.equal(await client.command('NOOP'), '250 2.0.0 Ok');
  assert.equal(await client.command('STARTTLS'), '220 2.0.0 Ready to start TLS');
  await client.startTls();
  assert.equal(await client.command('MAIL FROM:<sender@remote.test>'), '250 2.1.0 Ok');
  await client.quit();
  const lines = await smtpdLines(host);
  assert.equal(lines.at(-1), 'disconnect from localhost[127.0.0.1] ehlo=1 starttls=1 mail=1/2 noop=1 quit=1 commands=5/6');
  await host.stop();
});

test('no certificate: STARTTLS is still announced (as Postfix) but refused with 454, with the warnings', async () => {
  const host = await securityHost({ smtpd_tls_security_level: 'may', smtpd_tls_cert_file: '/etc/postfix/missing.pem' });
  const client = await SimClient.connect(host);
  await client.reply();
  client.send('EHLO client.example');
  assert.ok((await client.reply()).includes('250-STARTTLS'));
  assert.equal(await client.command('STARTTLS'), '454 4.7.0 TLS not available due to local problem');
  await client.quit();
  const log = (await host.maillog()).join('\n');
  assert.match(log, /smtpd\[\d+\]: warning: cannot get RSA certificate from file "\/etc\/postfix\/missing\.pem": disabling TLS support/);
  await host.stop();
});

test('without smtpd_tls_security_level there is no STARTTLS: 502 as a Postfix without TLS', async () => {
  const host = await securityHost({});
  const client = await SimClient.connect(host);
  await client.reply();
  client.send('EHLO client.example');
  assert.ok(!(await client.reply()).some((line) => line.includes('STARTTLS')));
  assert.equal(await client.command('STARTTLS'), '502 5.5.1 Error: command not implemented');
  assert.equal(await client.command('STARTTLS now'), '501 5.5.4 Syntax: STARTTLS');
  await client.quit();
  await host.stop();
});

test('plaintext pipelined after STARTTLS is discarded, not run inside the TLS session', async () => {
  const host = await securityHost(TLS);
  const client = await SimClient.connect(host);
  await client.reply();
  client.send('EHLO client.example');
  await client.reply();
  client.send('STARTTLS\r\nMAIL FROM:<injected@evil.test>');
  assert.equal((await client.reply()).at(-1), '220 2.0.0 Ready to start TLS');
  await client.startTls();
  client.send('EHLO client.example');
  await client.reply();
  assert.equal(await client.command('RCPT TO:<alice@example.com>'), '503 5.5.1 Error: need MAIL command');
  await client.quit();
  await host.stop();
});
