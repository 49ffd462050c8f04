// A running world: a loaded scenario (engine/sim/scenario.ts) whose hosts have booted --
// `postfix start` on every host that asks for it, as an init system would, then the
// scenario's scripted actions scheduled (engine/sim/actions.ts) -- with the whole trace of
// every host recorded in order, and the ways to drive time over the one shared scheduler:
//   runDue(untilMs, eventsMax)  fire what is due by a virtual time (the browser's pacer,
//                               ui/src/worker/pacer.ts, follows the wall clock with it);
//   step()                      fire one event;
//   runUntil(predicate)         fire events until a trace event matches (a breakpoint);
//   fastForward(ms)             fire every event of the next ms of virtual time;
//   runUntilQuiet()             fire events until nothing has happened for a while.
// A user's typing goes through World.terminals (engine/sim/terminals.ts), fed between runs
// and logged with the point it was fed at, so that a replay can feed it again.
// Every run is bounded in events; a runaway (a mail loop) stops with a message that starts
// "SEED=<n> scenario=<id>: stopped after N events", never a hang. The engine never reads a
// real clock: the caller decides what "now" is. Determinism: the scheduler orders events by
// (time, insertion) and the loader's settle lets each event's promise chains finish before
// the next fires, so one scenario, seed and input give one trace (test/sim/determinism).
// Called by the UI's engine worker, engine/cli/sim.ts and tests. Trusts the scenario; a host
// whose Postfix fails to start is reported, not fatal.

import type { Host } from '../global/host.ts';
import type { TraceEvent } from '../global/trace.ts';
import type { RunResult, Scheduler, SimNetwork, SimPlatform, SimZone } from '../platform/sim/index.ts';
import { runningHost, type RunningHost } from '../master/index.ts';
import type { Volume } from 'memfs';
import type { LoadedScenario } from './scenario.ts';
import { runAs, scheduleActions, type ActionReport } from './actions.ts';
import { messagePaths, type MessagePath } from './message-path.ts';
import { createWorldFaults, scheduleFaults, type WorldFaults } from './faults.ts';
import { startActors, type ActorReport } from './actors/index.ts';
import { createWorldTerminals, type WorldTerminals } from './terminals.ts';
import { createStringInterner } from './trace-intern.ts';

/** Events one runDue() call fires when the caller names no limit. */
export const RUN_DUE_EVENTS_MAX = 1000;
/** Events one step/runUntil/fastForward/runUntilQuiet call fires unless told otherwise. */
export const WORLD_RUN_EVENTS_MAX = 100_000;
/** Virtual time without a trace event after which runUntilQuiet() stops, by default. */
export const QUIET_MS_DEFAULT = 10_000;
/** Trace events the world keeps; older ones are dropped (counted in traceDropped). */
export const WORLD_TRACE_EVENTS_MAX = 2_000_000;
/** Lines the runaway message quotes from the end of the trace. */
const RUNAWAY_TAIL_EVENTS = 5;

/** What booting one host said: `postfix start`'s status and its output. */
export interface HostBootReport {
  host: string;
  exitCode: number | undefined;
  output: string;
}

/** One host of the world. */
export interface WorldHost {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly host: Host;
  readonly platform: SimPlatform;
  /** The host's disk. */
  readonly volume: Volume;
  /** The running Postfix (master) for /etc/postfix, if any. */
  runtime(): RunningHost | undefined;
  /** The lines of the host's maillog_file (flushed first); [] when there is none. */
  maillog(): Promise<string[]>;
  /** Runs a command on the host as `user` (root by default), as a login shell would. */
  command(argv: string[], options?: { user?: string; stdin?: string }): Promise<{ exitCode: number | undefined; output: string }>;
}

export type WorldStopReason = 'matched' | 'idle' | 'until' | 'quiet' | 'limit';

/** How a step/run ended. */
export interface WorldRunOutcome {
  reason: WorldStopReason;
  /** Scheduler events fired by this call. */
  events: number;
  nowMs: number;
  /** The trace event that matched (runUntil). */
  matched?: TraceEvent;
  /** Trace events emitted during this call, in order. */
  trace: TraceEvent[];
  /** Set when the run stopped at its event limit: "SEED=<n> scenario=<id>: stopped after...". */
  runaway?: string;
}

