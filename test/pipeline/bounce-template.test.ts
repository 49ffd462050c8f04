// bounce_template_file in a running sim host: the bounce service reads the file named by
// main.cf and writes its notices with the file's From, Subject, Charset and text ($name
// expanded with main.cf's values, time parameters with a unit suffix converted); a
// malformed template is logged once ("... -- ignoring this template") and the built-in
// one is sent, as Postfix's bounce(8) does (bounce_template_parse_buffer). A file that
// cannot be opened or has a malformed line kills each bounce process as it starts, with
// master's exit and throttling warnings, and the mail waits (engine/bounce/process-start.ts).
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

/** Maillog lines as "+SECONDS program[PID]: text", seconds counted from the first line
 *  that matches `from` (the sim clock starts at 00:00:00). */
function relativeLines(maillog: readonly string[], from: RegExp): string[] {
  const secondsOf = (line: string): number => {
    const [hours = 0, minutes = 0, seconds = 0] = (line.slice(7, 15).split(':')).map(Number);
    return hours * 3600 + minutes * 60 + seconds;
  };
  const start = maillog.findIndex((line) => from.test(line));
  assert.ok(start >= 0, maillog.join('\n'));
  const base = secondsOf(maillog[start]!);
  return maillog.slice(start + 1).map((line) => `+${secondsOf(line) - base} ${line.replace(/^.*? postfix\//, '')}`);
}

const MISSING = '/etc/postfix/missing.cf';
const openFatal = (pid: string): string => `bounce[${pid}]: fatal: open ${MISSING}: No such file or directory`;

test('a template file that cannot be opened: every bounce process dies at start, master throttles, the mail waits in active', async () => {
  const host = await createPipelineHost({ programs, mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = ${MISSING}\n` });
  const id = await submitToCleanup(host, 'bob@example.test', ['nosuchuser@example.test'], 'Subject: one\n\nbody\n', 0);
  await host.run({ forMs: 200_000 });
  const lines = relativeLines(await host.maillog(), /qmgr\[\d+\]: [0-9A-F]+: from=<bob@example.test>.*queue active/);
  // Postfix 3.7.11 (default service_throttle_time 60s): fatal, master's two warnings one
  // second later (msg_fatal sleeps), the next spawn 60 s after that, for ever.
  const pids = lines.filter((line) => line.includes(': fatal: ')).map((line) => /bounce\[(\d+)\]/.exec(line)?.[1] ?? '?');
  assert.equal(pids.length, 4, lines.join('\n'));
  assert.equal(new Set(pids).size, 4, 'each start is a new process');
  const expected = pids.flatMap((pid, index) => [
    `+${index * 61} ${openFatal(pid)}`,
    `+${index * 61 + 1} master[1001]: warning: process /usr/lib/postfix/sbin/bounce pid ${pid} exit status 1`,
    `+${index * 61 + 1} master[1001]: warning: /usr/lib/postfix/sbin/bounce: bad command startup -- throttling`,
  ]);
  assert.deepEqual(lines, expected);
  // local waits for the bounce service (ipc_timeout is an hour): nothing logged for the
  // recipient, the message stays in active, no bounce or defer log, no notice.
  assert.deepEqual(await host.queueFiles('active'), [id]);
  for (const queue of ['deferred', 'bounce', 'defer']) assert.deepEqual(await host.queueFiles(queue), [], queue);
  assert.equal(await host.exists('/var/mail/bob'), false);

  // The file appears: the next spawn reads it, the waiting request goes through and the
  // bounce carries the file's Subject; no more fatal lines.
  await host.writeFile(MISSING, FAILURE_TEMPLATE);
  await host.run({ forMs: 120_000 });
  const after = relativeLines(await host.maillog(), /qmgr\[\d+\]: [0-9A-F]+: from=<bob@example.test>.*queue active/);
  assert.equal(after.filter((line) => line.includes(': fatal: ')).length, 4, after.join('\n'));
  assert.ok(after.some((line) => /^\+244 local\[\d+\]: [0-9A-F]+: to=<nosuchuser@example.test>, .*status=bounced \(unknown user/.test(line)), after.join('\n'));
  const notice = await firstNotice(host, '/var/mail/bob');
  assert.equal(header(notice.headers, 'Subject'), 'Your mail to the lab could not be delivered');
  for (const queue of ['active', 'deferred', 'bounce', 'defer']) assert.deepEqual(await host.queueFiles(queue), [], queue);
});

test('a template file that cannot be opened, short ipc_timeout: local gives up on bounce, then on defer, and the mail is deferred', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = ${MISSING}\nipc_timeout = 15s\nservice_throttle_time = 5s\n`,
  });
  const id = await submitToCleanup(host, 'bob@example.test', ['nosuchuser@example.test'], 'Subject: one\n\nbody\n', 0);
  await host.run({ forMs: 40_000 });
  const lines = relativeLines(await host.maillog(), /qmgr\[\d+\]: [0-9A-F]+: from=<bob@example.test>.*queue active/)
    .filter((line) => !/master\[\d+\]: warning: /.test(line))
    .map((line) => line.replace(/\[\d+\]/, '[PID]').replace(id, 'QUEUEID'));
  // As a private Postfix 3.7.11 logged it with the same settings (test/interop/
  // bounce-template.test.ts compares the two): bounce's spawns every 6 s, from +15 s also
  // defer's (the two services throttle separately), local's two timeouts 15 s apart.
  const fatal = openFatal('PID');
  assert.deepEqual(lines, [
    `+0 ${fatal}`, `+6 ${fatal}`, `+12 ${fatal}`,
    '+15 local[PID]: warning: write private/bounce socket: Connection timed out',
    `+15 ${fatal}`, `+18 ${fatal}`, `+21 ${fatal}`, `+24 ${fatal}`, `+27 ${fatal}`,
    '+30 local[PID]: warning: write private/defer socket: Connection timed out',
    '+30 local[PID]: warning: QUEUEID: defer service failure',
    '+30 local[PID]: QUEUEID: to=<nosuchuser@example.test>, relay=local, delay=30, delays=0/0/0/30, dsn=4.3.0, status=deferred (bounce or trace service failure)',
    `+30 ${fatal}`, `+33 ${fatal}`, `+36 ${fatal}`, `+39 ${fatal}`,
  ]);
  assert.deepEqual(await host.queueFiles('deferred'), [id]);
  for (const queue of ['active', 'bounce', 'defer']) assert.deepEqual(await host.queueFiles(queue), [], queue);
});

test('a template file with a malformed line: the same fatal text as Postfix, at each start', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = ${TEMPLATE_PATH}\n`,
    files: { [TEMPLATE_PATH]: 'failure_template\n' },
  });
  const id = await submitToCleanup(host, 'bob@example.test', ['nosuchuser@example.test'], 'Subject: one\n\nbody\n', 0);
  await host.run({ forMs: 70_000 });
  const fatals = (await host.maillog()).filter((line) => line.includes(': fatal: ')).map((line) => line.replace(/^.*? postfix\//, ''));
  assert.deepEqual(fatals.map((line) => line.replace(/\[\d+\]/, '[PID]')), [
    `bounce[PID]: fatal: ${TEMPLATE_PATH}, line 2: missing '=' after attribute name: "failure_template"`,
    `bounce[PID]: fatal: ${TEMPLATE_PATH}, line 2: missing '=' after attribute name: "failure_template"`,
  ]);
  assert.deepEqual(await host.queueFiles('active'), [id]);
});
