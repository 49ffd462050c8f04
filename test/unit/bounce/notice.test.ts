// Delivery status notifications: the structure of the real notice in logs/h (headers in
// Postfix's order, the three parts, the delivery-status fields), taken apart again with a
// MIME reader; folding as logs/j shows; RET and bounce_size_limit; who is told (never the
// null sender, double bounces, notify_classes postmaster copies); delay warnings with
// their template warnings; success and verify reports.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lineWrap } from '../../../engine/global/dsn/line-wrap.ts';
import { mailDate } from '../../../engine/global/dsn/mail-date.ts';
import { reportBounced, reportDeferred, reportSent } from '../../../engine/global/delivery-status.ts';
import { createBench, writeOriginal, statusOf, parseNotice, header, type Bench } from './helpers.ts';

const REFERENCE_LOGS = '/work/shared/reference/postfix-3.7/logs';

/** The delivered notice of logs/h, from its "Received: by" line (cleanup's) onwards,
 *  without the lines that the local delivery and cleanup add. */
function referenceNotice(file: string, fromLine: string): string[] {
  const lines = readFileSync(`${REFERENCE_LOGS}/${file}`, 'utf8').split('\n');
  const start = lines.indexOf(fromLine);
  const end = lines.findIndex((line, index) => index > start && /^--.*--$/.test(line));
  return lines.slice(start, end + 1);
}

async function bounceOne(bench: Bench, options: Parameters<typeof writeOriginal>[1] = {}): Promise<string | undefined> {
  const { request } = await writeOriginal(bench, options);
  await reportBounced(bench.context, request, statusOf(request, 0, { dsn: '5.1.1', reason: 'unknown user: "nosuchuser"' }));
  return bench.core.flushBounces(request.queueId, request.queueName);
}

test('mail_date and line_wrap as Postfix', () => {
  assert.equal(mailDate(1_795_339_675), 'Sun, 22 Nov 2026 09:27:55 +0000 (UTC)');
  assert.equal(mailDate(1_793_610_000), 'Mon,  2 Nov 2026 09:00:00 +0000 (UTC)');
  assert.deepEqual(lineWrap('Diagnostic-Code: X-Postfix; connect to 127.0.0.1[127.0.0.1]:10099: Connection refused'),
    ['Diagnostic-Code: X-Postfix; connect to 127.0.0.1[127.0.0.1]:10099: Connection', '    refused']);
  assert.deepEqual(lineWrap('short'), ['short']);
  assert.deepEqual(lineWrap(`${'x'.repeat(100)} tail`), ['x'.repeat(100), '    tail']);
});

