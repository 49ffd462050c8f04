// Runs a parsed command line: expands words, applies redirections, joins pipelines with
// bounded buffers, and dispatches each command to a shell builtin, an admin command
// (engine/admin/run.ts, through the runner the shell was given) or "command not found".
// Commands of a pipeline run one after another, each reading the previous one's whole
// output: admin commands here finish on their own, so this gives the same bytes as a
// concurrent pipe would. Called by engine/shell/shell.ts once per line; trusts the parser
// and reports every failure the way bash does, with bash's exit statuses.

import type { CommandContext, InputStream, OutputStream } from '../admin/command.ts';
import { BufferedInput } from '../admin/stdio.ts';
import type { Host } from '../global/host.ts';
import { lookupBuiltin, type ShellSession } from './builtins/index.ts';
import { ADMIN_PATHS } from './builtins/session.ts';
import { expandWord, type ExpansionScope } from './expand.ts';
import type { Pipeline, Redirection, SimpleCommand, Word } from './parse.ts';
import { baseName, errorText, FILE_MODE, resolvePath } from './paths.ts';
import { PipeOutput, TerminalOutput } from './streams.ts';

/** How a command line is run against the admin command table. */
export type AdminRunner = (context: CommandContext) => Promise<number | undefined>;

export const STATUS_NOT_FOUND = 127;
export const STATUS_INTERRUPTED = 130;
/** Bytes a "> file" redirection collects before further output is dropped. */
export const REDIRECT_BYTES_MAX = 4 * 1024 * 1024;

const DEV_NULL = '/dev/null';

export interface ExecutionContext {
  host: Host;
  session: ShellSession & { lastStatus: number; readonly pid: number };
  terminalInput: InputStream;
  /** Fresh per line, so an interrupted line's late writes can be cut off. */
  terminalOutput: TerminalOutput;
  runAdmin: AdminRunner;
  /** Resolves when Ctrl-C interrupts the line. */
  interrupted: Promise<void>;
}

/** A file named by > or >>: filled in memory, written when the command ends. */
interface FileSink {
  path: string;
  buffer: PipeOutput;
}

interface Streams {
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
  files: FileSink[];
}

const INTERRUPTED: unique symbol = Symbol('interrupted');

export function scopeOf(session: ExecutionContext['session']): ExpansionScope {
  return {
    variable(name) {
      if (name === '?') return String(session.lastStatus);
      if (name === '$') return String(session.pid);
      if (name === '#') return '0';
      if (name === '0') return 'bash';
      return session.variables.get(name);
    },
    home: () => session.variables.get('HOME') ?? '/',
  };
}

/** Runs one pipeline; returns its exit status (the last command's), or 130 on Ctrl-C. */
export async function runPipeline(pipeline: Pipeline, context: ExecutionContext): Promise<number> {
  let input: InputStream = context.terminalInput;
  let status = 0;
  for (const [index, command] of pipeline.commands.entries()) {
    const isLast = index === pipeline.commands.length - 1;
    const pipe = isLast ? undefined : new PipeOutput();
    const streams: Streams = {
      stdin: input,
      stdout: pipe ?? context.terminalOutput,
      stderr: context.terminalOutput,
      files: [],
    };
    const running = runSimpleCommand(command, streams, context);
    running.catch(() => { /* an interrupted command may fail later; nobody listens */ });
    const outcome: number | typeof INTERRUPTED = await Promise.race([
      running, context.interrupted.then((): typeof INTERRUPTED => INTERRUPTED),
    ]);
    if (typeof outcome !== 'number') return STATUS_INTERRUPTED;
    status = outcome;
    if (pipe !== undefined) {
      if (pipe.overflowed) context.terminalOutput.write(`bash: pipe: output past ${pipe.bytes().length} bytes was dropped\n`);
      input = new BufferedInput(pipe.bytes());
    }
  }
  return status;
}

async function runSimpleCommand(command: SimpleCommand, streams: Streams, context: ExecutionContext): Promise<number> {
  const { session, host } = context;
  const scope = scopeOf(session);
  const assignments: Array<[string, string]> = [];
  let wordIndex = 0;
  for (; wordIndex < command.words.length; wordIndex++) {
    const assignment = splitAssignment(command.words[wordIndex]!);
    if (assignment === undefined) break;
    const value = (await expandWord(assignment.value, scope, host.platform.fs, session.cwd)).join(' ');
    assignments.push([assignment.name, value]);
  }
  const argv: string[] = [];
  for (const word of command.words.slice(wordIndex)) {
    argv.push(...await expandWord(word, scope, host.platform.fs, session.cwd));
  }
  const redirected = await applyRedirections(command.redirections, streams, context);
  if (typeof redirected === 'string') {
    streams.stderr.write(`bash: ${redirected}\n`);
    return 1;
  }
  let status: number;
  if (argv.length === 0) {
    for (const [name, value] of assignments) session.variables.set(name, value);
    status = 0;
  } else {
    status = await dispatch(argv, assignments, redirected, context);
  }
  await flushFiles(redirected, context);
  return status;
}

/** NAME=value at the start of a command: a shell variable, or an environment entry for
 *  that command alone. The name must be plain unquoted text. */
