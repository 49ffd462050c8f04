// The shape of a shell builtin: an admin command's context plus the shell session it may
// change (working directory, variables, history, the screen). Unix basics that act on the
// host's files (cat, ls, cp, ...) use the same shape so that they pipe and redirect like
// the admin commands. Called by engine/shell/execute.ts.

import type { CommandContext } from '../../admin/command.ts';
import type { History } from '../history.ts';

export interface ShellSession {
  /** The shell's own process id ($$; ps lists it). */
  readonly pid: number;
  cwd: string;
  /** Shell variables; `exported` names the ones commands see in their environment. */
  readonly variables: Map<string, string>;
  readonly exported: Set<string>;
  readonly history: History;
  /** The terminal's width, for ls and completion listings. */
  columns(): number;
  /** Every name a command line can start with (builtins and admin commands). */
  commandNames(): string[];
  /** The users `su` switched from, innermost last; `exit` returns to the last one. */
  readonly logins: LoginFrame[];
}

/** What `su` saves so that `exit` can restore it. */
export interface LoginFrame {
  user: string;
  variables: Array<[string, string | undefined]>;
  cwd: string;
}

export interface BuiltinContext extends CommandContext {
  shell: ShellSession;
  /** Runs an admin command (sendmail for `mail`); undefined when there is no such command. */
  runProgram(context: CommandContext): Promise<number | undefined>;
  /** Resolves when Ctrl-C interrupts the command line: a command that runs until stopped
   *  (tail -f, ping, telnet) ends its waits and lets go of its connections. */
  interrupted?: Promise<void>;
}

export type Builtin = (context: BuiltinContext) => Promise<number>;

/** Writes "program: text" to stderr and returns the status to exit with. */
export function complain(context: CommandContext, program: string, text: string, status = 1): number {
  context.stderr.write(`${program}: ${text}\n`);
  return status;
}

export interface ParsedOptions {
  flags: Set<string>;
  /** Values of options that take one, e.g. n for "head -n 5". */
  values: Map<string, string>;
  operands: string[];
  /** The first option letter not in `known`, if any. */
  invalid?: string;
}

/** getopt(3)-style parsing: "-la" is -l -a, "--" ends options, "-" alone is an operand.
 *  Letters in `withValue` take the rest of the word or the next word as their value. */
export function parseOptions(args: string[], known: string, withValue = ''): ParsedOptions {
  const parsed: ParsedOptions = { flags: new Set(), values: new Map(), operands: [] };
  // GNU getopt permutes: options may follow operands ("ls /etc -l").
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') { parsed.operands.push(...args.slice(index + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { parsed.operands.push(arg); continue; }
    for (let position = 1; position < arg.length; position++) {
      const letter = arg[position]!;
      if (withValue.includes(letter)) {
        const value = position + 1 < arg.length ? arg.slice(position + 1) : args[++index];
        if (value === undefined) { parsed.invalid ??= letter; break; }
        parsed.values.set(letter, value);
        break;
      }
      if (!known.includes(letter)) { parsed.invalid ??= letter; continue; }
      parsed.flags.add(letter);
    }
  }
  return parsed;
}

/** coreutils' answer to an unknown option. */
export function invalidOption(context: CommandContext, program: string, letter: string, status = 1): number {
  context.stderr.write(`${program}: invalid option -- '${letter}'\nTry '${program} --help' for more information.\n`);
  return status;
}