test('the non-delivery notice of logs/h: same headers, parts and report fields', async () => {
  const bench = await createBench();
  const newId = await bounceOne(bench);
  assert.equal(newId, 'D0C23168053');
  const [submission] = bench.submissions;
  assert.ok(submission);
  assert.equal(submission.sender, '');
  assert.deepEqual(submission.recipients, [{ address: 'bob@example.com' }]);
  assert.deepEqual(submission.client, { service: 'bounce', rewriteContext: 'local' });
  assert.equal(submission.skipContentChecks, true);
  // The reference, with cleanup's additions (Received, Date, Message-Id) and local's
  // (Return-Path, X-Original-To, Delivered-To) taken out, and MAILER-DAEMON unqualified
  // as the bounce service writes it (cleanup appends @$myorigin).
  const reference = referenceNotice('h-unknown-local-user.log', 'From: Mail Delivery System <MAILER-DAEMON@example.com>')
    .filter((line, index, all) => index > all.indexOf('') || !/^(Message-Id|Date): /.test(line))
    .map((line) => line.replace('MAILER-DAEMON@example.com', 'MAILER-DAEMON'));
  const ours = submission.content.split('\n');
  const notice = parseNotice(submission.content);
  const theirs = parseNotice(reference.join('\n'));
  assert.deepEqual(notice.headers, theirs.headers);
  assert.equal(notice.boundary, 'CD08016803D.1795339675/mail.example.com');
  assert.deepEqual(notice.preamble, theirs.preamble);
  assert.equal(notice.parts.length, 3);
  assert.ok(notice.epilogueSeen);
  for (const index of [0, 1, 2]) assert.deepEqual(notice.parts[index]?.headers, theirs.parts[index]?.headers, `part ${index} headers`);
  // Part 1: our own prose, then the same recipient line.
  const readable = notice.parts[0]?.body ?? [];
  assert.deepEqual(readable.slice(-3), ['', '<nosuchuser@example.com>: unknown user: "nosuchuser"', '']);
  assert.ok(!readable.some((line) => /I'm sorry to have to inform you/.test(line)), 'prose of our own');
  assert.match(readable.join('\n'), /mail\.example\.com/);
  // Parts 2 and 3 are byte-equal to the real ones.
  assert.deepEqual(notice.parts[1]?.body, theirs.parts[1]?.body);
  assert.deepEqual(notice.parts[2]?.body, theirs.parts[2]?.body);
  assert.equal(ours[ours.length - 2], '--CD08016803D.1795339675/mail.example.com--');
  assert.equal(await bench.exists(bench.queuePath('bounce', 'CD08016803D')), false, 'bounce/ID removed after the notice');
  const notification = bench.events.find((event) => event.kind === 'bounce.notification');
  assert.deepEqual(notification && [notification.queueId, notification.kind === 'bounce.notification' && notification.notice,
    notification.kind === 'bounce.notification' && notification.newQueueId],
  ['CD08016803D', 'sender non-delivery notification', 'D0C23168053']);
});

test('expanded recipients, remote MTA and diagnostic code, NOTIFY filtering', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { recipients: [
    { address: 'carol@remote.test', originalRecipient: 'team@example.com' },
    { address: 'dave@remote.test', dsnNotify: 1 }] });
  await reportBounced(bench.context, request, statusOf(request, 0, { dsn: '5.1.1', relay: 'mx.remote.test[192.0.2.1]:25',
    reason: 'host mx.remote.test[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command)',
    diagnosticCode: 'smtp; 550 5.1.1 no such user', remoteMta: 'mx.remote.test' }));
  await reportBounced(bench.context, request, statusOf(request, 1, { dsn: '5.1.1', reason: 'nope' }));
  await bench.core.flushBounces(request.queueId, request.queueName);
  const notice = parseNotice(bench.submissions[0]?.content ?? '');
  const readable = notice.parts[0]?.body.join('\n') ?? '';
  assert.match(readable, /\n<carol@remote\.test> \(expanded from <team@example\.com>\): host\n    mx\.remote\.test\[192\.0\.2\.1\] said: 550 5\.1\.1 no such user \(in reply to RCPT TO\n    command\)\n/);
  assert.doesNotMatch(readable, /dave/, 'NOTIFY=NEVER is left out');
  const report = notice.parts[1]?.body ?? [];
  assert.deepEqual(report.slice(report.indexOf('Final-Recipient: rfc822; carol@remote.test')), [
    'Final-Recipient: rfc822; carol@remote.test', 'Original-Recipient: rfc822;team@example.com', 'Action: failed', 'Status: 5.1.1',
    'Remote-MTA: dns; mx.remote.test', 'Diagnostic-Code: smtp; 550 5.1.1 no such user', '']);
});

