// qshape: the reference queue (commands/qshape-*.txt) and the bounded load of
// qshape-load.txt (3 rounds of 10 messages, 70 s apart), rebuilt as queue files whose
// arrival time records carry the ages; the tables must match, except that domains with
// equal counts and equal name lengths may come in another order (Perl's hash order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createQueueHost, writeMixedQueue, referenceMessages, REFERENCE_DIRECTORY, REFERENCE_SECONDS, type QueueHost } from './fixtures.ts';
import type { QueueFileInput } from '../../../engine/global/queue/queue-file.ts';

/** The output sections of a reference file, keyed by the command after "qshape -c DIR". */
function referenceTables(name: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of readFileSync(`${REFERENCE_DIRECTORY}/commands/${name}`, 'utf8').split('\n')) {
    const command = /^\$ qshape -c \S+ ?(.*)$/.exec(line);
    if (command) { current = []; tables.set(command[1] ?? '', current); continue; }
    if (line.startsWith('$ ') || line.startsWith('[exit') || line.startsWith('#')) { current = undefined; continue; }
    if (line !== '') current?.push(line);
  }
  return tables;
}

/** Header and TOTAL lines equal; domain lines equal as a set, counts non-increasing. */
function assertSameTable(actual: string, expected: string[], label: string): void {
  const lines = actual.split('\n').filter((line) => line !== '');
  assert.deepEqual(lines.slice(0, 2), expected.slice(0, 2), label);
  assert.deepEqual([...lines.slice(2)].sort(), [...expected.slice(2)].sort(), label);
  const totals = lines.slice(2).map((line) => Number(line.trim().split(/\s+/)[1]));
  assert.deepEqual(totals, [...totals].sort((a, b) => b - a), label);
}

test('qshape on the reference queue: default queues, deferred, -s, -b/-t, several queues', async () => {
  const queue = await createQueueHost({ offsetSeconds: 60 });
  await writeMixedQueue(queue);
  const tables = new Map([
    ...referenceTables('qshape-all.txt'), ...referenceTables('qshape-deferred.txt'),
    ...referenceTables('qshape-s-deferred.txt'), ...referenceTables('qshape-b4-t10.txt'),
    ...referenceTables('qshape-hold-active-incoming.txt'),
  ]);
  assert.equal(tables.size, 5);
  for (const [argumentsText, expected] of tables) {
    const argv = ['qshape', '-c', '/etc/postfix', ...argumentsText.split(' ').filter((word) => word !== '')];
    const result = await queue.run(argv);
    assert.equal(result.exitCode, 0, argumentsText);
    assert.equal(result.stderr, '', argumentsText);
    assertSameTable(result.stdout, expected, argumentsText);
  }
});

async function writeLoad(queue: QueueHost): Promise<void> {
  const base = referenceMessages[0]!.input;
  for (let round = 0; round < 3; round++) {
    for (let number = 1; number <= 10; number++) {
      const input: QueueFileInput = {
        ...base,
        arrivalTime: { seconds: REFERENCE_SECONDS + round * 70, microseconds: number },
        envelope: [{ kind: 'sender', address: 'alice@example.com' }],
        recipients: [{ address: `rcpt${number}@dest${number % 3}.test` }],
      };
      await queue.writeMessage('deferred', `${round + 1}${String(number).padStart(4, '0')}AB`, input);
    }
  }
}

test('qshape on the bounded load: qshape-load.txt, every variant', async () => {
  const queue = await createQueueHost({ offsetSeconds: 150 });
  await writeLoad(queue);
  const tables = referenceTables('qshape-load.txt');
  assert.equal(tables.size, 6);
  for (const [argumentsText, expected] of tables) {
    const result = await queue.run(['qshape', '-c', '/etc/postfix', ...argumentsText.split(' ')]);
    assertSameTable(result.stdout, expected, argumentsText);
  }
});

