// What the kill tests share (test/crash/node-sigkill.test.ts: sendmail under SIGKILL;
// test/interop/smtp-durability.test.ts: smtpd under SIGKILL): a seeded generator for the
// kill moments, the main.cf lines for fast retries, the queue files still to deliver, and
// the wait for every accepted token to show in a mailbox. Both run an MtalabInstance
// (mtalab-instance.ts). Every wait bounded.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MtalabInstance } from './mtalab-instance.ts';

/** Fast retries, so that a dot-lock left behind by a killed delivery is broken after
 *  stale_lock_time and the deferred mail tried again within seconds. */
export const FAST_RETRY_MAIN_CF = `stale_lock_time = 3s
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
`;

const DRAIN_POLL_MS = 200;

/** mulberry32: the same sequence, so the same kills, for the same seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function filesUnder(queueDirectory: string, queue: string): string[] {
  const path = join(queueDirectory, queue);
  if (!existsSync(path)) return [];
  return readdirSync(path, { recursive: true }).map((entry) => `${queue}/${String(entry)}`)
    .filter((entry) => statSync(join(queueDirectory, entry), { throwIfNoEntry: false })?.isFile() ?? false);
}

/** A file in incoming that cleanup was writing when it was killed has no owner x bit (never
 *  acknowledged; postsuper -p purges it later, as in Postfix). */
function complete(queueDirectory: string, entry: string): boolean {
  return ((statSync(join(queueDirectory, entry), { throwIfNoEntry: false })?.mode ?? 0) & 0o100) !== 0;
}

/** Queue files still to deliver: maildrop, active and deferred, and the complete files in
 *  incoming. */
export function undeliveredFiles(queueDirectory: string): string[] {
  return ['maildrop', 'incoming', 'active', 'deferred'].flatMap((queue) => filesUnder(queueDirectory, queue)
    .filter((entry) => queue !== 'incoming' || complete(queueDirectory, entry)));
}

/** The incomplete files cleanup left in incoming. */
export function incompleteFiles(queueDirectory: string): string[] {
  return filesUnder(queueDirectory, 'incoming').filter((entry) => !complete(queueDirectory, entry));
}

/** Copies of each token in an mbox, counted by `subject` (a /gm pattern whose group 1 is
 *  the token, e.g. /^Subject: (crash-\d+)$/gm). */
export function countTokens(mailbox: string, subject: RegExp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of mailbox.matchAll(subject)) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1);
  return counts;
}

/** Polls (at most waitMs) until every accepted token is in the mailbox and nothing is left
 *  to deliver; returns the last counts. */
export async function waitForDelivery(
  mailboxPath: string, queueDirectory: string, accepted: Iterable<string>, subject: RegExp, waitMs: number,
): Promise<Map<string, number>> {
  const tokens = [...accepted];
  let counts = new Map<string, number>();
  for (let waited = 0; waited <= waitMs; waited += DRAIN_POLL_MS) {
    counts = countTokens(existsSync(mailboxPath) ? readFileSync(mailboxPath, 'latin1') : '', subject);
    if (tokens.every((token) => (counts.get(token) ?? 0) > 0) && undeliveredFiles(queueDirectory).length === 0) break;
    await sleep(DRAIN_POLL_MS);
  }
  return counts;
}

/** For `after`: stops each instance by its master's pid, then removes its directory unless
 *  `keep` (the test's *_KEEP=1, to look at the queue, mailbox and maillog). */
export async function stopInstances(instances: readonly MtalabInstance[], keep: boolean): Promise<void> {
  for (const instance of instances) {
    try {
      await instance.stop();
    } finally {
      if (!keep) instance.remove();
    }
  }
}
