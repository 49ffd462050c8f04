// `mtalab sim SCENARIO [--seed N] [--until MS] [--events-max N] [--trace]`: a headless run of
// a simulated world in Node. Reads the scenario's files from disk (scenarios/load-from-disk.ts),
// boots it (engine/sim/world.ts: Postfix started, scripted actions scheduled), runs it --
// for MS milliseconds of virtual time with --until, otherwise until it has been quiet for
// 10 s of virtual time -- and prints every host's maillog, each line prefixed with the host's
// name, or with --trace the whole trace as JSON lines. Each scheduler event is followed by a
// real macrotask turn so that the work it starts finishes at its virtual time, as in the
// browser worker. The world's code comes from an esbuild bundle when one can be made
// (sim-bundle.ts; MTALAB_BUNDLE=0 runs the sources through tsx). Called by engine/cli/main.ts. Exit 0 after a normal run, 1 when the run
// stopped at its event limit (the "SEED=<n> scenario=<id>: stopped after N events" message on
// stderr), 64 for a bad command line.

import { exitUsage } from './usage.ts';
import { processOutput } from './stdio.ts';
import { loadSimRuntime } from './sim-bundle.ts';

export const simUsage = 'usage: mtalab sim SCENARIO [--seed N] [--until MS] [--events-max N] [--trace]\n';

/** Events one `mtalab sim` run fires unless --events-max says otherwise. */
export const SIM_EVENTS_MAX_DEFAULT = 1_000_000;

interface SimArguments {
  scenario: string;
  seed?: number;
  untilMs?: number;
  eventsMax: number;
  trace: boolean;
}

type Parsed = { ok: true; value: SimArguments } | { ok: false; message: string };

function nonNegativeInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

export function parseSimArguments(argv: readonly string[]): Parsed {
  let scenario: string | undefined;
  const value: Omit<SimArguments, 'scenario'> = { eventsMax: SIM_EVENTS_MAX_DEFAULT, trace: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const [flag, inline] = argument.startsWith('--') && argument.includes('=')
      ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)] : [argument, undefined];
    const next = (): string | undefined => inline ?? argv[++index];
    if (flag === '--trace') value.trace = true;
    else if (flag === '--seed' || flag === '--until' || flag === '--events-max') {
      const number = nonNegativeInteger(next());
      if (number === undefined) return { ok: false, message: `${flag} needs a whole number` };
      if (flag === '--seed') value.seed = number;
      else if (flag === '--until') value.untilMs = number;
      else value.eventsMax = Math.max(1, number);
    } else if (flag.startsWith('-')) return { ok: false, message: `unknown option: ${argument}` };
    else if (scenario === undefined) scenario = argument;
    else return { ok: false, message: `unexpected argument: ${argument}` };
  }
  if (scenario === undefined) return { ok: false, message: 'no scenario given' };
  return { ok: true, value: { scenario, ...value } };
}

export async function simMain(argv: readonly string[]): Promise<number> {
  const stdout = processOutput(process.stdout);
  const stderr = processOutput(process.stderr);
  const { scenarioIds, scenarioDefinition, loadScenarioFromDisk, bootWorld, macrotaskSettle } = (await loadSimRuntime()).runtime;
  const parsed = parseSimArguments(argv);
  const known = `scenarios: ${scenarioIds().join(', ')}\n`;
  if (!parsed.ok) {
    stderr.write(`mtalab sim: ${parsed.message}\n${simUsage}${known}`);
    return exitUsage;
  }
  const options = parsed.value;
  if (scenarioDefinition(options.scenario) === undefined) {
    stderr.write(`mtalab sim: no scenario named ${options.scenario}\n${known}`);
    return exitUsage;
  }
  const loaded = await loadScenarioFromDisk(options.scenario, {
    settle: macrotaskSettle, ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const world = await bootWorld(loaded);
  for (const report of world.boot) {
    if (report.exitCode !== 0) stderr.write(`mtalab sim: ${report.host}: postfix start exited ${String(report.exitCode)}\n${report.output}`);
  }
  const outcome = options.untilMs === undefined
    ? await world.runUntilQuiet({ eventsMax: options.eventsMax })
    : await world.fastForward(loaded.bootMs + options.untilMs - world.nowMs(), { eventsMax: options.eventsMax });
  if (options.trace) {
    stdout.write(world.traceLines());
  } else {
    for (const host of world.hosts) {
      for (const line of await host.maillog()) stdout.write(`${host.name}: ${line}\n`);
    }
  }
  for (const report of world.actions) {
    if (report.exitCode !== 0) stderr.write(`mtalab sim: ${report.action.host}: ${report.action.argv.join(' ')} exited ${String(report.exitCode)}\n${report.output}`);
  }
  if (outcome.runaway !== undefined) {
    stderr.write(`mtalab sim: ${outcome.runaway}\n`);
    return 1;
  }
  return 0;
}
