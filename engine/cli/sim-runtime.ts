// What a headless run of the simulated world needs, in one module: `mtalab sim`
// (engine/cli/sim.ts) and the sim benchmark (bench/sim-bench.ts) load it through
// sim-bundle.ts, from an esbuild bundle when one can be made (plain JavaScript: no tsx
// loader and no keepNames `__name` wrapper around every function the world creates), else
// from these sources through tsx. Scenario files are read from the checkout's scenarios/
// (sourceRoot: in a bundle import.meta.url names the bundle's cache directory).
// Models nothing in Postfix. Trusts the scenario files on disk.

import { readScenarioTexts } from '../../scenarios/load-from-disk.ts';
import { createScenarioHosts, type LoadedScenario, type LoadOptions } from '../sim/scenario.ts';
import { sourceRoot } from './source-root.ts';

export { scenarioDefinition, scenarioIds } from '../sim/scenario.ts';
export { bootWorld } from '../sim/world.ts';
export { createReplayer } from '../sim/replay.ts';

/** Builds scenario `id`'s hosts from the checkout's scenarios/<id>/ files. */
export function loadScenarioFromDisk(id: string, options: LoadOptions = {}): Promise<LoadedScenario> {
  return createScenarioHosts(id, readScenarioTexts(id, `${sourceRoot}scenarios`), options);
}

/** A settle for the scheduler (SchedulerOptions.settle) that gives each event one real
 *  macrotask turn: by then every microtask the event started has run (node drains them all
 *  before a setImmediate callback), so its promise chains have finished at its virtual
 *  time. A plain callback: node:timers/promises' setImmediate also validates options and
 *  arms an abort listener per call. */
export function macrotaskSettle(): Promise<void> {
  return new Promise((resolve) => { setImmediate(resolve); });
}
