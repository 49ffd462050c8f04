// The simulated world's benchmark (issue 5): how fast the deterministic sim runs in Node,
// with the settle the CLI and the browser use (one real macrotask turn after each event).
//   1. throughput: N messages (default 10,000) submitted with sendmail on a.example.test of
//      the two-hosts scenario, through a's pickup/cleanup/qmgr/smtp and b's smtpd/cleanup/
//      qmgr/local into bob's mailbox: messages/s end to end and scheduler events/s;
//   1b. campus: C messages (default 10,000) from grace on inet.example.org of the campus
//      scenario to ada@cs.campus.example, through inet, the MX gateway mx.campus.example
//      (relay_domains, transport_maps) and the internal store's local into ada's mailbox;
//   2. fast-forward: M messages (default 1,000) to a destination that is down (the a-b link
//      cut), deferred, then five simulated days of retries until they expire and bounce;
//   3. step back at E events (default 10,000): back() of engine/sim/replay.ts with its twin
//      world ready, right after another back (waiting for the twin's rebuild), and without a
//      twin (a replay from the start);
//   4. peak heap (sampled every 50 ms, and retained after gc() with --expose-gc).
// Figures are printed, never asserted; the targets are printed beside them.
// Run: `npm run bench:sim` (SIM_BENCH_MESSAGES, SIM_BENCH_CAMPUS_MESSAGES,
// SIM_BENCH_DEFERRED, SIM_BENCH_BACK_EVENTS scale the phases; SIM_BENCH_ONLY=throughput,campus
// runs only the phases named; MTALAB_BUNDLE=0 runs the engine's sources through tsx instead of the
// esbuild bundle of engine/cli/sim-bundle.ts). Trusts engine/sim; every run is bounded in events.

import type { World } from '../engine/sim/world.ts';
import type { TraceEvent } from '../engine/global/trace.ts';
import { loadSimRuntime } from '../engine/cli/sim-bundle.ts';

// The world's code, from the same esbuild bundle `mtalab sim` uses (MTALAB_BUNDLE=0: the
// TypeScript sources through tsx, as before).
const { runtime: { loadScenarioFromDisk, bootWorld, createReplayer, macrotaskSettle }, source: runtimeSource } = await loadSimRuntime();

const MESSAGES = positive('SIM_BENCH_MESSAGES', 10_000);
const CAMPUS_MESSAGES = positive('SIM_BENCH_CAMPUS_MESSAGES', 10_000);
const DEFERRED = positive('SIM_BENCH_DEFERRED', 1_000);
const BACK_EVENTS = positive('SIM_BENCH_BACK_EVENTS', 10_000);
/** Scheduler events one message may take end to end before a run counts as a runaway. */
const EVENTS_PER_MESSAGE_MAX = 60;
/** Scheduler events one deferred message may take over five days of retries. */
const EVENTS_PER_DEFERRED_MAX = 2_000;
/** Scheduler events five days of daemon timers take with nothing to deliver (~23,000). */
const QUIET_DAYS_EVENTS_MAX = 100_000;
const DAY_MS = 86_400_000;
/** Who writes to whom in a throughput phase, and where the message ends. */
interface Route {
  scenario: string;
  senderHost: string;
  user: string;
  sender: string;
  recipient: string;
  /** The host whose local delivery into the recipient's mailbox ends the message's way. */
  finalHost: string;
  /** The MTAs between the sender's and the final host. */
  via: string[];
  /** MTAs the message goes through, for the event budget. */
  hops: number;
  /** When the first message is submitted, after the scenario's own scripted mail. */
  startMs: number;
}
const TWO_HOSTS: Route = {
  scenario: 'two-hosts', senderHost: 'a.example.test', user: 'alice', sender: 'alice@a.example.test',
  recipient: 'bob@b.example.test', finalHost: 'b.example.test', via: [], hops: 2, startMs: 2_000,
};
const CAMPUS: Route = {
  scenario: 'campus', senderHost: 'inet.example.org', user: 'grace', sender: 'grace@example.org',
  recipient: 'ada@cs.campus.example', finalHost: 'store.campus.example', via: ['mx.campus.example'], hops: 3, startMs: 4_000,
};
const SCENARIO = TWO_HOSTS.scenario;
const SENDER_HOST = TWO_HOSTS.senderHost;
const RECEIVER_HOST = TWO_HOSTS.finalHost;

