// Boots a scenario inside the worker: finds its bundled files, builds its simulated hosts
// with the scenario loader (engine/sim/scenario.ts), boots them (engine/sim/world.ts: Postfix
// started where the scenario says) under a replayer (engine/sim/replay.ts, so that back can
// rebuild the same world) and hands the world to a WorldControl (./world-control.ts: shells,
// pacer, time controls). Called by engine.worker.ts on the page's 'boot' message. Trusts the
// scenario files bundled at build time; reports a missing scenario as a typed error.

import { createScenarioHosts, scenarioDefinition } from '../../../engine/sim/scenario.ts';
import { bootWorld } from '../../../engine/sim/world.ts';
import { createReplayer, type Replayer } from '../../../engine/sim/replay.ts';
import { macrotaskSettle } from './pacer.ts';
import { scenarioTexts } from './scenario-files.ts';
import { WorldControl, type WorldControlOptions } from './world-control.ts';
import type { HostSummary, ScenarioSummary, WorkerErrorCode } from './protocol.ts';

export type BootResult =
  | { kind: 'booted'; scenario: ScenarioSummary; hosts: HostSummary[]; control: WorldControl }
  | { kind: 'error'; code: WorkerErrorCode; message: string };

export async function bootScenario(scenarioId: string, options: WorldControlOptions): Promise<BootResult> {
  const definition = scenarioDefinition(scenarioId);
  if (definition === undefined) {
    return { kind: 'error', code: 'scenario-not-found', message: `no scenario named ${scenarioId}` };
  }
  const texts = scenarioTexts(scenarioId);
  // One settle for every rebuild: each world's events finish their promise chains in a turn.
  const settle = macrotaskSettle();
  let replayer: Replayer;
  try {
    replayer = await createReplayer(async () => bootWorld(await createScenarioHosts(definition, texts, { settle })));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'error', code: 'scenario-invalid', message: `scenario ${scenarioId}: ${message}` };
  }
  const control = new WorldControl(replayer, options);
  const world = replayer.world();
  const hosts = world.hosts.map((entry): HostSummary => ({ id: entry.name, name: entry.name, addresses: [...entry.addresses] }));
  const scenario: ScenarioSummary = { id: scenarioId, title: world.loaded.title, description: world.loaded.description };
  return { kind: 'booted', scenario, hosts, control };
}
