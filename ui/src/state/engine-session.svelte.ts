// The page's view of the engine worker: which scenario is loaded, its hosts, and whether the
// engine is booting, ready or failed. Svelte 5 runes make those fields reactive for the
// views. Terminal output is not state: it streams to whoever subscribed for a host (the
// terminal component), so a long output never re-renders the page; after a back the worker
// sends each terminal's whole replayed output, and the terminal starts over with it.
// The world's clock and trace live in a WorldTimeline (./world-timeline.svelte.ts); the
// time controls (play, pause, step, back, fast-forward) are requests to the worker, and the
// host the page shows is `selectedHostId`.
// Talks to ui/src/worker/engine.worker.ts through the protocol in ui/src/worker/protocol.ts.

import type {
  HostSummary, PageToWorker, ScenarioSummary, WorkerErrorCode, WorkerToPage,
} from '../worker/protocol.ts';
import { WorldTimeline } from './world-timeline.svelte.ts';

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

/** A host's terminal as the session feeds it: output to append, or a redraw after a back. */
export interface OutputListener {
  write(data: string): void;
  /** Clears the terminal (scrollback too) and shows `data`. */
  reset(data: string): void;
}

/** Output that arrives before the terminal subscribes (the first prompt) waits here. */
const pendingOutputCharactersMax = 1_000_000;

export class EngineSession {
  status: SessionStatus = $state('booting');
  scenario: ScenarioSummary | null = $state(null);
  hosts: HostSummary[] = $state([]);
  failure: SessionFailure | null = $state(null);
  /** The host whose terminal and card the page shows. */
  selectedHostId: string | null = $state(null);
  readonly timeline = new WorldTimeline();

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

  selectHost(hostId: string): void {
    if (this.hosts.some((host) => host.id === hostId)) this.selectedHostId = hostId;
  }

  play(): void {
    this.request({ type: 'play' });
  }

  pause(): void {
    this.request({ type: 'pause' });
  }

  step(): void {
    this.request({ type: 'step' });
  }

  back(): void {
    this.request({ type: 'back' });
  }

  fastForward(ms: number): void {
    this.request({ type: 'fast-forward', ms });
  }

  private request(message: PageToWorker): void {
    if (this.status !== 'ready') return;
    this.worker.postMessage(message);
  }

  /** Streams a host's terminal output to `listener`, starting with anything held back. */
  subscribeOutput(hostId: string, listener: OutputListener): () => void {
    this.listeners.set(hostId, listener);
    const held = this.pendingOutput.get(hostId);
    if (held !== undefined) {
      this.pendingOutput.delete(hostId);
      listener.write(held);
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
        this.selectedHostId = message.hosts[0]?.id ?? null;
        this.timeline.update(message.world);
        this.status = 'ready';
        return;
      case 'world':
        this.timeline.update(message.world);
        return;
      case 'trace':
        this.timeline.append(message.rows);
        return;
      case 'trace-reset':
        this.timeline.reset(message.rows);
        return;
      case 'output':
        this.deliver(message.hostId, message.data);
        return;
      case 'terminal-reset':
        this.redraw(message.hostId, message.data);
        return;
      case 'error':
        this.fail({ code: message.code, message: message.message });
        return;
    }
  }

  private deliver(hostId: string, data: string): void {
    const listener = this.listeners.get(hostId);
    if (listener !== undefined) {
      listener.write(data);
      return;
    }
    const held = (this.pendingOutput.get(hostId) ?? '') + data;
    this.pendingOutput.set(hostId, held.slice(-pendingOutputCharactersMax));
  }

  /** After a back: the terminal starts over with what the replayed shell wrote. */
  private redraw(hostId: string, data: string): void {
    const listener = this.listeners.get(hostId);
    if (listener !== undefined) {
      listener.reset(data);
      return;
    }
    this.pendingOutput.set(hostId, data.slice(-pendingOutputCharactersMax));
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
