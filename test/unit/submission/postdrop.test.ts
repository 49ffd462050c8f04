// Unit tests for postdrop (engine/postdrop/api.ts) and the stream helpers: the maildrop file
// it writes on a sim host (name, mode, owner, its own time record first, the records in
// order), the attribute filter, malformed streams, the size limit at its exact boundary,
// the trigger and the trace event. The real postcat reads such files in
// test/interop/submission.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postdrop, MAILDROP_FILE_MODE_READY, type PostdropRequest } from '../../../engine/postdrop/api.ts';
import { attributeRecord, checkSubmission, encodeSubmission, record, splitNameValue } from '../../../engine/postdrop/stream.ts';
import { RecordReader, RecordType, bytesSource, latin1 } from '../../../engine/global/queue/record.ts';
import { CleanupStatus } from '../../../engine/master/contracts.ts';
import { isQueueIdSyntaxOk } from '../../../engine/global/queue/queue-id.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import { QUEUE_DIRECTORY, recordingReporter, simQueueHost } from './helpers.ts';

const R = RecordType;

function basicRecords(extra: ReturnType<typeof record>[] = []) {
  return [
    attributeRecord('rewrite_context', 'local'), record(R.fullName, ''), record(R.sender, 'bob'), ...extra,
    record(R.recipient, 'alice'), record(R.messageContentStart), record(R.normalText, 'Subject: x'),
    record(R.normalText, ''), record(R.normalText, 'body'), record(R.extractedStart), record(R.end),
  ];
}

async function drop(records: ReturnType<typeof basicRecords>, overrides: Partial<PostdropRequest> = {}) {
  const world = await simQueueHost();
  const { reporter, stderr } = recordingReporter(world.host, 'postdrop');
  const events: TraceEvent[] = [];
  world.platform.trace.subscribe((event) => events.push(event));
  let triggered = 0;
  const result = await postdrop({
    host: world.host, queue: world.queue, uid: 1002, gid: 105, reporter, pid: 4242, records,
    messageSizeLimit: 0, longQueueIds: false, trigger: () => { triggered += 1; }, ...overrides,
  });
  const names = await world.platform.fs.readdir(`${QUEUE_DIRECTORY}/maildrop`);
  return { world, result, stderr, events, triggered, names };
}

async function readRecords(bytes: Uint8Array): Promise<Array<[string, string]>> {
  const reader = new RecordReader(bytesSource(bytes), { path: 'f', transparent: false });
  const out: Array<[string, string]> = [];
  for (let count = 0; count < 1000; count++) {
    const item = await reader.next();
    if (item === null) break;
    out.push([String.fromCharCode(item.type), latin1(item.payload)]);
  }
  return out;
}

test('postdrop writes a complete maildrop file owned by the submitter and wakes pickup', async () => {
  const { world, result, stderr, events, triggered, names } = await drop(basicRecords());
  assert.equal(result.status, CleanupStatus.ok);
  assert.ok(isQueueIdSyntaxOk(result.queueId));
  assert.deepEqual(names, [result.queueId]);
  const path = `${QUEUE_DIRECTORY}/maildrop/${result.queueId}`;
  const stat = await world.platform.fs.stat(path);
  assert.equal(stat.mode & 0o7777, MAILDROP_FILE_MODE_READY);
  assert.equal(stat.uid, 1002);
  assert.equal(stat.gid, 105);
  const records = await readRecords(await world.platform.fs.readFile(path));
  assert.equal(records[0]?.[0], 'T');
  assert.match(records[0]?.[1] ?? '', /^\d+ \d+$/);
  assert.deepEqual(records.slice(1), [
    ['A', 'rewrite_context=local'], ['F', ''], ['S', 'bob'], ['R', 'alice'], ['M', ''],
    ['N', 'Subject: x'], ['N', ''], ['N', 'body'], ['X', ''], ['E', ''],
  ]);
  assert.equal(triggered, 1);
  assert.equal(stderr.text(), '');
  const queued = events.find((event) => event.kind === 'postdrop.queued');
  assert.ok(queued && queued.kind === 'postdrop.queued');
  assert.deepEqual({ uid: queued.uid, sender: queued.sender, recipients: queued.recipients, queueId: queued.queueId },
    { uid: 1002, sender: 'bob', recipients: ['alice'], queueId: result.queueId });
});

