// Boots a scenario inside the worker: finds its bundled files, builds its simulated hosts
// with the scenario loader (engine/sim/scenario.ts), boots them (engine/sim/world.ts: Postfix
// started where the scenario says), starts the real-time pacer (./pacer.ts) and attaches
// one terminal shell (engine/shell) to each. Called by engine.worker.ts on the page's 'boot' message. Trusts
// the scenario files bundled at build time; reports a missing scenario as a typed error.

import { createShell } from '../../../engine/shell/index.ts';
import { createScenarioHosts, scenarioDefinition } from '../../../engine/sim/scenario.ts';
import { bootWorld, type World } from '../../../engine/sim/world.ts';
import { macrotaskSettle, startPacer } from './pacer.ts';
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
  /** An engine failure while the world runs (the pacer stops). */
  onFailure(message: string): void;
}

export async function bootScenario(scenarioId: string, options: BootOptions): Promise<BootResult> {
  const definition = scenarioDefinition(scenarioId);
  if (definition === undefined) {
    return { kind: 'error', code: 'scenario-not-found', message: `no scenario named ${scenarioId}` };
  }
  let loaded: Awaited<ReturnType<typeof createScenarioHosts>>;
  let world: World;
  try {
    loaded = await createScenarioHosts(definition, scenarioTexts(scenarioId), { settle: macrotaskSettle() });
    world = await bootWorld(loaded);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'error', code: 'scenario-invalid', message: `scenario ${scenarioId}: ${message}` };
  }
  startPacer(world, {
    onError: (error) => options.onFailure(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
  });
  const hosts = loaded.hosts.map((entry): RunningHost => {
    const summary: HostSummary = { id: entry.name, name: entry.name, addresses: [...entry.addresses] };
    const shell = createShell({
      host: entry.host,
      columns: options.columns,
      rows: options.rows,
      write: (data) => {
        if (data.length > 0) options.write(summary.id, data);
      },
    });
    const report = world.boot.find((boot) => boot.host === entry.name);
    return {
      summary,
      start: () => {
        // A Postfix that failed to start says why in the host's terminal, as a console would.
        if (report !== undefined && report.exitCode !== 0) options.write(summary.id, report.output.replace(/\n/g, '\r\n'));
        shell.start();
      },
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
