// SMTP AUTH in smtpd on the sim platform with mtalab's password table: EHLO's AUTH lines
// (and AUTH= for broken_sasl_auth_clients), PLAIN with an initial response, LOGIN's two
// challenges, wrong passwords (535 and the warning), "*" aborts, relaying permitted by
// permit_sasl_authenticated with the client= line showing the login, smtpd_tls_auth_only,
// and reject_sender_login_mismatch with smtpd_sender_login_maps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64, SimClient, securityHost, smtpdLines } from './client.ts';

const AUTH = {
  smtpd_sasl_auth_enable: 'yes',
  mtalab_sasl_password_maps: 'texthash:/etc/postfix/sasl_users',
  // 127.0.0.1 is not in mynetworks, so only a login lets the client relay.
  mynetworks: '192.0.2.0/24',
};

async function greeted(host: Awaited<ReturnType<typeof securityHost>>): Promise<{ client: SimClient; ehlo: string[] }> {
  const client = await SimClient.connect(host);
  await client.reply();
  client.send('EHLO client.example');
  return { client, ehlo: await client.reply() };
}

test('AUTH PLAIN lets a client relay; the client= line shows sasl_method and sasl_username', async () => {
  const host = await securityHost(AUTH);
  const { client, ehlo } = await greeted(host);
  assert.ok(ehlo.includes('250-AUTH PLAIN LOGIN'), ehlo.join('\n'));
  assert.ok(!ehlo.some((line) => line.startsWith('250-AUTH=')));
  assert.equal(await client.command('MAIL FROM:<alice@example.com>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<friend@remote.test>'), '454 4.7.1 <friend@remote.test>: Relay access denied');
  assert.equal(await client.command('AUTH PLAIN'), '503 5.5.1 Error: MAIL transaction in progress');
  assert.equal(await client.command('RSET'), '250 2.0.0 Ok');
  assert.equal(await client.command(`AUTH PLAIN ${base64('\0alice\0wonderland')}`), '235 2.7.0 Authentication successful');
  assert.equal(await client.command(`AUTH PLAIN ${base64('\0alice\0wonderland')}`), '503 5.5.1 Error: already authenticated');
  assert.equal(await client.command('MAIL FROM:<alice@example.com>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<friend@remote.test>'), '250 2.1.5 Ok');
  await client.quit();
  const lines = await smtpdLines(host);
  assert.ok(lines.some((line) => /^\w+: client=localhost\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice$/.test(line)), lines.join('\n'));
  assert.ok(lines.includes('NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 454 4.7.1 <friend@remote.test>: Relay access denied; from=<alice@example.com> to=<friend@remote.test> proto=ESMTP helo=<client.example>'), lines.join('\n'));
  await host.stop();
});

test('AUTH LOGIN: Username:/Password: challenges; wrong password 535 with the warning; "*" aborts', async () => {
  const host = await securityHost(AUTH);
  const { client } = await greeted(host);
  assert.equal(await client.command('AUTH LOGIN'), '334 VXNlcm5hbWU6');
  assert.equal(await client.command(base64('bob@example.com')), '334 UGFzc3dvcmQ6');
  assert.equal(await client.command(base64('wrong')), '535 5.7.8 Error: authentication failed: authentication failure');
  assert.equal(await client.command('AUTH LOGIN'), '334 VXNlcm5hbWU6');
  assert.equal(await client.command('*'), '501 5.7.0 Authentication aborted');
  assert.equal(await client.command('AUTH PLAIN !!!notbase64'), '535 5.7.8 Error: authentication failed: bad protocol / cancel');
  assert.equal(await client.command('AUTH CRAM-MD5'), '535 5.7.8 Error: authentication failed: no mechanism available');
  assert.equal(await client.command('AUTH'), '501 5.5.4 Syntax: AUTH mechanism');
  assert.equal(await client.command('AUTH LOGIN'), '334 VXNlcm5hbWU6');
  assert.equal(await client.command(base64('bob@example.com')), '334 UGFzc3dvcmQ6');
  assert.equal(await client.command(base64('builder')), '235 2.7.0 Authentication successful');
  await client.quit();
  const lines = await smtpdLines(host);
  assert.ok(lines.includes('warning: localhost[127.0.0.1]: SASL LOGIN authentication failed: authentication failure, sasl_username=bob@example.com'), lines.join('\n'));
  assert.ok(lines.includes('warning: localhost[127.0.0.1]: SASL LOGIN authentication aborted'), lines.join('\n'));
  assert.equal(lines.at(-1), 'disconnect from localhost[127.0.0.1] ehlo=1 auth=1/6 quit=1 commands=3/8');
  await host.stop();
});

