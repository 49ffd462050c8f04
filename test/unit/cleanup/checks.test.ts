// header_checks / body_checks actions and their log lines, against the reference
// logs/q-header-checks.log (the lines after the queue id are compared exactly), plus HOLD,
// DISCARD, REPLACE, PREPEND, IGNORE, BCC, REDIRECT, FILTER, MIME part headers, and a table
// that fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeRig, SMTPD, QUEUE_DIRECTORY } from './harness.ts';
import { CleanupStatus } from '../../../engine/master/contracts.ts';

const REFERENCE_LOG = readFileSync('/work/shared/reference/postfix-3.7/logs/q-header-checks.log', 'utf8');
const HEADER_CHECKS = '/^Subject:.*viagra/     REJECT Spam subject not allowed\n'
  + '/^Subject:.*newsletter/ WARN newsletter detected\n/^X-Mailer: BadMailer/  REJECT\n';

/** The reference cleanup lines without "Mon DD HH:MM:SS host tag[pid]: ID: ". */
function referenceCleanupTexts(): string[] {
  return REFERENCE_LOG.split('\n').filter((line) => line.includes('/cleanup[') && /: (reject|warning): header/.test(line))
    .map((line) => line.replace(/^.*?cleanup\[\d+\]: [0-9A-F]+: /, ''));
}

const withoutId = (line: string): string => line.replace(/^[0-9A-Za-z]+: /, '');

test('header_checks REJECT/WARN log lines equal the reference (smtpd and local submissions)', async () => {
  const rig = await makeRig({ main: 'header_checks = regexp:/etc/postfix/header_checks\n', files: { '/etc/postfix/header_checks': HEADER_CHECKS } });
  const smtp = { client: SMTPD, sender: 'sender@remote.test', recipients: ['alice@example.com'] };
  const first = await rig.submit({ ...smtp, content: 'Subject: buy viagra now\n\nspam body\n' });
  assert.equal(first.status, 1 << 3);
  assert.equal(first.reason, '5.7.1 Spam subject not allowed');
  const second = await rig.submit({ ...smtp, content: 'Subject: weekly newsletter\n\nnewsletter body\n' });
  assert.equal(second.status, 0);
  const third = await rig.submit({ ...smtp, content: 'X-Mailer: BadMailer 1.0\nSubject: hello\n\nbody\n' });
  assert.equal(third.reason, '5.7.1 message content rejected');
  const local = await rig.submit({ sender: 'bob', recipients: ['alice@example.com'], content: 'Subject: cheap viagra\n\nlocal spam\n', flags: { bounceOnReject: true } });
  assert.equal(local.status, 1 << 3);
  const ours = rig.logLines().filter((line) => / (reject|warning): header/.test(line)).map(withoutId);
  assert.deepEqual(ours, referenceCleanupTexts());
  // smtpd rejects stop cleanup at once: no message-id line for them (as in the reference).
  const messageIds = rig.logLines().filter((line) => line.includes('message-id=')).map((line) => line.split(':')[0]);
  assert.deepEqual(messageIds, [second.queueId, local.queueId]);
  assert.deepEqual(await rig.host.platform.fs.readdir(`${QUEUE_DIRECTORY}/incoming`), [second.queueId]);
});

test('a rejected local submission with bounceOnReject goes to the bounce hook with every recipient', async () => {
  const rig = await makeRig({ bounce: true, main: 'header_checks = regexp:/etc/postfix/header_checks\n', files: { '/etc/postfix/header_checks': HEADER_CHECKS } });
  const result = await rig.submit({ sender: 'bob', recipients: ['alice@example.com', 'carol'], content: 'Subject: cheap viagra\n\nx\n', flags: { bounceOnReject: true } });
  assert.equal(result.status, 0);
  assert.equal(rig.bounced.length, 1);
  const bounced = rig.bounced[0];
  assert.equal(bounced?.dsn, '5.7.1');
  assert.equal(bounced?.reason, 'Spam subject not allowed');
  assert.deepEqual(bounced?.recipients.map((r) => r.address), ['alice@example.com', 'carol@example.com']);
  assert.equal(bounced?.sender, 'bob@example.com');
  assert.equal(bounced?.headersOnly, true, 'a content reject returns only the headers (cleanup_bounce.c)');
  assert.deepEqual(await rig.host.platform.fs.readdir(`${QUEUE_DIRECTORY}/incoming`), []);
  assert.deepEqual(rig.queued, []);
});

