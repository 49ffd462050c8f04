// The fast flush service on a running sim host (engine/flush/): a backup MX that relays
// for example.test (relay_domains, hence fast_flush_domains) to a primary that is down.
// The deferred message's queue id lands in $queue_directory/flush/example_test; when the
// primary is back, "ETRN example.test" over SMTP answers "250 Queuing started" and the
// message is delivered at once, long before its next retry, while mail for a site the
// log does not list stays deferred. ETRN for a domain outside fast_flush_domains gets
// Postfix's 459 and warning; smtpd_etrn_restrictions can reject; postqueue -s and
// sendmail -qR go through the same service. Every run is bounded (harness limits).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MASTER_CF, type PipelineHost } from './harness.ts';
import { ChatClient } from '../unit/smtpd/chat.ts';
import { startFakeServer } from '../unit/smtp/fixture.ts';

const PRIMARY_PORT = 10040;
const OTHER_PORT = 10041;
const FLUSH_LOG = '/var/spool/postfix/flush/example_test';

/** A backup MX: nothing local but its own name; example.test relayed to a primary, and
 *  other.example (not a relay domain) routed to another host. Retries are an hour apart, so
 *  "delivered at once" cannot be a retry. */
const MAIN_CF = `compatibility_level = 3.6
myhostname = backup.example.org
mydomain = example.org
myorigin = $mydomain
mydestination = $myhostname, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
biff = no
relay_domains = example.test
transport_maps = texthash:/etc/postfix/transport
minimal_backoff_time = 1h
maximal_backoff_time = 4h
queue_run_delay = 1h
`;

const TRANSPORT = `example.test smtp:[127.0.0.1]:${PRIMARY_PORT}\nother.example smtp:[127.0.0.1]:${OTHER_PORT}\n`;

async function backupHost(extra = ''): Promise<PipelineHost> {
  return createPipelineHost({
    hostName: 'backup.example.org',
    mainCf: MAIN_CF + extra,
    masterCf: DEFAULT_MASTER_CF,
    files: { '/etc/postfix/transport': TRANSPORT, '/etc/hosts': '127.0.0.1 localhost\n' },
  });
}

const crlf = (line: string): Uint8Array => new TextEncoder().encode(`${line}\r\n`);

/** One SMTP session on port 25: each command's reply lines. */
async function smtp(host: PipelineHost, commands: readonly string[]): Promise<string[]> {
  const client = await ChatClient.connect(host, undefined, 25);
  await client.reply();
  for (const command of commands) {
    client.send(crlf(command));
    await client.reply();
  }
  client.close();
  return client.transcript;
}

async function deferOne(host: PipelineHost, recipient: string, subject: string): Promise<string> {
  const seen = (await host.maillog()).length;
  const result = await host.sendmail(['-f', 'alice@example.org', recipient], `Subject: ${subject}\n\nbody\n`);
  assert.equal(result.exitCode, 0, result.stderr);
  const log = (await host.maillog()).slice(seen);
  const line = log.find((entry) => entry.includes(`to=<${recipient}>`) && entry.includes('status=deferred'));
  assert.ok(line !== undefined, log.join('\n'));
  return /: ([0-9A-F]+): to=</.exec(line)?.[1] as string;
}

test('a deferred relay message is logged for its site; ETRN delivers it at once', async () => {
  const host = await backupHost();
  const id = await deferOne(host, 'user@example.test', 'for the primary');
  const other = await deferOne(host, 'user@other.example', 'for elsewhere');
  assert.equal(await host.readFile(FLUSH_LOG), `${id}\n`, 'the site log lists the deferred queue id');
  assert.equal(await host.exists('/var/spool/postfix/flush/other_example'), false, 'no log for a site outside fast_flush_domains');
  assert.deepEqual(await host.queueFiles('deferred'), [id, other].sort());

  // Two minutes later the primary is back; the next retry would be an hour after the defer.
  await host.run({ forMs: 2 * 60_000 });
  const primary = await startFakeServer(host.platform, '127.0.0.1', PRIMARY_PORT, { dot: '250 2.0.0 Ok: queued as 77AA' });
  await startFakeServer(host.platform, '127.0.0.1', OTHER_PORT, { dot: '250 2.0.0 Ok: queued as 88BB' });
  const etrnAtMs = host.scheduler.nowMs();
  const transcript = await smtp(host, ['EHLO client.example.test', 'ETRN example.test', 'QUIT']);
  assert.ok(transcript.includes('S: 250 Queuing started'), transcript.join('\n'));
  await host.run();
  assert.equal(primary.messages.length, 1, (await host.maillog()).join('\n'));
  const sent = (await host.maillog()).find((line) => line.includes(`${id}: to=<user@example.test>`) && line.includes('status=sent'));
  assert.ok(sent !== undefined, (await host.maillog()).join('\n'));
  const sentEvent = host.events.find((event) => event.kind === 'delivery.status' && event.queueId === id && event.atMs >= etrnAtMs);
  assert.ok(sentEvent !== undefined && sentEvent.atMs - etrnAtMs < 60_000, 'delivered within a minute of ETRN');
  assert.deepEqual(await host.queueFiles('deferred'), [other], 'other.example waits for its own retry');
  assert.equal(await host.readFile(FLUSH_LOG), '', 'the log is emptied by the send');
  const log = await host.maillog();
  assert.ok(log.some((line) => /smtpd\[\d+\]: disconnect from localhost\[127\.0\.0\.1\] ehlo=1 etrn=1 quit=1 commands=3$/.test(line)), log.join('\n'));
  await host.stop();
});