test('PLAIN with the answer after an empty challenge; broken_sasl_auth_clients adds AUTH=; AUTH off says not enabled', async () => {
  const host = await securityHost({ ...AUTH, broken_sasl_auth_clients: 'yes' });
  const { client, ehlo } = await greeted(host);
  assert.ok(ehlo.includes('250-AUTH PLAIN LOGIN') && ehlo.includes('250-AUTH=PLAIN LOGIN'), ehlo.join('\n'));
  assert.equal(await client.command('AUTH PLAIN'), '334 ');
  assert.equal(await client.command(base64('\0alice\0wonderland')), '235 2.7.0 Authentication successful');
  await client.quit();
  await host.stop();

  const plain = await securityHost({});
  const other = await greeted(plain);
  assert.ok(!other.ehlo.some((line) => line.includes('AUTH')));
  assert.equal(await other.client.command('AUTH PLAIN'), '503 5.5.1 Error: authentication not enabled');
  // AUTH= on MAIL FROM is accepted whether or not AUTH is on, as Postfix does.
  assert.equal(await other.client.command('MAIL FROM:<a@remote.test> AUTH=<>'), '250 2.1.0 Ok');
  await other.client.quit();
  await plain.stop();
});

test('smtpd_tls_auth_only: no AUTH before STARTTLS, AUTH after it', async () => {
  const host = await securityHost({
    ...AUTH, smtpd_tls_auth_only: 'yes', smtpd_tls_security_level: 'may',
    smtpd_tls_cert_file: '/etc/postfix/cert.pem', smtpd_tls_key_file: '/etc/postfix/key.pem',
  });
  const { client, ehlo } = await greeted(host);
  assert.ok(!ehlo.some((line) => line.includes('AUTH')), ehlo.join('\n'));
  assert.equal(await client.command(`AUTH PLAIN ${base64('\0alice\0wonderland')}`), '503 5.5.1 Error: authentication not enabled');
  assert.equal(await client.command('STARTTLS'), '220 2.0.0 Ready to start TLS');
  await client.startTls();
  client.send('EHLO client.example');
  assert.ok((await client.reply()).includes('250-AUTH PLAIN LOGIN'));
  assert.equal(await client.command(`AUTH PLAIN ${base64('\0alice\0wonderland')}`), '235 2.7.0 Authentication successful');
  await client.quit();
  await host.stop();
});

test('reject_sender_login_mismatch: a login must own the sender; an owned sender needs a login', async () => {
  const host = await securityHost({
    ...AUTH,
    smtpd_sender_login_maps: 'texthash:/etc/postfix/senders',
    smtpd_sender_restrictions: 'reject_sender_login_mismatch',
  }, { '/etc/postfix/senders': 'alice@example.com alice\nshared@example.com alice, bob@example.com\n' });
  const { client } = await greeted(host);
  assert.equal(await client.command('MAIL FROM:<alice@example.com>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<bob@example.com>'), '553 5.7.1 <alice@example.com>: Sender address rejected: not logged in');
  assert.equal(await client.command('RSET'), '250 2.0.0 Ok');
  assert.equal(await client.command(`AUTH PLAIN ${base64('\0bob@example.com\0builder')}`), '235 2.7.0 Authentication successful');
  assert.equal(await client.command('MAIL FROM:<alice@example.com>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<carol@example.com>'), '553 5.7.1 <alice@example.com>: Sender address rejected: not owned by user bob@example.com');
  assert.equal(await client.command('RSET'), '250 2.0.0 Ok');
  assert.equal(await client.command('MAIL FROM:<shared@example.com>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<carol@example.com>'), '250 2.1.5 Ok');
  await client.quit();
  const lines = await smtpdLines(host);
  assert.ok(lines.some((line) => line.endsWith('proto=ESMTP helo=<client.example> sasl_method=PLAIN sasl_username=bob@example.com')), lines.join('\n'));
  await host.stop();
});
