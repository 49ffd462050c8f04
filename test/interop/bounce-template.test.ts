// Bounce template interop: the same bounce_template_file in a private real Postfix 3.7.11
// instance and in mtalab, then mail to an unknown local user and the bounce in the
// sender's mailbox compared (maillog shapes and the mailbox, normalised as the other
// pipeline suites do). The template text is ours, so the notices' prose can be equal.
// Needs root and the real Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureLocalUsers } from './real-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { runSuite, type PipelineCase, type PipelineSpec, type Side } from './pipeline-compare.ts';

const USERS = ['mtalabfay'];

const TEMPLATE = `# the lab's own non-delivery notice
failure_template = <<EOF
Charset: us-ascii
From: Lab Mail Robot <robot@example.test>
Subject: Your mail to the lab could not be delivered
Postmaster-Subject: Lab postmaster copy

Hello from $myhostname (the $mail_name system).
Your message is returned; retries would have stopped after $maximal_queue_lifetime_days days.
EOF
`;

const message = (subject: string): string => `Subject: ${subject}\n\nThe body of ${subject}.\n`;

/** What the shared normaliser reduces away from a notice: its Subject, the text part's
 *  Content-Type and the template's text before the recipient list, byte for byte. */
async function templatedParts(side: Side): Promise<Record<string, string>> {
  const tree = await side.readTree('@DIR@/mail');
  const mailbox = [...tree.entries()].find(([path]) => path.endsWith('mtalabfay'))?.[1] ?? '';
  const lines = mailbox.split('\n');
  const subject = lines.find((line) => line.startsWith('Subject: ')) ?? '(no Subject)';
  const part = lines.indexOf('Content-Description: Notification');
  const contentType = part < 0 ? '(no part)' : lines[part + 1] ?? '';
  let start = part + 1;
  for (let bound = 0; start < lines.length && lines[start] !== '' && bound < 10; bound++) start++;
  const text: string[] = [];
  for (let index = start + 1; index < lines.length && !lines[index]!.startsWith('<') && text.length < 50; index++) text.push(lines[index]!);
  return { 'notice Subject': subject, 'notice text part Content-Type': contentType, 'notice template text': text.join('\n') };
}

const cases: PipelineCase[] = [
  {
    name: 'unknown user, custom failure template',
    submissions: [{ argv: ['-f', 'mtalabfay@example.test', 'nosuch@example.test'], message: message('templated bounce') }],
    after: (side) => templatedParts(side),
  },
];

test('bounce template interop: a custom failure template gives the same bounce on both sides', { timeout: 300_000 }, async () => {
  hasRealCommand('postfix');
  ensureLocalUsers(USERS);
  const spec: PipelineSpec = {
    mainCf: 'bounce_template_file = @DIR@/etc/bounce.cf\n',
    files: { 'etc/bounce.cf': TEMPLATE },
  };
  const differing = await runSuite('bounce_template_file', spec, USERS, cases, ['@DIR@/mail']);
  assert.deepEqual(differing, []);
});
