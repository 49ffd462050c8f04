// One running service as master keeps it: the master.cf entry, the program, its pid, its
// configuration (main.cf with the entry's -o overrides, read anew on reload), and the
// ServiceContext it was started with. Called by the runtime (runtime.ts) only.
// Trusts readMainConfig for parameter handling. Models master's MASTER_SERV/MASTER_PROC
// pair for a service with one process.

import type { OutputStream } from '../admin/command.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { readMainConfig } from '../global/config/main-cf.ts';
import type { MasterEntry } from '../global/config/master-cf.ts';
import type { Host } from '../global/host.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import type { Cancel } from '../platform/types.ts';
import type { TraceInput } from '../global/trace.ts';
import type { HostRuntime, RunningService, ServiceContext, ServiceProgram } from './contracts.ts';

/** Services have no terminal: their diagnostics reach the maillog through the trace only. */
export const nullOutput: OutputStream = { write: () => undefined, isTty: false };

/** The -o overrides, with service_name set first as master does for every child. */
export function serviceOverrides(entry: MasterEntry): Map<string, string> {
  const overrides = new Map<string, string>([['service_name', entry.service]]);
  for (const [name, value] of entry.overrides) overrides.set(name, value);
  return overrides;
}

/** main.cf with the entry's overrides, read as the service's own process would. */
export async function readServiceConfig(host: Host, directory: string, directoryIsExplicit: boolean,
  entry: MasterEntry, reporter: Reporter, pid: number): Promise<MainConfig> {
  return readMainConfig({
    fs: host.platform.fs, directory, reporter, host, directoryIsExplicit,
    overrides: serviceOverrides(entry),
    machine: { pid, processName: entry.command },
  });
}

export interface ServiceInstanceOptions {
  host: Host;
  runtime: HostRuntime;
  entry: MasterEntry;
  program: ServiceProgram;
  config: MainConfig;
  pid: number;
  /** What reading main.cf said (heldStartupLines), logged when the process first acts. */
  startupLines?: HeldLine[];
}

/** One diagnostic line held back until its process shows itself. */
export interface HeldLine {
  severity: 'info' | 'warning' | 'error';
  text: string;
}

/** A reporter for a service's main.cf read that holds its lines: a Postfix daemon process
 *  starts on demand (its first connection or wakeup) and logs what main.cf made it say then,
 *  under its own name and pid; a service nobody uses never says it. A fatal is logged at
 *  once through `log` (the child dies at start). */
export function heldStartupLines(log: Reporter): { reporter: Reporter; lines: HeldLine[] } {
  const lines: HeldLine[] = [];
  const hold = (severity: HeldLine['severity']) => (text: string): void => {
    if (lines.length < HELD_LINES_MAX) lines.push({ severity, text });
  };
  return {
    lines,
    reporter: {
      program: log.program,
      info: hold('info'),
      warn: hold('warning'),
      error: hold('error'),
      fatal: (text, exitCode) => log.fatal(text, exitCode),
      get warnings() { return lines.length; },
    },
  };
}

/** Logs held lines through `log`, in their order and severities. */
export function showHeldLines(lines: readonly HeldLine[], log: Reporter): void {
  for (const line of lines) {
    if (line.severity === 'info') log.info(line.text);
    else if (line.severity === 'error') log.error(line.text);
    else log.warn(line.text);
  }
}

/** Lines one main.cf read may hold for later (a main.cf with many repeated entries). */
export const HELD_LINES_MAX = 1000;

export class ServiceInstance {
  readonly entry: MasterEntry;
  readonly program: ServiceProgram;
  readonly context: ServiceContext;
  running: RunningService | undefined;
  /** Whether a trigger has named the service (for conditional "?" wakeups). */
  used = false;
  cancelWakeup: Cancel | undefined;
  private currentConfig: MainConfig;
  private startupLines: HeldLine[];
  private readonly host: Host;
  /** The pid of the service's process now; a reload retires it (see retire()). */
  private currentPid: number;
  private currentLog: Reporter;
  /** Set by a reload: the process that served so far exits, the next act is a new one's. */
  private retired = false;

  constructor(options: ServiceInstanceOptions) {
    const { host, entry, pid } = options;
    this.host = host;
    this.entry = entry;
    this.program = options.program;
    this.currentPid = pid;
    this.currentConfig = options.config;
    this.startupLines = options.startupLines ?? [];
    const programName = entry.command;
    this.currentLog = this.reporterFor(pid);
    const instance = this;
    this.context = {
      host,
      runtime: options.runtime,
      entry,
      serviceName: entry.service,
      program: programName,
      get pid() { return instance.currentPid; },
      config: () => this.currentConfig,
      get log() { return instance.currentLog; },
      // The detail is a fresh object from every caller (contracts.ts): it gets the origin
      // in place, in the key order a spread into a new object would give, and the sink
      // copies it once more into the numbered event.
      active: () => this.showItself(),
      trace: (detail) => {
        this.showItself();
        const input = detail as TraceInput & { host: string; service: string; pid: number };
        input.host = host.name;
        input.service = programName;
        input.pid = this.currentPid;
        host.platform.trace.emit(input);
      },
    };
  }

  /** The pid the service's process has now (a new one after a reload, once it acts). */
  get pid(): number { return this.currentPid; }

  private reporterFor(pid: number): Reporter {
    return createReporter({ program: this.entry.command, host: this.host, pid, stderr: nullOutput });
  }

  /** The process shows itself: after a reload that is a new process (a new pid), then
   *  what its main.cf read held back is logged. */
  private showItself(): void {
    if (this.retired) this.respawn();
    if (this.startupLines.length > 0) this.showStartupLines();
  }

  /** A reload: Postfix's master makes its children exit once they are done (every one:
   *  Postfix 3.7.11 logs new pids for pickup and qmgr at once, for cleanup, smtpd, local,
   *  trivial-rewrite when next used). The next act here is a new process's. */
  retire(): void {
    this.retired = true;
  }

  private respawn(): void {
    this.retired = false;
    this.currentPid = this.host.nextPid();
    this.currentLog = this.reporterFor(this.currentPid);
  }

  get config(): MainConfig { return this.currentConfig; }

  /** A reload hands the service its new configuration; config() returns it from now on. */
  set config(config: MainConfig) { this.currentConfig = config; }

  /** A reload's main.cf read: its lines wait for the service's next act, as they would
   *  for the fresh process Postfix starts after a reload. */
  holdStartupLines(lines: HeldLine[]): void {
    this.startupLines = lines;
  }

  /** Logs the held main.cf lines now: the service's process shows itself (its first
   *  event, or a wakeup service that master starts at once). */
  showStartupLines(): void {
    if (this.retired) this.respawn();
    const lines = this.startupLines;
    this.startupLines = [];
    showHeldLines(lines, this.currentLog);
  }

  /** The service's own syslog_name (an -o override applies), for its log tag. */
  get syslogName(): string { return this.currentConfig.get('syslog_name') ?? 'postfix'; }
}
