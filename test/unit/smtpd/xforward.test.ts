// XFORWARD in smtpd (engine/smtpd/xforward.ts): the EHLO keyword only for a client that
// smtpd_authorized_xforward_hosts lists, each attribute's parsing and validation with the
// replies of Postfix 3.7's xforward_cmd(), the refusal inside a transaction, the reset after
// each transaction, the "client=" line's orig_queue_id=/orig_client= parts, and the log_*
// queue-file attributes taking the forwarded client while the real client_* ones do not;
// ADDR against inet_protocols, and a failing smtpd_authorized_xforward_hosts table ending
// the session at EHLO or XFORWARD with 421 (cant_announce_feature, cant_permit_command).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSmtpHost } from './chat.ts';
import { createSmtpdEnvironment } from '../../../engine/smtpd/environment.ts';
import { openSmtpdSession, type SmtpdConnection } from '../../../engine/smtpd/api.ts';
import type { PipelineHost } from '../../pipeline/harness.ts';
import type { ServiceTraceInput } from '../../../engine/master/contracts.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { Session, Transaction } from '../../../engine/smtpd/session.ts';
import { attributesAfterSender, attributesBeforeSender } from '../../../engine/smtpd/stream-attributes.ts';
import { formatIpv6, normalizeMailhostAddress } from '../../../engine/smtpd/xforward.ts';
import { parseIpv6 } from '../../../engine/global/maps/cidr.ts';

const encoder = new TextEncoder();
const KEYWORD = '250-XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT';

interface Driven { output(): string; connection: SmtpdConnection }

async function drive(host: PipelineHost, address = '127.0.0.1'): Promise<Driven> {
  const runtime = host.runtime;
  assert.ok(runtime !== undefined);
  const pid = 4243;
  const log = createReporter({ program: 'smtpd', host: host.host, pid, stderr: { write: () => undefined, isTty: false } });
  const env = await createSmtpdEnvironment({
    config: runtime.config(), platform: host.platform, log,
    trace: (event: ServiceTraceInput) => host.platform.trace.emit({ ...event, host: host.host.name, service: 'smtpd', pid } as never),
    cleanup: () => runtime.cleanup(), rewrite: () => runtime.rewrite(),
  });
  let written = '';
  const client = { name: 'localhost', reverseName: 'localhost', address, port: 40000, nameStatus: 'ok' as const, reverseNameStatus: 'ok' as const };
  const connection = openSmtpdSession(env, client, 'test/x', {
    write: (bytes) => { written += new TextDecoder('latin1').decode(bytes); },
    close: () => undefined,
  });
  await host.run({ quietMs: 2000 });
  return { output: () => written, connection };
}

/** Sends one line and returns the replies it produced. */
async function say(host: PipelineHost, driven: Driven, line: string): Promise<string[]> {
  const before = driven.output().length;
  driven.connection.receive(encoder.encode(`${line}\r\n`));
  await host.run({ quietMs: 3000 });
  return driven.output().slice(before).split('\r\n').filter((reply) => reply !== '');
}

const smtpdLines = async (host: PipelineHost): Promise<string[]> =>
  (await host.maillog()).filter((line) => line.includes('/smtpd[')).map((line) => line.replace(/^.*?smtpd\[\d+\]: /, ''));

test('the EHLO reply shows XFORWARD only to a client that smtpd_authorized_xforward_hosts lists', async () => {
  const host = await createSmtpHost({ settings: { smtpd_authorized_xforward_hosts: '127.0.0.0/8' } });
  const listed = await drive(host, '127.0.0.1');
  const ehlo = await say(host, listed, 'EHLO filter.example.test');
  assert.ok(ehlo.includes(KEYWORD), ehlo.join('\n'));
  assert.ok(ehlo.indexOf(KEYWORD) < ehlo.indexOf('250-ENHANCEDSTATUSCODES'));
  const outsider = await drive(host, '192.0.2.5');
  assert.ok(!(await say(host, outsider, 'EHLO outside.example.test')).includes(KEYWORD));
  assert.deepEqual(await say(host, outsider, 'XFORWARD NAME=spoof.example.test'), ['550 5.7.0 Error: insufficient authorization']);
  await host.stop();
  const discarding = await createSmtpHost({ settings: { smtpd_authorized_xforward_hosts: '127.0.0.0/8', smtpd_discard_ehlo_keywords: 'xforward' } });
  const hidden = await drive(discarding);
  assert.ok(!(await say(discarding, hidden, 'EHLO filter.example.test')).includes(KEYWORD));
  await discarding.stop();
});

