// bounce_template_file in a running sim host: the bounce service reads the file named by
// main.cf and writes its notices with the file's From, Subject, Charset and text ($name
// expanded with main.cf's values, time parameters with a unit suffix converted); a
// malformed template is logged once ("... -- ignoring this template") and the built-in
// one is sent, as Postfix's bounce(8) does (bounce_template_parse_buffer).
// Uses the pipeline harness with the registered programs (cleanup, qmgr, local, bounce).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { parseNotice, header, type ParsedNotice } from '../unit/bounce/helpers.ts';

const programs: Readonly<Record<string, ServiceProgram>> = registered;
const TEMPLATE_PATH = '/etc/postfix/bounce.cf';

const FAILURE_TEMPLATE = `# a custom non-delivery notice
failure_template = <<EOF
Charset: iso-8859-1
From: Lab Mail Robot <robot@example.test>
Subject: Your mail to the lab could not be delivered
Postmaster-Subject: Lab postmaster copy

Hello from $myhostname (the $mail_name system).
We tried; your mail is returned after $maximal_queue_lifetime_days days at most.
EOF
`;

async function readMailbox(host: PipelineHost, path: string): Promise<string> {
  const volume = (host.platform.fs as { volume?: { chownSync(path: string, uid: number, gid: number): void; statSync(path: string): { uid: number | bigint; gid: number | bigint } } }).volume;
  const stat = volume?.statSync(path);
  volume?.chownSync(path, 0, 0);
  try {
    return await host.readFile(path);
  } finally {
    if (stat !== undefined) volume?.chownSync(path, Number(stat.uid), Number(stat.gid));
  }
}

/** The first message of an mbox file, parsed as a notice. */
async function firstNotice(host: PipelineHost, path: string): Promise<ParsedNotice> {
  const mailbox = await readMailbox(host, path);
  assert.match(mailbox, /^From MAILER-DAEMON /);
  const rest = mailbox.slice(mailbox.indexOf('\n') + 1);
  const end = rest.search(/\nFrom [^\n]*\n/);
  return parseNotice(end < 0 ? rest : rest.slice(0, end + 1));
}

async function bounceWarnings(host: PipelineHost): Promise<string[]> {
  return (await host.maillog()).filter((line) => /postfix\/bounce\[\d+\]: warning: /.test(line))
    .map((line) => line.replace(/^.*postfix\/bounce\[\d+\]: warning: /, ''));
}

