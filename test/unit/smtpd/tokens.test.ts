// Pure parts of smtpd: the command tokenizer, the disconnect counters, DSN helpers, EHLO
// parameter parsing helpers and the reply catalogue's rendering.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../../../engine/smtpd/tokens.ts';
import { formatCommandCounts } from '../../../engine/smtpd/session.ts';
import { COMMAND_NAMES } from '../../../engine/smtpd/commands.ts';
import { dsnSplit, smtpdDsnFix } from '../../../engine/smtpd/checks/dsn.ts';
import { notifyMask, xtextDecode } from '../../../engine/smtpd/commands-mail.ts';
import { replies, replyLines } from '../../../engine/smtpd/replies.ts';
import { isHeaderWord } from '../../../engine/smtpd/api.ts';

const words = (line: string): string[] => tokenize(line).map((word) => word.text);

test('tokenize splits as smtpd_token: FROM: and TO: end a word, <...> keeps its spaces', () => {
  assert.deepEqual(words('MAIL FROM:<a@b.c> SIZE=300'), ['MAIL', 'FROM:', '<a@b.c>', 'SIZE=300']);
  assert.deepEqual(words('mail from:<sender with space@remote.test>'), ['mail', 'from:', '<sender with space@remote.test>']);
  assert.deepEqual(words('RCPT TO:alice@example.com'), ['RCPT', 'TO:', 'alice@example.com']);
  assert.deepEqual(words('  NOOP   with  args '), ['NOOP', 'with', 'args']);
  assert.deepEqual(words('Subject: too big'), ['Subject:', 'too', 'big']);
  const unbalanced = tokenize('MAIL FROM:<sender@remote.test');
  assert.equal(unbalanced[2]?.error, true);
  assert.equal(tokenize('MAIL FROM:<"a>b"@c>')[2]?.text, '<"a>b"@c>');
  assert.deepEqual(words(''), []);
});

test('the disconnect counters follow the command table, with unknown last and commands=N/M', () => {
  const counts = new Map([
    ['quit', { success: 1, total: 1 }], ['ehlo', { success: 3, total: 4 }], ['unknown', { success: 0, total: 5 }],
    ['helo', { success: 1, total: 2 }],
  ]);
  assert.equal(formatCommandCounts(counts, COMMAND_NAMES), ' helo=1/2 ehlo=3/4 quit=1 unknown=0/5 commands=5/12');
  assert.equal(formatCommandCounts(new Map(), COMMAND_NAMES), ' commands=0/0');
  assert.equal(formatCommandCounts(new Map([['quit', { success: 1, total: 1 }]]), COMMAND_NAMES), ' quit=1 commands=1');
});

test('DSN helpers: dsn_split and smtpd_dsn_fix', () => {
  assert.deepEqual(dsnSplit('5.7.1', '5.1.6 User has moved'), { dsn: '5.1.6', text: 'User has moved' });
  assert.deepEqual(dsnSplit('5.7.1', 'You are not welcome here'), { dsn: '5.7.1', text: 'You are not welcome here' });
  assert.equal(smtpdDsnFix('5.1.1', 'Sender address'), '4.1.7');
  assert.equal(smtpdDsnFix('5.1.1', 'Recipient address'), '4.1.1');
  assert.equal(smtpdDsnFix('5.1.1', 'Client host'), '4.0.0');
  assert.equal(smtpdDsnFix('5.7.1', 'Sender address'), '5.7.1');
});

test('NOTIFY masks, xtext and header-like words', () => {
  assert.equal(notifyMask('SUCCESS,FAILURE'), 6);
  assert.equal(notifyMask('never'), 1);
  assert.equal(notifyMask('NEVER,SUCCESS'), 0);
  assert.equal(notifyMask('BOGUS'), 0);
  assert.equal(xtextDecode('a+2Bb'), 'a+b');
  assert.equal(xtextDecode('a+2'), undefined);
  assert.ok(isHeaderWord('Subject:'));
  assert.ok(!isHeaderWord('MAIL'));
  assert.ok(!isHeaderWord(':x'));
});

test('replies render as SMTP lines, multi-line with hyphens', () => {
  assert.deepEqual(replyLines(replies.ehlo(['mail.example.com', 'PIPELINING', 'CHUNKING'])),
    ['250-mail.example.com', '250-PIPELINING', '250 CHUNKING']);
  assert.deepEqual(replyLines(replies.queued('ABC123')), ['250 2.0.0 Ok: queued as ABC123']);
  assert.deepEqual(replyLines(replies.bareLf(550, 'mail.example.com')), ['550 5.5.2 mail.example.com Error: bare <LF> received']);
});
