// Envelope and header addresses: virtual alias expansion (recursion, expansion to self,
// duplicates, limits, failing table), masquerading with "!" exclusions and exceptions,
// sender canonical classes, MAILER-DAEMON as the null sender; and the limits and missing
// headers: message_size_limit, hopcount_limit, Resent- headers, undisclosed recipients,
// From with a full name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRig, QUEUE_DIRECTORY } from './harness.ts';

const VIRTUAL = [
  'sales@example.com  alice, bob@example.com',
  'team@example.com   sales@example.com, carol@example.com',
  'self@example.com   self@example.com, archive@example.com',
  'loop1@example.com  loop2@example.com',
  'loop2@example.com  loop1@example.com',
  '',
].join('\n');

async function virtualRig(extra = '') {
  return makeRig({ main: `virtual_alias_maps = texthash:/etc/postfix/virtual\n${extra}`, files: { '/etc/postfix/virtual': VIRTUAL } });
}

test('virtual_alias_maps expands recursively, keeps orig_to, drops duplicates', async () => {
  const rig = await virtualRig();
  const result = await rig.submit({ sender: 'bob', recipients: ['team@example.com', 'alice@example.com'], content: 'Subject: v\n\nx\n' });
  assert.equal(result.status, 0);
  const { file } = await rig.read(result.queueId);
  assert.deepEqual(file.recipients.map((r) => [r.originalRecipient, r.address]), [
    ['team@example.com', 'alice@example.com'],
    ['team@example.com', 'carol@example.com'],
    ['team@example.com', 'bob@example.com'],
    ['alice@example.com', 'alice@example.com'],
  ]);
  const again = await rig.submit({ sender: 'bob', recipients: ['sales@example.com', 'sales@example.com'], content: 'Subject: v\n\nx\n' });
  assert.equal((await rig.read(again.queueId)).file.recipients.length, 2);
});

test('an address that maps to itself is kept once, next to the rest of its expansion', async () => {
  const rig = await virtualRig();
  const result = await rig.submit({ sender: 'bob', recipients: ['self@example.com'], content: 'Subject: v\n\nx\n' });
  assert.deepEqual((await rig.read(result.queueId)).file.recipients.map((r) => r.address), ['self@example.com', 'archive@example.com']);
});

test('a virtual alias loop hits virtual_alias_recursion_limit and defers with 4.6.0', async () => {
  const rig = await virtualRig('virtual_alias_recursion_limit = 5\n');
  const result = await rig.submit({ sender: 'bob', recipients: ['loop1@example.com'], content: 'Subject: v\n\nx\n' });
  assert.equal(result.status, 1 << 8);
  assert.equal(result.reason, '4.6.0 Alias expansion error');
  assert.ok(rig.warnings().some((line) => line.includes(`${result.queueId}: unreasonable texthash:/etc/postfix/virtual map nesting for loop1@example.com -- message not accepted, try again later`)), rig.warnings().join('\n'));
  assert.deepEqual(await rig.host.platform.fs.readdir(`${QUEUE_DIRECTORY}/incoming`), []);
});

test('virtual_alias_expansion_limit caps the list', async () => {
  const rig = await virtualRig('virtual_alias_expansion_limit = 2\n');
  const result = await rig.submit({ sender: 'bob', recipients: ['team@example.com'], content: 'Subject: v\n\nx\n' });
  assert.equal(result.status, 1 << 8);
  assert.ok(rig.warnings().some((line) => line.includes('unreasonable texthash:/etc/postfix/virtual map expansion size for team@example.com')));
});

test('a failing virtual_alias_maps table defers the message', async () => {
  const rig = await makeRig({ main: 'virtual_alias_maps = hash:/etc/postfix/nonexistent\n' });
  const result = await rig.submit({ sender: 'bob', recipients: ['alice@example.com'], content: 'Subject: v\n\nx\n' });
  assert.equal(result.status, 1 << 1);
  assert.equal(result.reason, '4.6.0 Alias expansion error');
});

test('masquerade_domains with "!" and masquerade_exceptions; envelope recipients are not masqueraded by default', async () => {
  const rig = await makeRig({ main: 'masquerade_domains = !sub.example.com, example.com\nmasquerade_exceptions = root\n' });
  const content = 'From: a@host.example.com\nTo: b@sub.example.com, root@host.example.com, c@x.host.example.com\n\nx\n';
  const result = await rig.submit({ sender: 'a@host.example.com', recipients: ['d@host.example.com'], content });
  const { file, content: text } = await rig.read(result.queueId);
  assert.equal(file.sender, 'a@example.com');
  assert.equal(file.recipients[0]?.address, 'd@host.example.com');
  assert.match(text, /^From: a@example\.com$/m);
  assert.match(text, /^To: b@sub\.example\.com, root@host\.example\.com, c@example\.com$/m);
});

test('sender_canonical_maps applies to envelope and header senders only', async () => {
  const rig = await makeRig({ main: 'sender_canonical_maps = inline:{ bob@example.com=robert@example.com }\n' });
  const content = 'From: bob@example.com\nTo: bob@example.com\n\nx\n';
  const result = await rig.submit({ sender: 'bob', recipients: ['bob@example.com'], content });
  const { file, content: text } = await rig.read(result.queueId);
  assert.equal(file.sender, 'robert@example.com');
  assert.equal(file.recipients[0]?.address, 'bob@example.com');
  assert.match(text, /^From: robert@example\.com$/m);
  assert.match(text, /^To: bob@example\.com$/m);
});