test('each attribute is checked as xforward_cmd() checks it', async () => {
  const host = await createSmtpHost({ settings: { smtpd_authorized_xforward_hosts: '127.0.0.0/8' } });
  const driven = await drive(host);
  await say(host, driven, 'EHLO filter.example.test');
  const cases: Array<[string, string]> = [
    ['XFORWARD', '501 5.5.4 Syntax: XFORWARD attribute=value...'],
    ['XFORWARD NAME', '501 5.5.4 Error: attribute=value expected'],
    ['XFORWARD NAME=', '501 5.5.4 Error: attribute=value expected'],
    [`XFORWARD HELO=${'h'.repeat(256)}`, '501 5.5.4 Error: attribute value too long'],
    ['XFORWARD COLOR=blue', '501 5.5.4 Bad XFORWARD attribute name: COLOR'],
    ['XFORWARD NAME=bad_host!', '501 5.5.4 Bad NAME syntax: bad_host!'],
    ['XFORWARD NAME=[TEMPUNAVAIL]', '501 5.5.4 Bad NAME syntax: [TEMPUNAVAIL]'],
    ['XFORWARD NAME=a<b>.test', '501 5.5.4 Bad NAME syntax: a?b?.test'],
    ['XFORWARD ADDR=192.0.2.300', '501 5.5.4 Bad ADDR syntax: 192.0.2.300'],
    ['XFORWARD ADDR=2001:db8::1', '501 5.5.4 Bad ADDR syntax: 2001:db8::1'],
    ['XFORWARD PORT=123456', '501 5.5.4 Bad PORT syntax: 123456'],
    ['XFORWARD PORT=12a', '501 5.5.4 Bad PORT syntax: 12a'],
    [`XFORWARD PROTO=${'P'.repeat(65)}`, `501 5.5.4 Bad PROTO syntax: ${'P'.repeat(65)}`],
    ['XFORWARD SOURCE=nearby', '501 5.5.4 Bad SOURCE syntax: nearby'],
    ['XFORWARD ADDR=IPv6:2001:db8::9', '501 5.5.4 Bad ADDR syntax: IPv6:2001:db8::9'],
    ['XFORWARD ADDR=IPv6:::192.0.2.8', '501 5.5.4 Bad ADDR syntax: IPv6:::192.0.2.8'],
    ['XFORWARD name=relay.example.test addr=IPv6:::FFFF:192.0.2.8 port=[UNAVAILABLE] proto=ESMTP helo=[UNAVAILABLE] ident=ABC123 source=local', '250 2.0.0 Ok'],
    ['XFORWARD NAME=+5Bx', '501 5.5.4 Bad NAME syntax: [x'],
  ];
  for (const [line, reply] of cases) assert.deepEqual(await say(host, driven, line), [reply], line);
  await host.stop();
});

