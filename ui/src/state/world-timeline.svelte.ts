// The page's view of the world's time: the clock and control state the worker reports
// (protocol.ts WorldStatus) and the last rows of the trace for the event list, capped at
// ROWS_KEPT so that a long run never grows the page. Svelte 5 runes make both reactive.
// Fed by EngineSession (./engine-session.svelte.ts) from the worker's 'world', 'trace' and
// 'trace-reset' messages; read by the controls and the event list.

import type { TraceRow, WorldStatus } from '../worker/protocol.ts';

/** Rows the event list keeps; older ones scroll away for good. */
export const ROWS_KEPT = 1000;

export class WorldTimeline {
  status: WorldStatus | null = $state(null);
  /** The newest rows, oldest first; replaced, never mutated, so the list re-renders once. */
  rows: TraceRow[] = $state.raw([]);

  /** True while a control runs in the worker (the buttons wait for it). */
  readonly busy = $derived(this.status !== null
    && (this.status.activity === 'stepping' || this.status.activity === 'fast-forwarding' || this.status.activity === 'replaying'));
  readonly playing = $derived(this.status?.activity === 'playing');

  update(status: WorldStatus): void {
    this.status = status;
  }

  append(rows: TraceRow[]): void {
    if (rows.length === 0) return;
    const joined = this.rows.length + rows.length > ROWS_KEPT ? [...this.rows, ...rows].slice(-ROWS_KEPT) : [...this.rows, ...rows];
    this.rows = joined;
  }

  reset(rows: TraceRow[]): void {
    this.rows = rows.slice(-ROWS_KEPT);
  }
}
