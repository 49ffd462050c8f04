// The shape of every admin command (postconf, postmap, postalias, newaliases, and later
// postqueue, postsuper, postcat, ...): a function of (argv, stdio, host) that returns an
// exit status. The shell (engine/shell) and the Node CLI (engine/cli) both call commands
// through this one signature, so a command behaves the same in a browser tab and on a
// real machine. Models Postfix's command-line programs.

import type { Host } from '../global/host.ts';

export interface OutputStream {
  write(data: string | Uint8Array): void;
  /** Postfix's commands print some diagnostics to stderr only when it is a terminal. */
  readonly isTty: boolean;
}

export interface InputStream {
  /** The next line without its newline, or null at end of input (Ctrl-D at a terminal). */
  readLine(): Promise<string | null>;
  /** Everything up to end of input. */
  readAll(): Promise<Uint8Array>;
  readonly isTty: boolean;
}

export interface CommandContext {
  /** argv[0] is the name the command was invoked by ("postconf", "newaliases"). */
  argv: string[];
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Environment variables, e.g. MAIL_CONFIG. */
  env: Map<string, string>;
  /** Working directory, absolute; relative paths in arguments resolve against it. */
  cwd: string;
  host: Host;
}

/** Returns the exit status, as the process would (0 success, 1 fatal, 75 EX_TEMPFAIL, ...). */
export type CommandMain = (context: CommandContext) => Promise<number>;
