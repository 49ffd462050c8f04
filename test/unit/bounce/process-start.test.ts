// The bounce service's process starts with a bounce_template_file that cannot be read:
// every request waits for a process; each start logs bounce's fatal line, master's exit
// and throttling warnings a second later, and the next start comes service_throttle_time
// after that, separately for the bounce, defer and trace services; a fixed file lets the
// next start serve the waiting requests; ipc_timeout fails a waiting client with the
// client library's warning text; stop() fails whoever still waits.
// Covers engine/bounce/process-start.ts through the bounce core (test/unit/bounce/helpers.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBench, statusOf, writeOriginal, type Bench } from './helpers.ts';
import { RESPAWNS_MAX } from '../../../engine/bounce/process-start.ts';

const FILE = '/etc/postfix/bounce.cf';

/** Runs the sim clock forward and adds the diagnostics that appeared as
 *  "service[PID]: severity: text" (the service's own reporter, pid 4242, shown as FIRST). */
async function runCollecting(bench: Bench, forMs: number, lines: string[]): Promise<void> {
  const seen = bench.events.length;
  await bench.scheduler.runUntil(bench.scheduler.nowMs() + forMs, {});
  const added = bench.events.slice(seen, seen + 1000);
  for (const event of added as unknown as Array<{ kind: string; severity: string; text: string; service: string; pid: number }>) {
    if (event.kind === 'diagnostic') lines.push(`${event.service}[${event.pid === 4242 ? 'FIRST' : event.pid}]: ${event.severity}: ${event.text}`);
  }
}

test('bounce and defer throttle separately; a fixed file lets the next start serve the waiting appends', async () => {
  const bench = await createBench(`bounce_template_file = ${FILE}\nservice_throttle_time = 10s\n`);
  const { request } = await writeOriginal(bench);
  let bounced = false;
  let deferred = false;
  const bounce = bench.core.append('bounce', request.queueId, statusOf(request, 0, { dsn: '5.1.1', reason: 'unknown user' })).then(() => { bounced = true; });
  const lines: string[] = [];
  await runCollecting(bench, 3000, lines);
  const defer = bench.core.append('defer', request.queueId, statusOf(request, 0, { dsn: '4.4.1', reason: 'refused', action: 'delayed' })).then(() => { deferred = true; });
  await runCollecting(bench, 5000, lines);
  const fatal = `fatal: open ${FILE}: No such file or directory`;
  const pids = lines.filter((line) => line.includes(fatal)).map((line) => /\[(\w+)\]/.exec(line)?.[1]);
  assert.equal(pids.length, 2, lines.join('\n'));
  assert.equal(pids[0], 'FIRST');
  assert.notEqual(pids[1], 'FIRST');
  // The bench's service context says pid 4243 and program local; its reporter logs as
  // postfix/bounce[4242]: master names the context's pid and command.
  assert.deepEqual(lines, [
    `postfix/bounce[FIRST]: ${fatal}`,
    'master[0]: warning: process /usr/lib/postfix/sbin/local pid 4243 exit status 1',
    'master[0]: warning: /usr/lib/postfix/sbin/local: bad command startup -- throttling',
    `local[${pids[1]}]: ${fatal}`,
    `master[0]: warning: process /usr/lib/postfix/sbin/local pid ${pids[1]} exit status 1`,
    'master[0]: warning: /usr/lib/postfix/sbin/local: bad command startup -- throttling',
  ]);
  assert.equal(bounced || deferred, false);
  assert.equal(await bench.exists(bench.queuePath('bounce', request.queueId)), false);

  await bench.fs.writeFile(FILE, 'failure_template = <<EOF\nSubject: returned\n\ntext\nEOF\n');
  await runCollecting(bench, 10_000, lines);
  await Promise.all([bounce, defer]);
  assert.equal(lines.filter((line) => line.includes(fatal)).length, 2, 'no start failed after the fix');
  assert.equal(await bench.exists(bench.queuePath('bounce', request.queueId)), true);
  assert.equal(await bench.exists(bench.queuePath('defer', request.queueId)), true);
});

test('ipc_timeout fails a waiting client with the client library\'s warning; stop() fails the rest', async () => {
  const bench = await createBench(`bounce_template_file = ${FILE}\nipc_timeout = 15s\n`);
  const { request } = await writeOriginal(bench);
  const outcome = (promise: Promise<void>): Promise<unknown> => promise.then(() => 'done', (error: unknown) => error);
  const timedOut = outcome(bench.core.append('trace', request.queueId, statusOf(request, 0, { dsn: '2.0.0', reason: 'ok', action: 'delivered' })));
  await bench.scheduler.runUntil(bench.scheduler.nowMs() + 16_000, {});
  const error = await timedOut as { clientWarning?: string };
  assert.equal(error.clientWarning, 'write private/trace socket: Connection timed out');
  const stopped = outcome(bench.core.append('bounce', request.queueId, statusOf(request, 0, { dsn: '5.1.1', reason: 'unknown user' })));
  await bench.scheduler.runUntil(bench.scheduler.nowMs() + 1000, {});
  bench.core.stop();
  const stopError = await stopped as Error;
  assert.match(stopError.message, /private\/bounce: service stopped/);
  assert.ok(RESPAWNS_MAX > 0);
});

test('with no bounce_template_file a request never waits and sets no timer', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench);
  const before = bench.scheduler.peek();
  await bench.core.append('defer', request.queueId, statusOf(request, 0, { dsn: '4.4.1', reason: 'refused', action: 'delayed' }));
  assert.equal(bench.scheduler.peek(), before);
  assert.equal(bench.events.filter((event) => event.kind === 'diagnostic').length, 0);
});
