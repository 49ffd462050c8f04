// The worker's hold on one running World (engine/sim/world.ts) and its time controls:
// play (the real-time pacer, ./pacer.ts), pause, step (fire events until the next trace
// event), fast-forward (a span of virtual time, bounded in events) and back (rebuild the
// world and replay it to where the previous step began, engine/sim/replay.ts). It keeps one
// shell (engine/shell) per host bound to the current world, streams the trace as event-list
// rows (./trace-rows.ts) and reports the clock as a WorldStatus. Controls run one at a time.
// A command line typed at a terminal changes the world in a way the replay cannot repeat,
// so from then on back is refused with that reason. Called by ./boot.ts and the worker.

import { createShell } from '../../../engine/shell/index.ts';
import type { Shell } from '../../../engine/shell/index.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import type { World } from '../../../engine/sim/world.ts';
import type { Replayer } from '../../../engine/sim/replay.ts';
import { startPacer, type Pacer } from './pacer.ts';
import { traceRow } from './trace-rows.ts';
import type { BackAvailability, TraceRow, WorldActivity, WorldStatus } from './protocol.ts';

/** Rows the worker sends in one batch (and after a rebuild) at most: the page keeps as many. */
export const TRACE_ROWS_MAX = 1000;
/** Scheduler events one step may fire while waiting for a trace event. */
export const STEP_EVENTS_MAX = 10_000;
/** Scheduler events one fast-forward may fire. */
export const FAST_FORWARD_EVENTS_MAX = 200_000;
/** Positions remembered for back. */
const HISTORY_MAX = 1000;

export interface WorldControlOptions {
  columns: number;
  rows: number;
  /** Terminal output of a host's shell. */
  write(hostId: string, data: string): void;
  onRows(rows: TraceRow[]): void;
  onReset(rows: TraceRow[]): void;
  onStatus(world: WorldStatus): void;
  /** An engine failure while the world runs. */
  onFailure(message: string): void;
}

interface TypedCommand {
  host: string;
  atMs: number;
}

export class WorldControl {
  private readonly replayer: Replayer;
  private readonly options: WorldControlOptions;
  private readonly shells = new Map<string, Shell>();
  private readonly sizes = new Map<string, { columns: number; rows: number }>();
  private readonly history: number[] = [];
  private pending: TraceRow[] = [];
  private unsubscribe: (() => void) | undefined;
  private pacer: Pacer | undefined;
  private activity: WorldActivity = 'paused';
  private typed: TypedCommand | undefined;
  private notice: string | null = null;
  private lastStatus = '';
  private queue: Promise<void> = Promise.resolve();

  constructor(replayer: Replayer, options: WorldControlOptions) {
    this.replayer = replayer;
    this.options = options;
    this.attach(replayer.world());
  }

  world(): World {
    return this.replayer.world();
  }

  hostIds(): string[] {
    return this.world().hosts.map((host) => host.name);
  }

  /** Prints each host's first prompt (after a failed `postfix start`'s output) and plays. */
  start(): void {
    const world = this.world();
    // The list starts with everything since boot (`postfix start` on each host).
    this.pending = [];
    this.options.onReset(this.lastRows());
    for (const [hostId, shell] of this.shells) {
      const report = world.boot.find((boot) => boot.host === hostId);
      if (report !== undefined && report.exitCode !== 0) this.options.write(hostId, report.output.replace(/\n/g, '\r\n'));
      shell.start();
    }
    this.play();
  }

  input(hostId: string, data: string): boolean {
    const shell = this.shells.get(hostId);
    if (shell === undefined) return false;
    if (this.typed === undefined && /[\r\n]/.test(data)) {
      this.typed = { host: hostId, atMs: this.world().nowMs() };
      this.publish();
    }
    shell.input(data);
    return true;
  }

  resize(hostId: string, columns: number, rows: number): boolean {
    const shell = this.shells.get(hostId);
    if (shell === undefined) return false;
    this.sizes.set(hostId, { columns, rows });
    shell.resize(columns, rows);
    return true;
  }

  play(): void {
    this.control(async () => {
      if (this.pacer !== undefined) return;
      this.remember();
      this.notice = null;
      this.activity = 'playing';
      this.pacer = startPacer(() => this.world(), {
        onTick: () => this.flush(),
        onError: (error) => this.fail(error),
      });
    });
  }

  pause(): void {
    this.control(() => this.stopPacer());
  }

  step(): void {
    this.control(async () => {
      await this.stopPacer();
      this.remember();
      this.activity = 'stepping';
      this.publish();
      const outcome = await this.world().runUntil(() => true, { eventsMax: STEP_EVENTS_MAX });
      this.notice = outcome.reason === 'idle' ? 'nothing is scheduled: the world is idle'
        : outcome.runaway ?? `${outcome.events} scheduler event${outcome.events === 1 ? '' : 's'}, ${outcome.trace.length} trace event${outcome.trace.length === 1 ? '' : 's'}`;
      this.activity = 'paused';
    });
  }

