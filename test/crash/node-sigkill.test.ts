// Crash test in real mode: `mtalab postfix -c DIR start` runs a host on real files in a
// temporary directory; 30 messages, each with its own token, go in through
// `mtalab sendmail -C DIR root` in concurrent batches, and the background master is killed
// with SIGKILL at seeded random moments (mid-batch, so during pickup, cleanup, qmgr and
// local) and started again. At the end every message sendmail accepted (exit 0) must be in
// root's mailbox at least once; duplicates are counted and reported (at most two each).
// Every process started is killed by its pid in `after`; every wait is bounded.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultMainCf } from '../../engine/cli/postfix-daemon.ts';
import { masterCfListeningOn } from '../../engine/global/config/default-master-cf.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'mtalab.mjs');
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
const CHILD_TIMEOUT_MS = 90_000;
/** How long the last run may take to drain the queue. */
const DRAIN_WAIT_MS = 60_000;
const POLL_MS = 200;
const FAST_RETRY_MAIN_CF = `stale_lock_time = 3s
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
`;

const pids = new Set<number>();
const directories: string[] = [];

after(() => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  // CRASH_KEEP=1 keeps the directory (queue, mailbox, maillog) to look at.
  if (process.env.CRASH_KEEP !== '1') for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A small seeded generator (mulberry32): the same kills for the same seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function mtalab(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** sendmail as a child process; resolves with its exit status (null when killed). */
function sendmail(directory: string, recipient: string, text: string): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, 'sendmail', '-C', directory, recipient], { cwd: root, stdio: ['pipe', 'ignore', 'pipe'] });
    if (child.pid !== undefined) pids.add(child.pid);
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) console.log(`  sendmail exit ${code}: ${stderr.trim()}`);
      done(code);
    });
    child.stdin.end(text);
  });
}

function masterPid(queueDirectory: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(queueDirectory, 'pid', 'master.pid'), 'utf8').trim(), 10);
    if (Number.isFinite(pid)) pids.add(pid);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function start(directory: string, queueDirectory: string): number {
  const outcome = mtalab(['postfix', '-c', directory, 'start']);
  assert.equal(outcome.status, 0, `postfix start: ${outcome.stderr}`);
  const pid = masterPid(queueDirectory);
  assert.ok(pid !== undefined && alive(pid), 'the master runs after start');
  return pid;
}

async function killHard(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  for (let waited = 0; alive(pid) && waited < 5_000; waited += 20) await sleep(20);
  assert.equal(alive(pid), false, `master ${pid} survived SIGKILL`);
}

function maillogText(directory: string): string {
  try {
    return readFileSync(join(directory, 'maillog'), 'utf8');
  } catch {
    return '';
  }
}

function logLines(directory: string): number {
  return maillogText(directory).split('\n').length - 1;
}

function lastLogLine(directory: string): string {
  return maillogText(directory).trimEnd().split('\n').at(-1)?.slice(16) ?? '';
}

function tokenOf(index: number): string {
  return `crash-node-${String(index).padStart(3, '0')}`;
}

/** Copies of each token in an mbox (Subject lines). */
function countTokens(mailbox: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of mailbox.matchAll(/^Subject: (crash-node-\d{3})$/gm)) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1);
  return counts;
}

/** Queue files still to be delivered: anything in maildrop, active or deferred, and the
 *  complete (owner rwx) files in incoming. A file cleanup was writing when it was killed
 *  stays in incoming with mode 0600, as in Postfix (postsuper -p purges it later). */
function queuedFiles(queueDirectory: string): string[] {
  return ['maildrop', 'incoming', 'active', 'deferred'].flatMap((name) => filesUnder(queueDirectory, name)
    .filter((entry) => name !== 'incoming' || (statSync(join(queueDirectory, entry)).mode & 0o700) === 0o700));
}

function incompleteFiles(queueDirectory: string): string[] {
  return filesUnder(queueDirectory, 'incoming').filter((entry) => (statSync(join(queueDirectory, entry)).mode & 0o700) !== 0o700);
}

function filesUnder(queueDirectory: string, name: string): string[] {
  const path = join(queueDirectory, name);
  if (!existsSync(path)) return [];
  return readdirSync(path, { recursive: true }).map((entry) => `${name}/${String(entry)}`)
    .filter((entry) => statSync(join(queueDirectory, entry)).isFile());
}

