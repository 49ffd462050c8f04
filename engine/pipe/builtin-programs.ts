// The programs a pipe(8) command can name in the simulation, where nothing can be exec'd.
// Each is found by the last part of argv[0], so "/bin/true" and "true" are the same:
//   true, false                 exit 0 / exit 1
//   cat                         copy the message to the output (it then shows in the log)
//   tee [-a] FILE...            write (append) the message to each FILE, as user=
//   sh -c 'SCRIPT'              a small shell: commands separated by ';' or newlines, among
//                               cat >FILE, cat >>FILE, echo WORDS [>FILE], exit N, true,
//                               false, sleep SECONDS (virtual time; past the time limit the
//                               command is killed), kill -N $$ / kill -TERM $$ (dies by signal)
//   sendmail ARGS               re-injects the message through the host's sendmail command
//                               (the content-filter loop back into Postfix), as user=
// Anything else fails as execvp() would in Postfix's child: "pipe: fatal: pipe_command:
// execvp NAME: No such file or directory" and EX_TEMPFAIL (75).
// Called by service.ts (the default runner). Trusts the memfs ownership model of
// engine/global/ownership.ts for "as the user" checks. Models the commands a lab needs.

import { ownershipFor, writeFileAs } from '../global/ownership.ts';
import type { CommandOutcome } from './command-status.ts';
import { EX_TEMPFAIL } from './sys-exits.ts';
import type { PipeCommandRequest, PipeCommandRunner } from './runner.ts';

/** Names for the documentation and the UI. */
export const BUILTIN_PIPE_PROGRAMS = ['true', 'false', 'cat', 'tee', 'sh -c', 'sendmail'] as const;

/** Commands one sh -c script may run, and words per command. */
const SCRIPT_COMMANDS_MAX = 100;
const SIGNALS: Readonly<Record<string, number>> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, TERM: 15 };

const decoder = new TextDecoder();

/** A running built-in: the output so far and whether stdin was consumed. */
interface Run {
  request: PipeCommandRequest;
  output: string;
  elapsedMs: number;
}

function notFound(name: string): CommandOutcome {
  return { exitStatus: EX_TEMPFAIL, output: `pipe: fatal: pipe_command: execvp ${name}: No such file or directory\n` };
}

/** Writes or appends the message to a file as the command's user; a shell-style error text on failure. */
function writeFile(run: Run, path: string, data: Uint8Array, append: boolean): Promise<string | undefined> {
  const { host, uid, gid } = run.request;
  const fs = host.platform.fs;
  return writeFileAs(fs, ownershipFor(fs), { uid, gid }, path, data, append);
}

/** Splits one shell command into words, honouring '...' and "..." quoting. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (const character of text) {
    if (quote !== undefined) {
      if (character === quote) quote = undefined;
      else word += character;
    } else if (character === "'" || character === '"') {
      quote = character;
      inWord = true;
    } else if (character === ' ' || character === '\t') {
      if (inWord) { words.push(word); word = ''; inWord = false; }
    } else {
      word += character;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Takes a trailing "> FILE" / ">> FILE" / ">FILE" redirection off a command. */
function redirection(words: string[]): { words: string[]; path?: string; append: boolean } {
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    const match = /^(>>?)(.*)$/.exec(word);
    if (match === null) continue;
    const path = match[2] !== '' ? match[2] : words[index + 1];
    const rest = [...words.slice(0, index), ...words.slice(index + (match[2] !== '' ? 1 : 2))];
    return { words: rest, path, append: match[1] === '>>' };
  }
  return { words, append: false };
}

type Step = { status: number } | { exit: CommandOutcome };

function sleep(run: Run, delayMs: number): Promise<void> {
  return new Promise((resolve) => { run.request.host.platform.timers.after(delayMs, resolve); });
}

