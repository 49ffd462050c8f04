// postsuper: delete, hold, release and requeue on the reference queue, with the terminal
// lines and maillog lines of commands/postsuper-d.txt, logs/l-hold-queue.log and
// logs/m-postsuper-requeue.log, and the postqueue -p listings those logs show in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createQueueHost, writeMixedQueue, referenceMessages, REFERENCE_DIRECTORY, BASE_MAIN_CF, type QueueHost,
} from './fixtures.ts';

const MAIN_CF = `${BASE_MAIN_CF}syslog_name = postfix-ref1\n`;

/** The lines of a reference log after `marker`, up to the next "###" line. */
function logBlock(file: string, marker: string): string {
  const lines = readFileSync(`${REFERENCE_DIRECTORY}/logs/${file}`, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(marker));
  assert.ok(start >= 0, marker);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('###'));
  return lines.slice(start + 1, end < 0 ? undefined : end).map((line) => `${line}\n`).join('');
}

/** Maillog lines of one program without the time stamp, with pids as [PID]. */
async function maillog(queue: QueueHost, program: string): Promise<string[]> {
  const text = new TextDecoder().decode(await queue.platform.fs.readFile('/var/log/maillog'));
  return text.split('\n').filter((line) => line.includes(`/${program}[`))
    .map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d /, '').replace(/\[\d+\]/, '[PID]'));
}

const referenceLog = (file: string, program: string): string[] =>
  logBlock(file, '### maillog').split('\n').filter((line) => line.includes(`/${program}[`))
    .map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d /, '').replace(/\[\d+\]/, '[PID]'));

test('postsuper -d: commands/postsuper-d.txt, terminal and maillog', async () => {
  const queue = await createQueueHost({ mainCf: MAIN_CF });
  const [deferred, active] = referenceMessages;
  await queue.writeMessage('deferred', '0BFD9168039', deferred!.input);
  await queue.writeDeferLog('0BFD9168039', [{ recipient: 'friend@other.test', reason: 'x' }]);
  await queue.writeMessage('deferred', '0C6AF168042', active!.input);
  const steps: Array<[string[], string]> = [
    [['postsuper', '-c', '/etc/postfix', '-d', '0BFD9168039'], 'postsuper: 0BFD9168039: removed\npostsuper: Deleted: 1 message\n'],
    [['postsuper', '-c', '/etc/postfix', '-d', 'ALL', 'deferred'], 'postsuper: Deleted: 1 message\n'],
    [['postsuper', '-c', '/etc/postfix', '-d', 'NOSUCHID1234'], 'postsuper: Deleted: 0 messages\n'],
    [['postsuper', '-c', '/etc/postfix', '-d', 'bad_id!'], 'postsuper: warning: invalid mail queue id: bad_id!\npostsuper: Deleted: 0 messages\n'],
  ];
  for (const [argv, stderr] of steps) {
    const result = await queue.run(argv);
    assert.equal(result.stderr, stderr, argv.join(' '));
    assert.equal(result.exitCode, 0);
  }
  assert.equal(await queue.exists(queue.path('defer', '0BFD9168039')), false);
  assert.equal(await queue.exists(queue.path('deferred', '0C6AF168042')), false);
  const reference = readFileSync(`${REFERENCE_DIRECTORY}/commands/postsuper-d.txt`, 'utf8').split('\n')
    .filter((line) => line.includes('postfix-ref1/postsuper['))
    .map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d /, '').replace(/\[\d+\]/, '[PID]'));
  assert.deepEqual(await maillog(queue, 'postsuper'), reference);
  const action = queue.events.find((event) => event.kind === 'postsuper.action');
  assert.equal(action?.queueId, '0BFD9168039');
});

test('postsuper -h / -H: logs/l, with the listings before, on hold and after release', async () => {
  const queue = await createQueueHost({ mainCf: MAIN_CF });
  const [deferred, active, hold] = referenceMessages;
  await writeMixedQueue(queue, 'deferred');
  await queue.platform.fs.unlink(queue.path('active', active!.id));
  assert.equal((await queue.run(['postqueue', '-p'])).stdout, logBlock('l-hold-queue.log', '### postqueue -p BEFORE hold:'));
  const held = await queue.run(['postsuper', '-c', '/etc/postfix', '-h', hold!.id]);
  assert.equal(held.stderr, logBlock('l-hold-queue.log', '### command output:'));
  await queue.writeMessage('active', active!.id, active!.input);
  assert.equal((await queue.run(['postqueue', '-p'])).stdout, logBlock('l-hold-queue.log', '### then a new message'));
  const released = await queue.run(['postsuper', '-c', '/etc/postfix', '-H', hold!.id]);
  assert.equal(released.stderr, 'postsuper: 65E6116819D: released from hold\npostsuper: Released from hold: 1 message\n');
  assert.equal((await queue.run(['postqueue', '-p'])).stdout, logBlock('l-hold-queue.log', '### postqueue -p after release:'));
  assert.deepEqual(await maillog(queue, 'postsuper'), referenceLog('l-hold-queue.log', 'postsuper'));
  assert.ok(await queue.exists(queue.path('deferred', deferred!.id)));
});