function positive(name: string, fallback: number): number {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Peak heap and RSS, sampled on a real interval while the benchmark runs. */
const peak = { heapBytes: 0, rssBytes: 0 };
function samplePeak(): void {
  const usage = process.memoryUsage();
  peak.heapBytes = Math.max(peak.heapBytes, usage.heapUsed);
  peak.rssBytes = Math.max(peak.rssBytes, usage.rss);
}
const sampler = setInterval(samplePeak, 50);

const collect = (globalThis as { gc?: () => void }).gc;
/** Heap in use after a full collection (undefined without --expose-gc). */
function retainedHeapBytes(): number | undefined {
  if (collect === undefined) return undefined;
  collect();
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number | undefined): string => (bytes === undefined ? 'n/a (run with --expose-gc)' : `${(bytes / 1_048_576).toFixed(0)} MB`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A stopwatch of wall and CPU time (user + system): on a loaded machine the CPU time is the
 *  steadier figure. */
function stopwatch(): () => { wallMs: number; cpuMs: number } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
  };
}
const rate = (count: number, ms: number): string => Math.round((count / ms) * 1000).toLocaleString('en-US');

async function openWorld(scenario = SCENARIO): Promise<World> {
  return bootWorld(await loadScenarioFromDisk(scenario, { settle: macrotaskSettle }));
}

/** Schedules `count` messages along `route` with sendmail on its sender host, one every ms
 *  from the route's start. */
function scheduleMessages(world: World, count: number, route: Route = TWO_HOSTS): void {
  const sender = world.host(route.senderHost);
  if (sender === undefined) throw new Error(`scenario ${route.scenario} has no host ${route.senderHost}`);
  for (let index = 0; index < count; index++) {
    world.scheduler.at(world.loaded.bootMs + route.startMs + index, () => {
      void sender.command(['sendmail', '-f', route.sender, route.recipient], {
        user: route.user, stdin: `Subject: bench message ${index}\n\nmessage ${index} of ${count}\n`,
      });
    }, `bench message ${index}`);
  }
}

const countOf = (trace: readonly TraceEvent[], match: (event: TraceEvent) => boolean): number =>
  trace.reduce((total, event) => total + (match(event) ? 1 : 0), 0);

function failIfRunaway(world: World, reason: string, runaway: string | undefined): void {
  if (reason === 'limit') throw new Error(runaway ?? `SEED=${world.seed} scenario=${world.scenarioId}: run hit its limit`);
}

/** Messages along `route` from the start of their submissions until the world is quiet:
 *  the count delivered by local into the recipient's mailbox on the final host (not counting
 *  what the scenario itself sends there). */
async function throughput(route: Route, messages: number): Promise<void> {
  const world = await openWorld(route.scenario);
  await world.fastForward(route.startMs - 100, { eventsMax: 100_000 });
  const isArrival = (event: TraceEvent): boolean => event.kind === 'delivery.status' && event.host === route.finalHost
    && event.status === 'sent' && event.recipient === route.recipient && event.relay === 'local';
  const before = countOf(world.trace, isArrival);
  scheduleMessages(world, messages, route);
  const firedBefore = world.scheduler.fired;
  const tracedBefore = world.trace.length;
  const elapsed = stopwatch();
  const outcome = await world.runUntilQuiet({ eventsMax: messages * EVENTS_PER_MESSAGE_MAX * route.hops + 10_000 });
  const { wallMs: elapsedMs, cpuMs } = elapsed();
  failIfRunaway(world, outcome.reason, outcome.runaway);
  const events = world.scheduler.fired - firedBefore;
  const delivered = countOf(world.trace, isArrival) - before;
  const way = [route.senderHost, ...route.via, route.finalHost].join(' -> ');
  console.log(`${route === CAMPUS ? 'campus' : 'throughput'} (${route.scenario}, ${messages} messages ${way} by SMTP, into ${route.recipient}'s mailbox)`);
  console.log(`  delivered            ${delivered} of ${messages} in ${seconds(elapsedMs)} wall (${seconds(cpuMs)} CPU), ${seconds(world.nowMs() - world.loaded.bootMs)} simulated`);
  const target = route === TWO_HOSTS ? '; target >= 5,000' : '';
  console.log(`  messages/s           ${rate(delivered, elapsedMs)}   (${rate(delivered, cpuMs)} per CPU second, ${(cpuMs / Math.max(1, delivered)).toFixed(2)} ms CPU per message${target})`);
  console.log(`  events/s             ${rate(events, elapsedMs)}   (${events} scheduler events, ${(events / messages).toFixed(1)} per message; ${world.trace.length - tracedBefore} trace events)`);
  console.log(`  heap retained        ${mb(retainedHeapBytes())} with the world alive`);
}

