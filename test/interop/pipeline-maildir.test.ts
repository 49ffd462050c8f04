// Pipeline interop, Maildir delivery by local(8) (home_mailbox = Maildir/): the same
// submissions through a private real Postfix 3.7.11 instance and through mtalab with the
// same main.cf; the Maildir files (names normalised, contents with their added headers) and
// the maillog lines compared. Users of their own (their homes are shared by both sides,
// which therefore run one after the other). Needs root and the real Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureLocalUsers } from './real-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { runSuite, type PipelineCase, type PipelineSpec } from './pipeline-compare.ts';

const USERS = ['mtalabdan', 'mtalaberin'];

const spec: PipelineSpec = {
  mainCf: 'home_mailbox = Maildir/\n',
  files: { 'etc/aliases': 'postmaster: root\nMAILER-DAEMON: postmaster\npair: mtalabdan, mtalaberin\n' },
};

const message = (subject: string): string => `Subject: ${subject}\nTo: whoever@example.test\n\nThe body of ${subject}.\n>From a line that looks like an mbox separator\n`;

const cases: PipelineCase[] = [
  { name: 'Maildir via home_mailbox', submissions: [{ argv: ['-f', 'mtalaberin@example.test', 'mtalabdan'], message: message('maildir one') }] },
  { name: 'alias to two Maildir users', submissions: [{ argv: ['pair@example.test'], message: message('maildir pair') }] },
  { name: 'two messages in a row', submissions: [{ argv: ['mtalaberin'], message: message('first') }, { argv: ['mtalaberin'], message: message('second') }] },
];

test('pipeline interop: Maildir delivery through home_mailbox', { timeout: 300_000 }, async () => {
  hasRealCommand('postfix');
  ensureLocalUsers(USERS);
  const differing = await runSuite('Maildir delivery', spec, USERS, cases, ['~mtalabdan/Maildir', '~mtalaberin/Maildir', '@DIR@/mail']);
  assert.deepEqual(differing, []);
});
