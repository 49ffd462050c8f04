// ps(1) as procps-ng 4.0.2 prints it: `ps` (this terminal's processes: PID TTY TIME CMD),
// BSD `ps x`, `ps ax` (PID TTY STAT TIME COMMAND), `ps aux` / `ps u` (USER PID %CPU %MEM VSZ
// RSS TTY STAT START TIME COMMAND) and `ps -e`, `ps -ef` (UID PID PPID C STIME TTY TIME CMD).
// On a terminal, lines are cut at its width unless `w` is given, as ps does. The processes
// are the host's mail system (ps-processes.ts), the shell and the ps itself (a fresh pid).
// CPU times are 0:00 and %CPU/%MEM 0.0 (a simulated process uses no CPU); VSZ and RSS are
// the sizes a Debian Postfix 3.7.11 showed for the same programs. Called through
// engine/shell/builtins/index.ts.

import { civilTime } from '../time-format.ts';
import { mailSystemProcesses, type ProcessEntry } from './ps-processes.ts';
import type { Builtin } from './types.ts';

/** The terminal the shell runs on. */
export const SHELL_TTY = 'pts/0';

/** Kilobytes of VSZ and RSS per program, as `ps aux` showed them for Postfix 3.7.11 on
 *  Debian 12 (bash and ps from the same machine). */
const MEMORY_KB: Record<string, [number, number]> = {
  master: [42680, 4832], pickup: [43072, 7224], qmgr: [43116, 7204], cleanup: [43168, 7344],
  'trivial-rewrite': [43084, 7264], local: [42744, 8128], proxymap: [43076, 7084], smtpd: [48904, 10564],
  postlogd: [43068, 7148], bash: [5132, 4204], ps: [8680, 4532],
};
const MEMORY_DEFAULT_KB: [number, number] = [43100, 7200];

const USAGE = 'Usage:\n ps [options]\n\n Try \'ps --help <simple|list|output|threads|misc|all>\'\n'
  + "  or 'ps --help <s|l|o|t|m|a>'\n for additional help text.\n\nFor more details see ps(1).\n";

type Format = 'plain' | 'bsd' | 'user' | 'full';
interface Request { format: Format; all: boolean; withoutTty: boolean; onlyUser: boolean; wide: boolean }

function parseRequest(words: string[]): Request | string {
  const request: Request = { format: 'plain', all: false, withoutTty: false, onlyUser: true, wide: false };
  for (const word of words) {
    const bsd = !word.startsWith('-');
    for (const letter of bsd ? word : word.slice(1)) {
      if (bsd && letter === 'a') { request.all = true; request.format = request.format === 'user' ? 'user' : 'bsd'; }
      else if (bsd && letter === 'x') { request.withoutTty = true; request.format = request.format === 'user' ? 'user' : 'bsd'; }
      else if (bsd && letter === 'u') request.format = 'user';
      else if (bsd && letter === 'w') request.wide = true;
      else if (!bsd && (letter === 'e' || letter === 'A')) { request.all = true; request.withoutTty = true; }
      else if (!bsd && letter === 'f') request.format = 'full';
      else return bsd ? 'error: unsupported option (BSD syntax)' : 'error: unsupported SysV option';
    }
  }
  if (request.all && request.withoutTty) request.onlyUser = false;
  else if (request.all) request.onlyUser = false;
  return request;
}

function selected(process: ProcessEntry, request: Request, user: string): boolean {
  if (!request.onlyUser && request.withoutTty) return true;
  if (!request.onlyUser) return process.tty !== '?';
  if (process.user !== user) return false;
  return request.withoutTty || process.tty === SHELL_TTY;
}

export const ps: Builtin = async (context) => {
  const request = parseRequest(context.argv.slice(1));
  if (typeof request === 'string') {
    context.stderr.write(`${request}\n\n${USAGE}`);
    return 1;
  }
  const user = context.shell.variables.get('USER') ?? 'root';
  const nowMs = context.host.platform.clock.nowMs();
  const shellPid = context.shell.pid;
  const own: ProcessEntry[] = [
    { pid: shellPid, parentPid: 1, user, tty: SHELL_TTY, state: 'Ss', startedMs: nowMs, argv: ['-bash'], name: 'bash' },
    { pid: context.host.nextPid(), parentPid: shellPid, user, tty: SHELL_TTY, state: 'R+', startedMs: nowMs, argv: context.argv, name: 'ps' },
  ];
  const processes = [...mailSystemProcesses(context.host), ...own]
    .filter((process) => selected(process, request, user))
    .sort((a, b) => a.pid - b.pid);
  const lines = render(processes, request.format, nowMs);
  const width = context.stdout.isTty && !request.wide ? context.shell.columns() : Number.POSITIVE_INFINITY;
  context.stdout.write(lines.map((line) => `${line.slice(0, width)}\n`).join(''));
  return 0;
};

function render(processes: ProcessEntry[], format: Format, nowMs: number): string[] {
  const pidWidth = Math.max(5, ...processes.map((process) => String(process.pid).length));
  const pid = (value: number | string) => String(value).padStart(pidWidth);
  const command = (process: ProcessEntry) => process.argv.join(' ');
  if (format === 'plain') {
    return [`${pid('PID')} TTY          TIME CMD`,
      ...processes.map((process) => `${pid(process.pid)} ${process.tty.padEnd(8)} 00:00:00 ${process.name}`)];
  }
  if (format === 'bsd') {
    return [`${pid('PID')} TTY      STAT   TIME COMMAND`,
      ...processes.map((process) => `${pid(process.pid)} ${process.tty.padEnd(8)} ${process.state.padEnd(4)}   0:00 ${command(process)}`)];
  }
  if (format === 'full') {
    return [`${'UID'.padEnd(8)} ${pid('PID')} ${pid('PPID')}  C STIME TTY          TIME CMD`,
      ...processes.map((process) => `${process.user.padEnd(8)} ${pid(process.pid)} ${pid(process.parentPid)}  0 ${startText(process.startedMs, nowMs)} `
        + `${process.tty.padEnd(8)} 00:00:00 ${command(process)}`)];
  }
  return [`USER     ${pid('PID')} %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND`,
    ...processes.map((process) => {
      const [virtual, resident] = MEMORY_KB[process.name] ?? MEMORY_DEFAULT_KB;
      return `${process.user.padEnd(8)} ${pid(process.pid)}  0.0  0.0 ${String(virtual).padStart(6)} ${String(resident).padStart(5)} `
        + `${process.tty.padEnd(8)} ${process.state.padEnd(4)} ${startText(process.startedMs, nowMs)}   0:00 ${command(process)}`;
    })];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** START/STIME: "HH:MM" within a day, "MonDD" within the year, else the year. */
export function startText(startedMs: number, nowMs: number): string {
  const started = civilTime(startedMs);
  if (nowMs - startedMs < 24 * 3600 * 1000) return `${String(started.hour).padStart(2, '0')}:${String(started.minute).padStart(2, '0')}`;
  if (started.year === civilTime(nowMs).year) return `${MONTHS[started.month - 1]}${String(started.day).padStart(2, '0')}`;
  return `${started.year}`.padStart(5);
}

