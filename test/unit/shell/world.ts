// Test harness for the shell on a booted world: the single-host scenario loaded from disk
// with a macrotask settle, Postfix started by bootWorld (engine/sim/world.ts), one shell
// (the real createShell with the admin command table), and helpers that type a line and
// drive the world's scheduler while the command runs, the way the browser worker's pacer
// does, but without a wall clock: each step advances virtual time by stepMs. Used by
// test/unit/shell/mail.test.ts and su.test.ts. Every wait is bounded in steps.

import { setImmediate as macrotask } from 'node:timers/promises';
import { createShell, type Shell } from '../../../engine/shell/index.ts';
import { createScenarioHosts } from '../../../engine/sim/scenario.ts';
import { bootWorld, type World } from '../../../engine/sim/world.ts';
import type { Host } from '../../../engine/global/host.ts';
import { readScenarioTexts } from '../../../scenarios/load-from-disk.ts';
import { Screen } from './screen.ts';

/** Scheduler steps one typed line may take before the test gives up. */
export const LINE_STEPS_MAX = 400;
/** Virtual time per step. */
export const STEP_MS = 250;

export interface WorldShell {
  world: World;
  host: Host;
  shell: Shell;
  screen: Screen;
  output(): string;
  /** Types `data`, drives the world until the shell waits for input again; returns the
   *  terminal output meanwhile with CRLF as "\n". */
  type(data: string): Promise<string>;
  /** Types a line and Enter; returns its output without the echo and the next prompt. */
  run(line: string): Promise<string>;
  /** Advances virtual time by `ms`, firing what is due (deliveries). */
  advance(ms: number): Promise<void>;
  readFile(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
}

export async function startWorldShell(options: { user?: string } = {}): Promise<WorldShell> {
  const loaded = await createScenarioHosts('single-host', readScenarioTexts('single-host'), { settle: () => macrotask() });
  const world = await bootWorld(loaded);
  const host = loaded.hosts[0]!.host;
  const screen = new Screen(100);
  let output = '';
  const shell = createShell({ host, write: (data) => { output += data; screen.write(data); }, columns: 100, user: options.user });
  shell.start();
  const advance = async (ms: number) => {
    for (let elapsed = 0; elapsed < ms; elapsed += STEP_MS) await world.runDue(world.nowMs() + STEP_MS, 1000);
  };
  const type = async (data: string) => {
    const before = output.length;
    shell.input(data);
    let idle = false;
    // idle() resolves once a reader waits with nothing queued; until then keep the world going.
    void shell.idle().then(() => { idle = true; });
    for (let step = 0; step < LINE_STEPS_MAX && !idle; step++) {
      await macrotask();
      if (!idle) await world.runDue(world.nowMs() + STEP_MS, 1000);
    }
    if (!idle) throw new Error(`the shell did not come back after ${JSON.stringify(data)}:\n${screen.text()}`);
    return output.slice(before).replace(/\r\n/g, '\n');
  };
  await type('');
  const fs = host.platform.fs;
  return {
    world, host, shell, screen, type, advance,
    output: () => output,
    async run(line) {
      const written = await type(`${line}\r`);
      return written.slice(written.indexOf('\n') + 1).replace(/[a-z]+@mail:[^\n]*[#$] $/, '');
    },
    readFile: async (path) => new TextDecoder().decode(await fs.readFile(path)),
    async exists(path) {
      try {
        await fs.stat(path);
        return true;
      } catch {
        return false;
      }
    },
  };
}