test('addresses are normalized as normalize_mailhost_addr() does', () => {
  assert.deepEqual(normalizeMailhostAddress('192.0.2.7'), { address: '192.0.2.7', rfcAddress: '192.0.2.7' });
  assert.deepEqual(normalizeMailhostAddress('ipv6:2001:DB8:0:0:0:0:0:7'), { address: '2001:db8::7', rfcAddress: 'IPv6:2001:db8::7' });
  assert.deepEqual(normalizeMailhostAddress('IPv6:::ffff:192.0.2.8'), { address: '192.0.2.8', rfcAddress: '192.0.2.8' });
  assert.equal(normalizeMailhostAddress('mail.example.test'), undefined);
  const ipv4 = { ipv4: true, ipv6: false };
  const ipv6 = { ipv4: false, ipv6: true };
  assert.equal(normalizeMailhostAddress('IPv6:2001:db8::7', ipv4), undefined);
  assert.equal(normalizeMailhostAddress('IPv6:::192.0.2.8', ipv4), undefined);
  assert.deepEqual(normalizeMailhostAddress('IPv6:::ffff:192.0.2.8', ipv4), { address: '192.0.2.8', rfcAddress: '192.0.2.8' });
  assert.equal(normalizeMailhostAddress('192.0.2.7', ipv6), undefined);
  assert.deepEqual(normalizeMailhostAddress('IPv6:::ffff:192.0.2.8', ipv6), { address: '::ffff:192.0.2.8', rfcAddress: 'IPv6:::ffff:192.0.2.8' });
  assert.deepEqual(normalizeMailhostAddress('IPv6:::c000:208'), { address: '::192.0.2.8', rfcAddress: 'IPv6:::192.0.2.8' });
  assert.deepEqual(normalizeMailhostAddress('IPv6:::ffff:0:1'), { address: '0.0.0.1', rfcAddress: '0.0.0.1' });
});