test('RET=HDRS, a size over bounce_size_limit, and an ENVID', async () => {
  const bench = await createBench('bounce_size_limit = 100\n');
  await bounceOne(bench);
  let original = parseNotice(bench.submissions[0]?.content ?? '').parts[2];
  assert.equal(header(original?.headers ?? [], 'Content-Type'), 'text/rfc822-headers');
  assert.equal(header(original?.headers ?? [], 'Content-Description'), 'Undelivered Message Headers');
  assert.deepEqual(original?.body.slice(-3), ['Date: Sun, 22 Nov 2026 09:27:55 +0000 (UTC)', 'From: root <bob@example.com>', '']);
  const other = await createBench();
  await bounceOne(other, { attributes: { ret_flags: '2', envelope_id: 'ENV-42' } });
  const notice = parseNotice(other.submissions[0]?.content ?? '');
  original = notice.parts[2];
  assert.equal(header(original?.headers ?? [], 'Content-Type'), 'text/rfc822-headers');
  assert.ok(notice.parts[1]?.body.includes('Original-Envelope-Id: ENV-42'));
});

test('cleanup\'s bounce of a content or size reject returns only the headers, whatever RET asked', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { attributes: { ret_flags: '1' } });
  await reportBounced(bench.context, request, statusOf(request, 0, { dsn: '5.7.1', reason: 'no thanks' }));
  assert.ok(await bench.core.flushBounces(request.queueId, request.queueName, { headersOnly: true }));
  const original = parseNotice(bench.submissions[0]?.content ?? '').parts[2];
  assert.equal(header(original?.headers ?? [], 'Content-Type'), 'text/rfc822-headers');
  assert.equal(header(original?.headers ?? [], 'Content-Description'), 'Undelivered Message Headers');
  const full = await createBench();
  await bounceOne(full, { attributes: { ret_flags: '1' } });
  assert.equal(header(parseNotice(full.submissions[0]?.content ?? '').parts[2]?.headers ?? [], 'Content-Type'), 'message/rfc822');
});

test('never a bounce to the null sender: dropped by default, 2bounce to the postmaster', async () => {
  const bench = await createBench();
  assert.equal(await bounceOne(bench, { sender: '' }), undefined);
  assert.equal(bench.submissions.length, 0);
  assert.equal(await bench.exists(bench.queuePath('bounce', 'CD08016803D')), false, 'the log is consumed all the same');

  const told = await createBench('notify_classes = 2bounce\n2bounce_notice_recipient = hostmaster\n');
  assert.ok(await bounceOne(told, { sender: '' }));
  const [submission] = told.submissions;
  assert.equal(submission?.sender, 'double-bounce@mail.example.com');
  assert.equal(submission?.recipients[0]?.address, 'hostmaster');
  const notice = parseNotice(submission?.content ?? '');
  assert.equal(header(notice.headers, 'Subject'), 'Postmaster Copy: Undelivered Mail');
  assert.equal(header(notice.headers, 'Auto-Submitted'), 'auto-generated');
  assert.deepEqual(notice.parts[0]?.body, ['', '<nosuchuser@example.com>: unknown user: "nosuchuser"', ''], 'no prose for the postmaster');
  assert.ok(notice.parts[1]?.body.includes('X-Postfix-Sender: rfc822; MAILER-DAEMON@mail.example.com'));
  assert.equal(header(notice.parts[2]?.headers ?? [], 'Content-Type'), 'message/rfc822', 'a double bounce returns the full message');
  assert.equal(told.events.find((event) => event.kind === 'bounce.notification' && event.notice === 'postmaster non-delivery notification')?.queueId, 'CD08016803D');
});

test('a failed postmaster notice is discarded with a warning, never bounced again', async () => {
  const bench = await createBench('notify_classes = bounce, 2bounce\n');
  assert.equal(await bounceOne(bench, { sender: 'double-bounce@mail.example.com' }), undefined);
  assert.equal(bench.submissions.length, 0);
  assert.match(bench.warnings.text(), /warning: CD08016803D: undeliverable postmaster notification discarded\n/);
});

