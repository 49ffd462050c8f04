// Scripted actions of a scenario: commands a user runs on a host at a virtual time after the
// world has booted (ScenarioDefinition.actions), e.g. alice running sendmail one second in.
// Each action is one scheduler event; the command then runs as the shell would run it
// (runCommand, which emits 'command.exit' into the trace). Called by engine/sim/world.ts.
// Trusts the scenario; an action naming a host the scenario lacks is refused at boot.

import { runCommand } from '../admin/run.ts';
import { BufferedInput, CapturedOutput } from '../admin/stdio.ts';
import type { Host } from '../global/host.ts';
import type { Scheduler } from '../platform/sim/index.ts';
import type { ScenarioAction } from './scenario.ts';

/** Actions one scenario may script. */
export const SCENARIO_ACTIONS_MAX = 10_000;

/** What an action's command printed and how it exited, once it has run. */
export interface ActionReport {
  action: ScenarioAction;
  exitCode: number | undefined;
  output: string;
}

/** The environment a login gives `user`: USER, LOGNAME, HOME. */
export function loginEnvironment(user: string): Map<string, string> {
  return new Map([['USER', user], ['LOGNAME', user], ['HOME', user === 'root' ? '/root' : `/home/${user}`]]);
}

/** Runs argv on host as user with stdin, collecting stdout and stderr together. */
export async function runAs(host: Host, user: string, argv: string[], stdin = ''): Promise<{ exitCode: number | undefined; output: string }> {
  const output = new CapturedOutput();
  const exitCode = await runCommand({
    argv, stdin: new BufferedInput(stdin), stdout: output, stderr: output, env: loginEnvironment(user), cwd: '/', host,
  });
  return { exitCode, output: output.text() };
}

/** Schedules every action at bootMs + action.atMs; reports land in `reports` as they finish
 *  (a failed command is a report, not an exception). */
export function scheduleActions(
  actions: readonly ScenarioAction[], hosts: ReadonlyMap<string, Host>, scheduler: Scheduler, reports: ActionReport[],
): void {
  if (actions.length > SCENARIO_ACTIONS_MAX) throw new Error(`more than ${SCENARIO_ACTIONS_MAX} scenario actions`);
  const bootMs = scheduler.nowMs();
  for (const action of actions) {
    if (!hosts.has(action.host)) throw new Error(`scenario action for unknown host ${action.host}`);
    scheduler.at(bootMs + Math.max(0, action.atMs), () => {
      // Looked up when it fires: a host restarted by a fault (faults.ts) is a new Host.
      const host = hosts.get(action.host) as Host;
      void runAs(host, action.user ?? 'root', action.argv, action.stdin ?? '').then(
        (result) => { reports.push({ action, ...result }); },
        (error: unknown) => { reports.push({ action, exitCode: undefined, output: String(error) }); },
      );
    }, `action ${action.host} ${action.argv[0] ?? ''}`);
  }
}