test('IPv6 text is written as glibc inet_ntop() writes it', () => {
  // Expected values from Python's socket.inet_ntop on this host (glibc).
  const cases: Array<[string, string]> = [
    ['::ffff:0:1', '::ffff:0.0.0.1'], ['::c000:208', '::192.0.2.8'], ['::1.0.0.0', '::1.0.0.0'], ['::', '::'], ['::1', '::1'],
    ['1::', '1::'], ['0:0:0:0:1:ffff:1:2', '::1:ffff:1:2'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
  ];
  for (const [input, expected] of cases) {
    const bytes = parseIpv6(input);
    assert.ok(bytes !== undefined, input);
    assert.equal(formatIpv6(bytes), expected, input);
  }
});

test('a failing smtpd_authorized_xforward_hosts table ends the session at EHLO or XFORWARD with 421', async () => {
  const host = await createSmtpHost({ settings: { smtpd_authorized_xforward_hosts: 'hash:/etc/postfix/missing-xforward' } });
  const local = '421 4.3.0 mail.example.com Server local data error';
  const byEhlo = await drive(host);
  assert.deepEqual(await say(host, byEhlo, 'EHLO filter.example.test'), [local]);
  const byCommand = await drive(host);
  assert.deepEqual(await say(host, byCommand, 'HELO filter.example.test'), ['250 mail.example.com']);
  assert.deepEqual(await say(host, byCommand, 'XFORWARD NAME=client.remote.test'), [local]);
  const bySyntax = await drive(host);
  assert.deepEqual(await say(host, bySyntax, 'XFORWARD'), ['501 5.5.4 Syntax: XFORWARD attribute=value...']);
  assert.deepEqual(await say(host, bySyntax, 'QUIT'), ['221 2.0.0 Bye']);
  const lines = (await smtpdLines(host)).filter((line) => !line.startsWith('error: ') && !line.startsWith('connect from'));
  const table = 'hash:/etc/postfix/missing-xforward';
  const lookupLines = [
    `warning: ${table} is unavailable. open database /etc/postfix/missing-xforward.db: No such file or directory`,
    `warning: smtpd_authorized_xforward_hosts: ${table}: table lookup problem`,
  ];
  assert.deepEqual(lines, [
    ...lookupLines,
    "warning: don't know if EHLO feature XFORWARD should be announced to localhost[127.0.0.1]",
    `NOQUEUE: reject: EHLO from localhost[127.0.0.1]: ${local}`,
    'disconnect from localhost[127.0.0.1] ehlo=0/1 commands=0/1',
    ...lookupLines,
    "warning: don't know if command XFORWARD should be allowed from localhost[127.0.0.1]",
    `NOQUEUE: reject: XFORWARD from localhost[127.0.0.1]: ${local}`,
    'disconnect from localhost[127.0.0.1] helo=1 xforward=0/1 commands=1/2',
    ...lookupLines,
    'disconnect from localhost[127.0.0.1] xforward=0/1 quit=1 commands=1/2',
  ]);
  await host.stop();
});

test('forwarded values go to the client= line and the log_* attributes, and are gone after the transaction', async () => {
  const host = await createSmtpHost({ settings: { smtpd_authorized_xforward_hosts: '127.0.0.0/8' } });
  const driven = await drive(host);
  await say(host, driven, 'EHLO filter.example.test');
  assert.deepEqual(await say(host, driven, 'XFORWARD NAME=client.remote.test ADDR=192.0.2.9 PORT=4711'), ['250 2.0.0 Ok']);
  assert.deepEqual(await say(host, driven, 'XFORWARD PROTO=ESMTP HELO=client.remote.test IDENT=4Q2B1C3D5E SOURCE=REMOTE'), ['250 2.0.0 Ok']);
  await say(host, driven, 'MAIL FROM:<sender@remote.test>');
  assert.deepEqual(await say(host, driven, 'XFORWARD NAME=late.remote.test'), ['503 5.5.1 Error: MAIL transaction in progress']);
  await say(host, driven, 'RCPT TO:<alice@example.com>');
  await say(host, driven, 'DATA');
  await say(host, driven, 'Subject: forwarded\r\n\r\nbody\r\n.');
  await say(host, driven, 'MAIL FROM:<sender@remote.test>');
  await say(host, driven, 'RCPT TO:<alice@example.com>');
  await say(host, driven, 'RSET');
  await say(host, driven, 'QUIT');
  const clientLines = (await smtpdLines(host)).filter((line) => line.includes(': client='));
  assert.equal(clientLines.length, 2, clientLines.join('\n'));
  assert.match(clientLines[0] ?? '', /^[0-9A-Z]+: client=localhost\[127\.0\.0\.1\], orig_queue_id=4Q2B1C3D5E, orig_client=client\.remote\.test\[192\.0\.2\.9\]$/);
  assert.match(clientLines[1] ?? '', /^[0-9A-Z]+: client=localhost\[127\.0\.0\.1\]$/);
  await host.stop();
});

test('the log_* attributes take the forwarded client, the client_* ones keep the real one', () => {
  const session = new Session({ name: 'localhost', reverseName: 'localhost', address: '127.0.0.1', port: 40001,
    nameStatus: 'ok', reverseNameStatus: 'ok', serverAddress: '127.0.0.1', serverPort: 25 }, 'test/3');
  session.heloName = 'filter.example.test';
  session.protocol = 'ESMTP';
  session.xforward = {
    updated: new Set(['NAME', 'ADDR', 'IDENT', 'SOURCE']), name: 'client.remote.test', address: '2001:db8::9',
    rfcAddress: 'IPv6:2001:db8::9', port: 'unknown', namaddr: 'client.remote.test[2001:db8::9]', protocol: 'unknown',
    heloName: undefined, ident: 'UPSTREAM1', rewriteContext: 'local',
  };
  const transaction = new Transaction('');
  assert.deepEqual(attributesBeforeSender(session, transaction, 'LOCALID'), [['log_ident', 'UPSTREAM1'], ['rewrite_context', 'local']]);
  assert.deepEqual(attributesAfterSender(session, transaction).map(([name, value]) => `${name}=${value}`), [
    'log_client_name=client.remote.test', 'log_client_address=IPv6:2001:db8::9', 'log_client_port=unknown',
    'log_message_origin=client.remote.test[2001:db8::9]', 'log_protocol_name=unknown',
    'client_name=localhost', 'reverse_client_name=localhost', 'client_address=127.0.0.1', 'client_port=40001',
    'server_address=127.0.0.1', 'server_port=25', 'helo_name=filter.example.test', 'protocol_name=ESMTP', 'client_address_type=2',
  ]);
});
