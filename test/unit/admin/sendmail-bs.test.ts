// sendmail -bs on a sim host (test/pipeline/harness.ts): the SMTP dialog on stdin/stdout
// (banner, the EHLO keywords of stand-alone mode without STARTTLS and AUTH even where the
// configuration turns them on, MAIL/RCPT/DATA, QUIT), the maildrop file it leaves (owned by
// the invoking user, 0744, the records of smtpd -S), a message delivered end to end
// (maildrop -> pickup -> cleanup -> qmgr -> local), restrictions that stand-alone mode skips,
// ETRN refused, and bad input: end of input without QUIT or inside DATA, and RSET, queue
// nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, type PipelineHost } from '../../pipeline/harness.ts';
import { programs } from '../../../engine/master/programs.ts';
import { pickupProgram } from '../../../engine/pickup/service.ts';
import { RecordReader, bytesSource, recordTypeName, latin1 } from '../../../engine/global/queue/record.ts';

const withPickup = { ...programs, pickup: pickupProgram };
const CRLF = (lines: readonly string[]): string => lines.map((line) => `${line}\r\n`).join('');

async function host(extra = '', started = true): Promise<PipelineHost> {
  const pipeline = await createPipelineHost({ programs: withPickup, mainCf: DEFAULT_MAIN_CF + extra });
  if (!started) await pipeline.stop();
  return pipeline;
}

/** The maildrop file's records as "type: text" (the time record's value left out). */
async function maildropRecords(pipeline: PipelineHost, id: string): Promise<string[]> {
  const bytes = await pipeline.platform.fs.readFile(`/var/spool/postfix/maildrop/${id}`);
  const reader = new RecordReader(bytesSource(bytes), { path: id, transparent: false });
  const records: string[] = [];
  for (let count = 0; count < 1000; count++) {
    const item = await reader.next();
    if (item === null) break;
    const name = recordTypeName(item.type);
    records.push(name === 'message_arrival_time' ? name : `${name}: ${latin1(item.payload)}`);
  }
  return records;
}

const EHLO_REPLY = [
  '250-mail.example.test', '250-PIPELINING', '250-SIZE 10240000', '250-VRFY', '250-ETRN', '250-ENHANCEDSTATUSCODES',
  '250-8BITMIME', '250-DSN', '250-SMTPUTF8', '250 CHUNKING',
];

test('sendmail -bs as bob: the dialog, the maildrop file of smtpd -S, owned by bob', async () => {
  const pipeline = await host('smtpd_tls_security_level = may\nsmtpd_sasl_auth_enable = yes\n', false);
  const input = CRLF(['EHLO client.test', 'MAIL FROM:<bob> BODY=8BITMIME', 'RCPT TO:<alice@example.test> NOTIFY=FAILURE', 'DATA',
    'Subject: by smtp', '', 'hello', '..dot', '.', 'QUIT']);
  const result = await pipeline.command(['sendmail', '-bs'], { stdin: input, user: 'bob' });
  const [id] = await pipeline.queueFiles('maildrop');
  assert.ok(id !== undefined);
  assert.deepEqual(result, {
    exitCode: 0, stderr: '',
    stdout: CRLF(['220 mail.example.test ESMTP Postfix', ...EHLO_REPLY, '250 2.1.0 Ok', '250 2.1.5 Ok',
      '354 End data with <CR><LF>.<CR><LF>', `250 2.0.0 Ok: queued as ${id}`, '221 2.0.0 Bye']),
  });
  const stat = await pipeline.platform.fs.stat(`/var/spool/postfix/maildrop/${id}`);
  assert.equal(stat.uid, 1002);
  assert.equal(stat.mode & 0o7777, 0o744);
  const records = await maildropRecords(pipeline, id);
  assert.deepEqual(records.slice(0, 6), ['message_arrival_time', 'sender: bob', 'named_attribute: encoding=8bit',
    'named_attribute: notify_flags=4', 'named_attribute: dsn_orig_rcpt=rfc822;alice@example.test', 'recipient: alice@example.test']);
  assert.equal(records[6], 'message_content: ');
  assert.equal(records[7], 'regular_text: Received: from client.test (localhost [127.0.0.1])');
  assert.equal(records[8], `regular_text: \tby mail.example.test (Postfix) with ESMTP id ${id}`);
  assert.match(records[9] ?? '', /^regular_text: \tfor <alice@example\.test>; \w{3}, /);
  assert.deepEqual(records.slice(10), ['regular_text: Subject: by smtp', 'regular_text: ', 'regular_text: hello',
    'regular_text: .dot', 'extracted_info: ', 'message_end: ']);
});