  fastForward(ms: number): void {
    this.control(async () => {
      const playing = this.pacer !== undefined;
      await this.stopPacer();
      this.remember();
      this.activity = 'fast-forwarding';
      this.publish();
      const outcome = await this.world().fastForward(ms, { eventsMax: FAST_FORWARD_EVENTS_MAX });
      this.notice = outcome.runaway
        ?? `fast-forwarded ${describeSpan(ms)}: ${outcome.events} scheduler events, ${outcome.trace.length} trace events`;
      this.activity = 'paused';
      if (playing && outcome.runaway === undefined) {
        this.flush();
        this.activity = 'playing';
        this.pacer = startPacer(() => this.world(), { onTick: () => this.flush(), onError: (error) => this.fail(error) });
      }
    });
  }

  back(): void {
    this.control(async () => {
      const availability = this.backAvailability();
      if (!availability.enabled) {
        this.notice = availability.reason;
        return;
      }
      await this.stopPacer();
      const here = this.replayer.position();
      let target = this.history.pop();
      while (target !== undefined && target >= here) target = this.history.pop();
      const goal = target ?? Math.max(0, here - 1);
      this.activity = 'replaying';
      this.publish();
      this.detach();
      await this.replayer.seek(goal);
      this.attach(this.world());
      this.pending = [];
      this.options.onReset(this.lastRows());
      for (const [hostId, shell] of this.shells) {
        // The prompt is redrawn on its own line: the old shell's half-typed line goes.
        this.options.write(hostId, '\r\x1b[2K');
        shell.start();
      }
      this.notice = `back to event ${goal} (replayed from the start)`;
      this.activity = 'paused';
    });
  }

  status(): WorldStatus {
    const world = this.world();
    return {
      nowMs: world.nowMs(),
      bootMs: world.loaded.bootMs,
      position: this.replayer.position(),
      nextEventMs: world.nextEventMs() ?? null,
      activity: this.activity,
      back: this.backAvailability(),
      traceTotal: world.traceDropped() + world.trace.length,
      notice: this.notice,
    };
  }

  private backAvailability(): BackAvailability {
    if (this.typed !== undefined) {
      return {
        enabled: false,
        reason: `a command was typed on ${this.typed.host}; back replays only the scenario, so it cannot undo that`,
      };
    }
    if (this.replayer.position() === 0) return { enabled: false, reason: 'the world is at its start' };
    return { enabled: true };
  }

  /** Runs one control after the previous one, then streams what changed. */
  private control(body: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      try {
        await body();
      } catch (error) {
        this.fail(error);
      }
      this.flush();
    });
  }

  private async stopPacer(): Promise<void> {
    const pacer = this.pacer;
    this.pacer = undefined;
    this.activity = 'paused';
    await pacer?.stop();
  }

  private remember(): void {
    const position = this.replayer.position();
    if (this.history.at(-1) === position) return;
    this.history.push(position);
    if (this.history.length > HISTORY_MAX) this.history.splice(0, this.history.length - HISTORY_MAX);
  }

  private fail(error: unknown): void {
    this.pacer = undefined;
    this.activity = 'paused';
    this.options.onFailure(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }

  /** Binds trace streaming and one shell per host to `world`. */
  private attach(world: World): void {
    this.unsubscribe = world.loaded.trace.subscribe((event: TraceEvent) => {
      this.pending.push(traceRow(event));
      if (this.pending.length > TRACE_ROWS_MAX * 2) this.pending.splice(0, this.pending.length - TRACE_ROWS_MAX);
    });
    this.shells.clear();
    for (const entry of world.hosts) {
      const hostId = entry.name;
      const size = this.sizes.get(hostId) ?? { columns: this.options.columns, rows: this.options.rows };
      this.shells.set(hostId, createShell({
        host: entry.host,
        columns: size.columns,
        rows: size.rows,
        write: (data) => {
          if (data.length > 0) this.options.write(hostId, data);
        },
      }));
    }
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private lastRows(): TraceRow[] {
    return this.world().trace.slice(-TRACE_ROWS_MAX).map(traceRow);
  }

  /** Sends the rows that arrived and the status, if it changed. */
  flush(): void {
    if (this.pending.length > 0) {
      const rows = this.pending.slice(-TRACE_ROWS_MAX);
      this.pending = [];
      this.options.onRows(rows);
    }
    this.publish();
  }

  private publish(): void {
    const status = this.status();
    const text = JSON.stringify(status);
    if (text === this.lastStatus) return;
    this.lastStatus = text;
    this.options.onStatus(status);
  }
}

function describeSpan(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
