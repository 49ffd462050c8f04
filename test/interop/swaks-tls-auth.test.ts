// swaks against mtalab in node real mode with STARTTLS and AUTH: mtalab's smtpd on
// 127.0.0.1:PORT with a throwaway certificate (made here by openssl in the instance's
// temporary directory, never committed), smtpd_tls_security_level = may,
// smtpd_tls_auth_only, and mtalab_sasl_password_maps. swaks --tls --auth PLAIN and LOGIN
// deliver to a local user and may relay; without a login relaying is refused; a wrong
// password gets 535; AUTH is not announced before STARTTLS. The maillog shows the TLS line
// and "client=..., sasl_method=PLAIN, sasl_username=alice". Needs root, swaks and openssl;
// skipped without them. The master is stopped by its pid.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { ensureLocalUsers, freeLoopbackPort, run, waitFor, type InstanceSpec } from './real-instance.ts';
import { MtalabInstance } from './mtalab-instance.ts';
import { interopRequirements } from './real-postfix.ts';

const USER = 'mtalabtls';
const ADDRESS = '127.0.0.1';
const DOMAIN = 'mtalab.test';
const DELIVERY_WAIT_MS = 30_000;

const available = interopRequirements({ root: true, paths: ['/usr/bin/swaks', '/usr/bin/openssl'] });
const skip = available ? false : 'needs root, swaks and openssl';

let mtalab: MtalabInstance | undefined;
let port = 0;

before(async () => {
  if (!available) return;
  ensureLocalUsers([USER]);
  port = await freeLoopbackPort(ADDRESS);
  const spec: InstanceSpec = {
    smtpdListen: `${ADDRESS}:${port}`,
    mainCf: `myhostname = mx.${DOMAIN}
mydomain = ${DOMAIN}
mydestination = $myhostname, localhost, $mydomain
mynetworks = 127.0.0.2/32
smtpd_tls_security_level = may
smtpd_tls_cert_file = @DIR@/etc/cert.pem
smtpd_tls_key_file = @DIR@/etc/key.pem
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
mtalab_sasl_password_maps = texthash:@DIR@/etc/sasl_users
default_transport = discard:outside mail dropped by this test
`,
    files: { 'etc/sasl_users': 'alice wonderland\nbob@mtalab.test builder\n' },
  };
  mtalab = MtalabInstance.create(spec, 'mtalab-tls-');
  const made = run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=mx.${DOMAIN}`,
    '-keyout', `${mtalab.configDirectory}/key.pem`, '-out', `${mtalab.configDirectory}/cert.pem`]);
  assert.equal(made.status, 0, made.stderr);
  await mtalab.start();
});

after(async () => {
  await mtalab?.stop();
  mtalab?.remove();
});

function swaks(argv: readonly string[]): { status: number; output: string } {
  const result = run(['swaks', '--server', `${ADDRESS}:${port}`, '--ehlo', 'client.example.test', ...argv]);
  return { status: result.status, output: result.stdout + result.stderr };
}

function mailbox(): string {
  const path = `${mtalab!.mailDirectory}/${USER}`;
  return existsSync(path) ? readFileSync(path, 'latin1') : '';
}

async function delivered(token: string): Promise<boolean> {
  return waitFor(() => mailbox().includes(token), DELIVERY_WAIT_MS);
}

test('swaks --tls --auth PLAIN: STARTTLS, 235, delivered; the maillog shows TLS and the login', { skip }, async () => {
  const token = `tls-plain-${process.pid}`;
  const result = swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wonderland',
    '--from', 'alice@elsewhere.test', '--to', `${USER}@${DOMAIN}`, '--header', `Subject: ${token}`, '--body', `body ${token}`]);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /<- {2}250-STARTTLS\n/);
  assert.match(result.output, /<- {2}220 2\.0\.0 Ready to start TLS\n/);
  assert.match(result.output, /<~ {2}250-AUTH PLAIN LOGIN\n/);
  assert.match(result.output, /<~ {2}235 2\.7\.0 Authentication successful\n/);
  assert.match(result.output, /<~ {2}250 2\.0\.0 Ok: queued as \w+\n/);
  assert.ok(await delivered(token), result.output);
  const log = mtalab!.maillog().join('\n');
  assert.match(log, /smtpd\[\d+\]: Anonymous TLS connection established from \S+\[127\.0\.0\.1\]: TLSv1\.[23] with cipher \S+ \(\d+\/\d+ bits\)\n/);
  assert.match(log, /smtpd\[\d+\]: \w+: client=\S+\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice\n/);
});

test('swaks --tls --auth LOGIN may relay; without a login relaying is refused', { skip }, async () => {
  const refused = swaks(['--tls', '--from', 'bob@mtalab.test', '--to', 'friend@elsewhere.test']);
  assert.notEqual(refused.status, 0);
  assert.match(refused.output, /<~\* {1,2}454 4\.7\.1 <friend@elsewhere\.test>: Relay access denied\n/);
  const relayed = swaks(['--tls', '--auth', 'LOGIN', '--auth-user', 'bob@mtalab.test', '--auth-password', 'builder',
    '--from', 'bob@mtalab.test', '--to', 'friend@elsewhere.test']);
  assert.equal(relayed.status, 0, relayed.output);
  assert.match(relayed.output, /<~ {2}334 VXNlcm5hbWU6\n/);
  assert.match(relayed.output, /<~ {2}334 UGFzc3dvcmQ6\n/);
  assert.match(relayed.output, /<~ {2}250 2\.1\.5 Ok\n/);
});

test('a wrong password gets 535; AUTH is not offered before STARTTLS (smtpd_tls_auth_only)', { skip }, async () => {
  const wrong = swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'guess', '--to', `${USER}@${DOMAIN}`]);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.output, /<~\* {1,2}535 5\.7\.8 Error: authentication failed: authentication failure\n/);
  const plain = swaks(['--quit-after', 'EHLO', '--to', `${USER}@${DOMAIN}`]);
  assert.equal(plain.status, 0, plain.output);
  assert.doesNotMatch(plain.output, /AUTH/);
  const log = mtalab!.maillog().join('\n');
  assert.match(log, /smtpd\[\d+\]: warning: \S+\[127\.0\.0\.1\]: SASL PLAIN authentication failed: authentication failure, sasl_username=alice\n/);
});