test('SIGKILL of the real-mode master at seeded moments loses no accepted message', { timeout: 600_000 }, async () => {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-crash-'));
  directories.push(directory);
  const queueDirectory = join(directory, 'queue');
  // A killed delivery can leave the mailbox's dot-lock behind: it is broken after
  // stale_lock_time, and the deferred mail retried soon, so that the test waits seconds.
  writeFileSync(join(directory, 'main.cf'), `${defaultMainCf(directory, 'mail.example.test')}${FAST_RETRY_MAIN_CF}`);
  writeFileSync(join(directory, 'master.cf'), masterCfListeningOn('127.0.0.1:0'));
  writeFileSync(join(directory, 'aliases'), 'postmaster: root\n');
  for (const name of ['queue', 'data', 'mail']) mkdirSync(join(directory, name), { recursive: true });
  const aliases = mtalab(['newaliases', '-C', directory]);
  assert.equal(aliases.status, 0, `newaliases: ${aliases.stderr}`);
  const recipient = userInfo().username;
  const mailboxPath = join(directory, 'mail', recipient);

  const random = seeded(SEED);
  const batches = Math.ceil(MESSAGES / BATCH_SIZE);
  const killBatches = new Set<number>();
  for (let tries = 0; killBatches.size < KILLS && tries < 1000; tries++) killBatches.add(Math.floor(random() * batches));
  const accepted: string[] = [];
  const refused: string[] = [];
  let kills = 0;
  const killedAt: string[] = [];
  let pid = start(directory, queueDirectory);
  try {
    for (let batch = 0; batch < batches; batch++) {
      const indexes = Array.from({ length: Math.min(BATCH_SIZE, MESSAGES - batch * BATCH_SIZE) }, (_, offset) => batch * BATCH_SIZE + offset);
      const linesBefore = logLines(directory);
      const submissions = indexes.map((index) =>
        sendmail(directory, recipient, `Subject: ${tokenOf(index)}\n\nmessage ${index} of the SIGKILL test\n`));
      if (killBatches.has(batch)) {
        const lines = 1 + Math.floor(random() * KILL_AFTER_LINES_MAX);
        for (let waited = 0; logLines(directory) < linesBefore + lines && waited < KILL_WAIT_MAX_MS; waited += KILL_POLL_MS) {
          await sleep(KILL_POLL_MS);
        }
        killedAt.push(lastLogLine(directory));
        await killHard(pid);
        kills++;
      }
      const statuses = await Promise.all(submissions);
      statuses.forEach((status, offset) => (status === 0 ? accepted : refused).push(tokenOf(indexes[offset]!)));
      if (!alive(pid)) pid = start(directory, queueDirectory);
    }
    let counts = new Map<string, number>();
    for (let waited = 0; waited <= DRAIN_WAIT_MS; waited += POLL_MS) {
      counts = countTokens(existsSync(mailboxPath) ? readFileSync(mailboxPath, 'latin1') : '');
      if (accepted.every((token) => (counts.get(token) ?? 0) > 0) && queuedFiles(queueDirectory).length === 0) break;
      await sleep(POLL_MS);
    }
    const lost = accepted.filter((token) => (counts.get(token) ?? 0) === 0);
    const duplicates = [...counts.values()].filter((count) => count > 1).length;
    const tooMany = [...counts.entries()].filter(([, count]) => count > 2);
    console.log(`SIGKILL test (seed ${SEED}, ${directory}): ${MESSAGES} submitted, ${accepted.length} accepted, ${refused.length} refused, `
      + `${kills} kills, ${lost.length} lost, ${duplicates} duplicates, queue left: ${queuedFiles(queueDirectory).join(' ') || 'none'}, `
      + `incomplete files in incoming: ${incompleteFiles(queueDirectory).length}`);
    for (const line of killedAt) console.log(`  killed after: ${line}`);
    assert.equal(kills, KILLS);
    assert.deepEqual(lost, [], 'accepted messages missing from the mailbox');
    assert.deepEqual(tooMany, [], 'messages delivered more than twice');
    assert.deepEqual(queuedFiles(queueDirectory), [], 'nothing left in the queue');
    assert.equal(mtalab(['postfix', '-c', directory, 'stop']).status, 0);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});
