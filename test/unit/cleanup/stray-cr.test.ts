// cleanup_replace_stray_cr_lf (default yes, Postfix 3.7.10+): a CR left inside a content
// line (smtpd passes "bare CR \r in middle" on as it came) is stored as a space, in headers
// and body alike, before header_checks see the line; "no" keeps the byte. The reference
// (smtp/07-bare-lf-in-data.txt) shows the stored "bare CR   in middle".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRig, SMTPD } from './harness.ts';

const CONTENT = 'Subject: bare\rCR\r\n\r\nbare CR \r in middle\r\nends in CRLF\r\n';

test('a stray CR inside a line is stored as a space', async () => {
  const rig = await makeRig();
  const result = await rig.submit({ sender: 'sender@remote.test', recipients: ['alice@example.com'], content: CONTENT, client: SMTPD });
  assert.equal(result.status, 0);
  const { content } = await rig.read(result.queueId);
  assert.match(content, /\nSubject: bare CR\n/);
  assert.match(content, /\n\nbare CR   in middle\nends in CRLF\n$/);
  assert.ok(!content.includes('\r'), JSON.stringify(content));
});

test('cleanup_replace_stray_cr_lf = no keeps the CR', async () => {
  const rig = await makeRig({ main: 'cleanup_replace_stray_cr_lf = no' });
  const result = await rig.submit({ sender: 'sender@remote.test', recipients: ['alice@example.com'], content: CONTENT, client: SMTPD });
  assert.equal(result.status, 0);
  const { content } = await rig.read(result.queueId);
  assert.match(content, /\nbare CR \r in middle\n/);
});

test('header_checks see the masked line', async () => {
  const rig = await makeRig({
    main: 'header_checks = regexp:/etc/postfix/header_checks',
    files: { '/etc/postfix/header_checks': '/^Subject: bare CR$/ REJECT masked before the check\n' },
  });
  const result = await rig.submit({ sender: 'sender@remote.test', recipients: ['alice@example.com'], content: CONTENT, client: SMTPD });
  assert.notEqual(result.status, 0);
  assert.match(result.reason ?? '', /masked before the check/);
});
