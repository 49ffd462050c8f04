// Crash test in real mode: an MtalabInstance (test/interop/mtalab-instance.ts: `mtalab
// postfix -c DIR start` on real files in a temporary directory); 30 messages, each with its
// own token, go in through `mtalab sendmail -C DIR root` in concurrent batches, and the
// background master is killed with SIGKILL at seeded random moments (mid-batch, so during
// pickup, cleanup, qmgr and local) and started again. At the end every message sendmail
// accepted (exit 0) must be in root's mailbox at least once; duplicates are counted and
// reported (at most two each). The master is stopped by its pid in `after`; every wait is
// bounded.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MtalabInstance } from '../interop/mtalab-instance.ts';
import { isAlive } from '../interop/real-instance.ts';
import { FAST_RETRY_MAIN_CF, incompleteFiles, seeded, stopInstances, undeliveredFiles, waitForDelivery } from '../interop/durability.ts';

const SEED = Number.parseInt(process.env.CRASH_SEED ?? '20240611', 10) || 20240611;
const MESSAGES = 30;
const BATCH_SIZE = 5;
/** Batches after whose start the master is killed (chosen by the seed). */
const KILLS = 3;
/** The kill lands once the maillog has grown by 1..KILL_AFTER_LINES_MAX lines since the
 *  batch started (seeded), so that it hits pickup, cleanup, qmgr or local at work. */
const KILL_AFTER_LINES_MAX = 12;
/** ...or after this long, when the log stays quiet. */
const KILL_WAIT_MAX_MS = 5_000;
const KILL_POLL_MS = 2;
/** How long the last run may take to drain the queue. */
const DRAIN_WAIT_MS = 60_000;
const SUBJECT = /^Subject: (crash-node-\d{3})$/gm;

const instances: MtalabInstance[] = [];

// CRASH_KEEP=1 keeps the directory (queue, mailbox, maillog) to look at.
after(() => stopInstances(instances, process.env.CRASH_KEEP === '1'));

function maillogText(instance: MtalabInstance): string {
  try {
    return readFileSync(instance.maillogPath, 'utf8');
  } catch {
    return '';
  }
}

function logLines(instance: MtalabInstance): number {
  return maillogText(instance).split('\n').length - 1;
}

function lastLogLine(instance: MtalabInstance): string {
  return maillogText(instance).trimEnd().split('\n').at(-1)?.slice(16) ?? '';
}

function tokenOf(index: number): string {
  return `crash-node-${String(index).padStart(3, '0')}`;
}

test('SIGKILL of the real-mode master at seeded moments loses no accepted message', { timeout: 600_000 }, async () => {
  const instance = MtalabInstance.create({
    mainCf: `maillog_file_prefixes = /var, /dev/stdout, /tmp, @DIR@\n${FAST_RETRY_MAIN_CF}`,
  }, 'mtalab-crash-');
  instances.push(instance);
  const recipient = userInfo().username;
  const mailboxPath = join(instance.mailDirectory, recipient);

  const random = seeded(SEED);
  const batches = Math.ceil(MESSAGES / BATCH_SIZE);
  const killBatches = new Set<number>();
  for (let tries = 0; killBatches.size < KILLS && tries < 1000; tries++) killBatches.add(Math.floor(random() * batches));
  const accepted: string[] = [];
  const refused: string[] = [];
  let kills = 0;
  const killedAt: string[] = [];
  await instance.start();
  for (let batch = 0; batch < batches; batch++) {
    const indexes = Array.from({ length: Math.min(BATCH_SIZE, MESSAGES - batch * BATCH_SIZE) }, (_, offset) => batch * BATCH_SIZE + offset);
    const linesBefore = logLines(instance);
    const submissions = indexes.map((index) =>
      instance.sendmailChild([recipient], `Subject: ${tokenOf(index)}\n\nmessage ${index} of the SIGKILL test\n`).then((result) => {
        if (result.status !== 0) console.log(`  sendmail exit ${result.status}: ${result.stderr.trim()}`);
        return result.status;
      }));
    if (killBatches.has(batch)) {
      const lines = 1 + Math.floor(random() * KILL_AFTER_LINES_MAX);
      for (let waited = 0; logLines(instance) < linesBefore + lines && waited < KILL_WAIT_MAX_MS; waited += KILL_POLL_MS) {
        await sleep(KILL_POLL_MS);
      }
      killedAt.push(lastLogLine(instance));
      await instance.kill();
      kills++;
    }
    const statuses = await Promise.all(submissions);
    statuses.forEach((status, offset) => (status === 0 ? accepted : refused).push(tokenOf(indexes[offset]!)));
    if (instance.pid === undefined || !isAlive(instance.pid)) await instance.start();
  }
  const counts = await waitForDelivery(mailboxPath, instance.queueDirectory, accepted, SUBJECT, DRAIN_WAIT_MS);
  const lost = accepted.filter((token) => (counts.get(token) ?? 0) === 0);
  const duplicates = [...counts.values()].filter((count) => count > 1).length;
  const tooMany = [...counts.entries()].filter(([, count]) => count > 2);
  console.log(`SIGKILL test (seed ${SEED}, ${instance.directory}): ${MESSAGES} submitted, ${accepted.length} accepted, ${refused.length} refused, `
    + `${kills} kills, ${lost.length} lost, ${duplicates} duplicates, queue left: ${undeliveredFiles(instance.queueDirectory).join(' ') || 'none'}, `
    + `incomplete files in incoming: ${incompleteFiles(instance.queueDirectory).length}`);
  for (const line of killedAt) console.log(`  killed after: ${line}`);
  assert.equal(kills, KILLS);
  assert.deepEqual(lost, [], 'accepted messages missing from the mailbox');
  assert.deepEqual(tooMany, [], 'messages delivered more than twice');
  assert.deepEqual(undeliveredFiles(instance.queueDirectory), [], 'nothing left in the queue');
  await instance.stop();
});
