// The mtalab smtp client against mtalab's smtpd on two sim hosts in one world: STARTTLS
// (smtp_tls_security_level = encrypt) and AUTH PLAIN with smtp_sasl_password_maps, where the
// receiver lets only logged-in clients send (smtpd_relay_restrictions =
// permit_sasl_authenticated, reject); a receiver without STARTTLS makes the sender defer
// with "TLS is required, but was not offered by host"; a wrong password defers with the
// server's 535 softened to 4.7.8.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as macrotask } from 'node:timers/promises';
import { createPipelineHost, DEFAULT_MAIN_CF, type PipelineHost } from '../../pipeline/harness.ts';
import { Scheduler, SimNetwork } from '../../../engine/platform/sim/index.ts';
import { CERT_PEM, KEY_PEM } from './client.ts';

const RECEIVER_TLS = `smtpd_tls_security_level = may
smtpd_tls_cert_file = /etc/postfix/cert.pem
smtpd_tls_key_file = /etc/postfix/key.pem
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
mtalab_sasl_password_maps = texthash:/etc/postfix/sasl_users
smtpd_relay_restrictions = permit_sasl_authenticated, reject
`;

async function world(options: { receiverTls: boolean; password: string }): Promise<{ sender: PipelineHost; receiver: PipelineHost }> {
  const scheduler = new Scheduler({ settle: () => macrotask() });
  const network = new SimNetwork(scheduler);
  const dns = {
    records: {
      'example.org': { mx: [{ preference: 10, exchange: 'mx.example.org' }] },
      'mx.example.org': { a: ['192.0.2.2'] },
      '2.2.0.192.in-addr.arpa': { ptr: ['mx.example.org'] },
      'mail.example.test': { a: ['192.0.2.1'] },
      '1.2.0.192.in-addr.arpa': { ptr: ['mail.example.test'] },
    },
  };
  const shared = { scheduler, network, dns };
  const sender = await createPipelineHost({
    world: shared, addresses: ['192.0.2.1'],
    mainCf: `${DEFAULT_MAIN_CF}smtp_tls_security_level = encrypt\nsmtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = texthash:/etc/postfix/sasl_passwd\n`,
    files: { '/etc/postfix/sasl_passwd': `mx.example.org alice:${options.password}\n` },
  });
  const receiverMain = DEFAULT_MAIN_CF.replace('myhostname = mail.example.test', 'myhostname = mx.example.org')
    .replace('mydomain = example.test', 'mydomain = example.org').replace('inet_interfaces = loopback-only', 'inet_interfaces = all');
  const receiver = await createPipelineHost({
    world: shared, hostName: 'mx.example.org', addresses: ['192.0.2.2'],
    mainCf: options.receiverTls ? `${receiverMain}${RECEIVER_TLS}` : receiverMain,
    files: { '/etc/postfix/cert.pem': CERT_PEM, '/etc/postfix/key.pem': KEY_PEM, '/etc/postfix/sasl_users': 'alice wonderland\n' },
  });
  return { sender, receiver };
}

const smtpLine = (log: string[]): string => log.find((line) => /\/smtp\[\d+\]: \w+: to=<bob@example\.org>/.test(line)) ?? log.join('\n');

test('smtp client: STARTTLS then AUTH PLAIN to mtalab smtpd; the receiver logs TLS and the login', async () => {
  const { sender, receiver } = await world({ receiverTls: true, password: 'wonderland' });
  const result = await sender.sendmail(['-f', 'alice@example.test', 'bob@example.org'], 'Subject: secure\n\nover tls and auth\n');
  assert.equal(result.exitCode, 0, result.stderr);
  await receiver.run();
  await sender.run();
  const sent = await sender.maillog();
  assert.match(smtpLine(sent), /relay=mx\.example\.org\[192\.0\.2\.2\]:25, .*dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as \w+\)$/);
  assert.ok(sent.some((line) => /smtp\[\d+\]: Trusted TLS connection established to mx\.example\.org\[192\.0\.2\.2\]:25: TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256\/256 bits\) key-exchange X25519 server-signature RSA-PSS \(2048 bits\) server-digest SHA256$/.test(line)), sent.join('\n'));
  const received = await receiver.maillog();
  assert.ok(received.some((line) => line.endsWith('Anonymous TLS connection established from mail.example.test[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256')), received.join('\n'));
  assert.ok(received.some((line) => /client=mail\.example\.test\[192\.0\.2\.1\], sasl_method=PLAIN, sasl_username=alice$/.test(line)), received.join('\n'));
  assert.match(await receiver.readFile('/var/mail/bob'), /\nover tls and auth\n/);
  const commands = sender.events.filter((event) => event.kind === 'smtp-client.command').map((event) => event.kind === 'smtp-client.command' ? event.text.split(' ')[0] : '');
  assert.deepEqual(commands.slice(0, 5), ['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'MAIL']);
  await sender.stop();
  await receiver.stop();
});

test('smtp_tls_security_level = encrypt and a server without STARTTLS: deferred, TLS is required', async () => {
  const { sender, receiver } = await world({ receiverTls: false, password: 'wonderland' });
  await sender.sendmail(['-f', 'alice@example.test', 'bob@example.org'], 'Subject: plain\n\nx\n');
  await receiver.run();
  await sender.run();
  assert.match(smtpLine(await sender.maillog()), /relay=mx\.example\.org\[192\.0\.2\.2\]:25, .*dsn=4\.7\.4, status=deferred \(TLS is required, but was not offered by host mx\.example\.org\[192\.0\.2\.2\]\)$/);
  assert.equal((await sender.queueFiles('deferred')).length, 1);
  await sender.stop();
  await receiver.stop();
});

test('a wrong SASL password: deferred with the server\'s 535 (smtp_sasl_auth_soft_bounce)', async () => {
  const { sender, receiver } = await world({ receiverTls: true, password: 'wrong' });
  await sender.sendmail(['-f', 'alice@example.test', 'bob@example.org'], 'Subject: bad login\n\nx\n');
  await receiver.run();
  await sender.run();
  assert.match(smtpLine(await sender.maillog()), /dsn=4\.7\.8, status=deferred \(SASL authentication failed; server mx\.example\.org\[192\.0\.2\.2\] said: 535 5\.7\.8 Error: authentication failed: authentication failure\)$/);
  await sender.stop();
  await receiver.stop();
});
