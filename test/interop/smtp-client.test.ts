// The smtp client on the node platform (real TCP on 127.0.0.1) against Postfix's own
// smtp-sink, started with the options of logs/w (-f RCPT: 5xx to RCPT, -r RCPT: 4xx, plain:
// accept) and -e (no ESMTP: HELO fallback); the maillog lines are compared with the
// reference's in shape (ports and delays normalised), and a closed port gives logs/i's
// "Connection refused" lines. Every smtp-sink is stopped by its pid.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodePlatform } from '../../engine/platform/node/index.ts';
import { smtpProgram } from '../../engine/smtp/service.ts';
import { createClientFixture } from '../unit/smtp/fixture.ts';
import { interopRequirements, makeTemporaryDirectory, removeTemporaryDirectory } from './real-postfix.ts';

const SMTP_SINK = '/usr/sbin/smtp-sink';
const REFERENCE = '/work/shared/reference/postfix-3.7/logs';
/** Attempts to reach a freshly started smtp-sink (50 ms apart). */
const READY_ATTEMPTS_MAX = 100;

const children: ChildProcess[] = [];
const directories: string[] = [];
/** Stops one smtp-sink we started, by its pid; one that already exited is fine. */
function stopChild(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

after(() => {
  for (const child of children) stopChild(child);
  for (const directory of directories) removeTemporaryDirectory(directory);
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Starts smtp-sink on 127.0.0.1:port with extra options; waits until it listens. */
async function startSink(options: string[]): Promise<{ port: number; stop: () => void }> {
  const port = await freePort();
  const child = spawn(SMTP_SINK, ['-u', 'postfix', ...options, `127.0.0.1:${port}`, '10'], { stdio: 'ignore' });
  children.push(child);
  for (let attempt = 0; attempt < READY_ATTEMPTS_MAX && !(await reachable(port)); attempt++) await sleep(50);
  return { port, stop: () => stopChild(child) };
}

/** "to=<...>, relay=..., dsn=..., status=... (...)" with ports and delays normalised. */
function shape(line: string): string {
  return line.replace(/^.*?: (to=<)/, '$1').replace(/delay=[\d.]+, delays=[\d./]+, /, '')
    .replace(/(\[127\.0\.0\.1\]):\d+/g, '$1:PORT');
}

const referenceW = readFileSync(`${REFERENCE}/w-remote-smtp-replies.log`, 'utf8').split('\n')
  .filter((line) => /postfix-ref1\/smtp\[\d+\]: \w+: to=<user@(hard|soft|ok)\.test>/.test(line)).map(shape);

async function nodeFixture() {
  const root = makeTemporaryDirectory('mtalab-smtp-client-');
  directories.push(root);
  return createClientFixture({ platform: createNodePlatform({ hostName: 'mail', seed: 7, dnsOffline: true }), root });
}

const available = interopRequirements({ paths: [SMTP_SINK] });

test('smtp-sink -f RCPT / -r RCPT / plain: the three logs/w lines, equal in shape', { skip: !available && 'no smtp-sink' }, async () => {
  const sinks = { hard: await startSink(['-f', 'RCPT']), soft: await startSink(['-r', 'RCPT']), ok: await startSink([]) };
  const fixture = await nodeFixture();
  const ours: string[] = [];
  for (const [domain, sink] of Object.entries(sinks)) {
    const request = await fixture.queueMessage({ sender: 'alice@example.com', recipients: [{ address: `user@${domain}.test` }], content: `Subject: to ${domain}\n\nx\n`, nexthop: `[127.0.0.1]:${sink.port}` });
    const before = fixture.logLines().length;
    await fixture.deliver(smtpProgram, request);
    ours.push(...fixture.logLines().slice(before).filter((line) => line.includes('to=<')).map(shape));
    sink.stop();
  }
  assert.equal(referenceW.length, 3);
  const equal = ours.filter((line) => referenceW.includes(line)).length;
  assert.deepEqual(ours.sort(), [...referenceW].sort(), `${equal}/${referenceW.length} equal`);
});

test('smtp-sink -e (no ESMTP): EHLO refused, HELO, delivered', { skip: !available && 'no smtp-sink' }, async () => {
  const sink = await startSink(['-e']);
  const fixture = await nodeFixture();
  const request = await fixture.queueMessage({ sender: 'a@example.com', recipients: [{ address: 'u@x.test' }, { address: 'v@x.test' }], content: 'Subject: helo\n\n.dot\n', nexthop: `[127.0.0.1]:${sink.port}` });
  const result = await fixture.deliver(smtpProgram, request);
  sink.stop();
  assert.deepEqual(result, { deferred: false });
  const commands = fixture.events.filter((event) => event.kind === 'smtp-client.command').map((event) => (event as { text: string }).text);
  assert.deepEqual(commands.slice(0, 2), ['EHLO mail.example.com', 'HELO mail.example.com']);
  assert.deepEqual(fixture.logLines().map(shape), ['u', 'v'].map((user) => `to=<${user}@x.test>, relay=127.0.0.1[127.0.0.1]:PORT, dsn=2.0.0, status=sent (250 2.0.0 Ok)`));
});

test('a closed port: logs/i\'s info line and deferral, equal in shape', { skip: !available && 'no smtp-sink' }, async () => {
  const port = await freePort();
  const fixture = await nodeFixture();
  const request = await fixture.queueMessage({ sender: 'alice@example.com', recipients: [{ address: 'someone@remote.test' }], content: 'x\n', nexthop: `[127.0.0.1]:${port}` });
  const result = await fixture.deliver(smtpProgram, request);
  assert.equal(result.destinationDead?.dsn, '4.4.1');
  const reference = readFileSync(`${REFERENCE}/i-deferred-unreachable.log`, 'utf8').split('\n')
    .filter((line) => /postfix-ref1\/smtp\[/.test(line)).slice(0, 2)
    .map((line) => shape(line).replace(/^.*?\/smtp\[\d+\]: /, ''));
  assert.deepEqual(fixture.logLines().map((line) => shape(line).replace(/^postfix\/smtp\[\d+\]: /, '')), reference);
});