test('a bounced local submission returns only the headers for a size error, the whole message for too many hops', async () => {
  const rig = await makeRig({ bounce: true, main: 'message_size_limit = 2048\nhopcount_limit = 3\n' });
  const body = `${'x'.repeat(76)}\n`.repeat(40);
  const big = await rig.submit({ sender: 'bob', recipients: ['alice'], content: `Subject: too big\n\n${body}`, flags: { bounceOnReject: true } });
  assert.equal(big.status, 0);
  const received = 'Received: from a by b; Sun, 22 Nov 2026 09:00:00 +0000\n'.repeat(4);
  const looping = await rig.submit({ sender: 'bob', recipients: ['alice'], content: `${received}Subject: loop\n\nx\n`, flags: { bounceOnReject: true } });
  assert.equal(looping.status, 0);
  assert.deepEqual(rig.bounced.map((message) => [message.dsn, message.headersOnly]), [['5.3.4', true], ['5.4.0', false]]);
});

test('a cleanup bounce the bounce service did not take answers CLEANUP_STAT_WRITE with the reject reason (or none), and the file goes', async () => {
  const rig = await makeRig({ bounce: 'fail', main: 'header_checks = regexp:/etc/postfix/header_checks\nmessage_size_limit = 2048\n', files: { '/etc/postfix/header_checks': HEADER_CHECKS } });
  const rejected = await rig.submit({ sender: 'bob', recipients: ['alice'], content: 'Subject: cheap viagra\n\nx\n', flags: { bounceOnReject: true } });
  assert.equal(rejected.status, CleanupStatus.write);
  assert.equal(rejected.reason, '5.7.1 Spam subject not allowed');
  const body = `${'x'.repeat(76)}\n`.repeat(40);
  const big = await rig.submit({ sender: 'bob', recipients: ['alice'], content: `Subject: too big\n\n${body}`, flags: { bounceOnReject: true } });
  assert.equal(big.status, CleanupStatus.write);
  assert.equal(big.reason ?? '', '', 'no reason of its own: the client (pickup) logs the status text itself');
  assert.equal(rig.bounced.length, 2);
  assert.deepEqual(await rig.host.platform.fs.readdir(`${QUEUE_DIRECTORY}/incoming`), []);
  assert.deepEqual(rig.queued, []);
  assert.ok(!rig.warnings().some((line) => line.includes('bounce message failure')), rig.warnings().join('\n'));
});

