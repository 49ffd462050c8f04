// Interop: queue files written by mtalab's writer (enterQueueFile + writeQueueFile, on the
// real disk through the node platform) are read by the REAL postcat 3.7.11, by id
// (postcat -c DIR -q ID, with the queue directory hashed as main.cf says) and by file
// name, with every display flag. Its output must equal mtalab's postcat on the same file,
// byte for byte (stdout, stderr, exit status; for -v stdout and status, since its verbose
// diagnostics describe the machine's network). Prints "postcat: N/M equal".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, truncateSync, readFileSync } from 'node:fs';
import {
  hasRealCommand, runReal, runMtalab, makeTemporaryDirectory, removeTemporaryDirectory, ageFiles, realDiskHost,
} from './real-postfix.ts';
import { mailQueue, enterQueueFile, type MailQueue } from '../../engine/global/queue/mail-queue.ts';
import {
  writeQueueFile, commitQueueFile, markRecipientDone, splitContentLines, type QueueFileInput,
} from '../../engine/global/queue/queue-file.ts';
import { encodeRecord, pointerPayload, RecordType } from '../../engine/global/queue/record.ts';
import { referenceMessages, REFERENCE_SECONDS } from '../unit/queue/fixtures.ts';

const encoder = new TextEncoder();

interface Sample { name: string; queueName: string; longIds: boolean; input: QueueFileInput; doneRecipients?: number[] }

function baseInput(lines: string, overrides: Partial<QueueFileInput> = {}): QueueFileInput {
  return {
    arrivalTime: { seconds: REFERENCE_SECONDS, microseconds: 12 },
    createTimeSeconds: REFERENCE_SECONDS + 1,
    envelope: [{ kind: 'attribute', name: 'rewrite_context', value: 'local' }, { kind: 'fullName', value: 'Alice Example' }, { kind: 'sender', address: 'alice@example.com' }],
    recipients: [{ address: 'bob@example.com', dsnOriginalRecipient: 'rfc822;bob@example.com' }],
    contentLines: splitContentLines(encoder.encode(lines)),
    ...overrides,
  };
}

const samples: Sample[] = [
  ...referenceMessages.map((message) => ({ name: message.id, queueName: message.queueName, longIds: false, input: message.input })),
  { name: 'long-ids-deferred', queueName: 'deferred', longIds: true, input: baseInput('Subject: long ids\n\nbody\n') },
  { name: 'maildrop', queueName: 'maildrop', longIds: false, input: baseInput('Subject: dropped\n\nx\n') },
  { name: 'saved', queueName: 'saved', longIds: false, input: baseInput('Subject: saved\n\nx\n') },
  {
    name: 'long-lines', queueName: 'incoming', longIds: false,
    input: baseInput(`Subject: ${'s'.repeat(3000)}\nX-Folded: a\n\tb\n\n${'b'.repeat(4097)}\n${'c'.repeat(2048)}\nend`),
  },
  {
    name: 'eight-bit-and-nul', queueName: 'active', longIds: false,
    input: { ...baseInput(''), contentLines: [encoder.encode('Subject: caf\u00e9'), new Uint8Array(0), new Uint8Array([0x61, 0, 0x62, 0xff, 0x0d])] },
  },
  {
    name: 'done-and-dsn', queueName: 'deferred', longIds: false, doneRecipients: [0, 2],
    input: baseInput('Subject: many\n\nbody\n', {
      warningTimeSeconds: REFERENCE_SECONDS + 14400,
      recipients: [
        { address: 'one@example.com', dsnNotify: 6 }, { address: 'two@example.com', originalRecipient: 'two' },
        { address: 'three@example.com', dsnOriginalRecipient: 'rfc822;3@example.com', dsnNotify: 1 },
      ],
      extracted: [{ kind: 'attribute', name: 'encoding', value: '8bit' }, { kind: 'record', type: RecordType.returnReceipt, value: 'r@example.com' }],
      extractedRecipients: [{ address: 'bcc@example.com' }],
    }),
  },
  { name: 'body-without-header', queueName: 'hold', longIds: false, input: baseInput('no header here\n\tindented\nSubject: late\n') },
  { name: 'empty-content', queueName: 'incoming', longIds: true, input: baseInput('') },
  { name: 'big', queueName: 'deferred', longIds: false, input: baseInput(`Subject: big\n\n${'line of text\n'.repeat(20_000)}`) },
];

