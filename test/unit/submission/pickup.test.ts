// Unit tests for pickup (engine/pickup/api.ts) against a recording CleanupEndpoint: what it
// hands cleanup from a maildrop file, the log line, when it removes or keeps the file (only
// after cleanup says queued; a crash before that keeps it), malformed files and files
// without a sender, files still being written, requeued files (orig_id=), and the order of
// a scan.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickupScan, type PickupContext } from '../../../engine/pickup/api.ts';
import { readMaildropFile, RECORD_END_OF_FILE } from '../../../engine/pickup/maildrop-file.ts';
import { postdrop } from '../../../engine/postdrop/api.ts';
import { attributeRecord, encodeSubmission, record } from '../../../engine/postdrop/stream.ts';
import { buildSubmission, inputRecords } from '../../../engine/postdrop/submission.ts';
import { RecordType } from '../../../engine/global/queue/record.ts';
import { readMainConfig } from '../../../engine/global/config/main-cf.ts';
import { CleanupStatus, type HostRuntime, type ServiceTraceInput } from '../../../engine/master/contracts.ts';
import { QUEUE_DIRECTORY, RecordingCleanup, recordingReporter, simQueueHost, type SimQueueHost } from './helpers.ts';

const R = RecordType;
const encoder = new TextEncoder();

async function pickupWorld(mainCf = '') {
  const world = await simQueueHost();
  await world.platform.fs.mkdir('/etc/postfix', { recursive: true });
  await world.platform.fs.writeFile('/etc/postfix/main.cf', mainCf);
  const { reporter, stderr } = recordingReporter(world.host, 'pickup');
  const config = await readMainConfig({ fs: world.platform.fs, directory: '/etc/postfix', reporter, host: world.host });
  const cleanup = new RecordingCleanup();
  const traces: ServiceTraceInput[] = [];
  const runtime = { queue: () => world.queue, cleanup: () => cleanup } as unknown as HostRuntime;
  const context: PickupContext = { host: world.host, runtime, config: () => config, log: reporter, trace: (detail) => traces.push(detail) };
  return { world, cleanup, traces, stderr, context };
}

/** A maildrop file as sendmail + postdrop make it. */
async function submit(world: SimQueueHost, uid: number, sender: string, recipients: string[], text: string, options: Partial<Parameters<typeof buildSubmission>[0]> = {}): Promise<string> {
  const submission = await buildSubmission({
    sender, fullName: 'Full Name', recipientArguments: recipients, extractRecipients: false, archaicEof: true,
    dsnReturn: 0, dsnNotify: 0, rewriteContext: 'local', traceFlags: 0, lineLengthLimit: 2048, fixLineEndings: 'always', ...options,
  }, inputRecords(encoder.encode(text), 2048));
  const { reporter } = recordingReporter(world.host, 'postdrop');
  const result = await postdrop({
    host: world.host, queue: world.queue, uid, reporter, pid: world.host.nextPid(), records: submission.records,
    messageSizeLimit: 0, longQueueIds: false,
  });
  assert.equal(result.status, 0);
  return result.queueId;
}

async function maildrop(world: SimQueueHost): Promise<string[]> {
  return world.platform.fs.readdir(`${QUEUE_DIRECTORY}/maildrop`);
}

test('pickup hands cleanup the envelope and text, logs uid/from, removes the file', async () => {
  const { world, cleanup, traces, stderr, context } = await pickupWorld();
  const id = await submit(world, 1002, 'bob', ['alice', 'carol@x.test'], 'To: t@x.test\nSubject: s\n\nbody\n', {
    dsnNotify: 6, dsnEnvelopeId: 'env-1', dsnReturn: 2, extractRecipients: true,
  });
  assert.equal(await pickupScan(context), 1);
  assert.deepEqual(await maildrop(world), []);
  const [submission] = cleanup.submissions;
  assert.ok(submission);
  assert.deepEqual(submission.client, { service: 'pickup', rewriteContext: 'local', uid: 1002 });
  assert.deepEqual(submission.flags, { bounceOnReject: true });
  assert.equal(submission.sender, 'bob');
  assert.equal(submission.fullName, 'Full Name');
  assert.ok(submission.arrivalTime !== undefined);
  assert.deepEqual(submission.attributes, [['envelope_id', 'env-1'], ['ret_flags', '2'], ['rewrite_context', 'local']]);
  // The maildrop file's order (sendmail writes the attributes, then full name and sender):
  // cleanup writes envelope records in the order pickup passes them.
  assert.deepEqual(submission.calls.slice(0, 6), ['time', 'attribute', 'attribute', 'attribute', 'fullName', 'sender']);
  assert.deepEqual(submission.recipients, [
    { address: 'alice', dsnNotify: 6 }, { address: 'carol@x.test', dsnNotify: 6 }, { address: 't@x.test', dsnNotify: 6 },
  ]);
  assert.equal(submission.content, 'To: t@x.test\nSubject: s\n\nbody\n');
  assert.equal(submission.outcome, 'finished');
  assert.deepEqual(traces, [{ kind: 'pickup.accepted', uid: 1002, sender: 'bob', queueId: submission.queueId }]);
  assert.notEqual(submission.queueId, id);
  assert.equal(stderr.text(), '');
});

