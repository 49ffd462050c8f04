// The smtp client inside a running host (P1's harness: master, pickup, cleanup,
// trivial-rewrite, qmgr, bounce, local): logs/w's three transport_maps routes to servers
// that reject RCPT with 5xx, with 4xx and accept, compared with the reference lines; and
// logs/i's unreachable relayhost, deferred with "Connection refused" and listed by
// postqueue -p with that reason; and two sim hosts in one world, the second running S1's
// smtpd, exchanging mail by MX as two Postfix hosts do.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPipelineHost, DEFAULT_MAIN_CF, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { lmtpProgram, smtpProgram } from '../../engine/smtp/service.ts';
import { startFakeServer } from '../unit/smtp/fixture.ts';

const REFERENCE = '/work/shared/reference/postfix-3.7/logs';
const programs: Record<string, ServiceProgram> = { ...registered, smtp: smtpProgram, lmtp: lmtpProgram };

/** "program: to=<...>, relay=..., dsn=..., status=... (...)" without ids, pids and delays. */
function reduce(line: string, tag: string): string | undefined {
  const match = new RegExp(`${tag}/([\\w-]+)\\[\\d+\\]: [0-9A-Za-z]+: (to=<.*)$`).exec(line);
  return match === null ? undefined : `${match[1]}: ${match[2]!.replace(/delay=[\d.]+, delays=[\d./]+, /, '')}`;
}

async function deliveryLines(host: PipelineHost, program: string): Promise<string[]> {
  return (await host.maillog()).map((line) => reduce(line, 'postfix')).filter((line): line is string => line?.startsWith(`${program}:`) === true);
}

function referenceLines(file: string, program: string, filter: (line: string) => boolean): string[] {
  return readFileSync(`${REFERENCE}/${file}`, 'utf8').split('\n').filter(filter)
    .map((line) => reduce(line, 'postfix-ref1')).filter((line): line is string => line?.startsWith(`${program}:`) === true);
}