test('-p shows parent domains with at least -m subdomains; long names are cut with "+"', async () => {
  const queue = await createQueueHost();
  const base = referenceMessages[0]!.input;
  const names = ['a', 'b', 'c', 'd', 'e'].map((label) => `user@${label}.sub.example.org`);
  names.push('user@an-extremely-long-host-name-that-does-not-fit.in-the-domain-column.example.org');
  await queue.writeMessage('incoming', 'AAAAAA1', { ...base, arrivalTime: { seconds: REFERENCE_SECONDS, microseconds: 0 }, recipients: names.map((address) => ({ address })) });
  const lines = (await queue.run(['qshape', '-p'])).stdout.split('\n');
  const row = (domain: string, count: number): string => `${domain.padStart(39, ' ')}  ${count}  ${count}  0  0  0  0   0   0   0    0     0`;
  assert.equal(lines[1], row('TOTAL', 6));
  // .sub.example.org has 5 subdomains; .example.org only 2 (.sub and .in-the-domain-column).
  assert.equal(lines[2], row('.sub.example.org', 5));
  assert.equal(lines[3], row('a.sub.example.org', 1));
  assert.ok(!lines.some((line) => line.trim().startsWith('.example.org')), lines.join('\n'));
  assert.equal(lines[8], `+${'t-fit.in-the-domain-column.example.org'}  1  1  0  0  0  0   0   0   0    0     0`);
  const withMinimum = (await queue.run(['qshape', '-p', '-m', '6'])).stdout;
  assert.doesNotMatch(withMinimum, /^ +\.sub\.example\.org /m);
  assert.match(withMinimum, /^ +a\.sub\.example\.org /m);
});

test('ages come from the arrival time record: buckets double, -l keeps them equal', async () => {
  const queue = await createQueueHost();
  const base = referenceMessages[0]!.input;
  const ages = [0, 299, 300, 600, 1199, 1200, 100_000];
  for (const [index, age] of ages.entries()) {
    await queue.writeMessage('active', `BBBBBB${index}`, { ...base, arrivalTime: { seconds: REFERENCE_SECONDS - age, microseconds: 0 }, recipients: [{ address: 'x@age.test' }] });
  }
  const lines = (await queue.run(['qshape'])).stdout.split('\n');
  // 0 and 299 s: [0, 5) min; 300: [5, 10); 600 and 1199: [10, 20); 1200: [20, 40); a day: 1280+.
  assert.equal(lines[2], '                               age.test  7  2  1  2  1  0   0   0   0    0     1');
  const linear = (await queue.run(['qshape', '-l', '-b', '5'])).stdout.split('\n');
  assert.equal(linear[0], `${' '.repeat(63)}T  5 10 15 20 20+`);
  assert.equal(linear[2], `${' '.repeat(53)}age.test  7  2  1  1  1   2`);
});

test('an empty queue still prints TOTAL; a missing queue is Perl\'s warning; bad options die 255', async () => {
  const queue = await createQueueHost();
  const empty = await queue.run(['qshape', 'deferred']);
  assert.equal(empty.stdout, '                                         T  5 10 20 40 80 160 320 640 1280 1280+\n                                  TOTAL  0  0  0  0  0  0   0   0   0    0     0\n');
  const missing = await queue.run(['qshape', 'bogus']);
  assert.equal(missing.stderr, "Can't stat bogus: No such file or directory\n at /usr/sbin/qshape line 375.\n");
  assert.equal(missing.exitCode, 0);
  const bad = await queue.run(['qshape', '-x']);
  assert.equal(bad.exitCode, 255);
  assert.match(bad.stderr, /^\/usr\/sbin\/qshape: Unknown option: x\nUsage: \/usr\/sbin\/qshape \[ -s \]/);
  const wide = await queue.run(['qshape', '-w', '100', '-b', '3', 'deferred']);
  assert.equal(wide.stdout.split('\n')[0], `${' '.repeat(89)}T  5 10 10+`);
});