test('the file stays in maildrop until cleanup has answered: a crash or a temporary error keeps it', async () => {
  const { world, cleanup, context, stderr } = await pickupWorld();
  const id = await submit(world, 0, 'root', ['alice'], 'x\n');
  cleanup.crashOnFinish = true;
  await assert.rejects(pickupScan(context), /host crashed/);
  assert.deepEqual(await maildrop(world), [id]);
  cleanup.crashOnFinish = false;
  cleanup.status = CleanupStatus.write;
  assert.equal(await pickupScan(context), 0);
  assert.deepEqual(await maildrop(world), [id]);
  assert.match(stderr.text(), new RegExp(`^pickup: warning: maildrop/${id}: error writing NEW2: queue file write error\\n$`));
  cleanup.status = 0;
  assert.equal(await pickupScan(context), 1);
  assert.deepEqual(await maildrop(world), []);
});

test('a status with a reason is not logged again; BAD and no-recipient statuses remove the file', async () => {
  const { world, cleanup, context, stderr } = await pickupWorld();
  await submit(world, 0, 'root', ['alice'], 'x\n');
  cleanup.status = CleanupStatus.recipient;
  cleanup.reason = '5.1.0 no recipients';
  assert.equal(await pickupScan(context), 1);
  assert.deepEqual(await maildrop(world), []);
  assert.equal(stderr.text(), '');
});

test('a damaged maildrop file: Postfix\'s warning, cleanup aborted, file removed', async () => {
  const { world, cleanup, context, stderr, traces } = await pickupWorld();
  const bytes = encodeSubmission([record(R.time, '1 2'), record(R.sender, 'bob'), record(R.normalText, 'too early')]);
  await world.platform.fs.writeFile(`${QUEUE_DIRECTORY}/maildrop/ABCDE123`, bytes, { mode: 0o744 });
  await world.platform.fs.chmod(`${QUEUE_DIRECTORY}/maildrop/ABCDE123`, 0o744);
  assert.equal(await pickupScan(context), 1);
  assert.equal(stderr.text(), 'pickup: warning: uid=0: unexpected or malformed record type 78\n');
  assert.equal(cleanup.submissions[0]?.outcome, 'aborted');
  assert.deepEqual(traces, []);
  assert.deepEqual(await maildrop(world), []);
});

test('a truncated file is malformed after the accepted line, as pickup reads it in order', async () => {
  const { world, context, stderr, traces } = await pickupWorld();
  const bytes = encodeSubmission([record(R.time, '1 2'), record(R.sender, 'bob'), record(R.recipient, 'a'), record(R.messageContentStart), record(R.normalText, 'x')]);
  const path = `${QUEUE_DIRECTORY}/maildrop/ABCDE124`;
  await world.platform.fs.writeFile(path, bytes.subarray(0, bytes.length - 1));
  await world.platform.fs.chmod(path, 0o744);
  await pickupScan(context);
  assert.equal(traces.length, 1);
  assert.equal(stderr.text(), [
    'pickup: warning: maildrop/ABCDE124: unexpected EOF in data, record type 78 length 1',
    'pickup: warning: uid=0: unexpected or malformed record type -2', '',
  ].join('\n'));
});

test('no envelope sender: "ID: uid=N: no envelope sender" with cleanup\'s id', async () => {
  const { world, context, stderr } = await pickupWorld();
  const bytes = encodeSubmission([record(R.time, '1 2'), record(R.recipient, 'a'), record(R.messageContentStart), record(R.extractedStart), record(R.end)]);
  await world.platform.fs.writeFile(`${QUEUE_DIRECTORY}/maildrop/ABCDE125`, bytes);
  await world.platform.fs.chmod(`${QUEUE_DIRECTORY}/maildrop/ABCDE125`, 0o744);
  assert.equal(await pickupScan(context), 1);
  assert.equal(stderr.text(), 'pickup: warning: NEW1: uid=0: no envelope sender\n');
});