test('MAILER-DAEMON@myorigin becomes the null sender; its From is MAILER-DAEMON', async () => {
  const rig = await makeRig();
  const result = await rig.submit({ sender: 'MAILER-DAEMON', recipients: ['bob'], content: 'Subject: n\n\nx\n' });
  const { file, content } = await rig.read(result.queueId);
  assert.equal(file.sender, '');
  assert.match(content, /^From: MAILER-DAEMON$/m);
});

test('message_size_limit: status size, "queue file size limit exceeded", nothing left in incoming/', async () => {
  const rig = await makeRig({ main: 'message_size_limit = 2048\n' });
  const body = `${'x'.repeat(76)}\n`.repeat(40);
  const result = await rig.submit({ sender: 'bob', recipients: ['alice'], content: `Subject: too big\n\n${body}` });
  assert.equal(result.status, 1 << 2);
  assert.equal(result.reason, '5.3.4 message file too big');
  assert.ok(rig.warnings().includes(`cleanup: warning: ${result.queueId}: queue file size limit exceeded`), rig.warnings().join('\n'));
  assert.deepEqual(await rig.host.platform.fs.readdir(`${QUEUE_DIRECTORY}/incoming`), []);
});

test('hopcount_limit: too many Received headers give status hops (5.4.0)', async () => {
  const rig = await makeRig({ main: 'hopcount_limit = 5\n' });
  const received = 'Received: from a by b; Sun, 22 Nov 2026 09:00:00 +0000\n'.repeat(4);
  const ok = await rig.submit({ sender: 'bob', recipients: ['alice'], content: `${received.split('\n').slice(0, 3).join('\n')}\nSubject: ok\n\nx\n` });
  assert.equal(ok.status, 0);
  const result = await rig.submit({ sender: 'bob', recipients: ['alice'], content: `${received}Subject: loop\n\nx\n` });
  assert.equal(result.status, 1 << 4);
  assert.equal(result.reason, '5.4.0 too many hops');
  assert.ok(rig.warnings().includes(`cleanup: warning: ${result.queueId}: message rejected: hopcount exceeded`));
});

test('Resent- headers: Resent-Message-Id, Resent-Date, Resent-From are added instead', async () => {
  const rig = await makeRig();
  const content = 'Resent-To: alice@example.com\nMessage-Id: <old@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nFrom: a@b\nTo: c@d\n\nx\n';
  const result = await rig.submit({ sender: 'bob', recipients: ['alice'], content });
  const { content: text } = await rig.read(result.queueId);
  assert.match(text, new RegExp(`^Resent-Message-Id: <20261122092623\\.${result.queueId}@mail\\.example\\.com>$`, 'm'));
  assert.match(text, /^Resent-Date: Sun, 22 Nov 2026 09:26:23 \+0000 \(UTC\)$/m);
  assert.match(text, /^Resent-From: bob@example\.com$/m);
  assert.deepEqual(rig.logLines(), [`${result.queueId}: message-id=<old@x>`, `${result.queueId}: resent-message-id=<20261122092623.${result.queueId}@mail.example.com>`]);
});

test('undisclosed_recipients_header is added only when no To/Cc exists; full names are quoted when needed', async () => {
  const rig = await makeRig({ main: 'undisclosed_recipients_header = To: undisclosed-recipients:;\n' });
  const plain = await rig.submit({ sender: 'bob', fullName: 'Bob Smith', recipients: ['alice'], content: 'Subject: a\n\nx\n' });
  const first = (await rig.read(plain.queueId)).content;
  assert.match(first, /^From: Bob Smith <bob@example\.com>$/m);
  assert.match(first, /^To: undisclosed-recipients:;$/m);
  const special = await rig.submit({ sender: 'bob', fullName: 'Smith, Bob (admin)', recipients: ['alice'], content: 'To: alice\n\nx\n' });
  const second = (await rig.read(special.queueId)).content;
  assert.match(second, /^From: "Smith, Bob \(admin\)" <bob@example\.com>$/m);
  assert.doesNotMatch(second, /undisclosed/);
  assert.match(second, /^To: alice@example\.com$/m);
});

test('remote context without remote_header_rewrite_domain: headers are neither rewritten nor added', async () => {
  const rig = await makeRig();
  const client = { service: 'smtpd', rewriteContext: 'remote' as const, clientName: 'unknown', clientAddress: '192.0.2.7', helo: 'x.test' };
  const result = await rig.submit({ client, sender: 'a@remote.test', recipients: ['alice@example.com'], content: 'To: alice\nSubject: r\n\nx\n' });
  const { content } = await rig.read(result.queueId);
  assert.match(content, /^To: alice$/m);
  assert.doesNotMatch(content, /^(Message-Id|Date|From):/m);
  assert.deepEqual(rig.logLines(), [`${result.queueId}: message-id=<>`]);
});