const displayFlags = [[], ['-h'], ['-b'], ['-e'], ['-o'], ['-d'], ['-be'], ['-ho'], ['-r'], ['-v']];

async function writeSample(queue: MailQueue, sample: Sample, pid: number): Promise<{ id: string; path: string }> {
  const host = realDiskHost();
  const entered = await enterQueueFile(queue, { queueName: sample.queueName, clock: host.platform.clock, random: host.platform.random, pid, longQueueIds: sample.longIds });
  const layout = await writeQueueFile(entered.handle, sample.input);
  await commitQueueFile(queue.fs, entered.path, entered.handle);
  await entered.handle.close();
  if (sample.doneRecipients !== undefined) {
    const handle = await queue.fs.open(entered.path, 'r+');
    for (const index of sample.doneRecipients) await markRecipientDone(handle, layout.recipientOffsets[index]!);
    await handle.close();
  }
  return { id: entered.id, path: entered.path };
}

/** A file with pointer records, as cleanup leaves them when milters edit a message. */
function pointerFile(): Uint8Array {
  const head = [encodeRecord(RecordType.time, `${REFERENCE_SECONDS} 5`), encodeRecord(RecordType.sender, 'p@example.com')];
  const headLength = head.reduce((sum, part) => sum + part.length, 0);
  const pointerLength = encodeRecord(RecordType.pointer, pointerPayload(0)).length;
  const tail = [encodeRecord(RecordType.messageContentStart, ''), encodeRecord(RecordType.normalText, 'Subject: p'), encodeRecord(RecordType.padding, '000'), encodeRecord(RecordType.extractedStart, ''), encodeRecord(RecordType.end, '')];
  const tailLength = tail.reduce((sum, part) => sum + part.length, 0);
  const heap = [encodeRecord(RecordType.recipient, 'moved@example.com'), encodeRecord(RecordType.pointer, pointerPayload(headLength + pointerLength))];
  const all = [...head, encodeRecord(RecordType.pointer, pointerPayload(headLength + pointerLength + tailLength)), ...tail, ...heap];
  const bytes = new Uint8Array(all.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of all) { bytes.set(part, at); at += part.length; }
  return bytes;
}

