// cleanup's queue files: the reference submissions (a) and (r) of
// shared/reference/postfix-3.7/logs give the same content, sizes and envelope as the real
// Postfix 3.7.11; the file is ready (0700) only after success, removed after abort; long
// queue ids change the Message-Id; the real postcat reads every file cleanup writes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRig, SMTPD, QUEUE_DIRECTORY } from './harness.ts';

const SCENARIO_A = 'Subject: test (a) local mbox delivery\n\nHello Alice,\nthis is scenario a.\n';

test('scenario (a): pickup submission gets Received, Message-Id, Date, From as the reference mailbox shows', async () => {
  const rig = await makeRig();
  const result = await rig.submit({ sender: 'bob', recipients: ['alice@example.com'], content: SCENARIO_A });
  assert.equal(result.status, 0);
  const id = result.queueId;
  assert.match(id, /^[0-9A-F]{6,}$/);
  const { queueName, file, content, mode } = await rig.read(id);
  assert.equal(queueName, 'incoming');
  assert.equal(mode, 0o700);
  assert.equal(file.complete, true);
  assert.equal(file.sender, 'bob@example.com');
  assert.deepEqual(file.recipients.map((r) => [r.originalRecipient, r.address, r.dsnOriginalRecipient]),
    [['alice@example.com', 'alice@example.com', 'rfc822;alice@example.com']]);
  assert.deepEqual(file.attributes.map((a) => `${a.name}=${a.value}`).slice(1), ['rewrite_context=local']);
  const expected = [
    'Received: by mail.example.com (Postfix, from userid 1002)',
    `\tid ${id}; Sun, 22 Nov 2026 09:26:23 +0000 (UTC)`,
    'Subject: test (a) local mbox delivery',
    `Message-Id: <20261122092623.${id}@mail.example.com>`,
    'Date: Sun, 22 Nov 2026 09:26:23 +0000 (UTC)',
    'From: bob@example.com',
    '',
    'Hello Alice,',
    'this is scenario a.',
    '',
  ].join('\n');
  assert.equal(content, expected);
  // The reference queue manager logged size=318 for the same message with an 11-character id.
  assert.equal(file.size?.contentSize, 318 + (id.length - 11) * 2);
  assert.deepEqual(rig.logLines(), [`${id}: message-id=<20261122092623.${id}@mail.example.com>`]);
  assert.deepEqual(rig.queued, [id]);
  const real = await rig.realPostcat(id);
  if (real !== undefined) {
    assert.equal(real.status, 0, real.stderr);
    assert.match(real.stdout, /\*\*\* MESSAGE FILE END incoming\//);
    assert.match(real.stdout, /sender: bob@example\.com/);
  }
});

test('scenario (r): canonical_maps and masquerade_domains rewrite the envelope and headers as the reference shows', async () => {
  const rig = await makeRig({
    main: 'masquerade_domains = example.com\ncanonical_maps = texthash:/etc/postfix/canonical\n',
    files: { '/etc/postfix/canonical': 'alice@example.com     alice.wonder@example.com\n@legacy.example.com   @example.com\n' },
  });
  const content = 'From: Alice <alice@example.com>\nTo: bob@mail.example.com\nCc: carol@legacy.example.com\n'
    + 'Sender: dave@host1.example.com\nReply-To: bob\nSubject: test (r) canonical + masquerade\n\nscenario r\n';
  const result = await rig.submit({
    sender: 'alice@example.com', recipients: ['bob@mail.example.com', 'carol@legacy.example.com'], content,
    client: { service: 'pickup', rewriteContext: 'local', uid: 0 }, fullName: 'root',
  });
  assert.equal(result.status, 0);
  const { file, content: text } = await rig.read(result.queueId);
  assert.equal(file.sender, 'alice.wonder@example.com');
  assert.deepEqual(file.recipients.map((r) => [r.originalRecipient, r.address]),
    [['bob@mail.example.com', 'bob@mail.example.com'], ['carol@legacy.example.com', 'carol@example.com']]);
  const headers = text.split('\n\n')[0]?.split('\n').slice(2);
  assert.deepEqual(headers, [
    'From: Alice <alice.wonder@example.com>',
    'To: bob@example.com',
    'Cc: carol@example.com',
    'Sender: dave@example.com',
    'Reply-To: bob@example.com',
    'Subject: test (r) canonical + masquerade',
    `Message-Id: <20261122092623.${result.queueId}@mail.example.com>`,
    'Date: Sun, 22 Nov 2026 09:26:23 +0000 (UTC)',
  ]);
  assert.equal(file.size?.contentSize, 409 + (result.queueId.length - 11) * 2);
  const real = await rig.realPostcat(result.queueId);
  if (real !== undefined) assert.equal(real.status, 0, real.stderr);
});

test('smtpd submission: Received with "for <rcpt>" for one recipient, without it for two', async () => {
  const rig = await makeRig();
  const one = await rig.submit({ sender: 'sender@remote.test', recipients: ['bob@example.com'], content: 'Subject: x\n\nbody\n', client: SMTPD });
  const first = await rig.read(one.queueId);
  assert.deepEqual(first.content.split('\n').slice(0, 3), [
    'Received: from client.remote.test (localhost [127.0.0.1])',
    `\tby mail.example.com (Postfix) with ESMTP id ${one.queueId}`,
    '\tfor <bob@example.com>; Sun, 22 Nov 2026 09:26:23 +0000 (UTC)',
  ]);
  const two = await rig.submit({ sender: 'sender@remote.test', recipients: ['bob@example.com', 'alice@example.com'], content: 'Subject: x\n\nbody\n', client: SMTPD });
  const second = await rig.read(two.queueId);
  assert.deepEqual(second.content.split('\n').slice(0, 3), [
    'Received: from client.remote.test (localhost [127.0.0.1])',
    `\tby mail.example.com (Postfix) with ESMTP id ${two.queueId};`,
    '\tSun, 22 Nov 2026 09:26:23 +0000 (UTC)',
  ]);
});

test('client attributes keep their order: log_ident first, then rewrite_context, sender, the rest', async () => {
  const rig = await makeRig();
  const result = await rig.submit({
    sender: 'carol@example.com', recipients: ['friend@other.test'], content: 'Subject: y\n\nz\n', client: SMTPD,
    attributes: [['log_ident', 'X'], ['log_client_name', 'localhost']],
  });
  const { file } = await rig.read(result.queueId);
  const kinds = file.records.map((record) => String.fromCharCode(record.type)).join('');
  // size, time, create_time, log_ident, rewrite_context, log_client_name, sender, then the
  // recipient's dsn_orig_rcpt attribute.
  assert.equal(kinds, 'CTAAAASA');
  assert.deepEqual(file.attributes.map((a) => a.name), ['create_time', 'log_ident', 'rewrite_context', 'log_client_name']);
});

test('long queue ids: Message-Id is <ID@myhostname>', async () => {
  const rig = await makeRig({ main: 'enable_long_queue_ids = yes\n' });
  const result = await rig.submit({ sender: 'bob', recipients: ['alice'], content: 'Subject: long\n\nx\n' });
  assert.match(result.queueId, /z/);
  const { content, file } = await rig.read(result.queueId);
  assert.match(content, new RegExp(`^Message-Id: <${result.queueId}@mail\\.example\\.com>$`, 'm'));
  assert.equal(file.recipients[0]?.address, 'alice@example.com');
  const real = await rig.realPostcat(result.queueId);
  if (real !== undefined) assert.equal(real.status, 0, real.stderr);
});

test('abort removes the incomplete file; an open file is mode 0600 in incoming/', async () => {
  const rig = await makeRig();
  const stream = await rig.endpoint.open({ service: 'pickup', rewriteContext: 'local', uid: 1 });
  const listing = await rig.host.platform.fs.readdir(`${QUEUE_DIRECTORY}/incoming`);
  assert.deepEqual(listing, [stream.queueId]);
  const stat = await rig.host.platform.fs.stat(`${QUEUE_DIRECTORY}/incoming/${stream.queueId}`);
  assert.equal(stat.mode & 0o777, 0o600);
  await stream.abort();
  assert.deepEqual(await rig.host.platform.fs.readdir(`${QUEUE_DIRECTORY}/incoming`), []);
  assert.deepEqual(rig.queued, []);
});

test('no recipients: status recipient (5.1.0), file removed', async () => {
  const rig = await makeRig();
  const result = await rig.submit({ sender: 'bob', recipients: [], content: 'Subject: none\n\nx\n' });
  assert.equal(result.status, 1 << 6);
  assert.equal(result.reason, '5.1.0 no recipients specified');
  assert.deepEqual(await rig.host.platform.fs.readdir(`${QUEUE_DIRECTORY}/incoming`), []);
});
