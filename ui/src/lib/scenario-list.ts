// The scenarios the page offers in its picker: id and title of each definition in
// scenarios/index.ts (plain typed data, no engine code), sorted by title. The worker loads
// the chosen one; the page only lists them. Called by App.svelte.

import { scenarios } from '../../../scenarios/index.ts';

export interface ScenarioChoice {
  id: string;
  title: string;
}

export function scenarioChoices(): ScenarioChoice[] {
  return Object.values(scenarios)
    .map((definition) => ({ id: definition.id, title: definition.title }))
    .sort((left, right) => left.title.localeCompare(right.title));
}
