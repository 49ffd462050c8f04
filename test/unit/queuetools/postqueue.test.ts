// postqueue -p/-j, mailq: the reference queue (logs/l: one message active, one deferred,
// one on hold, reasons from the defer logs) printed byte for byte as Postfix 3.7.11 did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createQueueHost, writeMixedQueue, referenceOutput, referenceMessages } from './fixtures.ts';

const DOWN_WARNING = 'postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: No such file or directory)\n';

test('postqueue -p on the mixed queue is commands/postqueue-p-mixed.txt', async () => {
  const queue = await createQueueHost();
  await writeMixedQueue(queue);
  const result = await queue.run(['postqueue', '-p']);
  assert.equal(result.exitCode, 0);
  assert.equal(result.stdout, referenceOutput('postqueue-p-mixed.txt'));
  assert.equal(result.stderr, DOWN_WARNING);
});

test('mailq and postqueue -c DIR -p print the same listing', async () => {
  const queue = await createQueueHost();
  await writeMixedQueue(queue);
  const mailq = await queue.run(['mailq'], { env: { MAIL_CONFIG: '/etc/postfix' } });
  assert.equal(mailq.stdout, referenceOutput('mailq-mixed.txt'));
  assert.equal(mailq.exitCode, 0);
  const explicit = await queue.run(['postqueue', '-c', '/etc/postfix', '-p']);
  assert.equal(explicit.stdout, referenceOutput('sendmail-bp-mixed.txt'));
});

test('postqueue -j on the mixed queue is commands/postqueue-j-mixed.txt', async () => {
  const queue = await createQueueHost();
  await writeMixedQueue(queue);
  const result = await queue.run(['postqueue', '-j']);
  assert.equal(result.exitCode, 0);
  assert.equal(result.stdout, referenceOutput('postqueue-j-mixed.txt'));
});

test('an empty queue: "Mail queue is empty", and no JSON at all', async () => {
  const queue = await createQueueHost();
  assert.equal((await queue.run(['postqueue', '-p'])).stdout, referenceOutput('postqueue-p-empty.txt'));
  assert.equal((await queue.run(['postqueue', '-j'])).stdout, '');
});

test('a reason longer than the indent is printed flush left (postqueue-p-long-reason.txt)', async () => {
  const queue = await createQueueHost();
  const active = referenceMessages[1]!;
  await queue.writeMessage('deferred', active.id, active.input);
  const reason = 'lost connection with 127.0.0.1[127.0.0.1] while receiving the initial server greeting';
  await queue.writeDeferLog(active.id, [{ recipient: 'user1@slow.test', reason }, { recipient: 'user2@slow.test', reason }]);
  const result = await queue.run(['postqueue', '-p']);
  assert.equal(result.stdout, referenceOutput('postqueue-p-long-reason.txt'));
});

test('a recipient without a logged reason after one with a reason: "(reason unavailable)"', async () => {
  const queue = await createQueueHost();
  const deferred = referenceMessages[0]!;
  await queue.writeMessage('deferred', deferred.id, deferred.input);
  await queue.writeDeferLog(deferred.id, [{ recipient: 'friend2@other.test', reason: 'host not found' }]);
  const lines = (await queue.run(['postqueue', '-p'])).stdout.split('\n');
  assert.deepEqual(lines.slice(1, 6), [
    '7E5F61681FF     439 Sun Nov 22 09:28:08  carol@example.com',
    `${' '.repeat(76 - 'host not found'.length)}(host not found)`,
    `${' '.repeat(41)}friend2@other.test`,
    `${' '.repeat(76 - 'reason unavailable'.length)}(reason unavailable)`,
    `${' '.repeat(41)}friend@other.test`,
  ]);
});

