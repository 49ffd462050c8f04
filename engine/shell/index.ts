// createShell: the shell behind each terminal, with Postfix's admin commands (the table in
// engine/admin/index.ts, run through engine/admin/run.ts) and Tab completion of Postfix
// parameter names from engine/global/params. Called by the UI's engine worker (one shell
// per simulated host) and by tests. Call start() to print the first prompt; keystrokes
// that arrive before it wait in the queue. See engine/shell/shell.ts for the session.

import { commands } from '../admin/index.ts';
import { runCommand } from '../admin/run.ts';
import type { Host } from '../global/host.ts';
import { builtinParameters } from '../global/params/index.ts';
import type { AdminRunner } from './execute.ts';
import { createShellSession, type Shell } from './shell.ts';

export interface CreateShellOptions {
  host: Host;
  /** Terminal output: text with ANSI sequences and CRLF line ends. */
  write(data: string): void;
  /** Working directory at start; the user's home directory by default. */
  cwd?: string;
  /** Extra exported variables, e.g. MAIL_CONFIG. */
  env?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Login name for the prompt and $USER; root by default. */
  user?: string;
  columns?: number;
  rows?: number;
  /** Replaces the admin command runner (tests). */
  runAdmin?: AdminRunner;
  /** false on a host without Postfix (a scenario's outside machine, ScenarioHostDefinition
   *  .mta): no admin commands, so `postconf` is "command not found". */
  mta?: boolean;
}

let parameterNameList: readonly string[] | undefined;

/** Built-in Postfix parameter names, computed once. */
export function postfixParameterNames(): readonly string[] {
  parameterNameList ??= builtinParameters().map((parameter) => parameter.name);
  return parameterNameList;
}

export function createShell(options: CreateShellOptions): Shell {
  const installed = options.mta !== false;
  return createShellSession({
    ...options,
    runAdmin: installed ? options.runAdmin ?? runCommand : async () => undefined,
    adminNames: () => (installed ? Object.keys(commands) : []),
    parameterNames: postfixParameterNames,
  });
}

export type { Shell } from './shell.ts';
export { STATUS_INTERRUPTED, STATUS_NOT_FOUND } from './execute.ts';