async function scriptCommand(run: Run, line: string, lineNumber: number): Promise<Step> {
  const parsed = redirection(shellWords(line));
  const [name = '', ...args] = parsed.words;
  const emit = async (data: Uint8Array): Promise<number> => {
    if (parsed.path === undefined) { run.output += decoder.decode(data); return 0; }
    const failure = await writeFile(run, parsed.path, data, parsed.append);
    if (failure === undefined) return 0;
    run.output += `sh: ${lineNumber}: cannot create ${parsed.path}: ${failure}\n`;
    return 2;
  };
  switch (name) {
    case 'true': case ':': return { status: 0 };
    case 'false': return { status: 1 };
    case 'cat': return { status: await emit(run.request.input) };
    case 'echo': return { status: await emit(new TextEncoder().encode(`${args.join(' ')}\n`)) };
    case 'exit': return { exit: { exitStatus: Number(args[0] ?? 0) & 0xff, output: run.output } };
    case 'sleep': {
      const waitMs = Number(args[0] ?? 0) * 1000;
      if (run.elapsedMs + waitMs > run.request.timeLimitMs) {
        await sleep(run, Math.max(0, run.request.timeLimitMs - run.elapsedMs));
        return { exit: { timedOut: true, output: run.output } };
      }
      await sleep(run, waitMs);
      run.elapsedMs += waitMs;
      return { status: 0 };
    }
    case 'kill': {
      const signal = /^-(\d+|[A-Z]+)$/.exec(args[0] ?? '');
      if (signal && args[1] === '$$') {
        const number = /^\d+$/.test(signal[1]!) ? Number(signal[1]) : SIGNALS[signal[1]!.replace(/^SIG/, '')] ?? 15;
        return { exit: { signal: number, output: run.output } };
      }
      run.output += `sh: ${lineNumber}: kill: ${args.join(' ')}: arguments must be process or job IDs\n`;
      return { status: 1 };
    }
    case '': return { status: 0 };
    default:
      run.output += `sh: ${lineNumber}: ${name}: not found\n`;
      return { status: 127 };
  }
}

async function runScript(run: Run, script: string): Promise<CommandOutcome> {
  const lines = script.split(/[;\n]/).slice(0, SCRIPT_COMMANDS_MAX);
  let status = 0;
  for (const [index, line] of lines.entries()) {
    const step = await scriptCommand(run, line.trim(), index + 1);
    if ('exit' in step) return step.exit;
    status = step.status;
  }
  return { exitStatus: status, output: run.output };
}

async function runTee(run: Run, args: string[]): Promise<CommandOutcome> {
  const append = args[0] === '-a';
  let status = 0;
  for (const path of append ? args.slice(1) : args) {
    const failure = await writeFile(run, path, run.request.input, append);
    if (failure !== undefined) { run.output += `tee: ${path}: ${failure}\n`; status = 1; }
  }
  return { exitStatus: status, output: decoder.decode(run.request.input) + run.output };
}

async function runSendmail(run: Run, args: string[]): Promise<CommandOutcome> {
  const { runCommand } = await import('../admin/run.ts');
  const { BufferedInput, CapturedOutput } = await import('../admin/stdio.ts');
  const output = new CapturedOutput();
  const env = new Map(Object.entries(run.request.environment));
  env.set('USER', run.request.user);
  env.set('LOGNAME', run.request.user);
  const status = await runCommand({
    argv: ['sendmail', ...args], stdin: new BufferedInput(run.request.input), stdout: output, stderr: output,
    env, cwd: run.request.directory ?? '/', host: run.request.host,
  });
  if (status === undefined) return notFound(run.request.argv[0] ?? 'sendmail');
  return { exitStatus: status, output: output.text() };
}

export function createBuiltinPipeRunner(): PipeCommandRunner {
  return {
    run: async (request) => {
      const [program = '', ...args] = request.argv;
      const name = program.slice(program.lastIndexOf('/') + 1);
      const run: Run = { request, output: '', elapsedMs: 0 };
      switch (name) {
        case 'true': return { exitStatus: 0, output: '' };
        case 'false': return { exitStatus: 1, output: '' };
        case 'cat': return { exitStatus: 0, output: decoder.decode(request.input) };
        case 'tee': return runTee(run, args);
        case 'sh': case 'bash': case 'dash':
          if (args[0] !== '-c' || args[1] === undefined) return { exitStatus: 2, output: `${name}: 0: -c requires an argument\n` };
          return runScript(run, args[1]);
        case 'sendmail': return runSendmail(run, args);
        default: return notFound(program);
      }
    },
  };
}
