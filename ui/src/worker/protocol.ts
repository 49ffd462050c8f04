// The messages between the page and the engine worker (ui/src/worker/engine.worker.ts).
// A discriminated union in each direction: the page sends PageToWorker, the worker answers
// with WorkerToPage. Everything here is plain JSON-safe data, because it crosses the worker
// boundary by structured clone. Called by the page's session state and by the worker.

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

export type PageToWorker =
  /** Load a scenario (a directory name under scenarios/) and start one shell per host. */
  | { type: 'boot'; scenario: string; columns: number; rows: number }
  /** Raw terminal input for a host's shell: keystrokes and escape sequences. */
  | { type: 'input'; hostId: string; data: string }
  /** The terminal was resized to this many character cells. */
  | { type: 'resize'; hostId: string; columns: number; rows: number };

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
  | { type: 'ready'; scenario: ScenarioSummary; hosts: HostSummary[] }
  /** Terminal output from a host's shell, to write to its terminal unchanged. */
  | { type: 'output'; hostId: string; data: string }
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
    default:
      return false;
  }
}