export interface RunBounds {
  eventsMax?: number;
  /** runUntil: give up (reason 'until') before any event later than now + withinMs. */
  withinMs?: number;
  /** runUntilQuiet: the quiet time (default QUIET_MS_DEFAULT). */
  quietMs?: number;
}

export interface World {
  readonly loaded: LoadedScenario;
  readonly scheduler: Scheduler;
  readonly network: SimNetwork;
  /** The DNS zone every host resolves in; edit it to change answers or inject failures. */
  readonly zone: SimZone;
  readonly boot: readonly HostBootReport[];
  readonly hosts: readonly WorldHost[];
  /** Every trace event of every host since boot began, in emission order. */
  readonly trace: readonly TraceEvent[];
  /** Trace events dropped from the front of `trace` past WORLD_TRACE_EVENTS_MAX. */
  traceDropped(): number;
  /** Reports of the scripted actions that have finished. */
  readonly actions: readonly ActionReport[];
  /** Faults to inject now (link down, crash, DNS failure, disk full...): engine/sim/faults.ts. */
  readonly faults: WorldFaults;
  /** Reports of the scenario's actors that have finished (clients) or started (responders). */
  readonly actors: readonly ActorReport[];
  /** The hosts' interactive terminals and the log of what was typed into them, which a
   *  replay feeds again at the same points (engine/sim/terminals.ts). */
  readonly terminals: WorldTerminals;
  readonly seed: number;
  readonly scenarioId: string;
  host(name: string): WorldHost | undefined;
  /** The world's virtual time. */
  nowMs(): number;
  /** Scheduler events fired since the world booted. */
  position(): number;
  /** When the next scheduled event is due; undefined when nothing is scheduled. */
  nextEventMs(): number | undefined;
  /** Fires every event due at or before untilMs, at most eventsMax, then sets the clock to
   *  untilMs when all of them fired (reason 'until'); 'limit' leaves the clock at the last
   *  event fired, so a world that falls behind catches up on the next call. One call at a
   *  time: a second call while one runs waits for it (so do the calls below). */
  runDue(untilMs: number, eventsMax?: number): Promise<RunResult>;
  /** Fires the next event (and lets its work finish); 'idle' when there was none. */
  step(): Promise<WorldRunOutcome>;
  /** Fires events until a new trace event satisfies predicate ('matched'), the scheduler
   *  runs dry ('idle'), withinMs passes ('until') or eventsMax fire ('limit', runaway set). */
  runUntil(predicate: (event: TraceEvent) => boolean, bounds?: RunBounds): Promise<WorldRunOutcome>;
  /** Fires every event of the next ms of virtual time and sets the clock to now + ms
   *  ('until'), unless eventsMax fire first ('limit'). */
  fastForward(ms: number, bounds?: RunBounds): Promise<WorldRunOutcome>;
  /** Fires events until no trace event has happened for quietMs and the next event is
   *  further away than that ('quiet'), or the scheduler runs dry ('idle'); never 'quiet'
   *  before the scenario's runMs after boot. */
  runUntilQuiet(bounds?: RunBounds): Promise<WorldRunOutcome>;
  /** The trace as JSON lines, one event a line, each ending in "\n". */
  traceLines(): string;
  /** Each message's path across stages and hosts so far (engine/sim/message-path.ts). */
  messagePaths(): MessagePath[];
}

/** Runs `postfix start` on each host whose definition says startPostfix, in order, then
 *  schedules the scenario's actions. The trace is recorded from the first boot event. */
export async function bootWorld(loaded: LoadedScenario): Promise<World> {
  const recorder = recordTrace(loaded);
  const boot: HostBootReport[] = [];
  const byName = new Map(loaded.hosts.map((entry) => [entry.name, entry.host] as const));
  const zone = loaded.scenario.dns ?? { records: {} };
  // Armed before any host starts, so that a crash ends everything a boot began.
  const faults = createWorldFaults(loaded, zone, {
    onRestart: (entry, report) => {
      byName.set(entry.name, entry.host);
      boot.push(report);
    },
  });
  for (const [index, entry] of loaded.hosts.entries()) {
    const definition = loaded.scenario.hosts[index];
    if (definition?.startPostfix !== true || definition.mta === false) continue;
    const result = await runAs(entry.host, 'root', ['postfix', 'start']);
    boot.push({ host: entry.name, ...result });
  }
  const actions: ActionReport[] = [];
  scheduleActions(loaded.scenario.actions ?? [], byName, loaded.scheduler, actions);
  scheduleFaults(loaded.scenario.faults ?? [], faults, loaded);
  const actors: ActorReport[] = [];
  startActors(loaded.scenario.actors ?? [], loaded, actors);
  return createWorld(loaded, boot, recorder, actions, { faults, actors, zone });
}

