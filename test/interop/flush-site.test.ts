// postqueue -s SITE and -i ID against a private real Postfix 3.7.11 and against mtalab in
// node real mode (`mtalab postfix -c DIR start`), both laid down from the same spec: mail for
// a fast_flush_domains site is deferred (relayhost is a loopback port nobody listens on),
// then postqueue asks public/flush for the site (send_site) and for one message
// (send_file). Compared: each postqueue's exit status, stdout and stderr (before start,
// eligible, not eligible, invalid, by id), the per-site logfile in flush/ after each step,
// and the maillog lines (normalised: queue ids, pids, times, delays). Before the first
// start there is no public/flush on either side ("connect to public/flush: No such file or
// directory", then "mail system is down", status 69); the maillog is compared from the start
// on (Postfix's postlogd does not run before it). After `postfix stop` both leave their
// public sockets behind, so postqueue -p/-f/-s/-i, postfix flush and sendmail -q/-bp/submission are refused
// ("Connection refused", no lookup warning for -f) rather than told the file is missing:
// compared status, stderr and the number of stdout lines. Every wait is bounded; both
// masters are stopped by pid; the real one only ever runs with -c on its own directory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  RealPostfixInstance, freeLoopbackPort, listTree, settleFile, waitFor, type InstanceSpec, type RunResult,
} from './real-instance.ts';
import { MtalabInstance, mtalabCli } from './mtalab-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { maillogShapes, queueIdNames } from './pipeline-normalise.ts';

/** How long a deferral (or a re-attempt) may take to show in the maillog. */
const DEFER_WAIT_MS = 30_000;
const SITE = 'remote.test';

interface Side {
  name: string;
  queueDirectory: string;
  directory: string;
  maillogPath: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  remove(): void;
  postqueue(argv: readonly string[]): RunResult;
  /** postfix -c DIR ARGS (not on a terminal: postfix(1) prints only there; its children do). */
  postfix(argv: readonly string[]): RunResult;
  sendmail(argv: readonly string[], message: string): RunResult;
  maillog(): string[];
}

function realSide(spec: InstanceSpec): Side {
  const instance = RealPostfixInstance.create(spec);
  return {
    name: 'postfix', queueDirectory: instance.queueDirectory, directory: instance.directory, maillogPath: instance.maillogPath,
    start: () => instance.start(), stop: () => instance.stop(), remove: () => instance.remove(),
    postqueue: (argv) => instance.postqueue(argv), sendmail: (argv, message) => instance.sendmail(argv, message),
    postfix: (argv) => instance.command(['postfix', '-c', instance.configDirectory, ...argv]),
    maillog: () => instance.maillog(),
  };
}

function mtalabSide(spec: InstanceSpec): Side {
  const instance = MtalabInstance.create(spec, 'mtalab-flush-');
  return {
    name: 'mtalab', queueDirectory: instance.queueDirectory, directory: instance.directory, maillogPath: instance.maillogPath,
    start: async () => { await instance.start(); }, stop: () => instance.stop(), remove: () => instance.remove(),
    postqueue: (argv) => mtalabCli(['postqueue', '-c', instance.configDirectory, ...argv]),
    postfix: (argv) => mtalabCli(['postfix', '-c', instance.configDirectory, ...argv]),
    sendmail: (argv, message) => instance.sendmail(argv, message), maillog: () => instance.maillog(),
  };
}

const deferredCount = (side: Side): number => side.maillog().filter((line) => line.includes('status=deferred')).length;
const deferredIds = (side: Side): string[] => listTree(join(side.queueDirectory, 'deferred')).map((path) => path.slice(path.lastIndexOf('/') + 1));

/** The site's logfile in flush/ (queue ids as Qn), or a note that there is none. */
function flushLog(side: Side): string {
  const path = join(side.queueDirectory, 'flush', SITE.replace(/[^a-z0-9]/g, '_'));
  if (!existsSync(path)) return '(no logfile)';
  const ids = queueIdNames(side.maillog());
  return readFileSync(path, 'utf8').split('\n').map((line) => ids.get(line) ?? line).join('\n');
}

function shown(result: RunResult): string {
  return `status=${result.status}\nstdout=${JSON.stringify(result.stdout)}\nstderr=${JSON.stringify(result.stderr)}`;
}

/** Status and stderr as they are; stdout by its number of lines. */
function shownCounted(result: RunResult): string {
  return `status=${result.status}\nstdout lines=${result.stdout.split('\n').filter((line) => line !== '').length}\nstderr=${JSON.stringify(result.stderr)}`;
}

function socketThere(side: Side, name: string): string {
  try {
    return lstatSync(join(side.queueDirectory, 'public', name)).isSocket() ? 'socket' : 'other';
  } catch {
    return 'missing';
  }
}