test('logs/w: RCPT 5xx bounces, 4xx defers, 2xx is sent -- the same smtp lines as Postfix', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}transport_maps = texthash:/etc/postfix/transport\n`,
    files: { '/etc/postfix/transport': 'hard.test smtp:[127.0.0.1]:10031\nsoft.test smtp:[127.0.0.1]:10032\nok.test smtp:[127.0.0.1]:10033\n' },
  });
  // What smtp-sink answers with -f RCPT, -r RCPT and -c (logs/w's three sinks).
  await startFakeServer(host.platform, '127.0.0.1', 10031, { rcpt: '500 5.3.0 Error: command failed', dot: '250 2.0.0 Ok' });
  await startFakeServer(host.platform, '127.0.0.1', 10032, { rcpt: '450 4.3.0 Error: command failed', dot: '250 2.0.0 Ok' });
  const ok = await startFakeServer(host.platform, '127.0.0.1', 10033, { dot: '250 2.0.0 Ok' });
  for (const domain of ['hard', 'soft', 'ok']) {
    const result = await host.sendmail(['-f', 'alice@example.test', `user@${domain}.test`], `Subject: to ${domain}\n\nx\n`);
    assert.equal(result.exitCode, 0, result.stderr);
  }
  await host.run();
  const ours = (await deliveryLines(host, 'smtp')).sort();
  const reference = referenceLines('w-remote-smtp-replies.log', 'smtp', (line) => /user@(hard|soft|ok)\.test/.test(line)).sort();
  assert.equal(reference.length, 3);
  assert.deepEqual(ours, reference);
  assert.equal(ok.messages.length, 1);
  assert.match(new TextDecoder().decode(ok.messages[0]), /\r\nSubject: to ok\r\n/);
  assert.deepEqual((await host.queueFiles('deferred')).length, 1);
  const local = await deliveryLines(host, 'local');
  assert.ok(local.some((line) => /to=<alice@example\.test>.*status=sent \(delivered to mailbox\)/.test(line)), local.join('\n'));
  const mailbox = await host.readFile('/var/mail/alice');
  assert.match(mailbox, /<user@hard\.test>: host 127\.0\.0\.1\[127\.0\.0\.1\] said: 500 5\.3\.0 Error: command\n    failed \(in reply to RCPT TO command\)/);
  assert.match(mailbox, /\nRemote-MTA: dns; 127\.0\.0\.1\nDiagnostic-Code: smtp; 500 5\.3\.0 Error: command failed\n/);
  const bounce = (await host.maillog()).filter((line) => /sender non-delivery notification/.test(line));
  assert.equal(bounce.length, 1);
  await host.stop();
});

test('logs/i: relayhost [127.0.0.1]:10099 with nothing listening: deferred, Connection refused, postqueue -p shows why', async () => {
  const host = await createPipelineHost({ programs, mainCf: `${DEFAULT_MAIN_CF}relayhost = [127.0.0.1]:10099\n` });
  const result = await host.sendmail(['-f', 'alice@example.com', 'someone@remote.test'], 'Subject: test (i) deferred\n\nscenario i\n');
  assert.equal(result.exitCode, 0, result.stderr);
  const log = await host.maillog();
  const reference = readFileSync(`${REFERENCE}/i-deferred-unreachable.log`, 'utf8').split('\n');
  const shape = (line: string): string => line.replace(/^.*?\/smtp\[\d+\]: /, '').replace(/^[0-9A-F]+: /, 'ID: ').replace(/delay=[\d.]+, delays=[\d./]+, /, '');
  const ours = log.filter((line) => /\/smtp\[/.test(line)).map(shape);
  const theirs = reference.filter((line) => /postfix-ref1\/smtp\[/.test(line)).slice(0, 2).map(shape);
  assert.deepEqual(ours, theirs);
  const listing = await host.command(['postqueue', '-p']);
  assert.match(listing.stdout, /\n {19}\(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:10099: Connection refused\)\n/);
  await host.stop();
});

test('two sim hosts: mail for example.org goes by MX to the other host\'s smtpd and into bob\'s mailbox', async () => {
  const { Scheduler, SimNetwork } = await import('../../engine/platform/sim/index.ts');
  const { setImmediate: macrotask } = await import('node:timers/promises');
  const { smtpdProgram } = await import('../../engine/smtpd/service.ts');
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
  const world = { scheduler, network, dns };
  const sender = await createPipelineHost({ programs, world, addresses: ['192.0.2.1'] });
  const receiver = await createPipelineHost({
    programs: { ...programs, smtpd: smtpdProgram }, world, hostName: 'mx.example.org', addresses: ['192.0.2.2'],
    mainCf: DEFAULT_MAIN_CF.replace('myhostname = mail.example.test', 'myhostname = mx.example.org')
      .replace('mydomain = example.test', 'mydomain = example.org').replace('inet_interfaces = loopback-only', 'inet_interfaces = all'),
  });
  const result = await sender.sendmail(['-f', 'alice@example.test', 'bob@example.org'], 'Subject: across\n\nhello bob\n.dot line\n');
  assert.equal(result.exitCode, 0, result.stderr);
  await receiver.run();
  await sender.run();
  const sent = (await sender.maillog()).find((line) => /\/smtp\[\d+\]: \w+: to=<bob@example\.org>/.test(line));
  assert.match(sent ?? '', /relay=mx\.example\.org\[192\.0\.2\.2\]:25, delay=[\d.]+, delays=[\d./]+, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as (\w+)\)$/, (await sender.maillog()).join('\n'));
  const remoteId = /queued as (\w+)\)$/.exec(sent ?? '')?.[1];
  const received = await receiver.maillog();
  assert.ok(received.some((line) => line.includes(`${remoteId}: client=mail.example.test[192.0.2.1]`)), received.join('\n'));
  assert.ok(received.some((line) => new RegExp(`local\\[\\d+\\]: ${remoteId}: to=<bob@example\\.org>, .*status=sent \\(delivered to mailbox\\)`).test(line)), received.join('\n'));
  const mailbox = await receiver.readFile('/var/mail/bob');
  assert.match(mailbox, /Received: from mail\.example\.test \(mail\.example\.test \[192\.0\.2\.1\]\)\n\tby mx\.example\.org \(Postfix\) with ESMTP id/);
  assert.match(mailbox, /\nhello bob\n\.dot line\n/);
  await sender.stop();
  await receiver.stop();
});
