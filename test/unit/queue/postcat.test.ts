// postcat against the real Postfix's output in reference/postfix-3.7/commands/postcat-*.txt:
// the reference queue files are rebuilt with mtalab's writer on a sim host and shown with
// mtalab's postcat; every byte of stdout, the diagnostics and exit statuses must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform, Scheduler } from '../../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { postcatMain } from '../../../engine/admin/postcat.ts';
import { runCommand } from '../../../engine/admin/run.ts';
import { BufferedInput, CapturedOutput } from '../../../engine/admin/stdio.ts';
import { encodeRecord, RecordType, pointerPayload } from '../../../engine/global/queue/record.ts';
import { referenceMessages, referenceSections, writeFixture, REFERENCE_SECONDS } from './fixtures.ts';

const SPOOL = '/var/spool/postfix';

async function referenceHost(): Promise<Host> {
  const platform = createSimPlatform({ hostName: 'mail', seed: 3, scheduler: new Scheduler({ startMs: REFERENCE_SECONDS * 1000 }) });
  await platform.fs.mkdir('/etc/postfix', { recursive: true });
  await platform.fs.writeFile('/etc/postfix/main.cf', `queue_directory = ${SPOOL}\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n`);
  for (const message of referenceMessages) {
    const directory = message.queueName === 'deferred' ? `${SPOOL}/deferred/${message.id[0]}` : `${SPOOL}/${message.queueName}`;
    await platform.fs.mkdir(directory, { recursive: true });
    await writeFixture(platform.fs, `${directory}/${message.id}`, message.input);
  }
  return createHost({ name: 'mail', platform });
}

async function postcat(host: Host, args: string[], input: Uint8Array | string = '') {
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const status = await runCommand({ argv: ['postcat', ...args], stdin: new BufferedInput(input), stdout, stderr, env: new Map(), cwd: '/', host });
  return { stdout: stdout.text(), stderr: stderr.text(), status };
}

for (const message of referenceMessages) {
  test(`postcat -q ${message.id} (${message.queueName}) equals ${message.referenceFile}`, async () => {
    const host = await referenceHost();
    const reference = referenceSections(message.referenceFile);
    const result = await postcat(host, ['-c', '/etc/postfix', '-q', message.id]);
    assert.equal(result.stdout, reference.output[0]);
    assert.equal(result.stderr, '');
    assert.equal(result.status, reference.exitStatus);
  });
}

test('postcat -hq, -bq, -eq and -oq equal postcat-hq-bq-eq.txt', async () => {
  const host = await referenceHost();
  const reference = referenceSections('postcat-hq-bq-eq.txt');
  const flags = ['-hq', '-bq', '-eq', '-oq'];
  for (const [index, flag] of flags.entries()) {
    const result = await postcat(host, ['-c', '/etc/postfix', flag, '7E5F61681FF']);
    assert.equal(result.stdout, reference.output[index], flag);
    assert.equal(result.status, 0);
  }
});

test('postcat -vq shows every record by name, as postcat-vq-deferred.txt', async () => {
  const host = await referenceHost();
  const reference = referenceSections('postcat-vq-deferred.txt');
  const stdoutLines = (reference.output[0] ?? '').split('\n').filter((line) => !line.startsWith('postcat: ')).join('\n');
  const result = await postcat(host, ['-c', '/etc/postfix', '-vq', '7E5F61681FF']);
  assert.equal(result.stdout, stdoutLines);
  assert.match(result.stderr, /^postcat: name_mask: ipv4\n/);
});

test('a missing id: the real message and exit status', async () => {
  const host = await referenceHost();
  const reference = referenceSections('postcat-q-missing.txt');
  const result = await postcat(host, ['-c', '/etc/postfix', '-q', 'ABCDEF12345']);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, reference.output[0]);
  assert.equal(result.status, reference.exitStatus);
  const bad = await postcat(host, ['-c', '/etc/postfix', '-q', 'bad-id']);
  assert.equal(bad.stderr, 'postcat: fatal: bad mail queue ID: bad-id\n');
  assert.equal(bad.status, 1);
});

