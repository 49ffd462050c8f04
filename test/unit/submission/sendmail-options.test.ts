// Unit tests for sendmail's command line (engine/admin/sendmail-options.ts) and the record
// stream sendmail builds (engine/postdrop/submission.ts): getopt clustering and "+" mode,
// the -C prescan, modes, DSN masks, the -q forms, and the message text rules (lone dot,
// From_ lines, CR stripping, long lines, -t extraction, the -bv probe). The same command
// lines against the real sendmail are in test/interop/submission.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSendmailOptions, prescanConfigDirectory, dsnNotifyMask, dsnReturnCode } from '../../../engine/admin/sendmail-options.ts';
import { buildSubmission, inputRecords, type EnqueueOptions } from '../../../engine/postdrop/submission.ts';
import { TraceFlag } from '../../../engine/postdrop/stream.ts';
import { FatalExit } from '../../../engine/global/msg.ts';
import { latin1 } from '../../../engine/global/queue/record.ts';
import { recordingReporter, simQueueHost } from './helpers.ts';

async function parse(argv: string[], program = 'sendmail') {
  const world = await simQueueHost();
  const { reporter, stderr } = recordingReporter(world.host, program);
  try {
    return { options: parseSendmailOptions([program, ...argv], program, reporter, stderr), stderr: stderr.text() };
  } catch (error) {
    if (!(error instanceof FatalExit)) throw error;
    return { options: undefined, stderr: stderr.text() };
  }
}

test('getopt: clusters, attached values, and options end at the first recipient', async () => {
  const { options } = await parse(['-tif', 'bob', '-Fname', 'alice', '-f', 'x']);
  assert.ok(options);
  assert.equal(options.extractRecipients, true);
  assert.equal(options.archaicEof, false);
  assert.equal(options.sender, 'bob');
  assert.equal(options.fullName, 'name');
  assert.deepEqual(options.operands, ['alice', '-f', 'x']);
});

test('modes: by program name and by -b, the last one wins; -q forms', async () => {
  assert.equal((await parse([], 'mailq')).options?.mode, 'mailq');
  assert.equal((await parse([], 'newaliases')).options?.mode, 'newaliases');
  assert.equal((await parse(['-bp', '-bm'])).options?.mode, 'enqueue');
  assert.equal((await parse(['-bs'])).options?.mode, 'user');
  assert.equal((await parse(['-bh'])).options?.mode, 'ignore');
  assert.equal((await parse(['-I'])).options?.mode, 'newaliases');
  assert.equal((await parse(['-q'])).options?.mode, 'flush');
  assert.equal((await parse(['-qRexample.com'])).options?.siteToFlush, 'example.com');
  assert.equal((await parse(['-qIABC123'])).options?.idToFlush, 'ABC123');
  assert.equal((await parse(['-q', '30m'])).options?.queueTime, undefined);
  assert.equal((await parse(['-q30m'])).options?.queueTime, '30m');
  const daemon = await parse(['-bd', '-q']);
  assert.equal(daemon.options?.mode, 'daemon');
  assert.equal(daemon.stderr, 'sendmail: warning: ignoring -q option in daemon mode\n');
  assert.equal((await parse(['-bv', 'a'])).options?.userVerify, true);
  assert.equal((await parse(['-oi'])).options?.archaicEof, false);
  assert.equal((await parse(['-oAhash:/etc/other', '-bi'])).options?.aliasMapFromArguments, 'hash:/etc/other');
});

test('fatal option errors print Postfix\'s text', async () => {
  assert.equal((await parse(['-bx'])).stderr, 'sendmail: fatal: unsupported: -bx\n');
  assert.equal((await parse(['-bi', '-t'])).stderr, 'sendmail: fatal: -t can be used only in delivery mode\n');
  assert.equal((await parse(['-bp', '-qRx'])).stderr, 'sendmail: fatal: -qR can be used only in delivery mode\n');
  assert.equal((await parse(['-bv', '-R', 'full', 'x'])).stderr, 'sendmail: fatal: -R option cannot be used with -bv\n');
  assert.equal((await parse(['-qI'])).stderr, 'sendmail: fatal: specify: -qIqueueid\n');
  assert.equal((await parse(['-k'])).stderr, 'sendmail: invalid option -- \'k\'\nsendmail: fatal: usage: sendmail [options]\n');
});

test('the -C prescan names the directory, or the directory of a main.cf path', () => {
  const sink = { text: '', write(data: string) { this.text += data; } };
  assert.equal(prescanConfigDirectory(['sendmail', '-C', '/etc/alt', 'x'], 'sendmail', sink), '/etc/alt');
  assert.equal(prescanConfigDirectory(['sendmail', '-C/etc/alt/main.cf'], 'sendmail', sink), '/etc/alt');
  assert.equal(prescanConfigDirectory(['sendmail', '-q', '-C', 'rel'], 'sendmail', sink), 'rel');
  assert.equal(prescanConfigDirectory(['sendmail', 'x', '-C', '/no'], 'sendmail', sink), undefined);
  assert.equal(sink.text, '');
});

