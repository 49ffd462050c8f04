// Crash tests on the simulated host (issue 3: "a host killed at chosen points loses no
// message that was accepted, and delivers at most a duplicate"; DESIGN: a 250/accepted is
// a promise). For each scenario -- an mbox delivery, a Maildir delivery, an alias that
// makes two copies, a bounce to the sender -- a dry run counts K, the disk-changing
// operations from `sendmail` to a quiet host; then for every N in 1..K (CRASH_STRIDE=s
// takes every s-th) a fresh host is crashed right after its Nth operation (unsynced content
// dropped, every later operation EIO, memory gone), booted again on the same disk, run
// until quiet, and checked: accepted (sendmail exit 0) means every mailbox got the message
// once or twice, never zero; a failed sendmail means zero or one; nothing is left in
// maildrop/active/deferred/hold or as a ready file in incoming/ (cleanup's incomplete
// files may stay, as Postfix leaves them to postsuper's purge); the new master starts and
// logs no fatal or panic; a file that was in active/ is read again "(queue active)" by the
// new qmgr. Prints "crash points: N tested, 0 lost" with the duplicates seen.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Volume } from 'memfs';
import { DEFAULT_ALIASES, DEFAULT_MAIN_CF } from '../pipeline/harness.ts';
import type { PipelineHostOptions } from '../pipeline/harness.ts';
import {
  bootHost, installHost, isReadyQueueFile, listVolumeFiles, queueIds, readVolumeFile, MAILLOG, QUEUE_DIRECTORY,
  REBOOT_MS, type Boot,
} from './crash-host.ts';

/** Crash points tried per scenario at most (a guard: K is about a hundred). */
const CRASH_POINTS_MAX = 2_000;
/** Every STRIDE-th crash point is tried (1: all of them). */
const STRIDE = Math.max(1, Number.parseInt(process.env.CRASH_STRIDE ?? '1', 10) || 1);
/** After the restart: long enough for a deferred retry (queue_run_delay, minimal_backoff_time). */
const AFTER_RESTART_MS = 20 * 60 * 1000;
/** Queues that must be empty once the restarted host is quiet. */
const QUEUES_EMPTY = ['maildrop', 'active', 'deferred', 'hold', 'bounce', 'defer', 'trace'];

interface Scenario {
  name: string;
  options: PipelineHostOptions;
  argv: string[];
  user: string;
  message: string;
  /** Deliveries per mailbox, read from the disk. */
  deliveries(volume: Volume): Record<string, number>;
}

const TOKEN = 'crash-token-7f3a';