test('HOLD puts the file in hold/ without waking qmgr; DISCARD removes it and answers 0', async () => {
  const rig = await makeRig({
    main: 'header_checks = regexp:/etc/postfix/header_checks\nbody_checks = regexp:/etc/postfix/body_checks\n',
    files: { '/etc/postfix/header_checks': '/^Subject: hold me/ HOLD for review\n', '/etc/postfix/body_checks': '/^DISCARD-ME/ DISCARD bye\n' },
  });
  const held = await rig.submit({ sender: 'bob', recipients: ['alice'], content: 'Subject: hold me\n\nx\n' });
  assert.equal(held.status, 0);
  const { queueName, mode } = await rig.read(held.queueId);
  assert.equal(queueName, 'hold');
  assert.equal(mode, 0o700);
  assert.deepEqual(rig.queued, []);
  assert.ok(rig.logLines().includes(`${held.queueId}: hold: header Subject: hold me from local; from=<bob@example.com> to=<alice@example.com>: for review`));
  const real = await rig.realPostcat(held.queueId);
  if (real !== undefined) assert.match(real.stdout, /\*\*\* ENVELOPE RECORDS hold\//);
  const discarded = await rig.submit({ sender: 'bob', recipients: ['alice'], content: 'Subject: fine\n\nDISCARD-ME now\n' });
  assert.equal(discarded.status, 0);
  await assert.rejects(rig.read(discarded.queueId));
  assert.ok(rig.logLines().includes(`${discarded.queueId}: discard: body DISCARD-ME now from local; from=<bob@example.com> to=<alice@example.com>: bye`));
});

test('REPLACE, PREPEND, IGNORE, BCC, REDIRECT and FILTER change the file as Postfix does', async () => {
  const rig = await makeRig({
    main: 'header_checks = regexp:/etc/postfix/header_checks\nbody_checks = regexp:/etc/postfix/body_checks\n',
    files: {
      '/etc/postfix/header_checks': [
        '/^Subject: old/ REPLACE Subject: new',
        '/^X-Drop:/ IGNORE',
        '/^X-Tag:/ PREPEND X-Seen: yes',
        '/^X-Copy:/ BCC archive@example.com',
        '/^X-Send:/ REDIRECT elsewhere@example.net',
        '/^X-Filter:/ FILTER smtp:[127.0.0.1]:10025',
        '',
      ].join('\n'),
      '/etc/postfix/body_checks': '/^secret/ REPLACE [removed]\n',
    },
  });
  // REDIRECT (like REJECT and DISCARD) ends all further checks, so it comes last.
  const content = 'Subject: old one\nX-Drop: gone\nX-Tag: 1\nX-Copy: 1\nX-Filter: 1\n\nsecret text\nplain\n';
  const result = await rig.submit({ sender: 'bob', recipients: ['alice'], content });
  assert.equal(result.status, 0);
  const { file, content: text } = await rig.read(result.queueId);
  const lines = text.split('\n');
  assert.ok(lines.includes('Subject: new'));
  assert.ok(!lines.some((line) => line.startsWith('X-Drop')));
  assert.equal(lines.indexOf('X-Seen: yes'), lines.indexOf('X-Tag: 1') - 1);
  assert.ok(lines.includes('[removed]') && !lines.includes('secret text'));
  assert.deepEqual(file.recipients.map((r) => [r.address, r.segment]), [['alice@example.com', 'envelope'], ['archive@example.com', 'extracted']]);
  const real = await rig.realPostcat(result.queueId);
  if (real !== undefined) {
    assert.equal(real.status, 0, real.stderr);
    assert.match(real.stdout, /content_filter: smtp:\[127\.0\.0\.1\]:10025/);
  }
  const redirected = await rig.submit({ sender: 'bob', recipients: ['alice'], content: 'X-Send: 1\nX-Filter: 1\n\nsecret\n' });
  const second = await rig.read(redirected.queueId);
  const types = second.file.records.map((record) => String.fromCharCode(record.type));
  assert.ok(types.includes('>') && !types.includes('L'));
  assert.ok(second.content.includes('\nsecret\n'));
  const realSecond = await rig.realPostcat(redirected.queueId);
  if (realSecond !== undefined) assert.match(realSecond.stdout, /redirect_to: elsewhere@example\.net/);
});

test('MIME part headers go to mime_header_checks, attached message headers to nested_header_checks', async () => {
  const rig = await makeRig({
    main: 'header_checks =\nmime_header_checks = regexp:/etc/postfix/mime\nnested_header_checks = regexp:/etc/postfix/nested\n',
    files: { '/etc/postfix/mime': '/^Content-Type: application\\/x-evil/ WARN evil part\n', '/etc/postfix/nested': '/^Subject: inner/ WARN inner subject\n' },
  });
  const content = [
    'Subject: outer', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '',
    'preamble', '--b1', 'Content-Type: application/x-evil', '', 'data', '--b1', 'Content-Type: message/rfc822', '',
    'Subject: inner', 'From: x@y', '', 'inner body', '--b1--', '',
  ].join('\n');
  const result = await rig.submit({ sender: 'bob', recipients: ['alice'], content });
  assert.equal(result.status, 0);
  const lines = rig.logLines().filter((line) => line.includes('warning:')).map(withoutId);
  assert.deepEqual(lines, [
    'warning: header Content-Type: application/x-evil from local; from=<bob@example.com> to=<alice@example.com>: evil part',
    'warning: header Subject: inner from local; from=<bob@example.com> to=<alice@example.com>: inner subject',
  ]);
});

test('a check table that fails defers the message with Postfix\'s warning', async () => {
  const rig = await makeRig({ main: 'header_checks = hash:/etc/postfix/missing\n' });
  const result = await rig.submit({ sender: 'bob', recipients: ['alice'], content: 'Subject: x\n\ny\n' });
  assert.equal(result.status, 1 << 1);
  assert.equal(result.reason, '4.3.0 queue file write error');
  assert.ok(rig.warnings().some((line) => /map lookup problem -- message not accepted, try again later/.test(line)), rig.warnings().join('\n'));
});

test('Content-Transfer-Encoding: 8bit puts encoding=8bit in the extracted segment', async () => {
  const rig = await makeRig();
  const result = await rig.submit({ sender: 'bob', recipients: ['alice'], content: 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\ncaf\u00e9\n' });
  const { file } = await rig.read(result.queueId);
  assert.deepEqual(file.attributes.filter((a) => a.name === 'encoding'), [{ name: 'encoding', value: '8bit' }]);
  const real = await rig.realPostcat(result.queueId);
  if (real !== undefined) assert.match(real.stdout, /\*\*\* HEADER EXTRACTED incoming\/\w+ \*\*\*\nnamed_attribute: encoding=8bit\n/);
});
