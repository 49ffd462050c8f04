// smtpd's protocol core driven with byte scripts: a session is opened directly on a started
// sim host's environment (its cleanup and trivial-rewrite), bytes are fed with receive()
// (all at once, or before the greeting), and the bytes written back and the trace are read.
// Covers what the network dialogs cannot time exactly: talking before the greeting,
// smuggled end-of-data variants, NUL bytes, the error limits, and the maillog lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSmtpHost } from './chat.ts';
import { createSmtpdEnvironment } from '../../../engine/smtpd/environment.ts';
import { openSmtpdSession, type SmtpdConnection } from '../../../engine/smtpd/api.ts';
import type { PipelineHost } from '../../pipeline/harness.ts';
import type { ServiceTraceInput } from '../../../engine/master/contracts.ts';
import { createReporter } from '../../../engine/global/msg.ts';

const encoder = new TextEncoder();

interface Driven {
  output: () => string;
  closed: () => boolean;
  connection: SmtpdConnection;
}

/** A session on the host's own environment; `early` bytes are in the input before the greeting. */
async function drive(host: PipelineHost, options: { address?: string; name?: string; early?: string } = {}): Promise<Driven> {
  const runtime = host.runtime;
  assert.ok(runtime !== undefined);
  const pid = 4242;
  const log = createReporter({ program: 'smtpd', host: host.host, pid, stderr: { write: () => undefined, isTty: false } });
  const env = await createSmtpdEnvironment({
    config: runtime.config(), platform: host.platform, log,
    trace: (event: ServiceTraceInput) => host.platform.trace.emit({ ...event, host: host.host.name, service: 'smtpd', pid } as never),
    cleanup: () => runtime.cleanup(), rewrite: () => runtime.rewrite(),
  });
  let written = '';
  let closed = false;
  const address = options.address ?? '127.0.0.1';
  const client = { name: options.name ?? 'localhost', reverseName: options.name ?? 'localhost', address, port: 40000, nameStatus: 'ok' as const, reverseNameStatus: 'ok' as const };
  const connection = openSmtpdSession(env, client, 'test/1', {
    write: (bytes) => { written += new TextDecoder('latin1').decode(bytes); },
    close: () => { closed = true; },
  });
  if (options.early !== undefined) connection.receive(encoder.encode(options.early));
  await host.run({ quietMs: 2000 });
  return { output: () => written, closed: () => closed, connection };
}

async function send(host: PipelineHost, driven: Driven, text: string | Uint8Array): Promise<void> {
  driven.connection.receive(typeof text === 'string' ? encoder.encode(text) : text);
  await host.run({ quietMs: 3000 });
}

const smtpdLines = async (host: PipelineHost): Promise<string[]> =>
  (await host.maillog()).filter((line) => line.includes('/smtpd[')).map((line) => line.replace(/^.*?smtpd\[\d+\]: /, ''));

test('talking before the greeting is logged; with smtpd_forbid_unauth_pipelining it is refused instead of greeted', async () => {
  const burst = 'EHLO early.remote.test\r\nMAIL FROM:<sender@remote.test>\r\nRCPT TO:<alice@example.com>\r\nQUIT\r\n';
  const plain = await createSmtpHost();
  const accepted = await drive(plain, { early: burst });
  assert.match(accepted.output(), /^220 mail\.example\.com ESMTP Postfix\r\n250-mail\.example\.com\r\n/);
  assert.match(accepted.output(), /250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n221 2\.0\.0 Bye\r\n$/);
  const lines = await smtpdLines(plain);
  assert.ok(lines.includes('improper command pipelining after CONNECT from localhost[127.0.0.1]: EHLO early.remote.test\\r\\nMAIL FROM:<sender@remote.test>\\r\\nRCPT TO:<alice@example.com>\\r\\nQUIT\\r\\n'), lines.join('\n'));
  assert.ok(lines.at(-1)?.endsWith('ehlo=1 mail=1 rcpt=1 quit=1 commands=4'));
  await plain.stop();

  const strict = await createSmtpHost({ settings: { smtpd_forbid_unauth_pipelining: 'yes', mynetworks: '192.0.2.0/24' } });
  const refused = await drive(strict, { early: burst });
  assert.equal(refused.output(), '554 5.5.0 Error: SMTP protocol synchronization\r\n');
  assert.ok(refused.closed());
  assert.equal((await smtpdLines(strict)).at(-1), 'disconnect from localhost[127.0.0.1] commands=0/0');
  await strict.stop();
});

