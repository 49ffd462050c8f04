// How local(8) runs "|command" destinations and mailbox_command. Postfix forks a shell
// (pipe_command); the engine has no processes, so a CommandRunner is passed in. The
// simulation (and any platform without one) uses the built-in runner below, which knows a
// few programs a lab needs:
//   true, /bin/true               exit 0 (the message is read and dropped)
//   false, /bin/false             exit 1
//   exit N                        exit with status N (75 is EX_TEMPFAIL: a deferral)
//   cat >FILE, cat >>FILE          write (append) the message to FILE, as the delivery user
//   (/bin/cat and /usr/bin/cat are the same as cat; FILE may be /dev/null)
// $NAME and ${NAME} are replaced from the environment local exports ($HOME, $USER...).
// Anything else fails as sh does: "sh: 1: NAME: not found", status 127. A real-process
// runner for the node platform can be supplied by the caller (see service.ts).
// Called by command.ts. Models what src/global/pipe_command.c needs from a child process.

import type { FileSystem } from '../platform/types.ts';
import { writeFileAs, type Ownership } from '../global/ownership.ts';

export interface CommandRequest {
  command: string;
  /** local_command_shell, or '' for "/bin/sh -c". */
  shell: string;
  uid: number;
  gid: number;
  environment: Record<string, string>;
  /** command_execution_directory after expansion, or undefined. */
  directory?: string;
  input: Uint8Array;
  timeLimitMs: number;
}

export interface CommandOutcome {
  /** The exit status when the command exited. */
  exitStatus?: number;
  /** The signal number when it was killed. */
  signal?: number;
  timedOut?: boolean;
  /** What it wrote to stdout/stderr (pipe_command keeps the first part for the log). */
  output: string;
}

export interface CommandRunner {
  run(request: CommandRequest): Promise<CommandOutcome>;
}

/** Names of the built-in programs, for documentation and the UI. */
export const BUILTIN_COMMANDS = ['true', 'false', 'exit N', 'cat >FILE', 'cat >>FILE'] as const;

const CAT_NAMES = new Set(['cat', '/bin/cat', '/usr/bin/cat']);

async function writeRedirect(fs: FileSystem, ownership: Ownership, request: CommandRequest, path: string, append: boolean): Promise<CommandOutcome> {
  const failure = await writeFileAs(fs, ownership, { uid: request.uid, gid: request.gid }, path, request.input, append);
  if (failure === undefined) return { exitStatus: 0, output: '' };
  return { exitStatus: 2, output: `sh: 1: cannot create ${path}: ${failure}\n` };
}

/** $NAME and ${NAME} from the command's environment, as sh expands them (unset: ''). */
function expandVariables(command: string, environment: Record<string, string>): string {
  return command.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_match, braced: string | undefined, bare: string | undefined) => environment[braced ?? bare ?? ''] ?? '');
}

/** The runner for platforms without processes. */
export function createBuiltinCommandRunner(fs: FileSystem, ownership: Ownership): CommandRunner {
  return {
    run: async (request) => {
      const command = expandVariables(request.command.trim(), request.environment);
      const exit = /^exit(?:\s+(\d{1,3}))?$/.exec(command);
      if (exit) return { exitStatus: Number(exit[1] ?? 0) & 0xff, output: '' };
      const redirect = /^(\S+)\s*(>>?)\s*(\S+)$/.exec(command);
      if (redirect && CAT_NAMES.has(redirect[1] ?? '')) {
        return writeRedirect(fs, ownership, request, redirect[3] ?? '', redirect[2] === '>>');
      }
      const name = command.split(/\s+/)[0] ?? '';
      if (name === 'true' || name === '/bin/true' || name === '/usr/bin/true') return { exitStatus: 0, output: '' };
      if (name === 'false' || name === '/bin/false' || name === '/usr/bin/false') return { exitStatus: 1, output: '' };
      return { exitStatus: 127, output: `sh: 1: ${name}: not found\n` };
    },
  };
}