test('a defer log file is not a queue file', async () => {
  const host = await referenceHost();
  await host.platform.fs.mkdir(`${SPOOL}/defer/7`, { recursive: true });
  await host.platform.fs.writeFile(`${SPOOL}/defer/7/7E5F61681FF`, '\n<friend2@other.test>: connect to 127.0.0.1[127.0.0.1]:10099: Connection refused\n');
  const result = await postcat(host, ['-c', '/etc/postfix', `${SPOOL}/defer/7/7E5F61681FF`]);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `postcat: warning: ${SPOOL}/defer/7/7E5F61681FF: input is not a valid queue file\n`);
  assert.equal(result.status, 0);
});

test('stdin, -s and a truncated file', async () => {
  const host = await referenceHost();
  const bytes = await host.platform.fs.readFile(`${SPOOL}/hold/65E6116819D`);
  const whole = await postcat(host, ['-c', '/etc/postfix'], bytes);
  assert.equal(whole.stdout, referenceSections('postcat-q-hold.txt').output[0]?.replaceAll('hold/65E6116819D', 'stdin'));
  const skipped = await postcat(host, ['-c', '/etc/postfix', '-s', '97', '-e'], bytes);
  assert.match(skipped.stdout, /^message_arrival_time: Sun Nov 22 09:28:08 2026\n/);
  const short = await postcat(host, ['-c', '/etc/postfix', '-s', '99999'], bytes);
  assert.equal(short.stderr, `postcat: fatal: stdin: skip 99999 bytes failed after ${bytes.length}\n`);
  const cut = await postcat(host, ['-c', '/etc/postfix'], bytes.subarray(0, 120));
  assert.equal(cut.stderr, 'postcat: warning: stdin: unexpected EOF in data, record type 65 length 22\npostcat: fatal: record read error\n');
  assert.equal(cut.status, 1);
  assert.match(cut.stdout, /message_arrival_time/);
});

test('pointer records are followed, and shown with -v', async () => {
  const host = await referenceHost();
  const parts = [
    encodeRecord(RecordType.time, `${REFERENCE_SECONDS} 0`), encodeRecord(RecordType.sender, 'a@example.com'),
  ];
  const headLength = parts.reduce((sum, part) => sum + part.length, 0);
  const pointerLength = encodeRecord(RecordType.pointer, pointerPayload(0)).length;
  const tail = [encodeRecord(RecordType.messageContentStart, ''), encodeRecord(RecordType.normalText, 'Subject: x'), encodeRecord(RecordType.extractedStart, ''), encodeRecord(RecordType.end, '')];
  const tailLength = tail.reduce((sum, part) => sum + part.length, 0);
  const heapAt = headLength + pointerLength + tailLength;
  const heap = [encodeRecord(RecordType.recipient, 'b@example.com'), encodeRecord(RecordType.pointer, pointerPayload(headLength + pointerLength))];
  const all = [...parts, encodeRecord(RecordType.pointer, pointerPayload(heapAt)), ...tail, ...heap];
  const file = new Uint8Array(all.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of all) { file.set(part, at); at += part.length; }
  const plain = await postcat(host, ['-c', '/etc/postfix'], file);
  assert.equal(plain.stdout, '*** ENVELOPE RECORDS stdin ***\nmessage_arrival_time: Sun Nov 22 09:28:08 2026\nsender: a@example.com\nrecipient: b@example.com\n*** MESSAGE CONTENTS stdin ***\nSubject: x\n*** HEADER EXTRACTED stdin ***\n*** MESSAGE FILE END stdin ***\n');
  const verbose = await postcat(host, ['-c', '/etc/postfix', '-v'], file);
  assert.match(verbose.stdout, new RegExp(`pointer_record: +${heapAt}\\nrecipient: b@example.com\\npointer_record: +${headLength + pointerLength}\\n`));
});

test('usage errors as getopt and postcat print them', async () => {
  const host = await referenceHost();
  const result = await postcat(host, ['-x']);
  assert.equal(result.stderr, "postcat: invalid option -- 'x'\npostcat: fatal: usage: postcat [-b (body text)] [-c config_dir] [-d (decimal record type)] [-e (envelope records)] [-h (header text)] [-q (access queue)] [-v] [file(s)...]\n");
  assert.equal(result.status, 1);
  const offset = await postcat(host, ['-s', '1x']);
  assert.equal(offset.stderr, 'postcat: fatal: bad offset: 1x\n');
  void postcatMain;
});