test('a smuggled end-of-data (bare LF before the dot) ends DATA only when bare newlines are not policed', async () => {
  const smuggle = 'MAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n';
  const content = 'Subject: smuggle\r\n\r\nbody\n.\nMAIL FROM:<evil@remote.test>\r\n.\r\n';
  for (const [mode, queuedCount] of [['no', 1], ['normalize', 1]] as const) {
    const host = await createSmtpHost({ settings: { smtpd_forbid_bare_newline: mode, mynetworks: '192.0.2.0/24' } });
    const driven = await drive(host);
    await send(host, driven, 'EHLO client.remote.test\r\n');
    await send(host, driven, smuggle);
    await send(host, driven, content);
    await send(host, driven, 'QUIT\r\n');
    const output = driven.output();
    assert.equal((output.match(/queued as/g) ?? []).length, queuedCount, `${mode}: ${output}`);
    if (mode === 'no') {
      // The dot after a bare LF ended the message; the smuggled MAIL is then a command.
      assert.match(output, /354 End data.*\r\n250 2\.0\.0 Ok: queued as \w+\r\n250 2\.1\.0 Ok\r\n/s);
    } else {
      // The dot after a bare LF is dropped; the smuggled text stays in the one message.
      assert.match(output, /354 End data.*\r\n250 2\.0\.0 Ok: queued as \w+\r\n221 2\.0\.0 Bye\r\n$/s);
      const mailbox = await host.readFile('/var/mail/alice');
      assert.match(mailbox, /^MAIL FROM:<evil@remote\.test>$/m);
    }
    await host.stop();
  }
});

test('smtpd_forbid_bare_newline = reject refuses the message with the reply and log line of 07d', async () => {
  const host = await createSmtpHost({ settings: { smtpd_forbid_bare_newline: 'reject', mynetworks: '192.0.2.0/24' } });
  const driven = await drive(host);
  await send(host, driven, 'EHLO client.remote.test\r\nMAIL FROM:<sender@remote.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n');
  await send(host, driven, 'Subject: x\r\n\r\nbare\nline\r\n.\r\nQUIT\r\n');
  assert.match(driven.output(), /550 5\.5\.2 mail\.example\.com Error: bare <LF> received\r\n221 2\.0\.0 Bye\r\n$/);
  const lines = await smtpdLines(host);
  assert.ok(lines.some((line) => /^\w+: reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: bare <LF> received; from=<sender@remote\.test> to=<alice@example\.com> proto=ESMTP helo=<client\.remote\.test>$/.test(line)), lines.join('\n'));
  assert.deepEqual(await host.queueFiles('incoming'), []);
  await host.stop();
});

test('NUL bytes end a command line as a C string would; 8-bit content arrives unchanged', async () => {
  const host = await createSmtpHost();
  const driven = await drive(host);
  await send(host, driven, 'EHLO client.remote.test\r\n');
  await send(host, driven, Uint8Array.from([...encoder.encode('NOOP'), 0, ...encoder.encode('hidden\r\n')]));
  await send(host, driven, Uint8Array.from([...encoder.encode('MAIL FROM:<a'), 0, ...encoder.encode('b@remote.test>\r\n')]));
  assert.match(driven.output(), /250 2\.0\.0 Ok\r\n501 5\.1\.7 Bad sender address syntax\r\n$/);
  await send(host, driven, 'MAIL FROM:<sender@remote.test> BODY=8BITMIME\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n');
  await send(host, driven, Uint8Array.from([...encoder.encode('Subject: bytes\r\n\r\ncaf'), 0xe9, 0xff, ...encoder.encode('\r\n..dot\r\n.\r\nQUIT\r\n')]));
  assert.match(driven.output(), /queued as \w+\r\n221 2\.0\.0 Bye\r\n$/);
  const mailbox = await host.platform.fs.readFile('/var/mail/alice');
  const text = new TextDecoder('latin1').decode(mailbox);
  assert.ok(text.includes('caf\xe9\xff\n.dot\n'), text);
  await host.stop();
});

