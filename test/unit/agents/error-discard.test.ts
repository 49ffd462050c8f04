// error(8), retry and discard(8) on a sim host: the nexthop text's DSN code and reason,
// relay=none, bounce/defer log records, done-marking, and the service-name check.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentFixture } from './fixture.ts';
import { errorProgram } from '../../../engine/error/service.ts';
import { discardProgram } from '../../../engine/discard/service.ts';
import { dsnSplit, validDsnLength } from '../../../engine/error/dsn-split.ts';

const MESSAGE = 'Subject: to relocated\n\nbody\n';

test('dsn_split takes a leading code, else the default, and trims white space', () => {
  assert.deepEqual(dsnSplit('5.0.0', '5.1.6 User has moved to newuser@elsewhere.test'), { dsn: '5.1.6', text: 'User has moved to newuser@elsewhere.test' });
  assert.deepEqual(dsnSplit('5.0.0', '  no code here'), { dsn: '5.0.0', text: 'no code here' });
  assert.deepEqual(dsnSplit('4.0.0', '4.7.1\tlater'), { dsn: '4.7.1', text: 'later' });
  assert.deepEqual(dsnSplit('2.0.0', '5.1.1'), { dsn: '5.1.1', text: '' });
  assert.equal(validDsnLength('5.1.1x text'), 0);
  assert.equal(validDsnLength('3.1.1 text'), 0);
  assert.equal(validDsnLength('5.1234.1 text'), 0);
  assert.equal(validDsnLength('5.123.456 text'), 9);
  assert.throws(() => dsnSplit('bad', 'text'));
});

test('error bounces every recipient with the relocated reason (logs/s)', async () => {
  const fixture = await createAgentFixture();
  const request = await fixture.queueMessage({
    sender: 'bob@example.com', recipients: [{ address: 'olduser@example.com' }], content: MESSAGE,
    transport: 'error', nexthop: '5.1.6 User has moved to newuser@elsewhere.test',
  });
  const result = await fixture.deliver(errorProgram, request);
  assert.deepEqual(result, { deferred: false });
  const lines = fixture.logLines();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^postfix\/error\[\d+\]: 4A1B2C00001: to=<olduser@example\.com>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=5\.1\.6, status=bounced \(User has moved to newuser@elsewhere\.test\)$/);
  assert.equal(fixture.appended.length, 1);
  assert.equal(fixture.appended[0]!.log, 'bounce');
  assert.equal(fixture.appended[0]!.status.dsn, '5.1.6');
  assert.equal(fixture.appended[0]!.status.action, 'failed');
  assert.equal(await fixture.isDone(request, 0), true);
});

test('error without a code uses 5.0.0; several recipients each get a line', async () => {
  const fixture = await createAgentFixture();
  const request = await fixture.queueMessage({
    sender: 'bob@example.com', recipients: [{ address: 'a@example.net' }, { address: 'b@example.net' }], content: MESSAGE,
    transport: 'error', nexthop: 'mail for example.net is not accepted here',
  });
  await fixture.deliver(errorProgram, request);
  const lines = fixture.logLines();
  assert.equal(lines.length, 2);
  for (const line of lines) assert.match(line, /dsn=5\.0\.0, status=bounced \(mail for example\.net is not accepted here\)$/);
  assert.equal(await fixture.isDone(request, 1), true);
});

test('the retry service defers with the default 4.0.0 and keeps recipients queued', async () => {
  const fixture = await createAgentFixture();
  const request = await fixture.queueMessage({
    sender: 'bob@example.com', recipients: [{ address: 'x@example.net' }], content: MESSAGE,
    transport: 'retry', nexthop: 'delivery temporarily suspended',
  });
  const result = await fixture.deliver(errorProgram, request, 'retry');
  assert.deepEqual(result, { deferred: true });
  assert.match(fixture.logLines()[0]!, /relay=none, .*dsn=4\.0\.0, status=deferred \(delivery temporarily suspended\)$/);
  assert.equal(fixture.appended[0]!.log, 'defer');
  assert.equal(await fixture.isDone(request, 0), false);
});

test('soft_bounce turns the error bounce into a deferral that stays queued', async () => {
  const fixture = await createAgentFixture({ mainCf: 'queue_directory = /var/spool/postfix\nsoft_bounce = yes\n' });
  const request = await fixture.queueMessage({
    sender: 'bob@example.com', recipients: [{ address: 'x@example.net' }], content: MESSAGE,
    transport: 'error', nexthop: '5.7.1 go away',
  });
  const result = await fixture.deliver(errorProgram, request);
  assert.deepEqual(result, { deferred: true });
  assert.match(fixture.logLines()[0]!, /dsn=4\.7\.1, status=SOFTBOUNCE \(go away\)$/);
});

test('error refuses a service name other than error/retry, and arguments', async () => {
  const fixture = await createAgentFixture();
  const request = await fixture.queueMessage({
    sender: 'bob@example.com', recipients: [{ address: 'x@example.net' }], content: MESSAGE, transport: 'oops', nexthop: 'text',
  });
  await assert.rejects(fixture.deliver(errorProgram, request, 'oops'), /bad error service name: oops/);
  await assert.rejects(fixture.deliver(errorProgram, request, 'error', ['-o', 'syslog_name=x', 'surplus']), /unexpected command-line argument: surplus/);
  assert.deepEqual(await fixture.deliver(errorProgram, request, 'error', ['-v', '-o', 'syslog_name=x']), { deferred: false });
});

test('a missing queue file is fatal (qmgr retries later)', async () => {
  const fixture = await createAgentFixture();
  const request = await fixture.queueMessage({ sender: '', recipients: [{ address: 'x@example.net' }], content: MESSAGE, nexthop: 'text' });
  await fixture.platform.fs.unlink(`/var/spool/postfix/${request.queuePath}`);
  await assert.rejects(fixture.deliver(errorProgram, request), /deliver_message: open active 4A1B2C00001: No such file or directory/);
  await assert.rejects(fixture.deliver(errorProgram, { ...request, nexthop: '' }), /empty nexthop hostname/);
});

test('discard reports every recipient sent with the nexthop as its reason', async () => {
  const fixture = await createAgentFixture();
  const request = await fixture.queueMessage({
    sender: 'bob@example.com', recipients: [{ address: 'u1@sink.test' }, { address: 'u2@sink.test', originalRecipient: 'alias@example.com' }],
    content: MESSAGE, transport: 'discard', nexthop: 'sink.test',
  });
  const result = await fixture.deliver(discardProgram, request);
  assert.deepEqual(result, { deferred: false });
  const lines = fixture.logLines();
  assert.match(lines[0]!, /^postfix\/discard\[\d+\]: 4A1B2C00001: to=<u1@sink\.test>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=2\.0\.0, status=sent \(sink\.test\)$/);
  assert.match(lines[1]!, /to=<u2@sink\.test>, orig_to=<alias@example\.com>, relay=none, .*status=sent \(sink\.test\)$/);
  assert.equal(await fixture.isDone(request, 0), true);
  assert.equal(await fixture.isDone(request, 1), true);
  assert.equal(fixture.appended.length, 0);
});

test('discard takes a code from its text', async () => {
  const fixture = await createAgentFixture();
  const request = await fixture.queueMessage({
    sender: 'bob@example.com', recipients: [{ address: 'u1@sink.test' }], content: MESSAGE, transport: 'discard', nexthop: '2.6.0 dropped by policy',
  });
  await fixture.deliver(discardProgram, request);
  assert.match(fixture.logLines()[0]!, /dsn=2\.6\.0, status=sent \(dropped by policy\)$/);
});
