// The worker's hold on one running World (engine/sim/world.ts) and its time controls:
// play (the real-time pacer, ./pacer.ts), pause, step (fire events until the next trace
// event), fast-forward (a span of virtual time, bounded in events) and back (rebuild the
// world and replay it to where the previous step began, engine/sim/replay.ts). Each host's
// terminal is the world's own (World.terminals, engine/sim/terminals.ts): what is typed is
// fed to the world between its runs and logged, so back replays typed commands too, and
// after a back each terminal is redrawn from the replayed shell's output. It streams the
// trace as event-list rows (./trace-rows.ts) and reports the clock as a WorldStatus.
// Controls and typing run one at a time, in order. Called by ./boot.ts and the worker.

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
  /** The host's terminal starts over with `data` (after a back: the replayed shell's output). */
  redraw(hostId: string, data: string): void;
  onRows(rows: TraceRow[]): void;
  onReset(rows: TraceRow[]): void;
  onStatus(world: WorldStatus): void;
  /** An engine failure while the world runs. */
  onFailure(message: string): void;
}

export class WorldControl {
  private readonly replayer: Replayer;
  private readonly options: WorldControlOptions;
  private readonly sizes = new Map<string, { columns: number; rows: number }>();
  private readonly history: number[] = [];
  private pending: TraceRow[] = [];
  private unsubscribe: (() => void) | undefined;
  private pacer: Pacer | undefined;
  private activity: WorldActivity = 'paused';
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

  /** Opens each host's terminal (its first prompt, after a failed `postfix start`'s
   *  output) and plays. */
  start(): void {
    // The list starts with everything since boot (`postfix start` on each host).
    this.pending = [];
    this.options.onReset(this.lastRows());
    this.control(async () => {
      const world = this.world();
      for (const hostId of this.hostIds()) await world.terminals.open(hostId, this.sizeOf(hostId));
    });
    this.play();
  }

  /** Feeds typing to a host's terminal, in order with the controls (a key typed during a
   *  back reaches the replayed world). */
  input(hostId: string, data: string): boolean {
    if (this.world().host(hostId) === undefined) return false;
    this.control(() => this.world().terminals.input(hostId, data), false);
    return true;
  }

  resize(hostId: string, columns: number, rows: number): boolean {
    if (this.world().host(hostId) === undefined) return false;
    const size = { columns: Math.max(1, Math.floor(columns)), rows: Math.max(1, Math.floor(rows)) };
    const known = this.sizes.get(hostId);
    if (known?.columns === size.columns && known.rows === size.rows) return true;
    this.sizes.set(hostId, size);
    this.control(() => this.world().terminals.resize(hostId, size.columns, size.rows), false);
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
      const world = this.world();
      this.attach(world);
      this.pending = [];
      this.options.onReset(this.lastRows());
      // Each terminal shows what the replayed shell wrote, typed commands included.
      for (const hostId of this.hostIds()) this.options.redraw(hostId, world.terminals.transcript(hostId));
      await this.syncSizes(world);
      // Keystroke batches are not commands (a paste is one batch, a typed line many): say
      // only whether typing was replayed.
      const typed = world.terminals.log.some((entry) => entry.kind === 'keys');
      this.notice = `back to event ${goal} (replayed from the start${typed ? ', with your typing fed again at the same points' : ''})`;
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
    if (this.replayer.position() === 0) return { enabled: false, reason: 'the world is at its start' };
    return { enabled: true };
  }

  /** Runs one control after the previous one, then streams what changed. */
  private control(body: () => Promise<void>, flush = true): void {
    this.queue = this.queue.then(async () => {
      try {
        await body();
      } catch (error) {
        this.fail(error);
      }
      if (flush) this.flush();
    });
  }

  private sizeOf(hostId: string): { columns: number; rows: number } {
    return this.sizes.get(hostId) ?? { columns: this.options.columns, rows: this.options.rows };
  }

  /** After a back: the replayed terminals take the page's current sizes. */
  private async syncSizes(world: World): Promise<void> {
    for (const hostId of world.terminals.openHosts()) {
      const size = this.sizes.get(hostId);
      if (size !== undefined) await world.terminals.resize(hostId, size.columns, size.rows);
    }
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

  /** Binds trace streaming and the terminals' output to `world`. */
  private attach(world: World): void {
    const unsubscribeTrace = world.loaded.trace.subscribe((event: TraceEvent) => {
      this.pending.push(traceRow(event));
      if (this.pending.length > TRACE_ROWS_MAX * 2) this.pending.splice(0, this.pending.length - TRACE_ROWS_MAX);
    });
    const unsubscribeTerminals = world.terminals.subscribe((hostId, data) => this.options.write(hostId, data));
    this.unsubscribe = () => { unsubscribeTrace(); unsubscribeTerminals(); };
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
