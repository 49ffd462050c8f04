// The engine's home in the browser: a module Web Worker that loads a scenario, builds its
// simulated hosts and runs one shell (engine/shell) per host, with the world's time under
// the page's control (play, pause, step, back, fast-forward). The page talks to it only
// through the messages in ./protocol.ts; nothing here touches the DOM. Trusts the scenario
// files bundled at build time (./scenario-files.ts); checks every incoming message.

import { isPageToWorker, type PageToWorker, type WorkerToPage } from './protocol.ts';
import { bootScenario } from './boot.ts';
import type { WorldControl } from './world-control.ts';

interface WorkerScope {
  postMessage(message: WorkerToPage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
}

const scope = self as unknown as WorkerScope;
let running: WorldControl | undefined;
let booting = false;

function post(message: WorkerToPage): void {
  scope.postMessage(message);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function boot(request: Extract<PageToWorker, { type: 'boot' }>): Promise<void> {
  if (running !== undefined || booting) {
    post({ type: 'error', code: 'bad-state', message: 'the engine is already booted' });
    return;
  }
  booting = true;
  try {
    const booted = await bootScenario(request.scenario, {
      columns: request.columns,
      rows: request.rows,
      write: (hostId, data) => post({ type: 'output', hostId, data }),
      redraw: (hostId, data) => post({ type: 'terminal-reset', hostId, data }),
      onRows: (rows) => post({ type: 'trace', rows }),
      onReset: (rows) => post({ type: 'trace-reset', rows }),
      onStatus: (world) => post({ type: 'world', world }),
      onFailure: (message) => post({ type: 'error', code: 'engine-failure', message }),
    });
    if (booted.kind === 'error') {
      post({ type: 'error', code: booted.code, message: booted.message });
      return;
    }
    running = booted.control;
    post({ type: 'ready', scenario: booted.scenario, hosts: booted.hosts, world: running.status() });
    running.start();
  } catch (error) {
    post({ type: 'error', code: 'engine-failure', message: describe(error) });
  } finally {
    booting = false;
  }
}

function control(): WorldControl | undefined {
  if (running === undefined) post({ type: 'error', code: 'bad-state', message: 'the engine has not booted yet' });
  return running;
}

function unknownHost(hostId: string): void {
  post({ type: 'error', code: 'unknown-host', message: `no host ${hostId}` });
}

function handle(message: PageToWorker): void {
  switch (message.type) {
    case 'boot':
      void boot(message);
      return;
    case 'input':
      if (control()?.input(message.hostId, message.data) === false) unknownHost(message.hostId);
      return;
    case 'resize':
      if (control()?.resize(message.hostId, message.columns, message.rows) === false) unknownHost(message.hostId);
      return;
    case 'play':
      control()?.play();
      return;
    case 'pause':
      control()?.pause();
      return;
    case 'step':
      control()?.step();
      return;
    case 'back':
      control()?.back();
      return;
    case 'fast-forward':
      control()?.fastForward(message.ms);
      return;
  }
}

scope.addEventListener('message', (event) => {
  if (!isPageToWorker(event.data)) return;
  try {
    handle(event.data);
  } catch (error) {
    post({ type: 'error', code: 'engine-failure', message: describe(error) });
  }
});
