// The engine's home in the browser: a module Web Worker that loads a scenario, builds its
// simulated hosts and runs one shell (engine/shell) per host. The page talks to it only
// through the messages in ./protocol.ts; nothing here touches the DOM. Trusts the scenario
// files bundled at build time (./scenario-files.ts); checks every incoming message.

import { isPageToWorker, type HostSummary, type PageToWorker, type WorkerToPage } from './protocol.ts';
import { bootScenario, type RunningHost } from './boot.ts';

interface WorkerScope {
  postMessage(message: WorkerToPage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
}

const scope = self as unknown as WorkerScope;
let running: Map<string, RunningHost> | undefined;
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
      onFailure: (message) => post({ type: 'error', code: 'engine-failure', message }),
    });
    if (booted.kind === 'error') {
      post({ type: 'error', code: booted.code, message: booted.message });
      return;
    }
    running = new Map(booted.hosts.map((host) => [host.summary.id, host]));
    const hosts: HostSummary[] = booted.hosts.map((host) => host.summary);
    post({ type: 'ready', scenario: booted.scenario, hosts });
    for (const host of booted.hosts) host.start();
  } catch (error) {
    post({ type: 'error', code: 'engine-failure', message: describe(error) });
  } finally {
    booting = false;
  }
}

function hostFor(hostId: string): RunningHost | undefined {
  if (running === undefined) {
    post({ type: 'error', code: 'bad-state', message: 'the engine has not booted yet' });
    return undefined;
  }
  const host = running.get(hostId);
  if (host === undefined) post({ type: 'error', code: 'unknown-host', message: `no host ${hostId}` });
  return host;
}

function handle(message: PageToWorker): void {
  switch (message.type) {
    case 'boot':
      void boot(message);
      return;
    case 'input':
      hostFor(message.hostId)?.input(message.data);
      return;
    case 'resize':
      hostFor(message.hostId)?.resize(message.columns, message.rows);
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