test('notify_classes = bounce: a headers-only postmaster copy after the sender\'s notice', async () => {
  const bench = await createBench('notify_classes = bounce\nbounce_notice_recipient = abuse\n');
  await bounceOne(bench);
  assert.deepEqual(bench.submissions.map((submission) => [submission.sender, submission.recipients[0]?.address]),
    [['', 'bob@example.com'], ['double-bounce@mail.example.com', 'abuse']]);
  const copy = parseNotice(bench.submissions[1]?.content ?? '');
  assert.equal(header(copy.headers, 'To'), 'abuse');
  assert.equal(header(copy.parts[2]?.headers ?? [], 'Content-Type'), 'text/rfc822-headers');
  assert.deepEqual(bench.events.filter((event) => event.kind === 'bounce.notification').map((event) => event.kind === 'bounce.notification' && event.notice),
    ['sender non-delivery notification', 'postmaster non-delivery notification']);
});

test('a refused notice keeps bounce/ID for the next try and says so', async () => {
  const bench = await createBench();
  bench.failCleanup = { status: 8, queueId: '', reason: '5.7.1 content rejected' };
  assert.equal(await bounceOne(bench), undefined);
  assert.match(bench.warnings.text(), /warning: CD08016803D: sender notification failed to bob@example\.com: 5\.7\.1 content rejected/);
  assert.equal(await bench.exists(bench.queuePath('bounce', 'CD08016803D')), true);
});

test('delay warning as logs/j: Action delayed, Will-Retry-Until, headers only, template warnings', async () => {
  const bench = await createBench('delay_warning_time = 20s\nmaximal_queue_lifetime = 90s\nbounce_queue_lifetime = 90s\n');
  const { request } = await writeOriginal(bench, { id: '9143116804A', queueName: 'deferred', sender: 'alice@example.com',
    arrivalSeconds: 1_795_339_798, recipients: [{ address: 'late@remote.test' }] });
  await reportDeferred(bench.context, request, statusOf(request, 0, { dsn: '4.4.1', relay: 'none',
    reason: 'connect to 127.0.0.1[127.0.0.1]:10099: Connection refused' }));
  assert.ok(await bench.core.warnDelayed(request.queueId, 'deferred'));
  const notice = parseNotice(bench.submissions[0]?.content ?? '');
  assert.equal(header(notice.headers, 'Subject'), 'Delayed Mail (still being retried)');
  const report = notice.parts[1]?.body ?? [];
  assert.deepEqual(report.slice(report.indexOf('Final-Recipient: rfc822; late@remote.test')), [
    'Final-Recipient: rfc822; late@remote.test', 'Original-Recipient: rfc822;late@remote.test', 'Action: delayed', 'Status: 4.4.1',
    'Diagnostic-Code: X-Postfix; connect to 127.0.0.1[127.0.0.1]:10099: Connection', '    refused',
    'Will-Retry-Until: Sun, 22 Nov 2026 09:31:28 +0000 (UTC)', '']);
  assert.equal(header(notice.parts[2]?.headers ?? [], 'Content-Description'), 'Undelivered Message Headers');
  assert.match(notice.parts[0]?.body.join('\n') ?? '', /more than 0 hour\(s\)[\s\S]*0 day\(s\) old/);
  assert.equal(bench.warnings.text(), [
    '[built-in]: zero result in delay template conversion of parameter "delay_warning_time_hours"',
    'please reduce time unit "hours" of "delay_warning_time_hours" in delay template',
    'for instructions see the bounce(5) manual',
    '[built-in]: zero result in delay template conversion of parameter "maximal_queue_lifetime_days"',
    'please reduce time unit "days" of "maximal_queue_lifetime_days" in delay template',
    'for instructions see the bounce(5) manual', ''].map((line) => (line === '' ? '' : `postfix/bounce: warning: ${line}`)).join('\n'));
  assert.equal(await bench.exists(bench.queuePath('defer', request.queueId)), true, 'a warning keeps defer/ID');
  assert.equal(bench.events.find((event) => event.kind === 'bounce.notification')?.kind === 'bounce.notification'
    && (bench.events.find((event) => event.kind === 'bounce.notification') as { notice: string }).notice, 'sender delay notification');
});