test('sendmail -bs delivers end to end: pickup uid=1002, both Received headers in the mailbox', async () => {
  const pipeline = await host();
  const input = CRLF(['HELO client.test', 'MAIL FROM:<bob>', 'RCPT TO:<alice>', 'DATA', 'Subject: end to end', '', 'through maildrop', '.', 'QUIT']);
  const result = await pipeline.command(['sendmail', '-bs'], { stdin: input, user: 'bob' });
  assert.equal(result.exitCode, 0);
  const id = /queued as ([0-9A-F]+)/.exec(result.stdout)?.[1] ?? '';
  assert.notEqual(id, '');
  await pipeline.run();
  assert.deepEqual(await pipeline.queueFiles('maildrop'), []);
  const mailbox = await pipeline.readFile('/var/mail/alice');
  assert.match(mailbox, new RegExp(`Received: by mail\\.example\\.test \\(Postfix, from userid 1002\\)\\n\\tid [0-9A-F]+; .*\\n`
    + `Received: from client\\.test \\(localhost \\[127\\.0\\.0\\.1\\]\\)\\n\\tby mail\\.example\\.test \\(Postfix\\) with SMTP id ${id}\\n\\tfor <alice>; `));
  assert.match(mailbox, /\nSubject: end to end\n/);
  assert.match(mailbox, /\n\nthrough maildrop\n/);
  const log = (await pipeline.maillog()).join('\n');
  // bob's smtpd -S cannot reach postlogd's socket (public/ is the postdrop group's), so its
  // lines go to syslog, not to maillog_file, as sendmail's own do.
  assert.doesNotMatch(log, /postfix\/smtpd\[/);
  assert.match(log, /postfix\/pickup\[\d+\]: [0-9A-F]+: uid=1002 from=<bob>/);
  assert.match(log, /postfix\/local\[\d+\]: [0-9A-F]+: to=<alice@example\.test>.*status=sent/);
  await pipeline.stop();
});

test('stand-alone mode skips the restrictions and refuses ETRN', async () => {
  const pipeline = await host('smtpd_client_restrictions = reject\nsmtpd_recipient_restrictions = reject\nsmtpd_helo_required = yes\n', false);
  const input = CRLF(['HELO c', 'ETRN example.test', 'MAIL FROM:<a@elsewhere.test>', 'RCPT TO:<b@far.away.test>', 'DATA', 'x', '.', 'QUIT']);
  const result = await pipeline.command(['sendmail', '-bs'], { stdin: input });
  const [id] = await pipeline.queueFiles('maildrop');
  assert.deepEqual(result.stdout, CRLF(['220 mail.example.test ESMTP Postfix', '250 mail.example.test', '458 Unable to queue messages',
    '250 2.1.0 Ok', '250 2.1.5 Ok', '354 End data with <CR><LF>.<CR><LF>', `250 2.0.0 Ok: queued as ${id}`, '221 2.0.0 Bye']));
  assert.equal((await pipeline.platform.fs.stat(`/var/spool/postfix/maildrop/${id}`)).uid, 0);
  await pipeline.start();
  await pipeline.run();
  const log = (await pipeline.maillog()).join('\n');
  assert.match(log, /postfix\/smtpd\[\d+\]: connect from localhost\[127\.0\.0\.1\]/);
  assert.match(log, /postfix\/smtpd\[\d+\]: warning: do not use ETRN in "sendmail -bs" mode/);
  assert.match(log, new RegExp(`postfix/smtpd\\[\\d+\\]: ${id}: client=localhost\\[127\\.0\\.0\\.1\\]`));
  assert.match(log, /postfix\/smtpd\[\d+\]: disconnect from localhost\[127\.0\.0\.1\] helo=1 mail=1 rcpt=1 data=1 etrn=0\/1 quit=1 commands=5\/6/);
  await pipeline.stop();
});

for (const [name, lines, where] of [
  ['no QUIT', ['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<alice>'], 'RCPT'],
  ['end of input inside DATA', ['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<alice>', 'DATA', 'Subject: cut', '', 'half'], 'DATA'],
  ['RSET then end of input', ['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<alice>', 'RSET'], 'RSET'],
] as const) {
  test(`sendmail -bs, ${name}: nothing queued, the session ends as a lost connection`, async () => {
    const pipeline = await host();
    const result = await pipeline.command(['sendmail', '-bs'], { stdin: CRLF(lines) });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stderr, '');
    assert.doesNotMatch(result.stdout, /queued as/);
    assert.deepEqual(await pipeline.queueFiles('maildrop'), []);
    await pipeline.run();
    assert.deepEqual(await pipeline.queueFiles('incoming'), []);
    assert.deepEqual(await pipeline.queueFiles('active'), []);
    assert.equal(await pipeline.exists('/var/mail/alice'), false);
    const log = (await pipeline.maillog()).join('\n');
    assert.match(log, new RegExp(`smtpd\\[\\d+\\]: lost connection after ${where}( \\(\\d+ bytes\\))? from localhost\\[127\\.0\\.0\\.1\\]`));
    await pipeline.stop();
  });
}