test('postsuper -r ID and -r ALL deferred: logs/m, files to maildrop with their logs kept', async () => {
  const queue = await createQueueHost({ mainCf: MAIN_CF });
  const [deferred, , hold] = referenceMessages;
  await writeMixedQueue(queue, 'deferred');
  let output = (await queue.run(['postqueue', '-p'])).stdout;
  output += (await queue.run(['postsuper', '-c', '/etc/postfix', '-r', deferred!.id])).stderr;
  assert.ok(await queue.exists(`/var/spool/postfix/maildrop/${deferred!.id}`));
  output += (await queue.run(['postqueue', '-p'])).stdout;
  output += (await queue.run(['postsuper', '-c', '/etc/postfix', '-r', 'ALL', 'deferred'])).stderr;
  output += (await queue.run(['postqueue', '-p'])).stdout;
  assert.equal(output, logBlock('m-postsuper-requeue.log', '### command output:'));
  assert.ok(await queue.exists(`/var/spool/postfix/maildrop/${hold!.id}`));
  assert.ok(await queue.exists(queue.path('defer', hold!.id)));
  assert.deepEqual(await maillog(queue, 'postsuper'), referenceLog('m-postsuper-requeue.log', 'postsuper'));
});

test('summary lines in Postfix\'s order; ids from stdin; unknown queue names are fatal', async () => {
  const queue = await createQueueHost();
  const all = await queue.run(['postsuper', '-h', 'ALL', '-H', 'ALL', '-r', 'ALL', '-d', 'ALL']);
  assert.equal(all.stderr, 'postsuper: Requeued: 0 messages\npostsuper: Deleted: 0 messages\npostsuper: Placed on hold: 0 messages\npostsuper: Released from hold: 0 messages\n');
  const expire = await queue.run(['postsuper', '-e', 'ABCDEF', '-f', 'ABCDEF']);
  assert.equal(expire.stderr, 'postsuper: Force-expired: 0 messages\npostsuper: Released from hold: 0 messages\n');
  const stdin = await queue.run(['postsuper', '-d', '-'], { stdin: 'AAAAAA\nbad!\n\n' });
  assert.equal(stdin.stderr, 'postsuper: warning: invalid mail queue id: bad!\npostsuper: warning: invalid mail queue id: \npostsuper: Deleted: 0 messages\n');
  const bogus = await queue.run(['postsuper', '-d', 'ABCDEF', 'hold', 'bogusq']);
  assert.equal(bogus.stderr, 'postsuper: fatal: invalid directory name: bogusq\n');
  assert.equal(bogus.exitCode, 1);
  const relative = await queue.run(['postsuper', '-c', 'etc', '-d', 'A']);
  assert.equal(relative.stderr, 'postsuper: fatal: -c requires absolute pathname\n');
  const option = await queue.run(['postsuper', '-x']);
  assert.match(option.stderr, /^postsuper: invalid option -- 'x'\npostsuper: fatal: usage: postsuper \[-c config_dir\] /);
  const user = await queue.run(['postsuper', '-d', 'ALL'], { user: 'alice' });
  assert.equal(user.stderr, 'postsuper: fatal: use of this command is reserved for the superuser\n');
});

test('-d ALL counts ready messages only, and clears the defer logs of the default queues', async () => {
  const queue = await createQueueHost();
  await writeMixedQueue(queue);
  const [deferred] = referenceMessages;
  await queue.writeMessage('incoming', 'ABCDEF123', deferred!.input, 0o600);
  const result = await queue.run(['postsuper', '-d', 'ALL']);
  assert.equal(result.stderr, 'postsuper: Deleted: 3 messages\n');
  assert.equal(await queue.exists(queue.path('defer', deferred!.id)), false);
  assert.equal(await queue.exists(queue.path('incoming', 'ABCDEF123')), false);
});

test('-e marks a message force-expired (postqueue shows "#"); -f also releases it', async () => {
  const queue = await createQueueHost();
  await writeMixedQueue(queue);
  const [deferred, , hold] = referenceMessages;
  const expired = await queue.run(['postsuper', '-e', deferred!.id]);
  assert.equal(expired.stderr, `postsuper: ${deferred!.id}: expired\npostsuper: Force-expired: 1 message\n`);
  const both = await queue.run(['postsuper', '-f', hold!.id]);
  assert.equal(both.stderr, `postsuper: ${hold!.id}: expired\npostsuper: ${hold!.id}: released from hold\npostsuper: Force-expired: 1 message\npostsuper: Released from hold: 1 message\n`);
  const listing = (await queue.run(['postqueue', '-p'])).stdout;
  assert.match(listing, /^65E6116819D#     290 /m);
  assert.match(listing, /^7E5F61681FF#     439 /m);
});

test('-s moves a file to the hashed depth main.cf asks for', async () => {
  const queue = await createQueueHost();
  const [deferred] = referenceMessages;
  await queue.platform.fs.writeFile(`/var/spool/postfix/deferred/${deferred!.id}`, 'x');
  await queue.platform.fs.chmod(`/var/spool/postfix/deferred/${deferred!.id}`, 0o700);
  const result = await queue.run(['postsuper', '-s']);
  assert.equal(result.stderr, '');
  assert.ok(await queue.exists(queue.path('deferred', deferred!.id)));
  assert.equal(await queue.exists(`/var/spool/postfix/deferred/${deferred!.id}`), false);
});