async function fastForward(): Promise<void> {
  const world = await openWorld();
  world.network.setLinkUp(SENDER_HOST, RECEIVER_HOST, false);
  scheduleMessages(world, DEFERRED);
  const eventsMax = DEFERRED * EVENTS_PER_DEFERRED_MAX + QUIET_DAYS_EVENTS_MAX;
  const queued = await world.fastForward(60_000, { eventsMax });
  failIfRunaway(world, queued.reason, queued.runaway);
  const deferred = countOf(world.trace, (event) => event.kind === 'delivery.status' && event.status === 'deferred');
  const firedBefore = world.scheduler.fired;
  const elapsed = stopwatch();
  const outcome = await world.fastForward(5 * DAY_MS + 3_600_000, { eventsMax });
  const { wallMs: elapsedMs, cpuMs } = elapsed();
  failIfRunaway(world, outcome.reason, outcome.runaway);
  const events = world.scheduler.fired - firedBefore;
  const expired = countOf(world.trace, (event) => event.kind === 'qmgr.expired' && event.host === SENDER_HOST);
  // Delivery attempts of the five days: each deferral of a recipient on a (the first
  // minute's are counted above and taken off).
  const attempts = countOf(world.trace, (event) => event.kind === 'delivery.status' && event.status === 'deferred') - deferred;
  const notices = countOf(world.trace, (event) => event.kind === 'bounce.notification' && event.host === SENDER_HOST);
  console.log(`fast-forward (${DEFERRED} messages to ${RECEIVER_HOST}, link down; ${deferred} deferred in the first minute)`);
  console.log(`  5 days + 1 h         ${seconds(elapsedMs)} wall, ${seconds(cpuMs)} CPU   (target < 2 s)`);
  console.log(`  expired / bounced    ${expired} expired, ${notices} bounce notifications`);
  console.log(`  attempts             ${attempts} deferred attempts, ${((cpuMs * 1000) / Math.max(1, attempts)).toFixed(0)} us CPU per attempt`);
  console.log(`  events/s             ${rate(events, elapsedMs)}   (${events} scheduler events, ${(events / DEFERRED).toFixed(1)} per message)`);
  console.log(`  heap retained        ${mb(retainedHeapBytes())} with the world alive`);
}

async function stepBack(): Promise<void> {
  // Enough messages that BACK_EVENTS events happen before the world goes quiet.
  const messages = Math.ceil(BACK_EVENTS / 15);
  const open = async (): Promise<World> => { const world = await openWorld(); scheduleMessages(world, messages); return world; };
  const replayer = await createReplayer(open);
  await replayer.seek(BACK_EVENTS - 1);
  await replayer.step();
  await replayer.rebuilding();
  if (replayer.position() !== BACK_EVENTS) throw new Error(`step back: the world went quiet after ${replayer.position()} events`);
  let started = performance.now();
  await replayer.back();
  const twinMs = performance.now() - started;
  started = performance.now();
  await replayer.back();
  const rebuiltMs = performance.now() - started;
  replayer.dispose();
  const plain = await createReplayer(open, { twin: false });
  await plain.seek(BACK_EVENTS);
  started = performance.now();
  await plain.back();
  const replayMs = performance.now() - started;
  console.log(`step back at ${BACK_EVENTS} events (${SCENARIO}, ${messages} messages)`);
  console.log(`  twin ready           ${twinMs.toFixed(1)} ms   (target < 100 ms)`);
  console.log(`  right after a back   ${rebuiltMs.toFixed(0)} ms   (waits for the twin's rebuild from the start)`);
  console.log(`  no twin (replay)     ${replayMs.toFixed(0)} ms   (${rate(BACK_EVENTS, replayMs)} events/s replayed)`);
}

async function main(): Promise<void> {
  console.log(`mtalab sim benchmark: node ${process.version}, settle = one macrotask per event, engine from ${runtimeSource === 'bundle' ? 'an esbuild bundle' : 'the sources (tsx)'}`);
  const phases: Array<[string, () => Promise<void>]> = [
    ['throughput', () => throughput(TWO_HOSTS, MESSAGES)],
    ['campus', () => throughput(CAMPUS, CAMPUS_MESSAGES)],
    ['fast-forward', fastForward],
    ['step back', stepBack],
  ];
  const only = process.env.SIM_BENCH_ONLY;
  for (const [name, phase] of phases) {
    if (only !== undefined && only !== '' && !only.split(',').includes(name)) continue;
    retainedHeapBytes();
    await phase();
    samplePeak();
  }
  console.log(`peak                   heap ${mb(peak.heapBytes)}, rss ${mb(peak.rssBytes)} (sampled every 50 ms)`);
}

try {
  await main();
} finally {
  clearInterval(sampler);
}