test('the real postcat reads mtalab queue files as mtalab postcat does', { skip: !hasRealCommand('postcat') }, async () => {
  const root = makeTemporaryDirectory('mtalab-queue-');
  try {
    const layouts = [{ name: 'depth1', extra: '' }, { name: 'depth2', extra: 'hash_queue_depth = 2\nhash_queue_names = deferred, defer, hold\n' }];
    const cases: Array<{ label: string; argv: string[]; verbose: boolean }> = [];
    for (const [layoutIndex, layout] of layouts.entries()) {
      const etc = `${root}/${layout.name}/etc`;
      const spool = `${root}/${layout.name}/spool`;
      mkdirSync(etc, { recursive: true });
      for (const name of ['maildrop', 'incoming', 'active', 'deferred', 'hold', 'saved']) mkdirSync(`${spool}/${name}`, { recursive: true });
      writeFileSync(`${etc}/main.cf`, `queue_directory = ${spool}\ncompatibility_level = 3.6\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n${layout.extra}`);
      ageFiles(etc);
      const hashing = layout.name === 'depth2'
        ? { hashQueueNames: ['deferred', 'defer', 'hold'], hashQueueDepth: 2 }
        : { hashQueueNames: ['deferred', 'defer'], hashQueueDepth: 1 };
      const queue = mailQueue(realDiskHost().platform.fs, spool, hashing);
      for (const [index, sample] of samples.entries()) {
        const { id, path } = await writeSample(queue, sample, 1000 + layoutIndex * 100 + index);
        for (const flags of displayFlags) {
          cases.push({ label: `${layout.name} ${sample.name} ${flags.join('')}q`, argv: ['-c', etc, ...flags, '-q', id], verbose: flags.includes('-v') });
        }
        if (layoutIndex === 0) cases.push({ label: `file ${sample.name}`, argv: ['-c', etc, path], verbose: false });
      }
      cases.push({ label: `${layout.name} missing id`, argv: ['-c', etc, '-q', 'ABCDEF12345'], verbose: false });
      cases.push({ label: `${layout.name} bad id`, argv: ['-c', etc, '-q', 'no/such'], verbose: false });
    }
    const etc = `${root}/depth1/etc`;
    const damaged = `${root}/damaged`;
    mkdirSync(damaged);
    const pointer = `${damaged}/pointer`;
    writeFileSync(pointer, pointerFile());
    for (const flags of [[], ['-v'], ['-r'], ['-o'], ['-vr']]) cases.push({ label: `pointer ${flags.join('')}`, argv: ['-c', etc, ...flags, pointer], verbose: flags.some((flag) => flag.includes('v')) });
    const source = readFileSync(`${root}/depth1/spool/active/${(await findName(`${root}/depth1/spool/active`))}`);
    for (const cut of [1, 99, 120, 300, source.length - 1]) {
      const path = `${damaged}/cut-${cut}`;
      writeFileSync(path, source);
      truncateSync(path, cut);
      cases.push({ label: `truncated at ${cut}`, argv: ['-c', etc, path], verbose: false });
    }
    const notQueue = `${damaged}/defer-log`;
    writeFileSync(notQueue, '\n<friend@other.test>: connect to 127.0.0.1[127.0.0.1]:10099: Connection refused\nrecipient=friend@other.test\n');
    cases.push({ label: 'defer log', argv: ['-c', etc, notQueue], verbose: false });
    const empty = `${damaged}/empty`;
    writeFileSync(empty, '');
    cases.push({ label: 'empty file', argv: ['-c', etc, empty], verbose: false });
    cases.push({ label: 'missing file', argv: ['-c', etc, `${damaged}/nonexistent`], verbose: false });
    cases.push({ label: 'bad offset', argv: ['-c', etc, '-s', 'x1', pointer], verbose: false });
    cases.push({ label: 'offset 97', argv: ['-c', etc, '-s', '97', `${damaged}/cut-300`], verbose: false });

    let equal = 0;
    const differences: string[] = [];
    for (const entry of cases) {
      const real = runReal(['postcat', ...entry.argv], { env: { TZ: 'UTC' } });
      const mine = await runMtalab(['postcat', ...entry.argv]);
      const same = real.stdout === mine.stdout && real.status === mine.status && (entry.verbose || real.stderr === mine.stderr);
      if (same) equal++;
      else differences.push(`${entry.label}: status ${real.status}/${mine.status}\n--- real stderr: ${real.stderr}--- mtalab stderr: ${mine.stderr}--- real stdout (first 400): ${real.stdout.slice(0, 400)}\n--- mtalab stdout (first 400): ${mine.stdout.slice(0, 400)}`);
    }
    console.log(`postcat: ${equal}/${cases.length} equal`);
    for (const difference of differences.slice(0, 5)) console.log(difference);
    assert.equal(equal, cases.length, differences.slice(0, 3).join('\n'));
  } finally {
    removeTemporaryDirectory(root);
  }
});

async function findName(directory: string): Promise<string> {
  const names = await realDiskHost().platform.fs.readdir(directory);
  const name = names[0];
  if (name === undefined) throw new Error(`no file in ${directory}`);
  return name;
}