test('files still being written, odd names and directories are left alone', async () => {
  const { world, cleanup, context, stderr } = await pickupWorld();
  const fs = world.platform.fs;
  await fs.writeFile(`${QUEUE_DIRECTORY}/maildrop/ABCDE126`, encodeSubmission([record(R.time, '1 2')]), { mode: 0o644 });
  await fs.writeFile(`${QUEUE_DIRECTORY}/maildrop/not.an.id`, 'x', { mode: 0o744 });
  await fs.chmod(`${QUEUE_DIRECTORY}/maildrop/not.an.id`, 0o744);
  await fs.mkdir(`${QUEUE_DIRECTORY}/maildrop/ABCDE127`);
  assert.equal(await pickupScan(context), 0);
  assert.equal(cleanup.submissions.length, 0);
  assert.equal(stderr.text(), 'pickup: warning: maildrop/ABCDE127: uid 0: not a regular file\n');
  assert.deepEqual(await maildrop(world), ['ABCDE126', 'ABCDE127', 'not.an.id']);
});

test('a file postsuper -r put back (mail_owner, not world-readable) logs orig_id', async () => {
  const { world, context, traces } = await pickupWorld();
  const id = await submit(world, 0, 'bob@example.test', ['alice'], 'x\n');
  const path = `${QUEUE_DIRECTORY}/maildrop/${id}`;
  await world.platform.fs.chmod(path, 0o700);
  await world.platform.fs.chown?.(path, 102, 104);
  await pickupScan(context);
  assert.deepEqual(traces, [{ kind: 'pickup.accepted', uid: 102, sender: 'bob@example.test', queueId: 'NEW1', originalQueueId: id }]);
});

test('a root-owned requeued file (mtalab services run as root) is logged as mail_owner\'s', async () => {
  const { world, context, traces } = await pickupWorld();
  const id = await submit(world, 0, 'carol@example.test', ['alice'], 'x\n');
  await world.platform.fs.chmod(`${QUEUE_DIRECTORY}/maildrop/${id}`, 0o700);
  await pickupScan(context);
  assert.deepEqual(traces, [{ kind: 'pickup.accepted', uid: 102, sender: 'carol@example.test', queueId: 'NEW1', originalQueueId: id }]);
});

test('a scan takes files in name order; the null sender and -G contexts pass through', async () => {
  const { world, cleanup, context } = await pickupWorld('receive_override_options = no_address_mappings, no_header_body_checks\n');
  const first = await submit(world, 0, '', ['a'], '1\n');
  const second = await submit(world, 0, 'x', ['b'], '2\n', { rewriteContext: 'remote' });
  assert.equal(await pickupScan(context), 2);
  const order = [first, second].sort();
  const byContent = cleanup.submissions.map((item) => item.content);
  assert.deepEqual(byContent, order.map((id) => (id === first ? '1\n' : '2\n')));
  const remote = cleanup.submissions.find((item) => item.content === '2\n');
  assert.equal(remote?.client.rewriteContext, 'remote');
  assert.deepEqual(remote?.flags, { bounceOnReject: true, skipContentChecks: true, skipAddressMappings: true });
  assert.equal(cleanup.submissions.find((item) => item.content === '1\n')?.sender, '');
});

test('content beginning with white space gets an empty line first', async () => {
  const { world, cleanup, context } = await pickupWorld();
  await submit(world, 0, 'root', ['a'], ' indented\nbody\n');
  await pickupScan(context);
  assert.equal(cleanup.submissions[0]?.content, '\n indented\nbody\n');
});

test('readMaildropFile: end of file in the envelope is record type -1; done recipients are skipped', async () => {
  const truncated = await readMaildropFile(encodeSubmission([record(R.time, '5 6'), record(R.sender, 's')]), 'p', 2048);
  assert.deepEqual(truncated.failure, { segment: 'envelope', type: RECORD_END_OF_FILE });
  const requeued = await readMaildropFile(encodeSubmission([
    record(R.sender, 's'), record(R.originalRecipient, 'orig'), record(R.doneRecipient, 'done@x'),
    attributeRecord('dsn_orig_rcpt', 'rfc822;o@x'), record(R.originalRecipient, 'o'), record(R.recipient, 'todo@x'),
    record(R.messageContentStart), record(R.normalText, 'x'), record(R.extractedStart),
    attributeRecord('log_ident', 'dropped'), attributeRecord('envelope_id', 'kept'), record(R.end),
  ]), 'p', 2048);
  assert.equal(requeued.failure, undefined);
  assert.deepEqual(requeued.message.recipients, [{ address: 'todo@x', originalRecipient: 'o', dsnOriginalRecipient: 'rfc822;o@x' }]);
  assert.deepEqual(requeued.message.attributes, [{ name: 'envelope_id', value: 'kept' }]);
});