interface TraceRecorder {
  events: TraceEvent[];
  dropped: number;
}

function recordTrace(loaded: LoadedScenario): TraceRecorder {
  const recorder: TraceRecorder = { events: [], dropped: 0 };
  const interner = createStringInterner();
  loaded.trace.subscribe((event) => {
    recorder.events.push(interner.internEvent(event));
    if (recorder.events.length > WORLD_TRACE_EVENTS_MAX) {
      const excess = recorder.events.length - WORLD_TRACE_EVENTS_MAX;
      recorder.events.splice(0, excess);
      recorder.dropped += excess;
    }
  });
  return recorder;
}

function worldHost(entry: LoadedScenario['hosts'][number]): WorldHost {
  const decoder = new TextDecoder();
  const runtime = () => runningHost(entry.host);
  // host and platform are read through the entry: a restart (faults-crash.ts) replaces them.
  return {
    name: entry.name, addresses: entry.addresses,
    get host() { return entry.host; },
    get platform() { return entry.platform; },
    get volume() { return entry.platform.fs.volume; },
    runtime,
    async maillog() {
      const running = runtime();
      await running?.flushLog();
      const path = running?.config().get('maillog_file') || '/var/log/maillog';
      let text: string;
      try {
        text = decoder.decode(await entry.platform.fs.readFile(path));
      } catch {
        return [];
      }
      return text.split('\n').filter((line) => line !== '');
    },
    command: (argv, options = {}) => runAs(entry.host, options.user ?? 'root', argv, options.stdin ?? ''),
  };
}

interface WorldExtras {
  faults: WorldFaults;
  actors: ActorReport[];
  zone: SimZone;
}