test('a custom failure template: the bounce to the sender has its Subject, From, charset and expanded text', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = ${TEMPLATE_PATH}\nmail_name = LabMail\n`,
    files: { [TEMPLATE_PATH]: FAILURE_TEMPLATE },
  });
  await submitToCleanup(host, 'bob@example.test', ['nosuchuser@example.test'], 'Subject: to nobody\n\nbody\n', 0);
  await host.run();
  const notice = await firstNotice(host, '/var/mail/bob');
  assert.equal(header(notice.headers, 'Subject'), 'Your mail to the lab could not be delivered');
  assert.equal(header(notice.headers, 'From'), 'Lab Mail Robot <robot@example.test>');
  // smtputf8_enable = yes (compatibility_level 3.6) makes the notice 8bit; the template's
  // charset still names the text part's.
  assert.equal(header(notice.headers, 'Content-Transfer-Encoding'), '8bit');
  const readable = notice.parts[0];
  assert.ok(readable !== undefined);
  assert.equal(header(readable.headers, 'Content-Type'), 'text/plain; charset=iso-8859-1');
  assert.deepEqual(readable.body.slice(0, 2), [
    'Hello from mail.example.test (the LabMail system).',
    'We tried; your mail is returned after 5 days at most.',
  ]);
  assert.ok(readable.body.some((line) => line.startsWith('<nosuchuser@example.test>: unknown user')), readable.body.join('\n'));
  assert.match(notice.parts[1]?.body.join('\n') ?? '', /X-LabMail-Queue-ID: /);
  assert.deepEqual(await bounceWarnings(host), []);
});

test('a delay template with delay_warning_time: the warning uses the file\'s text and hour conversion', async () => {
  const delayTemplate = `delay_template = <<EOF
Subject: Still trying to deliver your mail
From: Lab Mail Robot <robot@example.test>

Your mail has waited $delay_warning_time_hours hour(s); we keep trying for $maximal_queue_lifetime_days day(s).
EOF
`;
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = ${TEMPLATE_PATH}\ndelay_warning_time = 2h\ndefer_transports = local\n`,
    files: { [TEMPLATE_PATH]: delayTemplate },
  });
  await submitToCleanup(host, 'bob@example.test', ['alice@example.test'], 'Subject: held back\n\nbody\n', 0);
  await host.run({ forMs: 3 * 3600_000 });
  // defer_transports keeps local from delivering anything: the notice itself waits in the
  // queue too; flush it by lifting the deferral.
  const maillog = await host.maillog();
  assert.ok(maillog.some((line) => /postfix\/bounce\[\d+\]: [0-9A-F]+: sender delay notification: /.test(line)), maillog.join('\n'));
  await host.writeFile('/etc/postfix/main.cf', `${DEFAULT_MAIN_CF}bounce_template_file = ${TEMPLATE_PATH}\ndelay_warning_time = 2h\n`);
  await host.command(['postfix', 'reload']);
  await host.command(['postqueue', '-f']);
  await host.run();
  const mailbox = await readMailbox(host, '/var/mail/bob');
  const rest = mailbox.slice(mailbox.indexOf('\n') + 1);
  const notice = parseNotice(rest);
  assert.equal(header(notice.headers, 'Subject'), 'Still trying to deliver your mail');
  assert.equal(header(notice.headers, 'From'), 'Lab Mail Robot <robot@example.test>');
  assert.equal(notice.parts[0]?.body[0], 'Your mail has waited 2 hour(s); we keep trying for 5 day(s).');
  assert.match(notice.parts[1]?.body.join('\n') ?? '', /Action: delayed/);
});

test('a broken failure template: bounce logs Postfix\'s warning once and sends the built-in notice', async () => {
  const broken = `failure_template = <<EOF
Subject: Undeliverable
X-Lab-Header: not a template header

text
EOF
`;
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = ${TEMPLATE_PATH}\n`,
    files: { [TEMPLATE_PATH]: broken },
  });
  await submitToCleanup(host, 'bob@example.test', ['nosuchuser@example.test'], 'Subject: one\n\nbody\n', 0);
  await submitToCleanup(host, 'bob@example.test', ['nobodyhere@example.test'], 'Subject: two\n\nbody\n', 0);
  await host.run();
  assert.deepEqual(await bounceWarnings(host),
    [`${TEMPLATE_PATH}: unknown "X-Lab-Header" header label in failure template -- ignoring this template`]);
  const notice = await firstNotice(host, '/var/mail/bob');
  assert.equal(header(notice.headers, 'Subject'), 'Undelivered Mail Returned to Sender');
  assert.equal(header(notice.headers, 'From'), 'Mail Delivery System <MAILER-DAEMON@example.test>');
  assert.equal(notice.parts[0]?.body[0], 'This report was written by the mail system at host mail.example.test.');
});

test('a template file that cannot be opened: bounce is fatal at every attempt and the bounce log waits in the queue', async () => {
  const host = await createPipelineHost({ programs, mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = /etc/postfix/missing.cf\n` });
  const id = await submitToCleanup(host, 'bob@example.test', ['nosuchuser@example.test'], 'Subject: one\n\nbody\n', 0);
  await host.run({ forMs: 700_000 });
  const fatals = (await host.maillog()).filter((line) => /postfix\/bounce\[\d+\]: fatal: open \/etc\/postfix\/missing\.cf: No such file or directory$/.test(line));
  assert.ok(fatals.length >= 2, (await host.maillog()).join('\n'));
  assert.deepEqual(await host.queueFiles('deferred'), [id]);
  assert.deepEqual(await host.queueFiles('bounce'), [id]);
  assert.equal(await host.exists('/var/mail/bob'), false);
});
