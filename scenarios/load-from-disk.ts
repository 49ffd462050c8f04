// Reads a scenario's files from disk for Node (the CLI, tests): every file under
// scenarios/<id>/, keyed by its path relative to that directory, the same map the browser
// builds with Vite's import.meta.glob. Kept out of engine/ because it uses node:fs.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScenarioHosts, type LoadedScenario, type LoadOptions } from '../engine/sim/scenario.ts';

/** Files read from one scenario directory before the walk gives up. */
export const SCENARIO_DISK_FILES_MAX = 2000;

export const scenariosDirectory = fileURLToPath(new URL('.', import.meta.url));

/** Path (relative to scenarios/<id>/, with "/") to text, for every file of the scenario. */
export function readScenarioTexts(id: string, directory = scenariosDirectory): Map<string, string> {
  const root = join(directory, id);
  const texts = new Map<string, string>();
  const stack = [root];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) { stack.push(path); continue; }
      if (texts.size >= SCENARIO_DISK_FILES_MAX) throw new Error(`scenario ${id}: more than ${SCENARIO_DISK_FILES_MAX} files`);
      texts.set(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'));
    }
  }
  return texts;
}

/** Builds scenario `id`'s hosts from the files on disk. */
export function loadScenarioFromDisk(id: string, options: LoadOptions = {}): Promise<LoadedScenario> {
  return createScenarioHosts(id, readScenarioTexts(id), options);
}
