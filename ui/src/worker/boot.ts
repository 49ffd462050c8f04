// Boots a scenario inside the worker: finds its bundled files, builds its simulated hosts
// with the scenario loader (engine/sim/scenario.ts) and attaches one terminal shell
// (engine/shell) to each. Called by engine.worker.ts on the page's 'boot' message. Trusts
// the scenario files bundled at build time; reports a missing scenario as a typed error.

import { createShell } from '../../../engine/shell/index.ts';
import { createScenarioHosts } from '../../../engine/sim/scenario.ts';
import { scenarioTexts } from './scenario-files.ts';
import type { HostSummary, ScenarioSummary, WorkerErrorCode } from './protocol.ts';

export interface RunningHost {
  summary: HostSummary;
  /** Prints the first prompt; called once the page knows the host. */
  start(): void;
  input(data: string): void;
  resize(columns: number, rows: number): void;
}

export type BootResult =
  | { kind: 'booted'; scenario: ScenarioSummary; hosts: RunningHost[] }
  | { kind: 'error'; code: WorkerErrorCode; message: string };

export interface BootOptions {
  columns: number;
  rows: number;
  write(hostId: string, data: string): void;
}

export async function bootScenario(scenarioId: string, options: BootOptions): Promise<BootResult> {
  const texts = scenarioTexts(scenarioId);
  if (texts.size === 0) {
    return { kind: 'error', code: 'scenario-not-found', message: `no scenario named ${scenarioId}` };
  }
  const loaded = await createScenarioHosts(scenarioId, texts);
  const hosts = loaded.hosts.map((entry): RunningHost => {
    const summary: HostSummary = { id: entry.host.name, name: entry.host.name, addresses: [...entry.addresses] };
    const shell = createShell({
      host: entry.host,
      columns: options.columns,
      rows: options.rows,
      write: (data) => {
        if (data.length > 0) options.write(summary.id, data);
      },
    });
    return {
      summary,
      start: () => shell.start(),
      input: (data) => shell.input(data),
      resize: (columns, rows) => shell.resize(columns, rows),
    };
  });
  const scenario: ScenarioSummary = {
    id: scenarioId,
    title: loaded.title,
    description: loaded.description,
  };
  return { kind: 'booted', scenario, hosts };
}
