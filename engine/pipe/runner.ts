// How pipe(8) runs its command. Postfix forks and execs argv directly (no shell); the engine
// has no processes, so a PipeCommandRunner is passed in. The simulation (and the default
// pipeProgram on every platform) uses the built-in runner of builtin-programs.ts; a real
// runner for the node platform can be given to createPipeProgram() by engine/cli, the only
// place allowed to spawn processes (it is not written yet: real commands are out of scope
// for the engine, see the report of issue 3).
// Called by api.ts. Models the child side of pipe_command() in src/global/pipe_command.c.

import type { Host } from '../global/host.ts';
import type { CommandOutcome } from './command-status.ts';

export interface PipeCommandRequest {
  /** argv[0] is the program, as execvp() gets it. */
  argv: string[];
  uid: number;
  gid: number;
  /** The user name of user= (for programs that want to know who runs them). */
  user: string;
  /** What pipe writes to the command's standard input. */
  input: Uint8Array;
  /** directory= (the working directory), if set. */
  directory?: string;
  /** export_environment plus PATH, as clean_env() leaves it. */
  environment: Record<string, string>;
  /** <service>_time_limit or command_time_limit. */
  timeLimitMs: number;
  host: Host;
}

export interface PipeCommandRunner {
  run(request: PipeCommandRequest): Promise<CommandOutcome>;
}

/** _PATH_DEFPATH: the command search path pipe_command() sets. */
export const DEFAULT_PATH = '/usr/bin:/bin';