test('success report for NOTIFY=SUCCESS, verify report for sendmail -bv', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { recipients: [{ address: 'alice@example.com', dsnNotify: 2 }] });
  await reportSent(bench.context, request, statusOf(request, 0, { dsn: '2.0.0', action: 'delivered', reason: 'delivered to mailbox' }));
  assert.ok(await bench.core.flushTrace(request.queueId, request.queueName));
  let notice = parseNotice(bench.submissions[0]?.content ?? '');
  assert.equal(header(notice.headers, 'Subject'), 'Successful Mail Delivery Report');
  assert.ok(notice.parts[1]?.body.includes('Action: delivered'));
  assert.ok(notice.parts[0]?.body.includes('<alice@example.com>: delivery via local: delivered to mailbox'));
  assert.equal(header(notice.parts[2]?.headers ?? [], 'Content-Description'), 'Message Headers');
  assert.equal(await bench.exists(bench.queuePath('trace', request.queueId)), false);

  const verify = await createBench();
  const { request: probe } = await writeOriginal(verify, { attributes: { trace_flags: String(1 << 9) },
    recipients: [{ address: 'nosuchuser@example.com' }] });
  await reportBounced(verify.context, { ...probe, flags: { verify: true } }, statusOf(probe, 0, { dsn: '5.1.1', reason: 'unknown user: "nosuchuser"' }));
  await verify.core.flushTrace(probe.queueId, probe.queueName);
  notice = parseNotice(verify.submissions[0]?.content ?? '');
  assert.equal(header(notice.headers, 'Subject'), 'Mail Delivery Status Report');
  assert.ok(notice.parts[1]?.body.includes('Action: undeliverable'));
  assert.equal(verify.events.find((event) => event.kind === 'bounce.notification' && event.notice === 'sender delivery status notification')?.queueId, probe.queueId);
});

test('no success report for a bounce (null sender) unless 2bounce is a notify class', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { sender: '', recipients: [{ address: 'alice@example.com', dsnNotify: 2 }] });
  await reportSent(bench.context, request, statusOf(request, 0, { dsn: '2.0.0', action: 'delivered', reason: 'delivered to mailbox' }));
  assert.equal(await bench.core.flushTrace(request.queueId, request.queueName), undefined);
  assert.equal(bench.submissions.length, 0);
  assert.match(bench.warnings.text(), /CD08016803D: not sending trace\/success notification for single-bounce message/);
});

test('error notices for policy/protocol/resource/software only when notify_classes asks', async () => {
  const { composeErrorNotice, sendErrorNotice } = await import('../../../engine/global/dsn/error-notice.ts');
  const quiet = await createBench();
  const input = { classes: ['protocol'] as const, subject: 'Postfix SMTP server: errors from client.example[192.0.2.1]',
    transcript: ['In:  HELO', 'Out: 501 Syntax: HELO hostname'], reason: 'too many errors' };
  assert.equal(composeErrorNotice(quiet.config, input), undefined, 'default notify_classes = resource, software');
  const bench = await createBench('notify_classes = protocol, resource\nerror_notice_recipient = ops\n');
  const notice = composeErrorNotice(bench.config, input);
  assert.equal(notice?.recipient, 'ops');
  const lines = notice?.text.split('\n') ?? [];
  assert.deepEqual(lines.slice(0, 4), ['From: Mail Delivery System <MAILER-DAEMON@mail.example.com>', 'To: Postmaster <ops>',
    'Subject: Postfix SMTP server: errors from client.example[192.0.2.1]', '']);
  assert.ok(lines.includes('Out: 501 Syntax: HELO hostname'));
  assert.ok(lines.some((line) => line.includes('too many errors')));
  assert.ok(await sendErrorNotice(bench.context.runtime.cleanup(), bench.config, input));
  assert.equal(bench.submissions[0]?.sender, 'double-bounce@mail.example.com');
  assert.deepEqual(bench.submissions[0]?.recipients, [{ address: 'ops' }]);
});