test('postdrop keeps only the attributes a user may set, with Postfix\'s warnings', async () => {
  const { world, result, stderr } = await drop(basicRecords([
    attributeRecord('trace_flags', '512'), attributeRecord('trace_flags', '1'), attributeRecord('log_ident', 'x'),
    attributeRecord('encoding', '8bit'), attributeRecord('encoding', 'binary'), attributeRecord('rewrite_context', 'elsewhere'),
    attributeRecord('notify_flags', '6'), attributeRecord('envelope_id', 'e'), attributeRecord('ret_flags', '2'),
    record(R.attribute, 'novalue'),
  ]));
  assert.equal(result.status, 0);
  assert.equal(stderr.text(), [
    'postdrop: warning: uid=1002: ignoring unexpected trace flags: 1',
    'postdrop: warning: uid=1002: ignoring attribute record: log_ident=x',
    'postdrop: warning: uid=1002: ignoring attribute record: encoding=binary',
    'postdrop: warning: uid=1002: ignoring attribute record: rewrite_context=elsewhere',
    'postdrop: warning: uid=1002: ignoring malformed record: missing \'=\' after attribute name: novalue',
    '',
  ].join('\n'));
  const records = await readRecords(await world.platform.fs.readFile(`${QUEUE_DIRECTORY}/maildrop/${result.queueId}`));
  assert.deepEqual(records.filter(([type]) => type === 'A').map(([, value]) => value), [
    'rewrite_context=local', 'trace_flags=512', 'encoding=8bit', 'notify_flags=6', 'envelope_id=e', 'ret_flags=2',
  ]);
});

test('a record out of its segment is fatal and leaves no file', async () => {
  const records = basicRecords();
  records.splice(5, 0, record(R.time, '1 2'));
  const { result, stderr, names, triggered } = await drop(records);
  assert.equal(result.status, CleanupStatus.bad);
  assert.equal(stderr.text(), 'postdrop: fatal: uid=1002: unexpected record type: 84\n');
  assert.deepEqual(names, []);
  assert.equal(triggered, 0);
});

test('input that stops before the end record is malformed and removed', async () => {
  const { result, stderr, names } = await drop(basicRecords().slice(0, -1));
  assert.equal(result.status, CleanupStatus.bad);
  assert.equal(stderr.text(), 'postdrop: fatal: uid=1002: malformed input\n');
  assert.deepEqual(names, []);
});

test('a stream without a sender or recipient is refused (BAD) silently', async () => {
  const withoutRecipient = basicRecords().filter((item) => item.type !== R.recipient);
  const { result, stderr, names } = await drop(withoutRecipient);
  assert.equal(result.status, CleanupStatus.bad);
  assert.equal(stderr.text(), '');
  assert.deepEqual(names, []);
});

test('message_size_limit bounds the whole file: equal passes, one byte over fails', async () => {
  const unlimited = await drop(basicRecords());
  const size = (await unlimited.world.platform.fs.stat(`${QUEUE_DIRECTORY}/maildrop/${unlimited.result.queueId}`)).size;
  const exact = await drop(basicRecords(), { messageSizeLimit: size });
  assert.equal(exact.result.status, CleanupStatus.ok);
  const over = await drop(basicRecords(), { messageSizeLimit: size - 1 });
  assert.equal(over.result.status, CleanupStatus.size);
  assert.equal(over.stderr.text(), 'postdrop: warning: uid=1002: File too large\n');
  assert.deepEqual(over.names, []);
  assert.equal(over.triggered, 0);
});

test('a missing maildrop directory is a write error with mail_queue_enter\'s warning', async () => {
  const world = await simQueueHost();
  await world.platform.fs.rmdir(`${QUEUE_DIRECTORY}/maildrop`);
  const { reporter, stderr } = recordingReporter(world.host, 'postdrop');
  const result = await postdrop({
    host: world.host, queue: world.queue, uid: 0, reporter, pid: 77, records: basicRecords(), messageSizeLimit: 0, longQueueIds: false,
  });
  assert.equal(result.status, CleanupStatus.write);
  assert.match(stderr.text(), /^postdrop: warning: mail_queue_enter: create file maildrop\/\d+\.77: No such file or directory\n$/);
});

test('checkSubmission walks the segments as postdrop does', () => {
  assert.equal(checkSubmission(basicRecords()), undefined);
  assert.deepEqual(checkSubmission([record(R.sender, 'x'), record(R.normalText, 'early')]), { kind: 'unexpected-type', type: R.normalText });
  assert.deepEqual(checkSubmission(basicRecords().slice(0, 4)), { kind: 'incomplete' });
  assert.deepEqual(splitNameValue(' a = b '), { name: 'a', value: 'b' });
  assert.equal(splitNameValue('=b'), 'missing attribute name');
  assert.equal(splitNameValue('a b=c'), 'missing \'=\' after attribute name');
  assert.equal(splitNameValue(''), 'missing attribute name');
  assert.deepEqual([...encodeSubmission([record(R.sender, 'ab')])], [0x53, 2, 0x61, 0x62]);
});
