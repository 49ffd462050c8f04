// Runs one admin command the way a process runs: FatalExit becomes its exit status, and an
// unexpected exception becomes "program: panic: ..." with status 1 instead of taking the
// host (or the browser tab) down with it. Called by the shell and the CLI.

import type { CommandContext } from './command.ts';
import { commands } from './index.ts';
import { FatalExit } from '../global/msg.ts';

export function lookupCommand(name: string) {
  return Object.hasOwn(commands, name) ? commands[name] : undefined;
}

/** Runs argv[0] from the command table; undefined when there is no such command. */
export async function runCommand(context: CommandContext): Promise<number | undefined> {
  const name = context.argv[0] ?? '';
  const main = lookupCommand(name);
  if (main === undefined) return undefined;
  let exitCode: number;
  try {
    exitCode = await main(context);
  } catch (error) {
    if (error instanceof FatalExit) {
      exitCode = error.exitCode;
    } else {
      const text = error instanceof Error ? error.message : String(error);
      context.stderr.write(`${name}: panic: ${text}\n`);
      exitCode = 1;
    }
  }
  context.host.platform.trace.emit({
    kind: 'command.exit', argv: context.argv, exitCode,
    host: context.host.name, service: name, pid: 0,
  });
  return exitCode;
}