test('ETRN for a site outside fast_flush_domains: 459 and the warning; syntax replies as Postfix', async () => {
  const host = await backupHost();
  const transcript = await smtp(host, ['ETRN other.example', 'EHLO client.example.test', 'ETRN other.example', 'ETRN', 'ETRN -bad-', 'ETRN @example.test', 'QUIT']);
  assert.deepEqual(transcript.filter((line) => line.startsWith('S: ') && !line.startsWith('S: 250-')).slice(1), [
    'S: 459 <other.example>: service unavailable',
    'S: 250 CHUNKING',
    'S: 459 <other.example>: service unavailable',
    'S: 500 Syntax: ETRN domain',
    'S: 501 Error: invalid parameter syntax',
    'S: 250 Queuing started',
    'S: 221 2.0.0 Bye',
  ]);
  await host.run();
  const log = await host.maillog();
  assert.equal(log.filter((line) => /smtpd\[\d+\]: warning: reject: ETRN other\.example\.\.\. from localhost\[127\.0\.0\.1\]$/.test(line)).length, 2, log.join('\n'));
  // The real Postfix 3.7.11 gave the same replies to this dialog (with one more good ETRN:
  // "ehlo=1 etrn=2/6 quit=1 commands=4/8").
  assert.ok(log.some((line) => line.endsWith('disconnect from localhost[127.0.0.1] ehlo=1 etrn=1/5 quit=1 commands=3/7')), log.join('\n'));
  await host.stop();
});

test('smtpd_etrn_restrictions = reject refuses before the flush service is asked', async () => {
  const host = await backupHost('smtpd_etrn_restrictions = reject\n');
  const id = await deferOne(host, 'user@example.test', 'stays');
  const transcript = await smtp(host, ['EHLO client.example.test', 'ETRN example.test', 'QUIT']);
  assert.ok(transcript.includes('S: 554 5.7.1 <example.test>: Etrn command rejected: Access denied'), transcript.join('\n'));
  assert.equal(await host.readFile(FLUSH_LOG), `${id}\n`, 'nothing was sent');
  await host.run();
  const log = await host.maillog();
  assert.ok(log.some((line) => line.includes('NOQUEUE: reject: ETRN from localhost[127.0.0.1]: 554 5.7.1 <example.test>: Etrn command rejected: Access denied;')), log.join('\n'));
  await host.stop();
});

test('postqueue -s and sendmail -qR flush the site through the flush service', async () => {
  const host = await backupHost();
  const first = await deferOne(host, 'user@example.test', 'first');
  const primary = await startFakeServer(host.platform, '127.0.0.1', PRIMARY_PORT, { dot: '250 2.0.0 Ok: queued as 77AA' });
  // Past the dead-destination backoff, so that qmgr tries the primary again.
  await host.run({ forMs: 10 * 60_000 });
  const site = await host.command(['postqueue', '-s', 'example.test']);
  assert.equal(site.exitCode, 0, site.stderr);
  await host.run();
  assert.equal(primary.messages.length, 1);
  assert.deepEqual(await host.queueFiles('deferred'), []);
  assert.ok((await host.maillog()).some((line) => line.includes(`${first}: to=<user@example.test>`) && line.includes('status=sent')));

  const refused = await host.command(['postqueue', '-s', 'other.example']);
  assert.equal(refused.stderr, 'postqueue: fatal: Flush service is not configured for destination "other.example"\n');
  assert.equal(refused.exitCode, 69);

  await primary.close();
  const second = await deferOne(host, 'user@example.test', 'second');
  assert.equal(await host.readFile(FLUSH_LOG), `${second}\n`);
  const again = await startFakeServer(host.platform, '127.0.0.1', PRIMARY_PORT, { dot: '250 2.0.0 Ok: queued as 99CC' });
  await host.run({ forMs: 10 * 60_000 });
  const qr = await host.command(['sendmail', '-qRexample.test']);
  assert.equal(qr.exitCode, 0, qr.stderr);
  await host.run();
  assert.equal(again.messages.length, 1);
  assert.deepEqual(await host.queueFiles('deferred'), []);
  await host.stop();
});

test('ETRN revives a destination qmgr holds dead (QMGR_REQ_FLUSH_DEAD)', async () => {
  const host = await backupHost();
  // Enough failed deliveries at once that qmgr marks the primary dead for minimal_backoff_time.
  for (let index = 0; index < 8; index++) {
    await host.sendmail(['-f', 'alice@example.org', `user${index}@example.test`], 'Subject: many\n\nbody\n', { run: false });
  }
  await host.run();
  await host.run({ forMs: 2 * 60_000 });
  const primary = await startFakeServer(host.platform, '127.0.0.1', PRIMARY_PORT, { dot: '250 2.0.0 Ok: queued as 77AA' });
  const transcript = await smtp(host, ['EHLO client.example.test', 'ETRN example.test', 'QUIT']);
  assert.ok(transcript.includes('S: 250 Queuing started'), transcript.join('\n'));
  await host.run();
  try {
    assert.equal(primary.messages.length, 8, (await host.maillog()).filter((line) => line.includes('suspended')).slice(0, 2).join('\n'));
  } finally {
    await host.stop();
  }
});
