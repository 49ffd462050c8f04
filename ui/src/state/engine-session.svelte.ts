// The page's view of the engine worker: which scenario is loaded, its hosts, and whether the
// engine is booting, ready or failed. Svelte 5 runes make those fields reactive for the
// views. Terminal output is not state: it streams to whoever subscribed for a host (the
// terminal component), so a long output never re-renders the page.
// Talks to ui/src/worker/engine.worker.ts through the protocol in ui/src/worker/protocol.ts.

import type {
  HostSummary, PageToWorker, ScenarioSummary, WorkerErrorCode, WorkerToPage,
} from '../worker/protocol.ts';

export type SessionStatus = 'booting' | 'ready' | 'failed';

export interface SessionFailure {
  code: WorkerErrorCode | 'worker-crashed';
  message: string;
}

/** The minimal worker surface the session needs; tests may pass a fake. */
export interface WorkerPort {
  postMessage(message: PageToWorker): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerToPage>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

type OutputListener = (data: string) => void;

/** Output that arrives before the terminal subscribes (the first prompt) waits here. */
const pendingOutputCharactersMax = 1_000_000;

export class EngineSession {
  status: SessionStatus = $state('booting');
  scenario: ScenarioSummary | null = $state(null);
  hosts: HostSummary[] = $state([]);
  failure: SessionFailure | null = $state(null);

  private readonly worker: WorkerPort;
  private readonly listeners = new Map<string, OutputListener>();
  private readonly pendingOutput = new Map<string, string>();

  constructor(worker: WorkerPort) {
    this.worker = worker;
    worker.addEventListener('message', (event) => this.receive(event.data));
    worker.addEventListener('error', (event) => {
      this.fail({ code: 'worker-crashed', message: event.message || 'the engine worker stopped' });
    });
  }

  boot(scenario: string, size: { columns: number; rows: number }): void {
    this.status = 'booting';
    this.worker.postMessage({ type: 'boot', scenario, columns: size.columns, rows: size.rows });
  }

  sendInput(hostId: string, data: string): void {
    if (this.status !== 'ready') return;
    this.worker.postMessage({ type: 'input', hostId, data });
  }

  resize(hostId: string, columns: number, rows: number): void {
    this.worker.postMessage({ type: 'resize', hostId, columns, rows });
  }

  /** Streams a host's terminal output to `listener`, starting with anything held back. */
  subscribeOutput(hostId: string, listener: OutputListener): () => void {
    this.listeners.set(hostId, listener);
    const held = this.pendingOutput.get(hostId);
    if (held !== undefined) {
      this.pendingOutput.delete(hostId);
      listener(held);
    }
    return () => {
      if (this.listeners.get(hostId) === listener) this.listeners.delete(hostId);
    };
  }

  dispose(): void {
    this.listeners.clear();
    this.worker.terminate();
  }

  private receive(message: WorkerToPage): void {
    switch (message.type) {
      case 'ready':
        this.scenario = message.scenario;
        this.hosts = message.hosts;
        this.status = 'ready';
        return;
      case 'output':
        this.deliver(message.hostId, message.data);
        return;
      case 'error':
        this.fail({ code: message.code, message: message.message });
        return;
    }
  }

  private deliver(hostId: string, data: string): void {
    const listener = this.listeners.get(hostId);
    if (listener !== undefined) {
      listener(data);
      return;
    }
    const held = (this.pendingOutput.get(hostId) ?? '') + data;
    this.pendingOutput.set(hostId, held.slice(-pendingOutputCharactersMax));
  }

  private fail(failure: SessionFailure): void {
    this.failure = failure;
    // An error after boot (one bad message, one failed keystroke) is shown, but leaves the
    // terminals usable; only a failed boot or a dead worker ends the session.
    if (this.status === 'booting' || failure.code === 'worker-crashed') {
      this.status = 'failed';
    }
  }
}