test('long queue ids use the wider columns; a force-expired message gets "#"', async () => {
  const queue = await createQueueHost({ mainCf: 'compatibility_level = 3.6\nenable_long_queue_ids = yes\nmaillog_file = /var/log/maillog\n' });
  const hold = referenceMessages[2]!;
  await queue.writeMessage('hold', '4fGm5m0Y2Hz6Wh', hold.input, 0o710);
  const result = await queue.run(['postqueue', '-p']);
  assert.equal(result.stdout, [
    '----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------',
    '4fGm5m0Y2Hz6Wh!#       290 Sun Nov 22 09:28:08 alice@example.com',
    `${' '.repeat(47)}someone@remote.test`,
    '', '-- 0 Kbytes in 1 Request.', '',
  ].join('\n'));
  assert.match((await queue.run(['postqueue', '-j'])).stdout, /"queue_name": "hold", "queue_id": "4fGm5m0Y2Hz6Wh", .*"forced_expire": true/);
});

test('done recipients are not listed; the null sender shows as MAILER-DAEMON', async () => {
  const queue = await createQueueHost();
  const deferred = referenceMessages[0]!;
  const input = { ...deferred.input, envelope: deferred.input.envelope.map((entry) => entry.kind === 'sender' ? { ...entry, address: '' } : entry) };
  const path = await queue.writeMessage('incoming', deferred.id, input);
  const { readQueueFile, markRecipientDone } = await import('../../../engine/global/queue/queue-file.ts');
  const handle = await queue.platform.fs.open(path, 'r+');
  const file = await readQueueFile(handle, path);
  await markRecipientDone(handle, file.recipients[0]!.offset);
  await handle.close();
  const json = (await queue.run(['postqueue', '-j'])).stdout;
  assert.match(json, /"queue_name": "incoming", .*"sender": "MAILER-DAEMON", "recipients": \[\{"address": "friend2@other.test"\}\]\}\n$/);
});

test('an unfinished queue file (no owner execute bit) is not listed', async () => {
  const queue = await createQueueHost();
  const deferred = referenceMessages[0]!;
  await queue.writeMessage('incoming', deferred.id, deferred.input, 0o600);
  assert.equal((await queue.run(['postqueue', '-p'])).stdout, 'Mail queue is empty\n');
});

test('usage errors, bad ids and bad sites exit 69 with Postfix\'s words', async () => {
  const queue = await createQueueHost();
  const usage = 'postqueue: fatal: usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | postqueue -s site\n';
  const cases: Array<[string[], string]> = [
    [['postqueue'], usage],
    [['postqueue', '-p', '-f'], usage],
    [['postqueue', '-p', 'extra'], usage],
    [['postqueue', '-x'], `postqueue: invalid option -- 'x'\n${usage}`],
    [['postqueue', '-s', 'bad!site'], 'postqueue: fatal: Cannot flush mail queue - invalid destination: "bad!site"\n'],
    [['postqueue', '-i', 'bad!'], 'postqueue: fatal: Cannot flush queue ID - invalid name: "bad!"\n'],
    [['postqueue', '-f'], 'postqueue: warning: unable to look up public/qmgr: No such file or directory\npostqueue: fatal: Cannot flush mail queue - mail system is down\n'],
    [['postqueue', '-s', 'example.com'], 'postqueue: fatal: Flush service is not configured for destination "example.com"\n'],
    [['postqueue', '-i', 'ABCDEF123'], 'postqueue: warning: connect to public/flush: No such file or directory\npostqueue: fatal: Cannot flush mail queue - mail system is down\n'],
  ];
  for (const [argv, stderr] of cases) {
    const result = await queue.run(argv);
    assert.equal(result.stderr, stderr, argv.join(' '));
    assert.equal(result.exitCode, 69, argv.join(' '));
  }
});

test('a user other than root cannot list the queue while the mail system is down', async () => {
  const queue = await createQueueHost();
  const result = await queue.run(['postqueue', '-p'], { user: 'alice' });
  assert.equal(result.exitCode, 69);
  assert.equal(result.stderr, 'postqueue: fatal: Queue report unavailable - mail system is down (Connect to the Postfix showq service: No such file or directory)\n');
});

test('mailq with a recipient: sendmail\'s complaint and EX_TEMPFAIL', async () => {
  const queue = await createQueueHost();
  const result = await queue.run(['mailq', 'foo']);
  assert.equal(result.stderr, 'mailq: fatal: display queue mode requires no recipient\n');
  assert.equal(result.exitCode, 75);
});
