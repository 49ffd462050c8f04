// A running world: a loaded scenario (engine/sim/scenario.ts) whose hosts have booted --
// `postfix start` on every host that asks for it, as an init system would -- and a pure
// pacing API over the shared scheduler: runDue(untilMs, eventsMax) fires the events due by
// a virtual time, bounded in count. Who decides what "now" is stays outside: the browser
// worker (ui/src/worker/pacer.ts) follows the wall clock, tests drive it by hand, so the
// engine never reads a real clock. Called by the UI's engine worker and by tests.
// Trusts the scenario; a host whose Postfix fails to start is reported, not fatal.

import { runCommand } from '../admin/run.ts';
import { BufferedInput, CapturedOutput } from '../admin/stdio.ts';
import type { Host } from '../global/host.ts';
import type { RunResult, Scheduler } from '../platform/sim/index.ts';
import type { LoadedScenario } from './scenario.ts';

/** Events one runDue() call fires when the caller names no limit. */
export const RUN_DUE_EVENTS_MAX = 1000;

/** What booting one host said: `postfix start`'s status and its output. */
export interface HostBootReport {
  host: string;
  exitCode: number | undefined;
  output: string;
}

export interface World {
  readonly loaded: LoadedScenario;
  readonly scheduler: Scheduler;
  readonly boot: readonly HostBootReport[];
  /** The world's virtual time. */
  nowMs(): number;
  /** When the next scheduled event is due; undefined when nothing is scheduled. */
  nextEventMs(): number | undefined;
  /** Fires every event due at or before untilMs, at most eventsMax, then sets the clock to
   *  untilMs when all of them fired (reason 'until'); 'limit' leaves the clock at the last
   *  event fired, so a world that falls behind catches up on the next call. One call at a
   *  time: a second call while one runs waits for it. */
  runDue(untilMs: number, eventsMax?: number): Promise<RunResult>;
}

/** Runs `postfix start` on each host whose definition says startPostfix, in order. */
export async function bootWorld(loaded: LoadedScenario): Promise<World> {
  const boot: HostBootReport[] = [];
  for (const [index, entry] of loaded.hosts.entries()) {
    if (loaded.scenario.hosts[index]?.startPostfix !== true) continue;
    boot.push(await startPostfix(entry.host));
  }
  return createWorld(loaded, boot);
}

function createWorld(loaded: LoadedScenario, boot: HostBootReport[]): World {
  const scheduler = loaded.scheduler;
  let running: Promise<RunResult> | undefined;
  const runDue = async (untilMs: number, eventsMax = RUN_DUE_EVENTS_MAX): Promise<RunResult> => {
    while (running !== undefined) await running.catch(() => undefined);
    const target = Math.max(untilMs, scheduler.nowMs());
    running = scheduler.runUntil(target, { eventsMax: Math.max(1, eventsMax) });
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };
  return {
    loaded, scheduler, boot,
    nowMs: () => scheduler.nowMs(),
    nextEventMs: () => scheduler.peek()?.atMs,
    runDue,
  };
}

async function startPostfix(host: Host): Promise<HostBootReport> {
  const output = new CapturedOutput();
  const exitCode = await runCommand({
    argv: ['postfix', 'start'], stdin: new BufferedInput(''), stdout: output, stderr: output,
    env: new Map([['USER', 'root'], ['LOGNAME', 'root'], ['HOME', '/root']]), cwd: '/', host,
  });
  return { host: host.name, exitCode, output: output.text() };
}