function splitAssignment(word: Word): { name: string; value: Word } | undefined {
  const first = word[0];
  if (first === undefined || first.kind !== 'text' || first.quoted) return undefined;
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
  if (match === null) return undefined;
  const rest = first.text.slice(match[0].length);
  const value: Word = rest === '' ? word.slice(1) : [{ ...first, text: rest }, ...word.slice(1)];
  return { name: match[1]!, value: value.length === 0 ? [{ kind: 'text', text: '', quoted: true }] : value };
}

async function dispatch(
  argv: string[], assignments: Array<[string, string]>, streams: Streams, context: ExecutionContext,
): Promise<number> {
  const { session, host } = context;
  const env = new Map<string, string>();
  for (const name of session.exported) {
    const value = session.variables.get(name);
    if (value !== undefined) env.set(name, value);
  }
  for (const [name, value] of assignments) env.set(name, value);
  const typed = argv[0]!;
  // "/usr/sbin/postconf" runs postconf, as the file would on a real host.
  const name = typed.includes('/') ? programAt(typed, session.cwd) : typed;
  if (name === undefined) {
    streams.stderr.write(`bash: ${typed}: No such file or directory\n`);
    return STATUS_NOT_FOUND;
  }
  const commandContext: CommandContext = {
    argv: [name, ...argv.slice(1)], stdin: streams.stdin, stdout: streams.stdout, stderr: streams.stderr,
    env, cwd: session.cwd, host,
  };
  const builtin = lookupBuiltin(name);
  if (builtin !== undefined) {
    try {
      return await builtin({ ...commandContext, shell: session, runProgram: context.runAdmin, interrupted: context.interrupted });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      streams.stderr.write(`bash: ${name}: ${text}\n`);
      return 1;
    }
  }
  const status = await context.runAdmin(commandContext);
  if (status !== undefined) return status;
  streams.stderr.write(`bash: ${typed}: command not found\n`);
  return STATUS_NOT_FOUND;
}

/** The directories where Debian keeps the programs this shell provides. */
const PROGRAM_DIRECTORIES = new Set(['/bin', '/usr/bin', '/sbin', '/usr/sbin']);

/** The command name a path such as /usr/sbin/postmap stands for, if it names one. */
function programAt(typed: string, cwd: string): string | undefined {
  const path = resolvePath(cwd, typed);
  const directory = path.slice(0, path.lastIndexOf('/')) || '/';
  const name = baseName(path);
  if (!PROGRAM_DIRECTORIES.has(directory)) return undefined;
  const isAdmin = ADMIN_PATHS.has(name);
  return (isAdmin && directory.endsWith('sbin')) || (!isAdmin && lookupBuiltin(name) !== undefined) ? name : undefined;
}

/** Applies redirections left to right; returns the error text when a file cannot be opened. */
async function applyRedirections(
  redirections: Redirection[], streams: Streams, context: ExecutionContext,
): Promise<Streams | string> {
  const fs = context.host.platform.fs;
  const result: Streams = { ...streams, files: [] };
  const scope = scopeOf(context.session);
  for (const redirection of redirections) {
    if (redirection.operator === '>&') {
      const source = redirection.sourceFd === 2 ? result.stderr : redirection.sourceFd === 1 ? result.stdout : undefined;
      if (source === undefined) return `${redirection.sourceFd}: Bad file descriptor`;
      setOutput(result, redirection.fd, source);
      continue;
    }
    const words = await expandWord(redirection.target ?? [], scope, fs, context.session.cwd);
    if (words.length !== 1) return `${words.join(' ') || "''"}: ambiguous redirect`;
    const typed = words[0]!;
    const path = resolvePath(context.session.cwd, typed);
    // The one device file people redirect to: reads are empty, writes vanish.
    if (path === DEV_NULL) {
      if (redirection.operator === '<') result.stdin = new BufferedInput('');
      else setOutput(result, redirection.fd, new PipeOutput(0));
      continue;
    }
    try {
      if (redirection.operator === '<') {
        const data = await fs.readFile(path);
        if (redirection.fd === 0) result.stdin = new BufferedInput(data);
        continue;
      }
      if (redirection.operator === '>') await fs.writeFile(path, '', { mode: FILE_MODE });
      else await fs.appendFile(path, '', { mode: FILE_MODE });
    } catch (error) {
      return `${typed}: ${errorText(error)}`;
    }
    const sink: FileSink = { path, buffer: new PipeOutput(REDIRECT_BYTES_MAX) };
    result.files.push(sink);
    setOutput(result, redirection.fd, sink.buffer);
  }
  return result;
}

function setOutput(streams: Streams, fd: number, output: OutputStream): void {
  if (fd === 1) streams.stdout = output;
  else if (fd === 2) streams.stderr = output;
}

async function flushFiles(streams: Streams, context: ExecutionContext): Promise<void> {
  for (const sink of streams.files) {
    const bytes = sink.buffer.bytes();
    if (bytes.length === 0) continue;
    try {
      await context.host.platform.fs.appendFile(sink.path, bytes);
    } catch (error) {
      context.terminalOutput.write(`bash: ${sink.path}: ${errorText(error)}\n`);
    }
  }
}