function createWorld(loaded: LoadedScenario, boot: HostBootReport[], recorder: TraceRecorder, actions: ActionReport[], extras: WorldExtras): World {
  const scheduler = loaded.scheduler;
  const hosts = loaded.hosts.map(worldHost);
  const scenarioId = loaded.scenario.id;
  const bootMs = loaded.bootMs;
  const bootFired = scheduler.fired;
  /** A virtual time as seconds after the world's start: "T+12.345s". */
  const sinceBoot = (atMs: number): string => `T+${((atMs - bootMs) / 1000).toFixed(3)}s`;
  let running: Promise<unknown> | undefined;
  /** One run at a time: waits for the one in progress, then runs body. */
  const exclusive = async <T>(body: () => Promise<T>): Promise<T> => {
    while (running !== undefined) await running.catch(() => undefined);
    const current = body();
    running = current;
    try {
      return await current;
    } finally {
      running = undefined;
    }
  };
  /** The index in recorder.events of the next event to be emitted. */
  const mark = (): number => recorder.dropped + recorder.events.length;
  const since = (start: number): TraceEvent[] => recorder.events.slice(Math.max(0, start - recorder.dropped));
  const runaway = (events: number, eventsMax: number, goal: string): string => {
    const tail = recorder.events.slice(-RUNAWAY_TAIL_EVENTS)
      .map((event) => `${event.host} ${event.service} ${event.kind}`).join('; ');
    const next = scheduler.peek();
    return `SEED=${loaded.seed} scenario=${scenarioId}: stopped after ${events} events (limit ${eventsMax}) `
      + `at ${sinceBoot(scheduler.nowMs())} ${goal}; `
      + `next event: ${next === undefined ? 'none' : `${next.label} at ${sinceBoot(next.atMs)}`}; `
      + `last trace events: ${tail === '' ? 'none' : tail}`;
  };
  const outcome = (start: number, result: RunResult, reason: WorldStopReason, goal: string, eventsMax: number): WorldRunOutcome => {
    const out: WorldRunOutcome = { reason, events: result.events, nowMs: scheduler.nowMs(), trace: since(start) };
    if (reason === 'limit') out.runaway = runaway(result.events, eventsMax, goal);
    return out;
  };

  const position = (): number => scheduler.fired - bootFired;
  const terminals = createWorldTerminals({
    scheduler, position, exclusive,
    host(name) {
      const index = hosts.findIndex((entry) => entry.name === name);
      const entry = hosts[index];
      if (entry === undefined) return undefined;
      const report = boot.find((candidate) => candidate.host === name);
      return {
        host: entry.host,
        mta: loaded.scenario.hosts[index]?.mta !== false,
        ...(report !== undefined && report.exitCode !== 0 ? { bootFailure: report.output } : {}),
      };
    },
  });

  const world: World = {
    loaded, scheduler, network: loaded.network, zone: extras.zone, boot, hosts,
    trace: recorder.events, actions, faults: extras.faults, actors: extras.actors, terminals, seed: loaded.seed, scenarioId,
    traceDropped: () => recorder.dropped,
    host: (name) => hosts.find((entry) => entry.name === name),
    nowMs: () => scheduler.nowMs(),
    position,
    nextEventMs: () => scheduler.peek()?.atMs,
    runDue: (untilMs, eventsMax = RUN_DUE_EVENTS_MAX) => exclusive(() =>
      scheduler.runUntil(Math.max(untilMs, scheduler.nowMs()), { eventsMax: Math.max(1, eventsMax) })),
    step: () => exclusive(async () => {
      const start = mark();
      const result = await scheduler.run({ eventsMax: 1 });
      return outcome(start, result, result.events === 0 ? 'idle' : 'until', 'stepping', 1);
    }),
    runUntil: (predicate, bounds = {}) => exclusive(async () => {
      const start = mark();
      const eventsMax = bounds.eventsMax ?? WORLD_RUN_EVENTS_MAX;
      const deadline = bounds.withinMs === undefined ? Infinity : scheduler.nowMs() + bounds.withinMs;
      let checked = start;
      let matched: TraceEvent | undefined;
      let late = false;
      const result = await scheduler.runUntil(() => {
        for (const event of since(checked)) {
          if (predicate(event)) { matched = event; break; }
        }
        checked = mark();
        late = (scheduler.peek()?.atMs ?? Infinity) > deadline;
        return matched !== undefined || late;
      }, { eventsMax });
      const reason: WorldStopReason = matched !== undefined ? 'matched' : late ? 'until' : result.reason === 'idle' ? 'idle' : 'limit';
      const out = outcome(start, result, reason, 'waiting for a breakpoint that never matched', eventsMax);
      if (matched !== undefined) out.matched = matched;
      return out;
    }),
    fastForward: (ms, bounds = {}) => exclusive(async () => {
      const start = mark();
      const eventsMax = bounds.eventsMax ?? WORLD_RUN_EVENTS_MAX;
      const result = await scheduler.runUntil(scheduler.nowMs() + Math.max(0, ms), { eventsMax });
      return outcome(start, result, result.reason === 'limit' ? 'limit' : 'until', `fast-forwarding ${ms} ms`, eventsMax);
    }),
    runUntilQuiet: (bounds = {}) => exclusive(async () => {
      const start = mark();
      const eventsMax = bounds.eventsMax ?? WORLD_RUN_EVENTS_MAX;
      const quietMs = bounds.quietMs ?? QUIET_MS_DEFAULT;
      const startMs = scheduler.nowMs();
      const runUntilMs = bootMs + (loaded.scenario.runMs ?? 0);
      const lastActivity = (): number => Math.max(startMs, recorder.events.at(-1)?.atMs ?? startMs);
      const result = await scheduler.runUntil(() => scheduler.nowMs() >= runUntilMs
        && (scheduler.peek()?.atMs ?? Infinity) > lastActivity() + quietMs, { eventsMax });
      const reason: WorldStopReason = result.reason === 'limit' ? 'limit' : result.reason === 'idle' || scheduler.peek() === undefined ? 'idle' : 'quiet';
      return outcome(start, result, reason, `waiting for ${quietMs} ms without a trace event`, eventsMax);
    }),
    traceLines: () => recorder.events.map((event) => `${JSON.stringify(event)}\n`).join(''),
    messagePaths: () => messagePaths(recorder.events, { ownerOf: (address) => loaded.network.ownerOf(address) }),
  };
  return world;
}
