// Diagnostics the way Postfix's msg(3) prints them: "postconf: warning: text" on stderr,
// and a trace event so that the maillog and the UI see the same line. msg_fatal exits the
// program with status 1; here fatal() throws FatalExit, which runCommand turns into that
// exit status, so no caller has to thread "stop now" through its returns.
// Called by admin commands and, later, by every service.

import type { OutputStream } from '../admin/command.ts';
import type { Host } from './host.ts';
import type { Severity } from './trace.ts';

/** Thrown by Reporter.fatal(); carries the exit status the program ends with. */
export class FatalExit extends Error {
  readonly exitCode: number;
  constructor(text: string, exitCode = 1) {
    super(text);
    this.name = 'FatalExit';
    this.exitCode = exitCode;
  }
}

export interface Reporter {
  readonly program: string;
  info(text: string): void;
  warn(text: string): void;
  error(text: string): void;
  /** Prints "program: fatal: text" and ends the program with status 1 (or exitCode). */
  fatal(text: string, exitCode?: number): never;
  /** Lines printed so far, for tests and for commands that count their warnings. */
  readonly warnings: number;
}

export interface ReporterOptions {
  program: string;
  host: Host;
  pid: number;
  stderr: OutputStream;
  /** Postfix's postfix(1) prints only to a terminal; other commands always print. */
  stderrOnlyIfTty?: boolean;
}

export function createReporter(options: ReporterOptions): Reporter {
  let warnings = 0;
  const print = (severity: Severity, text: string): void => {
    const shown = severity === 'info' ? `${options.program}: ${text}` : `${options.program}: ${severity}: ${text}`;
    if (!options.stderrOnlyIfTty || options.stderr.isTty) options.stderr.write(`${shown}\n`);
    options.host.platform.trace.emit({
      kind: 'diagnostic', severity, text,
      host: options.host.name, service: options.program, pid: options.pid,
    });
  };
  return {
    program: options.program,
    info: (text) => print('info', text),
    warn: (text) => { warnings++; print('warning', text); },
    error: (text) => { warnings++; print('error', text); },
    fatal: (text, exitCode = 1) => {
      print('fatal', text);
      throw new FatalExit(text, exitCode);
    },
    get warnings() { return warnings; },
  };
}

/** A reporter whose warnings go to the terminal only while `early()` is true: a Postfix
 *  program that reads main.cf before its logging knows maillog_file (sendmail, postdrop,
 *  postfix(1)) says what the file made it say on stderr only -- postfix(1) only when
 *  stderr is a terminal. Later warnings are logged as usual. */
export function terminalOnlyWhile(base: Reporter, stderr: OutputStream, early: () => boolean, onlyIfTty = false): Reporter {
  return {
    get program() { return base.program; },
    get warnings() { return base.warnings; },
    info: (text) => base.info(text),
    warn: (text) => {
      if (!early()) return base.warn(text);
      if (!onlyIfTty || stderr.isTty) stderr.write(`${base.program}: warning: ${text}\n`);
    },
    error: (text) => base.error(text),
    fatal: (text, exitCode) => base.fatal(text, exitCode),
  };
}
