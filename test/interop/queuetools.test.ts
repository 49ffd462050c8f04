// Interop: a queue directory written by mtalab's queue library (on the real disk, through
// the node platform) is read by the REAL postqueue, qshape and postsuper 3.7.11 and by
// mtalab's, with the mail system down (root reads the queue directly). postqueue -p/-j
// and qshape must print the same bytes (qshape: domains with equal counts and equal name
// lengths may come in either order, as Perl's hash order decides); postsuper runs on two
// copies of the queue and must leave the same files (paths and modes), say the same on
// stderr and log the same maillog lines. Prints "queuetools: N/M equal".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, readdirSync, statSync, cpSync, chownSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { hasRealCommand, runReal, runMtalab, makeTemporaryDirectory, removeTemporaryDirectory, ageFiles } from './real-postfix.ts';
import { writeQueueFile, commitQueueFile, markRecipientDone, readQueueFile, type QueueFileInput } from '../../engine/global/queue/queue-file.ts';
import { queuePathOf, DEFAULT_QUEUE_HASHING } from '../../engine/global/queue/queue-id.ts';
import { formatRecipientLogEntry } from '../../engine/global/dsn/recipient-log.ts';
import { createNodePlatform } from '../../engine/platform/node/index.ts';
import { referenceMessages } from '../unit/queue/fixtures.ts';

const QUEUE_NAMES = ['maildrop', 'incoming', 'active', 'deferred', 'hold', 'defer', 'bounce', 'trace', 'flush', 'corrupt', 'saved', 'pid', 'public', 'private'];
const REFUSED = 'connect to 127.0.0.1[127.0.0.1]:10099: Connection refused';
const platform = createNodePlatform({ seed: 1 });
const nowSeconds = Math.floor(Date.now() / 1000);

interface Message { queueName: string; id: string; input: QueueFileInput; mode?: number; done?: number[]; deferLog?: Array<[string, string]> }

function variant(base: QueueFileInput, ageSeconds: number, sender: string, recipients: string[]): QueueFileInput {
  return {
    ...base,
    arrivalTime: { seconds: nowSeconds - ageSeconds, microseconds: 0 },
    envelope: [{ kind: 'sender', address: sender }],
    recipients: recipients.map((address) => ({ address })),
  };
}

function messages(): Message[] {
  const [deferred, active, hold] = referenceMessages;
  const base = deferred!.input;
  const list: Message[] = [
    { queueName: 'active', id: active!.id, input: active!.input },
    { queueName: 'deferred', id: deferred!.id, input: deferred!.input, deferLog: [['friend2@other.test', REFUSED], ['friend@other.test', REFUSED]] },
    { queueName: 'hold', id: hold!.id, input: hold!.input, deferLog: [['someone@remote.test', REFUSED]] },
    { queueName: 'deferred', id: 'A1B2C3D4E5', input: variant(base, 30, '', ['x@a.dest.test', 'john doe@b.dest.test', 'y@A.DEST.TEST']), done: [0],
      deferLog: [['"john doe"@b.dest.test', 'lost connection with 127.0.0.1[127.0.0.1] while receiving the initial server greeting']] },
    { queueName: 'deferred', id: 'B2C3D4E5F6', input: variant(base, 7 * 60, 'alice@example.com', ['p@c.dest.test', 'q@d.dest.test', 'r@e.dest.test', 's@f.dest.test', 't@g.dest.test']), mode: 0o710 },
    { queueName: 'incoming', id: 'C3D4E5F6A7', input: variant(base, 25 * 60, 'bob@example.com', ['u@h.dest.test']) },
    { queueName: 'incoming', id: 'D4E5F6A7B8', input: variant(base, 60, 'bob@example.com', ['v@h.dest.test']), mode: 0o600 },
    { queueName: 'maildrop', id: 'E5F6A7B8C9', input: variant(base, 3 * 3600, 'carol@example.com', ['w@i.dest.test']), mode: 0o744 },
    { queueName: 'hold', id: 'F6A7B8C9D0', input: variant(base, 2 * 86400, 'carol@example.com', ['z@slow.test', 'zz@slow.test']),
      deferLog: [['z@slow.test', 'host not found']] },
    { queueName: 'deferred', id: '4fGm5m0Y2Hz6Wh', input: variant(base, 90, 'dave@example.com', ['long@ids.test']) },
  ];
  return list;
}

