// A message through smtpd into a mailbox: the stock master.cf ("smtp inet ... smtpd") on a
// pipeline host, a client on the simulated network, and then the mbox, the maillog lines
// of smtpd, cleanup, qmgr and local in the order of logs/c-smtp-inbound-local.log, and the
// Received header smtpd's client information produces. Also: a rejected recipient leaves
// nothing in the queue, and a reload changes what smtpd accepts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost } from './harness.ts';
import { ChatClient } from '../unit/smtpd/chat.ts';

const lines = (text: string): Uint8Array => new TextEncoder().encode(text.split('\n').map((line) => `${line}\r\n`).join(''));

async function session(host: Awaited<ReturnType<typeof createPipelineHost>>, script: Array<string | string[]>): Promise<string[]> {
  const client = await ChatClient.connect(host, undefined, 25);
  await client.reply();
  for (const step of script) {
    if (Array.isArray(step)) {
      client.send(lines(step.join('\n')));
      await client.reply();
    } else {
      client.send(lines(step));
      await client.reply();
    }
  }
  client.close();
  await host.run();
  return client.transcript;
}

test('a message through smtpd reaches alice\'s mailbox with the Received header and log lines of logs/c', async () => {
  const host = await createPipelineHost({ files: { '/etc/hosts': '127.0.0.1 localhost\n' } });
  const transcript = await session(host, [
    'EHLO client.remote.test',
    'MAIL FROM:<sender@remote.test>',
    'RCPT TO:<alice@example.test>',
    'DATA',
    ['Subject: through smtpd', '', 'hello', '..dotted', '.'],
    'QUIT',
  ]);
  const queued = transcript.find((line) => line.startsWith('S: 250 2.0.0 Ok: queued as '));
  assert.ok(queued !== undefined, transcript.join('\n'));
  const queueId = queued.slice('S: 250 2.0.0 Ok: queued as '.length);
  const mailbox = await host.readFile('/var/mail/alice');
  assert.match(mailbox, /^From sender@remote\.test {2}/);
  assert.match(mailbox, new RegExp(`Received: from client\\.remote\\.test \\(localhost \\[127\\.0\\.0\\.1\\]\\)\\n\\tby mail\\.example\\.test \\(Postfix\\) with ESMTP id ${queueId}\\n\\tfor <alice@example\\.test>; `));
  assert.match(mailbox, /\nhello\n\.dotted\n/);
  assert.match(mailbox, new RegExp(`Message-Id: <\\d{14}\\.${queueId}@mail\\.example\\.test>`));

  const log = (await host.maillog()).map((line) => line.replace(/^\w{3} \d\d \d\d:\d\d:\d\d \S+ /, '').replace(/\[\d+\]/, ''));
  const order = [
    'postfix/smtpd: connect from localhost[127.0.0.1]',
    `postfix/smtpd: ${queueId}: client=localhost[127.0.0.1]`,
    `postfix/cleanup: ${queueId}: message-id=<`,
    `postfix/qmgr: ${queueId}: from=<sender@remote.test>, size=`,
    `postfix/local: ${queueId}: to=<alice@example.test>, relay=local,`,
    `postfix/qmgr: ${queueId}: removed`,
  ];
  let at = -1;
  for (const prefix of order) {
    const index = log.findIndex((line, position) => position > at && line.startsWith(prefix));
    assert.ok(index > at, `${prefix} in order in:\n${log.join('\n')}`);
    at = index;
  }
  assert.ok(log.includes('postfix/smtpd: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5'), log.join('\n'));
  await host.stop();
});

test('an unknown local user is rejected at RCPT, nothing is queued, and a reload lets a new alias in', async () => {
  const host = await createPipelineHost({ files: { '/etc/hosts': '127.0.0.1 localhost\n' } });
  const first = await session(host, [
    'EHLO client.remote.test', 'MAIL FROM:<sender@remote.test>', 'RCPT TO:<nosuchuser@example.test>', 'DATA', 'QUIT',
  ]);
  assert.ok(first.includes('S: 550 5.1.1 <nosuchuser@example.test>: Recipient address rejected: User unknown in local recipient table'), first.join('\n'));
  assert.ok(first.includes('S: 554 5.5.1 Error: no valid recipients'));
  assert.deepEqual(await host.queueFiles('incoming'), []);
  assert.deepEqual(await host.queueFiles('deferred'), []);

  await host.writeFile('/etc/aliases', 'postmaster: root\nnosuchuser: alice\n');
  assert.equal((await host.command(['newaliases'])).exitCode, 0);
  await host.runtime?.reload();
  await host.run();
  const second = await session(host, [
    'EHLO client.remote.test', 'MAIL FROM:<sender@remote.test>', 'RCPT TO:<nosuchuser@example.test>', 'QUIT',
  ]);
  assert.ok(second.includes('S: 250 2.1.5 Ok'), second.join('\n'));
  await host.stop();
});
