// The messages between the page and the engine worker (ui/src/worker/engine.worker.ts).
// A discriminated union in each direction: the page sends PageToWorker, the worker answers
// with WorkerToPage. Everything here is plain JSON-safe data, because it crosses the worker
// boundary by structured clone. Called by the page's session state and by the worker.
// Time control (issue 5, item 9): the page asks the worker to play (realtime), pause, step,
// go back (by replay) or fast-forward; the worker streams the trace as TraceRow batches and
// the world's clock and controls as WorldStatus.

/** A scenario as the page shows it in its header. */
export interface ScenarioSummary {
  id: string;
  title: string;
  description: string;
}

/** One simulated machine: what the host panel shows and the terminal is bound to. */
export interface HostSummary {
  /** Stable key for messages; the host name unless a scenario says otherwise. */
  id: string;
  name: string;
  addresses: string[];
}

/** One trace event as the event list shows it (a maillog-like text where one exists). */
export interface TraceRow {
  seq: number;
  atMs: number;
  host: string;
  service: string;
  kind: string;
  queueId: string;
  /** The maillog text (without the "Mon DD HH:MM:SS host postfix/x[pid]: " prefix), or a
   *  short summary of the event for kinds that do not log. */
  text: string;
  /** True when `text` is the maillog line's text. */
  logged: boolean;
  /** A coarse class for colouring: delivered, deferred, bounced, rejected, warning or plain. */
  tone: TraceTone;
}

export type TraceTone = 'delivered' | 'deferred' | 'bounced' | 'rejected' | 'warning' | 'plain';

/** Whether "back" can run, or why not. */
export type BackAvailability =
  | { enabled: true }
  | { enabled: false; reason: string };

/** What the worker is doing with the world's time right now. */
export type WorldActivity = 'paused' | 'playing' | 'stepping' | 'fast-forwarding' | 'replaying';

/** The world's clock and the state of the time controls. */
export interface WorldStatus {
  /** Virtual time now, ms since the epoch. */
  nowMs: number;
  /** Virtual time the world booted at. */
  bootMs: number;
  /** Scheduler events fired since boot. */
  position: number;
  /** When the next scheduled event is due, if any. */
  nextEventMs: number | null;
  activity: WorldActivity;
  back: BackAvailability;
  /** Trace events since boot (the list shows only the last few). */
  traceTotal: number;
  /** What the last control did, or why it stopped (a runaway message starts "SEED="). */
  notice: string | null;
}

export type PageToWorker =
  /** Load a scenario (a directory name under scenarios/) and start one shell per host. */
  | { type: 'boot'; scenario: string; columns: number; rows: number }
  /** Raw terminal input for a host's shell: keystrokes and escape sequences. */
  | { type: 'input'; hostId: string; data: string }
  /** The terminal was resized to this many character cells. */
  | { type: 'resize'; hostId: string; columns: number; rows: number }
  /** Let virtual time follow the wall clock. */
  | { type: 'play' }
  | { type: 'pause' }
  /** Fire events until the next trace event appears (pauses first). */
  | { type: 'step' }
  /** Replay the world to where the previous step, fast-forward or play began (pauses first). */
  | { type: 'back' }
  /** Fire every event of the next `ms` of virtual time, bounded in events. */
  | { type: 'fast-forward'; ms: number };

export type WorkerErrorCode =
  /** The scenario named in 'boot' does not exist or could not be loaded. */
  | 'scenario-not-found'
  | 'scenario-invalid'
  /** A message named a host that the scenario does not have. */
  | 'unknown-host'
  /** A message arrived before 'boot', or a second 'boot'. */
  | 'bad-state'
  /** The engine threw: a programmer error, shown to the user rather than hidden. */
  | 'engine-failure';

export type WorkerToPage =
  | { type: 'ready'; scenario: ScenarioSummary; hosts: HostSummary[]; world: WorldStatus }
  /** New trace events, in order. */
  | { type: 'trace'; rows: TraceRow[] }
  /** The world was rebuilt (back): the list restarts with these, the last ones of its trace. */
  | { type: 'trace-reset'; rows: TraceRow[] }
  | { type: 'world'; world: WorldStatus }
  /** Terminal output from a host's shell, to write to its terminal unchanged. */
  | { type: 'output'; hostId: string; data: string }
  /** The world was rebuilt (back): the host's terminal starts over (cleared, scrollback
   *  too) and shows `data`, everything the replayed shell has written. */
  | { type: 'terminal-reset'; hostId: string; data: string }
  | { type: 'error'; code: WorkerErrorCode; message: string };

/** Narrows an unknown message event payload to a page request, for the worker's guard. */
export function isPageToWorker(value: unknown): value is PageToWorker {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'boot':
      return typeof message.scenario === 'string';
    case 'input':
      return typeof message.hostId === 'string' && typeof message.data === 'string';
    case 'resize':
      return typeof message.hostId === 'string'
        && typeof message.columns === 'number' && typeof message.rows === 'number';
    case 'play':
    case 'pause':
    case 'step':
    case 'back':
      return true;
    case 'fast-forward':
      return typeof message.ms === 'number' && Number.isFinite(message.ms) && message.ms > 0;
    default:
      return false;
  }
}