test('DSN masks as dsn_mask.c', async () => {
  const world = await simQueueHost();
  const { reporter, stderr } = recordingReporter(world.host, 'sendmail');
  assert.equal(dsnNotifyMask('success,DELAY failure', reporter), 14);
  assert.equal(dsnNotifyMask('never', reporter), 1);
  assert.equal(dsnNotifyMask('never,success', reporter), 0);
  assert.equal(dsnNotifyMask('sometimes', reporter), 0);
  assert.equal(stderr.text(), 'sendmail: warning: unknown DSN NOTIFY command value "sometimes" in "sometimes"\n');
  assert.equal(dsnReturnCode('Full'), 1);
  assert.equal(dsnReturnCode('hdrs'), 2);
  assert.equal(dsnReturnCode('headers'), 0);
});

const encoder = new TextEncoder();

function enqueueOptions(overrides: Partial<EnqueueOptions> = {}): EnqueueOptions {
  return {
    sender: 'bob', recipientArguments: ['alice'], extractRecipients: false, archaicEof: true, dsnReturn: 0, dsnNotify: 0,
    rewriteContext: 'local', traceFlags: 0, lineLengthLimit: 10, fixLineEndings: 'always', ...overrides,
  };
}

async function stream(text: string, overrides: Partial<EnqueueOptions> = {}) {
  const options = enqueueOptions(overrides);
  const submission = await buildSubmission(options, inputRecords(encoder.encode(text), options.lineLengthLimit));
  return {
    recipients: submission.recipientCount,
    records: submission.records.map((item) => `${String.fromCharCode(item.type)}:${latin1(item.payload)}`),
  };
}

test('text records: long lines continue, a last line without LF is continued, a lone dot ends', async () => {
  assert.deepEqual((await stream('0123456789abc\nlast')).records.slice(4), ['L:0123456789', 'N:abc', 'L:last', 'X:', 'E:']);
  assert.deepEqual((await stream('a\n.\nb\n')).records.slice(4), ['N:a', 'X:', 'E:']);
  // A dot that continues a long line is not an end of input.
  assert.deepEqual((await stream('0123456789.\n')).records.slice(4), ['L:0123456789', 'N:.', 'X:', 'E:']);
  assert.deepEqual((await stream('a\n.\nb\n', { archaicEof: false })).records.slice(4), ['N:a', 'N:.', 'N:b', 'X:', 'E:']);
});

test('From_ lines before the message are dropped; CRs stripped as sendmail_fix_line_endings says', async () => {
  assert.deepEqual((await stream('From x\n>>From y\nA: b\nFrom z\n')).records.slice(4), ['N:A: b', 'N:From z', 'X:', 'E:']);
  assert.deepEqual((await stream('a\r\r\nb\r\n')).records.slice(4), ['N:a', 'N:b', 'X:', 'E:']);
  assert.deepEqual((await stream('a\r\nb\n', { fixLineEndings: 'never' })).records.slice(4), ['N:a\r', 'N:b', 'X:', 'E:']);
  assert.deepEqual((await stream('a\nb\r\n', { fixLineEndings: 'strict' })).records.slice(4), ['N:a', 'N:b\r', 'X:', 'E:']);
  assert.deepEqual((await stream('a\r\nb\r\n', { fixLineEndings: 'strict' })).records.slice(4), ['N:a', 'N:b', 'X:', 'E:']);
});

test('-t: To/Cc/Bcc of the primary header, Resent- ones instead once seen, added to the command line', async () => {
  const extracted = await stream('To: a@x,\n b@x\nSubject: s\nCc: c@x\n\nTo: body@x\n', { extractRecipients: true, lineLengthLimit: 2048 });
  assert.equal(extracted.recipients, 4);
  assert.deepEqual(extracted.records.slice(-5), ['X:', 'R:a@x', 'R:b@x', 'R:c@x', 'E:']);
  const resent = await stream('To: old@x\nResent-To: new@x\nBcc: late@x\nResent-Bcc: hidden@x\n\n', {
    extractRecipients: true, recipientArguments: [], lineLengthLimit: 2048,
  });
  assert.deepEqual(resent.records.slice(-4), ['X:', 'R:new@x', 'R:hidden@x', 'E:']);
});

test('envelope order and the -bv probe text', async () => {
  const full = await stream('x\n', {
    dsnEnvelopeId: 'id', dsnReturn: 2, fullName: 'F', encoding: '8bit', traceFlags: TraceFlag.record, verpDelimiters: '+=', dsnNotify: 2,
    recipientArguments: ['a, b', ''],
  });
  assert.deepEqual(full.records, [
    'A:envelope_id=id', 'A:ret_flags=2', 'A:rewrite_context=local', 'F:F', 'S:bob', 'A:encoding=8bit', 'A:trace_flags=1024',
    'V:+=', 'A:notify_flags=2', 'R:a', 'A:notify_flags=2', 'R:b', 'A:notify_flags=2', 'R:', 'M:', 'N:x', 'X:', 'E:',
  ]);
  const probe = await stream('ignored\n', { traceFlags: TraceFlag.userVerify, recipientArguments: ['a', 'b'] });
  assert.deepEqual(probe.records.slice(6), ['N:From: bob', 'N:Subject: probe', 'L:To:', 'N:\ta,', 'N:\tb', 'X:', 'E:']);
});
