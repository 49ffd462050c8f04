// Content as smtpd receives it and cleanup stores it, against the reference mailbox of
// smtp/07-bare-lf-in-data.txt (real Postfix 3.7.11, default settings): a bare LF ends a
// line, and a bare CR inside a line is stored as a space (cleanup_replace_stray_cr_lf).
// Replays the reference chat script on a ref1-like sim host and compares the delivered
// message from its Subject line on (Message-Id and Date values normalised).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSmtpHost, runChat } from '../unit/smtpd/chat.ts';

const SMTP = '/work/shared/reference/postfix-3.7/smtp';

/** The "cat -A" lines of the reference's stored message, as text lines. */
function referenceBody(): string[] {
  const text = readFileSync(`${SMTP}/07-bare-lf-in-data.txt`, 'utf8');
  const start = text.indexOf('\n', text.indexOf('### stored message')) + 1;
  const section = text.slice(start, text.indexOf('### NOTE', start));
  return section.split('\n').filter((line) => line.endsWith('$') && !line.startsWith('$ sed')).map((line) => line.slice(0, -1));
}

const normalise = (lines: readonly string[]): string[] => lines.map((line) => line
  .replace(/^Message-Id: <\d{14}\.\w+@/, 'Message-Id: <STAMP.ID@')
  .replace(/^Date: .*$/, 'Date: DATE'));

test('07-bare-lf-in-data: bare LF is a line end, bare CR is stored as a space, as the reference mailbox', async () => {
  const host = await createSmtpHost();
  await runChat(host, readFileSync(`${SMTP}/scripts/07-bare-lf-in-data.chat`, 'utf8'));
  await host.run({ quietMs: 5000 });
  const mailbox = await host.readFile('/var/mail/alice');
  const from = mailbox.indexOf('Subject: bare LF');
  assert.ok(from >= 0, mailbox);
  const stored = mailbox.slice(from).split('\n');
  const expected = referenceBody();
  assert.ok(expected.length >= 8, expected.join('\n'));
  assert.deepEqual(normalise(stored.slice(0, expected.length)), normalise(expected));
  await host.stop();
});