test('after smtpd_hard_error_limit errors the server says 421 and hangs up; the error sleep uses virtual time', async () => {
  const host = await createSmtpHost({ settings: { smtpd_hard_error_limit: '3', smtpd_soft_error_limit: '2', smtpd_error_sleep_time: '1s' } });
  const driven = await drive(host);
  const started = host.scheduler.nowMs();
  await send(host, driven, 'BAD1\r\nBAD2\r\nBAD3\r\nBAD4\r\n');
  assert.equal(driven.output().split('\r\n').filter((line) => line !== '').slice(1).join('|'),
    '500 5.5.2 Error: command not recognized|500 5.5.2 Error: command not recognized|500 5.5.2 Error: command not recognized|421 4.7.0 mail.example.com Error: too many errors');
  assert.ok(host.scheduler.nowMs() - started >= 2000, 'two replies waited smtpd_error_sleep_time');
  assert.ok(driven.closed());
  const lines = await smtpdLines(host);
  assert.ok(lines.includes('too many errors after UNKNOWN from localhost[127.0.0.1]'));
  assert.equal(lines.at(-1), 'disconnect from localhost[127.0.0.1] unknown=0/3 commands=0/3');
  await host.stop();
});

test('a relay attempt from outside mynetworks gets 554 Relay access denied and the NOQUEUE line of logs/g', async () => {
  const host = await createSmtpHost({ settings: { mynetworks: '127.0.0.1/32', smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination' } });
  const driven = await drive(host, { address: '127.0.0.9', name: 'unknown' });
  await send(host, driven, 'EHLO client.remote.test\r\nMAIL FROM:<spammer@remote.test>\r\nRCPT TO:<victim@elsewhere.test>\r\n');
  for (const address of ['victim%elsewhere.test@example.com', '"victim@elsewhere.test"@example.com', '@example.com:victim@elsewhere.test']) {
    await send(host, driven, `RCPT TO:<${address}>\r\n`);
  }
  await send(host, driven, 'QUIT\r\n');
  const replies = driven.output().split('\r\n').filter((line) => /^[45]/.test(line));
  assert.equal(replies[0], '554 5.7.1 <victim@elsewhere.test>: Relay access denied');
  assert.equal(replies.length, 4, driven.output());
  const lines = await smtpdLines(host);
  assert.ok(lines.includes('NOQUEUE: reject: RCPT from unknown[127.0.0.9]: 554 5.7.1 <victim@elsewhere.test>: Relay access denied; from=<spammer@remote.test> to=<victim@elsewhere.test> proto=ESMTP helo=<client.remote.test>'), lines.join('\n'));
  assert.deepEqual(await host.queueFiles('incoming'), []);
  await host.stop();
});

test('a client that disconnects in DATA leaves no message and logs the byte count', async () => {
  const host = await createSmtpHost();
  const driven = await drive(host);
  await send(host, driven, 'EHLO client.remote.test\r\nMAIL FROM:<sender@remote.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n');
  await send(host, driven, 'Subject: aborted\r\n\r\npartial body, then the client disconnects\r\n');
  driven.connection.close();
  await driven.connection.finished;
  await host.run({ quietMs: 2000 });
  const lines = await smtpdLines(host);
  assert.ok(lines.includes('lost connection after DATA (63 bytes) from localhost[127.0.0.1]'), lines.join('\n'));
  assert.equal(lines.at(-1), 'disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4');
  assert.deepEqual(await host.queueFiles('incoming'), []);
  assert.deepEqual(await host.queueFiles('active'), []);
  await host.stop();
});

test('smtpd_discard_ehlo_keywords removes keywords from EHLO and refuses the discarded features', async () => {
  const host = await createSmtpHost({ settings: { smtpd_discard_ehlo_keywords: 'chunking, dsn, silent-discard' } });
  const driven = await drive(host);
  await send(host, driven, 'EHLO client.remote.test\r\n');
  assert.ok(!driven.output().includes('CHUNKING') && !driven.output().includes('DSN'), driven.output());
  await send(host, driven, 'MAIL FROM:<a@remote.test> RET=HDRS\r\nBDAT 0 LAST\r\n');
  assert.match(driven.output(), /501 5\.7\.1 DSN support is disabled\r\n521 5\.5\.1 Error: command not implemented\r\n$/);
  await host.stop();
});
