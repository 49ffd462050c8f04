// The page's entry point: starts the engine worker, wraps it in the session state, mounts
// the app, and installs the small test hook (window.__mtalab) that the browser test reads
// the terminals through. Loaded by ui/index.html.

import { mount } from 'svelte';
import App from './App.svelte';
import { EngineSession } from './state/engine-session.svelte.ts';
import { installTestHook } from './lib/test-hook.ts';
import { scenarioChoices } from './lib/scenario-list.ts';
import './app.css';

const worker = new Worker(new URL('./worker/engine.worker.ts', import.meta.url), { type: 'module', name: 'mtalab-engine' });
const session = new EngineSession(worker);
installTestHook(session);

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');
// ?scenario=ID opens another scenario (the worker refuses ids it does not know).
const scenarioId = new URLSearchParams(window.location.search).get('scenario') ?? 'single-host';
const chooseScenario = (id: string): void => {
  const url = new URL(window.location.href);
  url.searchParams.set('scenario', id);
  window.location.assign(url.toString());
};
mount(App, { target, props: { session, scenarioId, scenarios: scenarioChoices(), onChooseScenario: chooseScenario } });
