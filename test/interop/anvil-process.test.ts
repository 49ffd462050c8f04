// anvil's process lifetime on a private real Postfix 3.7.11 and on mtalab in node real mode,
// side by side, both laid down from one spec (an inet smtpd on a free 127.0.0.1 port and
// the anvil service, real-instance.ts's smtpdListen): mynetworks = 127.0.0.1/32 and clients
// from 127.0.0.2 so smtpd asks anvil, max_idle = 2s, anvil_rate_time_unit = 4s, ipc_idle =
// 1s, smtpd_client_connection_rate_limit = 2. Compared: the banners of three quick sessions
// (220, 220, 421), anvil's "statistics:" lines when it exits idle (texts with their " at
// TIME" and the port masked, and their count), a later session's banner (220 again), and
// that anvil's lines after the statistics come from a new pid (its main.cf warning logged
// once more, and its own statistics at its own idle exit, which are compared too).
// This is what commit 218ffda claims and test/pipeline/anvil-process.test.ts shows in
// simulated time. Every wait is bounded; both masters are stopped by pid.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { freeLoopbackPort, RealPostfixInstance, waitFor, type InstanceSpec } from './real-instance.ts';
import { MtalabInstance } from './mtalab-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { stripLogPrefix } from './pipeline-normalise.ts';

/** The address the SMTP clients connect from (outside mynetworks, so anvil counts it). */
const CLIENT_ADDRESS = '127.0.0.2';
const LIMITS = 'mynetworks = 127.0.0.1/32\nmax_idle = 2s\nanvil_rate_time_unit = 4s\nipc_idle = 1s\nsmtpd_client_connection_rate_limit = 2\n';
/** Upper bound on one SMTP session (banner, QUIT, close). */
const SESSION_TIMEOUT_MS = 5000;
/** Upper bound on waiting for anvil's idle exit: ipc_idle + max(max_idle, unit) is 5 s. */
const STATISTICS_WAIT_MS = 9000;
const QUICK_SESSIONS = 3;

interface Side {
  directory: string;
  maillogPath: string;
  start(): Promise<unknown>;
  stop(): Promise<void>;
  remove(): void;
  maillog(): string[];
}

interface Observed {
  quickBanners: string[];
  /** anvil's statistics lines at its idle exit, " at TIME" and the port masked. */
  statistics: string[];
  /** Seconds from the start of the first session to the statistics (reported, not compared). */
  statisticsAfterSeconds: number;
  laterBanner: string;
  /** The later anvil's statistics at its own idle exit, masked as above. */
  laterStatistics: string[];
  /** Whether every anvil line after the first statistics has a pid other than theirs. */
  laterAnvilIsNew: boolean;
  /** anvil's main.cf warnings after the statistics (the new process reads main.cf). */
  laterWarnings: number;
}

/** One SMTP session from CLIENT_ADDRESS: the banner's first line, host name masked. */
function session(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: CLIENT_ADDRESS });
    let text = '';
    let quitSent = false;
    const timer = setTimeout(() => socket.destroy(), SESSION_TIMEOUT_MS);
    socket.on('data', (data) => {
      text += data.toString();
      if (text.includes('\r\n221') || text.startsWith('421')) socket.end();
      else if (text.includes('\n') && !quitSent) {
        socket.write('QUIT\r\n');
        quitSent = true;
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve((text.split('\r\n')[0] ?? '').replace(/^(\d{3}) (\d\.\d\.\d )?\S+ /, '$1 $2HOST '));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function anvilLines(lines: readonly string[]): { pid: string; text: string }[] {
  return lines.flatMap((line) => {
    const found = /\/anvil\[(\d+)\]: (.*)$/.exec(stripLogPrefix(line));
    return found === null ? [] : [{ pid: found[1]!, text: found[2]! }];
  });
}

/** Waits (bounded) until anvil has logged its exit statistics this many times. */
async function waitForStatistics(side: Side, times: number): Promise<void> {
  const done = () => anvilLines(side.maillog()).filter((line) => line.text.startsWith('statistics: max cache size')).length >= times;
  await waitFor(done, STATISTICS_WAIT_MS);
}

/** The statistics lines of one anvil pid, " at TIME" and the port masked. */
function statisticsOf(lines: readonly { pid: string; text: string }[], port: number): string[] {
  // The service is smtpd's master.cf name, "127.0.0.1:PORT", and the ports differ.
  return lines.filter((line) => line.text.startsWith('statistics:'))
    .map((line) => line.text.split(`:${port}:`).join(':PORT:').replace(/ at \w{3} [ \d]\d \d\d:\d\d:\d\d$/, ' at TIME'));
}

async function run(side: Side, port: number): Promise<Observed> {
  await side.start();
  try {
    const startedMs = Date.now();
    const quickBanners: string[] = [];
    for (let index = 0; index < QUICK_SESSIONS; index += 1) quickBanners.push(await session(port));
    await waitForStatistics(side, 1);
    const statisticsAfterSeconds = (Date.now() - startedMs) / 1000;
    const before = anvilLines(side.maillog());
    const laterBanner = await session(port);
    // The later anvil exits idle too: its statistics show what it counted.
    await waitForStatistics(side, 2);
    const later = anvilLines(side.maillog()).slice(before.length);
    const exitedPids = new Set(before.map((line) => line.pid));
    return {
      quickBanners,
      statistics: statisticsOf(before, port),
      statisticsAfterSeconds,
      laterBanner,
      laterStatistics: statisticsOf(later, port),
      laterAnvilIsNew: later.length > 0 && later.every((line) => !exitedPids.has(line.pid)),
      laterWarnings: later.filter((line) => line.text.includes('overriding earlier entry: mynetworks')).length,
    };
  } finally {
    await side.stop();
  }
}

test('anvil exits idle with its statistics and the next client gets a new one: real Postfix and mtalab agree', { skip: !hasRealCommand('postfix') }, async () => {
  const [realPort, oursPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const realSpec: InstanceSpec = { smtpdListen: `127.0.0.1:${realPort}`, mainCf: LIMITS };
  const oursSpec: InstanceSpec = { smtpdListen: `127.0.0.1:${oursPort}`, mainCf: LIMITS };
  const real = RealPostfixInstance.create(realSpec);
  const ours = MtalabInstance.create(oursSpec, 'mtalab-anvil-');
  try {
    const [expected, actual] = await Promise.all([run(real, realPort), run(ours, oursPort)]);
    const fields = ['quickBanners', 'statistics', 'laterBanner', 'laterStatistics', 'laterAnvilIsNew', 'laterWarnings'] as const;
    const equal = fields.filter((field) => JSON.stringify(actual[field]) === JSON.stringify(expected[field])).length;
    console.log(`anvil interop: ${equal}/${fields.length} equal (statistics after ${expected.statisticsAfterSeconds.toFixed(1)} s real, ${actual.statisticsAfterSeconds.toFixed(1)} s mtalab)`);
    // What Postfix did, so a changed real side shows up as such.
    assert.deepEqual(expected.quickBanners, ['220 HOST ESMTP Postfix', '220 HOST ESMTP Postfix', '421 4.7.0 HOST Error: too many connections from 127.0.0.2']);
    assert.equal(expected.statistics.length, 3, expected.statistics.join('\n'));
    assert.equal(expected.laterStatistics.length, 3, expected.laterStatistics.join('\n'));
    for (const field of fields) assert.deepEqual(actual[field], expected[field], field);
  } finally {
    real.remove();
    ours.remove();
  }
});