/** One side's run: everything that is compared, step by step. */
async function scenario(side: Side): Promise<Array<[string, string]>> {
  const steps: Array<[string, string]> = [];
  steps.push(['-s site, never started', shown(side.postqueue(['-s', SITE]))]);
  steps.push(['-s other site, never started', shown(side.postqueue(['-s', 'other.test']))]);
  // Postfix's commands log through postlogd, which is not there before the start (their
  // lines are lost; mtalab's land in the file): the maillog is compared from the start on.
  const before = side.maillog().length;
  await side.start();
  try {
    const sent = side.sendmail(['-f', 'sender@example.test', `user@${SITE}`], 'Subject: flush me\n\nbody\n');
    steps.push(['sendmail', shown(sent)]);
    assert.ok(await waitFor(() => deferredCount(side) >= 1 && deferredIds(side).length === 1, DEFER_WAIT_MS), `${side.name}: no deferral`);
    await settleFile(side.maillogPath);
    steps.push(['flush log after the deferral', flushLog(side)]);
    steps.push(['-s site', shown(side.postqueue(['-s', SITE]))]);
    assert.ok(await waitFor(() => deferredCount(side) >= 2, DEFER_WAIT_MS), `${side.name}: -s did not bring a new attempt`);
    await waitFor(() => deferredIds(side).length === 1, DEFER_WAIT_MS);
    await settleFile(side.maillogPath);
    steps.push(['flush log after -s', flushLog(side)]);
    steps.push(['-s not eligible', shown(side.postqueue(['-s', 'other.test']))]);
    steps.push(['-s invalid', shown(side.postqueue(['-s', 'bad..site']))]);
    steps.push(['-s address literal not eligible', shown(side.postqueue(['-s', '[127.0.0.1]']))]);
    const [id = ''] = deferredIds(side);
    steps.push(['-i id', shown(side.postqueue(['-i', id]))]);
    assert.ok(await waitFor(() => deferredCount(side) >= 3, DEFER_WAIT_MS), `${side.name}: -i did not bring a new attempt`);
    await waitFor(() => deferredIds(side).length === 1, DEFER_WAIT_MS);
    await settleFile(side.maillogPath);
    steps.push(['-i unknown id', shown(side.postqueue(['-i', 'ABCDEF12345']))]);
    await settleFile(side.maillogPath);
    steps.push(['flush log at the end', flushLog(side)]);
  } finally {
    await side.stop();
  }
  // The maillog up to the stop: afterwards Postfix's postlogd is gone again (as before start).
  const untilStop = side.maillog().length;
  // Stopped: the master leaves its sockets, so the clients are refused, not told "no such
  // file" (the queue listing's date and id differ between the sides; its lines are counted).
  steps.push(['socket files after stop', ['pickup', 'qmgr', 'showq', 'flush'].map((name) => `${name}=${socketThere(side, name)}`).join(' ')]);
  for (const argv of [['-p'], ['-f'], ['-s', SITE], ['-i', 'ABCDEF12345']]) {
    steps.push([`postqueue ${argv.join(' ')} after stop`, shownCounted(side.postqueue(argv))]);
  }
  steps.push(['postfix flush after stop', shownCounted(side.postfix(['flush']))]);
  steps.push(['sendmail -q after stop', shownCounted(side.sendmail(['-q'], ''))]);
  steps.push(['sendmail -bp after stop', shownCounted(side.sendmail(['-bp'], ''))]);
  steps.push(['sendmail after stop', shownCounted(side.sendmail(['-f', 'sender@example.test', 'root'], 'Subject: while down\n\nbody\n'))]);
  steps.push(['maildrop after stop', `${listTree(join(side.queueDirectory, 'maildrop')).length} file(s)`]);
  // mtalab's own note about master.cf services it does not have is no Postfix line.
  const lines = side.maillog().slice(before, untilStop).filter((line) => !line.includes('not implemented in mtalab yet'));
  steps.push(['maillog', maillogShapes(lines, { directories: [side.directory], ids: queueIdNames(lines) }).join('\n')]);
  return steps;
}

test('postqueue -s and -i go through public/flush in real mode as in Postfix; after a stop the clients are refused alike', async () => {
  if (!hasRealCommand('postfix') || !hasRealCommand('postqueue')) return;
  const port = await freeLoopbackPort();
  const spec: InstanceSpec = { mainCf: `fast_flush_domains = ${SITE}\nrelayhost = [127.0.0.1]:${port}\n` };
  const real = realSide(spec);
  const ours = mtalabSide(spec);
  try {
    const expected = await scenario(real);
    const actual = await scenario(ours);
    const differences: string[] = [];
    let equal = 0;
    for (const [index, [name, text]] of expected.entries()) {
      const [, mine = '(missing)'] = actual[index] ?? [];
      if (mine === text) equal++;
      else differences.push(`--- ${name}\nPostfix:\n${text}\nmtalab:\n${mine}`);
    }
    process.stdout.write(`# flush interop: ${equal}/${expected.length} steps equal\n`);
    assert.equal(differences.length, 0, differences.join('\n'));
  } finally {
    real.remove();
    ours.remove();
  }
});