function countOccurrences(text: string | undefined, needle: string): number {
  if (text === undefined) return 0;
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1 && count < 1000; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** Messages in an mbox carrying the token in their Subject header. */
function mboxCount(volume: Volume, user: string): number {
  return countOccurrences(readVolumeFile(volume, `/var/mail/${user}`), `\nSubject: ${TOKEN}\n`);
}

/** Delivered Maildir messages (new/ and cur/; tmp/ is not delivered) with the token. */
function maildirCount(volume: Volume, user: string): number {
  const files = ['new', 'cur'].flatMap((sub) => listVolumeFiles(volume, `/home/${user}/Maildir/${sub}`));
  return files.filter((path) => (readVolumeFile(volume, path) ?? '').includes(`\nSubject: ${TOKEN}\n`)).length;
}

/** Non-delivery notices in an mbox: messages from MAILER-DAEMON about the token. */
function bounceCount(volume: Volume, user: string): number {
  const text = readVolumeFile(volume, `/var/mail/${user}`) ?? '';
  const messages = text.split(/^(?=From )/m).filter((message) => message.startsWith('From MAILER-DAEMON '));
  return messages.filter((message) => message.includes(TOKEN)).length;
}

const message = `Subject: ${TOKEN}\n\nThis message must survive any crash.\n`;

const scenarios: Scenario[] = [
  {
    name: 'mbox', options: {}, argv: ['alice'], user: 'bob', message,
    deliveries: (volume) => ({ alice: mboxCount(volume, 'alice') }),
  },
  {
    name: 'Maildir', options: { mainCf: `${DEFAULT_MAIN_CF}home_mailbox = Maildir/\n` }, argv: ['alice'], user: 'bob', message,
    deliveries: (volume) => ({ alice: maildirCount(volume, 'alice') }),
  },
  {
    name: 'alias with two copies',
    options: { files: { '/etc/aliases': `${DEFAULT_ALIASES}team: alice, bob\n` } },
    argv: ['team'], user: 'carol', message,
    deliveries: (volume) => ({ alice: mboxCount(volume, 'alice'), bob: mboxCount(volume, 'bob') }),
  },
  {
    name: 'bounce', options: {}, argv: ['nosuchuser'], user: 'alice', message,
    deliveries: (volume) => ({ 'alice (bounce)': bounceCount(volume, 'alice') }),
  },
];

interface PointResult {
  point: number;
  operation: string;
  accepted: boolean;
  deliveries: Record<string, number>;
  problems: string[];
  incompleteLeft: number;
  corrupt: number;
  recoveredActive: number;
}

interface Totals {
  tested: number;
  lost: number;
  duplicates: number;
  incompleteLeft: number;
  corrupt: number;
  recoveredActive: number;
  failedSubmissions: number;
}

/** A host installed and started, quiet, ready to take the submission. */
async function freshHost(scenario: Scenario): Promise<{ volume: Volume; boot: Boot }> {
  const { volume, nowMs } = await installHost(scenario.options);
  const boot = await bootHost(volume, nowMs, 0);
  if (boot.runtime === undefined) throw new Error(`first boot failed: ${String(boot.startError)}`);
  await boot.run();
  return { volume, boot };
}

async function submit(scenario: Scenario, boot: Boot): Promise<boolean> {
  const result = await boot.command(['sendmail', ...scenario.argv], { stdin: scenario.message, user: scenario.user });
  if (!boot.platform.fs.faults.halted) await boot.run();
  return result.exitCode === 0;
}

/** The dry run: operations from the submission to a quiet host, and one copy each. */
async function countOperations(scenario: Scenario): Promise<number> {
  const { volume, boot } = await freshHost(scenario);
  const before = boot.platform.fs.faults.operations;
  assert.equal(await submit(scenario, boot), true, `${scenario.name}: sendmail failed without a crash`);
  await boot.run({ forMs: AFTER_RESTART_MS });
  for (const [mailbox, count] of Object.entries(scenario.deliveries(volume))) {
    assert.equal(count, 1, `${scenario.name}: ${mailbox} got ${count} copies without a crash`);
  }
  return boot.platform.fs.faults.operations - before;
}

function maillogOf(volume: Volume): string[] {
  return (readVolumeFile(volume, MAILLOG) ?? '').split('\n').filter((line) => line !== '');
}

/** Checks the disk after the restarted host went quiet. */
function checkAfterRestart(volume: Volume, restart: Boot, activeAtCrash: readonly string[], problems: string[]): { incompleteLeft: number; corrupt: number } {
  for (const queueName of QUEUES_EMPTY) {
    const left = queueIds(volume, queueName);
    if (left.length > 0) problems.push(`${queueName}/ still holds ${left.join(' ')}`);
  }
  const incoming = listVolumeFiles(volume, `${QUEUE_DIRECTORY}/incoming`);
  const ready = incoming.filter((path) => isReadyQueueFile(volume, path));
  if (ready.length > 0) problems.push(`incoming/ still holds ready files ${ready.join(' ')}`);
  const corrupt = queueIds(volume, 'corrupt');
  const log = maillogOf(volume);
  // Pids of boot k are k*1000+1000 and up (crash-host.ts): the restart's are 2xxx.
  const restartLines = log.filter((line) => new RegExp(`\\[${restart.index + 1}\\d{3}\\]: `).test(line));
  if (!restartLines.some((line) => /postfix\/master\[\d+\]: daemon started -- version /.test(line))) {
    problems.push('the restarted master logged no "daemon started"');
  }
  for (const line of restartLines) if (/: (fatal|panic): /.test(line)) problems.push(`restart logged: ${line}`);
  for (const id of corrupt) {
    if (!log.some((line) => line.includes(`saving corrupt file "${id}"`))) problems.push(`corrupt/${id} without a warning in the maillog`);
  }
  for (const id of activeAtCrash) {
    if (!restartLines.some((line) => line.includes(`qmgr[`) && line.includes(`${id}: from=<`) && line.endsWith('(queue active)'))) {
      problems.push(`active/${id} at the crash was not read again by the new qmgr`);
    }
  }
  return { incompleteLeft: incoming.length - ready.length, corrupt: corrupt.length };
}

/** One crash point: submit, crash after the nth operation, boot again, run, check. */
async function crashAt(scenario: Scenario, point: number): Promise<PointResult> {
  const { volume, boot } = await freshHost(scenario);
  const faults = boot.platform.fs.faults;
  faults.crashAfterOperations(point);
  const accepted = await submit(scenario, boot);
  const problems: string[] = [];
  if (!faults.halted) problems.push(`no crash: the run has fewer than ${point} operations`);
  const operation = faults.lastOperation;
  const activeAtCrash = queueIds(volume, 'active');
  const restart = await bootHost(volume, boot.scheduler.nowMs() + REBOOT_MS, 1);
  if (restart.runtime === undefined) problems.push(`restart failed: ${String(restart.startError)}`);
  await restart.run();
  await restart.run({ forMs: AFTER_RESTART_MS });
  await restart.runtime?.stop();
  const deliveries = scenario.deliveries(volume);
  for (const [mailbox, count] of Object.entries(deliveries)) {
    const allowed = accepted ? [1, 2] : [0, 1];
    if (!allowed.includes(count)) {
      problems.push(`${mailbox}: ${count} copies after sendmail ${accepted ? 'accepted' : 'failed'}`);
    }
  }
  const { incompleteLeft, corrupt } = checkAfterRestart(volume, restart, activeAtCrash, problems);
  return { point, operation, accepted, deliveries, problems, incompleteLeft, corrupt, recoveredActive: activeAtCrash.length };
}

const totals: Totals = { tested: 0, lost: 0, duplicates: 0, incompleteLeft: 0, corrupt: 0, recoveredActive: 0, failedSubmissions: 0 };

for (const scenario of scenarios) {
  test(`crash after every operation: ${scenario.name}`, async () => {
    const operations = await countOperations(scenario);
    assert.ok(operations > 0 && operations <= CRASH_POINTS_MAX, `${scenario.name}: ${operations} operations`);
    const failures: string[] = [];
    let duplicates = 0;
    let tested = 0;
    for (let point = 1; point <= operations; point += STRIDE) {
      const result = await crashAt(scenario, point);
      tested++;
      const counts = Object.values(result.deliveries);
      if (result.accepted && counts.some((count) => count === 0)) totals.lost++;
      duplicates += counts.filter((count) => count > 1).length;
      if (!result.accepted) totals.failedSubmissions++;
      totals.incompleteLeft += result.incompleteLeft;
      totals.corrupt += result.corrupt;
      totals.recoveredActive += result.recoveredActive;
      if (result.problems.length > 0) {
        failures.push(`point ${point} (after ${result.operation}, sendmail ${result.accepted ? 'accepted' : 'failed'}): ${result.problems.join('; ')}`);
      }
    }
    totals.tested += tested;
    totals.duplicates += duplicates;
    console.log(`${scenario.name}: ${operations} operations, ${tested} crash points, ${duplicates} duplicate deliveries`);
    assert.deepEqual(failures, []);
  });
}

test('summary', () => {
  console.log(`crash points: ${totals.tested} tested, ${totals.lost} lost (${totals.duplicates} duplicates, `
    + `${totals.failedSubmissions} failed submissions, ${totals.recoveredActive} files recovered from active/, `
    + `${totals.incompleteLeft} incomplete files left in incoming/, ${totals.corrupt} saved to corrupt/)`);
  assert.equal(totals.lost, 0);
});
