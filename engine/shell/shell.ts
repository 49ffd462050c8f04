// The shell session behind one terminal: shows the prompt (root@mail:~# ), edits lines,
// runs them, feeds a running command's stdin from the keyboard, and handles Ctrl-C.
// Called by engine/shell/index.ts (createShell) with the admin command runner wired in;
// tests may pass their own runner. Trusts its host's platform; everything typed is
// untrusted and bounded. Models an interactive bash on a Debian host with Postfix.

import type { Host } from '../global/host.ts';
import { builtins } from './builtins/index.ts';
import type { LoginFrame, ShellSession } from './builtins/types.ts';
import { completeLine } from './complete.ts';
import { runPipeline, STATUS_INTERRUPTED, type AdminRunner, type ExecutionContext } from './execute.ts';
import { History } from './history.ts';
import { InterruptedRead, KeyQueue } from './key-queue.ts';
import { decodeKeys } from './keys.ts';
import { LineEditor } from './line-editor.ts';
import { parseLine } from './parse.ts';
import { promptPath } from './paths.ts';
import { TerminalInput, TerminalOutput } from './streams.ts';

export interface ShellOptions {
  host: Host;
  /** Receives terminal output: text with ANSI sequences and CRLF line ends. */
  write(data: string): void;
  cwd?: string;
  env?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** The login name shown in the prompt; root by default. */
  user?: string;
  columns?: number;
  rows?: number;
  /** Runs an admin command; undefined means "no such command". */
  runAdmin: AdminRunner;
  /** Names of the admin commands, for Tab completion, `help` and `which`. */
  adminNames(): string[];
  /** Postfix parameter names, for Tab completion after `postconf`. */
  parameterNames(): readonly string[];
}

export interface Shell {
  /** Prints the first prompt and starts reading keys; later calls do nothing. */
  start(): void;
  /** Raw keystrokes or pasted text, as xterm.js delivers them. */
  input(data: string): void;
  resize(columns: number, rows: number): void;
  /** Resolves when the shell waits for typing with nothing queued: at the prompt, or in a
   *  command that reads the terminal. Tests await it after each input. */
  idle(): Promise<void>;
  /** $? — the status of the last command line. */
  readonly lastStatus: number;
  readonly cwd: string;
}

class Session implements ShellSession {
  cwd = '/';
  lastStatus = 0;
  readonly variables = new Map<string, string>();
  readonly exported = new Set<string>();
  readonly history = new History();
  readonly logins: LoginFrame[] = [];

  constructor(readonly pid: number, private readonly options: ShellOptions, private readonly size: { columns: number }) {}

  columns(): number {
    return this.size.columns;
  }

  commandNames(): string[] {
    return [...Object.keys(builtins), ...this.options.adminNames()];
  }
}

