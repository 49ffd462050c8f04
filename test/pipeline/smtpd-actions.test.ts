// Access-table actions that smtpd delegates to cleanup (HOLD, DISCARD, FILTER, REDIRECT,
// BCC from check_recipient_access / check_sender_access) reach the queue file: HOLD puts the
// message in hold/, DISCARD answers "queued" but keeps nothing, FILTER and REDIRECT become
// the content_filter and redirect_to records, BCC an extra recipient; smtpd logs the action
// as Postfix's log_whatsup does. Runs a ref1-like sim host (test/unit/smtpd/chat.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatClient, createSmtpHost } from '../unit/smtpd/chat.ts';
import type { PipelineHost } from './harness.ts';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

async function deliver(host: PipelineHost, recipients: string[], sender = 'sender@remote.test'): Promise<{ queueId: string; transcript: string[] }> {
  const client = await ChatClient.connect(host);
  await client.reply();
  const send = async (line: string): Promise<void> => {
    client.send(encode(`${line}\r\n`));
    await client.reply();
  };
  await send('EHLO client.remote.test');
  await send(`MAIL FROM:<${sender}>`);
  for (const recipient of recipients) await send(`RCPT TO:<${recipient}>`);
  await send('DATA');
  await send('Subject: actions\r\nMessage-Id: <actions@remote.test>\r\n\r\nbody\r\n.');
  await send('QUIT');
  client.close();
  await host.run({ quietMs: 5000 });
  const queued = client.transcript.find((line) => line.startsWith('S: 250 2.0.0 Ok: queued as '));
  assert.ok(queued !== undefined, client.transcript.join('\n'));
  return { queueId: queued.slice('S: 250 2.0.0 Ok: queued as '.length), transcript: client.transcript };
}

async function logOf(host: PipelineHost): Promise<string[]> {
  return (await host.maillog()).map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, '').replace(/\[\d+\]/, ''));
}

function hostWith(access: string, settings: Record<string, string> = {}): Promise<PipelineHost> {
  return createSmtpHost({
    settings: { smtpd_recipient_restrictions: 'check_recipient_access texthash:/etc/postfix/access, permit_mynetworks, reject_unauth_destination', ...settings },
    files: { '/etc/postfix/access': access },
  });
}

test('HOLD: the message waits in hold/ and smtpd logs "hold: RCPT from ...: Recipient address triggers HOLD action"', async () => {
  const host = await hostWith('alice@example.com HOLD\n');
  const { queueId } = await deliver(host, ['alice@example.com']);
  assert.deepEqual(await host.queueFiles('hold'), [queueId]);
  assert.equal(await host.exists('/var/mail/alice'), false);
  const log = await logOf(host);
  assert.ok(log.some((line) => line.endsWith('/smtpd: NOQUEUE: hold: RCPT from localhost[127.0.0.1]: <alice@example.com>: Recipient address triggers HOLD action; from=<sender@remote.test> to=<alice@example.com> proto=ESMTP helo=<client.remote.test>')), log.join('\n'));
  assert.ok(!log.some((line) => line.includes('/qmgr: ') && line.includes(queueId)), 'qmgr never sees a held message');
  await host.stop();
});

test('DISCARD: "queued as" is answered, cleanup reads the message (message-id logged) and keeps nothing', async () => {
  const host = await hostWith('alice@example.com DISCARD\n');
  const { queueId } = await deliver(host, ['alice@example.com']);
  for (const queue of ['incoming', 'active', 'hold', 'deferred']) assert.deepEqual(await host.queueFiles(queue), [], queue);
  assert.equal(await host.exists('/var/mail/alice'), false);
  const log = await logOf(host);
  assert.ok(log.some((line) => line.endsWith(`/cleanup: ${queueId}: message-id=<actions@remote.test>`)), log.join('\n'));
  assert.ok(log.some((line) => line.endsWith('NOQUEUE: discard: RCPT from localhost[127.0.0.1]: <alice@example.com>: Recipient address triggers DISCARD action; from=<sender@remote.test> to=<alice@example.com> proto=ESMTP helo=<client.remote.test>')), log.join('\n'));
  await host.stop();
});

test('FILTER, REDIRECT and BCC are written to the queue file (content_filter, redirect_to, an extracted recipient)', async () => {
  const host = await hostWith([
    'alice@example.com FILTER smtp:[127.0.0.1]:10026',
    'bob@example.com REDIRECT carol@example.com',
    'carol@example.com BCC archive@example.com',
  ].join('\n') + '\n', { defer_transports: 'local, smtp' });
  const { queueId } = await deliver(host, ['alice@example.com', 'bob@example.com', 'carol@example.com']);
  const postcat = await host.command(['postcat', '-e', '-q', queueId]);
  const text = postcat.stdout;
  assert.match(text, /\ncontent_filter: smtp:\[127\.0\.0\.1\]:10026\n/, text);
  assert.match(text, /\nredirect_to: carol@example\.com\n/, text);
  const extracted = text.slice(text.indexOf('*** HEADER EXTRACTED'));
  assert.match(extracted, /\noriginal_recipient: archive@example\.com\nrecipient: archive@example\.com\n/, extracted);
  const log = await logOf(host);
  for (const expected of [
    'NOQUEUE: filter: RCPT from localhost[127.0.0.1]: <alice@example.com>: Recipient address triggers FILTER smtp:[127.0.0.1]:10026; from=<sender@remote.test> to=<alice@example.com> proto=ESMTP helo=<client.remote.test>',
    `${queueId}: redirect: RCPT from localhost[127.0.0.1]: <bob@example.com>: Recipient address triggers REDIRECT carol@example.com; from=<sender@remote.test> to=<bob@example.com> proto=ESMTP helo=<client.remote.test>`,
    `${queueId}: bcc: RCPT from localhost[127.0.0.1]: <carol@example.com>: Recipient address triggers BCC archive@example.com; from=<sender@remote.test> to=<carol@example.com> proto=ESMTP helo=<client.remote.test>`,
  ]) assert.ok(log.some((line) => line.endsWith(expected)), `${expected}\n---\n${log.join('\n')}`);
  await host.stop();
});

test('content_filter: smtpd sends it after its time record, so it follows create_time in the envelope, and qmgr gives the message to the filter', async () => {
  const host = await createSmtpHost({ settings: { content_filter: 'retry:4.3.2 filter is away' } });
  const { queueId } = await deliver(host, ['alice@example.com']);
  const postcat = await host.command(['postcat', '-e', '-q', queueId]);
  const envelope = postcat.stdout.slice(0, postcat.stdout.indexOf('*** MESSAGE CONTENTS'));
  const kinds = envelope.split('\n').filter((line) => /^\w+: /.test(line)).map((line) => line.slice(0, line.indexOf(':')));
  assert.deepEqual(kinds.slice(0, 5), ['message_size', 'message_arrival_time', 'create_time', 'content_filter', 'named_attribute'], envelope);
  assert.match(envelope, /\ncontent_filter: retry:4\.3\.2 filter is away\n/, envelope);
  const log = await logOf(host);
  assert.ok(log.some((line) => line.includes(`${queueId}: to=<alice@example.com>, relay=none,`) && line.endsWith('dsn=4.3.2, status=deferred (filter is away)')), log.join('\n'));
  assert.equal(await host.exists('/var/mail/alice'), false);
  await host.stop();
});