async function buildQueue(queueDirectory: string): Promise<void> {
  for (const name of QUEUE_NAMES) mkdirSync(join(queueDirectory, name), { recursive: true, mode: 0o700 });
  for (const message of messages()) {
    const path = join(queueDirectory, queuePathOf(message.queueName, message.id, DEFAULT_QUEUE_HASHING));
    mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true, mode: 0o700 });
    const handle = await platform.fs.open(path, 'wx', 0o600);
    await writeQueueFile(handle, message.input);
    await commitQueueFile(platform.fs, path, handle, message.mode ?? 0o700);
    await handle.close();
    if (message.done !== undefined) {
      const update = await platform.fs.open(path, 'r+');
      const file = await readQueueFile(update, path);
      for (const index of message.done) await markRecipientDone(update, file.recipients[index]!.offset);
      await update.close();
    }
    if (message.deferLog !== undefined) {
      const logPath = join(queueDirectory, queuePathOf('defer', message.id, DEFAULT_QUEUE_HASHING));
      mkdirSync(logPath.slice(0, logPath.lastIndexOf('/')), { recursive: true, mode: 0o700 });
      writeFileSync(logPath, message.deferLog.map(([recipient, reason]) => formatRecipientLogEntry({
        recipient, offset: 0, dsnNotify: 0, status: '4.4.1', action: 'delayed', reason,
      })).join(''));
    }
  }
}

/** A configuration directory (and maillog) for one side. */
function configure(root: string, name: string, queueDirectory: string, extra = ''): string {
  const directory = join(root, name);
  mkdirSync(directory, { recursive: true });
  const maillog = join(root, `${name}.maillog`);
  writeFileSync(maillog, '');
  chownSync(maillog, postfixUid(), 0);
  writeFileSync(join(directory, 'main.cf'), `compatibility_level = 3.6\nqueue_directory = ${queueDirectory}\nmaillog_file = ${maillog}\nmaillog_file_prefixes = ${root}\n${extra}`);
  writeFileSync(join(directory, 'master.cf'), '');
  ageFiles(directory);
  return directory;
}

function postfixUid(): number {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postfix:'));
  return Number(line?.split(':')[2] ?? 0);
}

function chownTree(path: string, uid: number): void {
  chownSync(path, uid, 0);
  if (!statSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), uid);
}

/** Every file below the queue directory with its permission bits. */
function tree(root: string, relative = ''): string[] {
  const entries: string[] = [];
  for (const name of readdirSync(join(root, relative)).sort()) {
    const path = join(relative, name);
    const stat = statSync(join(root, path));
    if (stat.isDirectory()) entries.push(...tree(root, path));
    else entries.push(`${path} ${(stat.mode & 0o7777).toString(8)}`);
  }
  return entries;
}

/** Postfix lists a queue in readdir order, mtalab in sorted order (CONVENTIONS rule 10):
 *  compare the messages as a set (mailq blocks are separated by blank lines). */
function canonicalListing(result: { stdout: string; stderr: string; status: number }): unknown {
  const blocks = result.stdout.startsWith('{') ? result.stdout.split('\n') : result.stdout.split('\n\n');
  const head = blocks.length > 1 && !result.stdout.startsWith('{') ? [blocks.shift(), blocks.pop()] : [];
  return { ...result, stdout: { head, blocks: blocks.sort() } };
}

/** qshape's table with equal-count, equal-length domains in one order. */
function canonicalTable(text: string): string {
  const lines = text.split('\n');
  const head = lines.slice(0, 2);
  const rows = lines.slice(2).filter((line) => line !== '').sort();
  return [...head, ...rows].join('\n');
}

const maillogLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((line) => line !== '')
  .map((line) => line.replace(/^.*? postfix\//, 'postfix/').replace(/\[\d+\]/, '[PID]'));

const REAL_ENV = { TZ: 'UTC' };
let equal = 0;
let total = 0;
const failures: string[] = [];
function compare(label: string, mtalab: unknown, real: unknown): void {
  total++;
  try {
    assert.deepEqual(mtalab, real);
    equal++;
  } catch {
    failures.push(`${label}\n--- mtalab\n${JSON.stringify(mtalab, null, 1)}\n--- real\n${JSON.stringify(real, null, 1)}`);
  }
}

test('the real postqueue, qshape and postsuper agree with mtalab\'s on an mtalab-written queue', async () => {
  if (!hasRealCommand('postqueue') || !hasRealCommand('postsuper') || !hasRealCommand('qshape')) return;
  const root = makeTemporaryDirectory('mtalab-queuetools-');
  // postsuper logs as mail_owner (after set_ugid): it must reach the maillog files.
  chmodSync(root, 0o755);
  try {
    const queueDirectory = join(root, 'queue');
    await buildQueue(queueDirectory);
    chownTree(queueDirectory, postfixUid());
    const etc = configure(root, 'etc', queueDirectory);
    const etcLong = configure(root, 'etc-long', queueDirectory, 'enable_long_queue_ids = yes\n');
    for (const [directory, flag] of [[etc, '-p'], [etc, '-j'], [etcLong, '-p'], [etcLong, '-j']] as const) {
      const real = runReal(['postqueue', '-c', directory, flag], { env: REAL_ENV });
      const ours = await runMtalab(['postqueue', '-c', directory, flag]);
      compare(`postqueue ${flag} (${directory})`, canonicalListing(ours), canonicalListing(real));
    }
    for (const argv of [[], ['deferred'], ['-s', 'deferred'], ['-b', '4', '-t', '10', 'deferred', 'active', 'hold'], ['-p', 'deferred', 'active', 'hold', 'incoming', 'maildrop'],
      ['-p', '-m', '2', 'deferred', 'hold'], ['-l', '-b', '5', 'deferred', 'hold', 'maildrop'], ['-t', '1', '-b', '6', 'deferred', 'incoming'], ['-w', '100', 'deferred'], ['-s', 'hold', 'incoming', 'maildrop'], ['bogus']]) {
      const real = runReal(['qshape', '-c', etc, ...argv], { env: REAL_ENV });
      const ours = await runMtalab(['qshape', '-c', etc, ...argv]);
      compare(`qshape ${argv.join(' ')}`, { ...ours, stdout: canonicalTable(ours.stdout) }, { ...real, stdout: canonicalTable(real.stdout) });
    }
    const postsuperRuns: Array<{ argv: string[]; input?: string }> = [
      { argv: ['-d', '7E5F61681FF'] }, { argv: ['-d', 'ALL'] }, { argv: ['-d', 'ALL', 'deferred'] }, { argv: ['-d', 'bad!'] },
      { argv: ['-d', 'NOSUCHID1234'] }, { argv: ['-h', 'A1B2C3D4E5'] }, { argv: ['-h', 'ALL'] }, { argv: ['-H', '65E6116819D'] },
      { argv: ['-H', 'ALL'] }, { argv: ['-r', '7E5F61681FF'] }, { argv: ['-r', 'ALL'] }, { argv: ['-r', 'ALL', 'deferred'] },
      { argv: ['-e', 'A1B2C3D4E5'] }, { argv: ['-f', 'F6A7B8C9D0'] }, { argv: ['-f', 'ALL'] }, { argv: ['-e', 'ALL', 'hold'] },
      { argv: ['-d', '-'], input: 'A1B2C3D4E5\nbad!\n\nB2C3D4E5F6\n' }, { argv: ['-h', 'C3D4E5F6A7', '-H', 'ALL', '-d', '65E6116819D'] },
      // Not -s or no option: the real postsuper then renames files whose names do not match
      // their inode numbers, which mtalab does not model (the files here are named freely).
      { argv: ['-d', 'ABCDEF', 'hold', 'bogusq'] }, { argv: ['-p'] }, { argv: ['-x'] },
      { argv: ['-d', 'E5F6A7B8C9', 'maildrop'] }, { argv: ['-h', 'E5F6A7B8C9'] }, { argv: ['-r', '4fGm5m0Y2Hz6Wh', 'deferred'] },
    ];
    for (const [index, run] of postsuperRuns.entries()) {
      const sides = ['real', 'mtalab'].map((side) => {
        const queue = join(root, `${side}-${index}`);
        cpSync(queueDirectory, queue, { recursive: true, preserveTimestamps: true });
        chownTree(queue, postfixUid());
        return { queue, etc: configure(root, `etc-${side}-${index}`, queue) };
      });
      const [realSide, ourSide] = sides as [{ queue: string; etc: string }, { queue: string; etc: string }];
      const real = runReal(['postsuper', '-c', realSide.etc, ...run.argv], { input: run.input, env: REAL_ENV });
      const ours = await runMtalab(['postsuper', '-c', ourSide.etc, ...run.argv], { input: run.input });
      compare(`postsuper ${run.argv.join(' ')}`, {
        status: ours.status, stderr: ours.stderr, tree: tree(ourSide.queue), maillog: maillogLines(`${ourSide.etc}.maillog`),
      }, {
        status: real.status, stderr: real.stderr, tree: tree(realSide.queue), maillog: maillogLines(`${realSide.etc}.maillog`),
      });
    }
    assert.ok(existsSync(queueDirectory));
  } finally {
    removeTemporaryDirectory(root);
  }
  console.log(`queuetools: ${equal}/${total} equal`);
  for (const failure of failures) console.log(failure.split("\n")[0]);
  assert.deepEqual(failures, []);
});