export function createShellSession(options: ShellOptions): Shell {
  const size = { columns: options.columns ?? 80, rows: options.rows ?? 24 };
  const session = new Session(options.host.nextPid(), options, size);
  const keys = new KeyQueue();
  let running: { interrupt(): void } | undefined;
  const editor = new LineEditor({
    write: options.write,
    keys,
    history: session.history,
    columns: () => size.columns,
    complete: (line, cursor) => completeLine(line, cursor, {
      fs: options.host.platform.fs,
      cwd: () => session.cwd,
      home: () => session.variables.get('HOME') ?? '/',
      commandNames: () => session.commandNames(),
      parameterNames: options.parameterNames,
    }),
  });

  const prompt = () => {
    const user = session.variables.get('USER') ?? 'root';
    const shortName = options.host.name.split('.')[0] ?? options.host.name;
    const where = promptPath(session.cwd, session.variables.get('HOME') ?? '/');
    return `${user}@${shortName}:${where}${user === 'root' ? '#' : '$'} `;
  };

  const runLine = async (text: string): Promise<void> => {
    const parsed = parseLine(text);
    if (!parsed.ok) {
      options.write(`bash: ${parsed.error}\r\n`);
      session.lastStatus = 2;
      return;
    }
    for (const item of parsed.list) {
      if (item.connector === '&&' && session.lastStatus !== 0) continue;
      if (item.connector === '||' && session.lastStatus === 0) continue;
      const output = new TerminalOutput(options.write);
      let interrupt!: () => void;
      const interrupted = new Promise<void>((resolve) => { interrupt = resolve; });
      running = { interrupt: () => { output.detach(); interrupt(); } };
      if (keys.takeInterrupt()) {
        options.write('^C\r\n');
        running.interrupt();
      }
      const context: ExecutionContext = {
        host: options.host, session, runAdmin: options.runAdmin, interrupted,
        terminalOutput: output,
        terminalInput: new TerminalInput(keys, options.write),
      };
      try {
        session.lastStatus = await runPipeline(item.pipeline, context);
      } finally {
        running = undefined;
      }
      if (session.lastStatus === STATUS_INTERRUPTED) break;
    }
  };

  // The session loop: one prompt per iteration, each waiting for typed input, so it needs
  // no count bound; it ends only with the page.
  const loop = async (): Promise<void> => {
    await initialise(session, options);
    for (;;) {
      let result;
      try {
        result = await editor.readLine(prompt());
      } catch (error) {
        if (error instanceof InterruptedRead) continue;
        throw error;
      }
      if (result.kind === 'interrupt') { session.lastStatus = STATUS_INTERRUPTED; continue; }
      session.history.add(result.text);
      await runLine(result.text);
    }
  };
  let started = false;

  return {
    start() {
      if (started) return;
      started = true;
      void loop().catch((error: unknown) => {
        options.write(`\r\nbash: internal error: ${error instanceof Error ? error.message : String(error)}\r\n`);
      });
    },
    input(data) {
      const decoded = decodeKeys(data);
      const interruptAt = running === undefined ? -1 : decoded.findIndex((key) => key.kind === 'key' && key.name === 'interrupt');
      if (interruptAt < 0) { keys.push(decoded); return; }
      // Ctrl-C while a command runs: the tty echoes ^C, drops typed-ahead input and signals
      // the command; what was typed after it goes to the next prompt.
      options.write('^C\r\n');
      running?.interrupt();
      keys.interrupt();
      keys.push(decoded.slice(interruptAt + 1));
    },
    resize(columns, rows) {
      size.columns = Math.max(1, Math.floor(columns));
      size.rows = Math.max(1, Math.floor(rows));
    },
    idle: () => keys.whenIdle(),
    get lastStatus() { return session.lastStatus; },
    get cwd() { return session.cwd; },
  };
}

/** Sets up the login environment: HOME from /etc/passwd, the working directory, PATH. */
async function initialise(session: Session, options: ShellOptions): Promise<void> {
  const user = options.user ?? 'root';
  const home = await homeDirectory(options, user);
  const defaults: Array<[string, string]> = [
    ['HOME', home], ['USER', user], ['LOGNAME', user], ['SHELL', '/bin/bash'], ['TERM', 'xterm-256color'],
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOSTNAME', options.host.name],
  ];
  for (const [name, value] of defaults) { session.variables.set(name, value); session.exported.add(name); }
  const given = options.env instanceof Map ? [...options.env] : Object.entries(options.env ?? {});
  for (const [name, value] of given) { session.variables.set(name, value); session.exported.add(name); }
  let cwd = options.cwd ?? session.variables.get('HOME') ?? '/';
  try {
    if (!(await options.host.platform.fs.stat(cwd)).isDirectory) cwd = '/';
  } catch {
    cwd = '/';
  }
  session.cwd = cwd;
  session.variables.set('PWD', cwd);
  session.exported.add('PWD');
}

/** The sixth field of the user's /etc/passwd line; /root or /home/USER without one. */
async function homeDirectory(options: ShellOptions, user: string): Promise<string> {
  const fallback = user === 'root' ? '/root' : `/home/${user}`;
  try {
    const text = new TextDecoder().decode(await options.host.platform.fs.readFile('/etc/passwd'));
    for (const line of text.split('\n')) {
      const fields = line.split(':');
      if (fields[0] === user && fields[5] !== undefined && fields[5] !== '') return fields[5];
    }
  } catch { /* no passwd file: use the usual place */ }
  return fallback;
}
