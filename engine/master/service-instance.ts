// One running service as master keeps it: the master.cf entry, the program, its pid, its
// configuration (main.cf with the entry's -o overrides, read anew on reload), and the
// ServiceContext it was started with, and the life of its process: the clients it serves
// (uses), max_idle and max_use (process-limits.ts), after which the next act is a new
// process's with a new pid and main.cf read again. Called by the runtime (runtime.ts) and
// the use-counting endpoints (service-uses.ts). Trusts readMainConfig for parameter
// handling. Models master's MASTER_SERV/MASTER_PROC pair for a service with one process,
// and the skeletons' use_count and idle timer (src/master/*_server.c).

import type { OutputStream } from '../admin/command.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { readMainConfig } from '../global/config/main-cf.ts';
import type { MasterEntry } from '../global/config/master-cf.ts';
import type { Host } from '../global/host.ts';
import { createReporter, FatalExit, type Reporter } from '../global/msg.ts';
import type { Cancel } from '../platform/types.ts';
import type { TraceInput } from '../global/trace.ts';
import type { HostRuntime, RunningService, ServiceContext, ServiceProgram } from './contracts.ts';
import { processLimits, type ProcessLimits } from './process-limits.ts';

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
  /** main.cf as a new process of the service reads it (after max_idle or max_use). */
  readConfig?: (pid: number, reporter: Reporter) => Promise<MainConfig>;
  /** Whether max_idle/max_use apply (not to a real process's pid: a real-mode worker). */
  limitsApply?: boolean;
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
  /** Clients being served now; the process never changes under an open one. */
  private usesOpen = 0;
  /** Clients the current process has served (Postfix's use_count). */
  private usesServed = 0;
  /** When the current process became idle: its start or its last client's end. */
  private idleSinceMs: number;
  /** A multi-server's client connection: the time of its last request (see request()). */
  private clientLastRequestMs: number | undefined;
  /** The process exits once its open clients are done (a reload, or max_use reached). */
  private retireWhenDone = false;
  /** When the current process started (its first act), undefined before that: master
   *  starts a service's process on demand, pickup's and qmgr's at once (for ps). */
  private startedMs: number | undefined;
  /** A new process reading main.cf: clients that arrive meanwhile wait for it. */
  private respawning: Promise<void> | undefined;
  private readonly readConfig: ServiceInstanceOptions['readConfig'];
  private readonly limitsApply: boolean;
  private limitsFor: { config: MainConfig; limits: ProcessLimits } | undefined;

  constructor(options: ServiceInstanceOptions) {
    const { host, entry, pid } = options;
    this.host = host;
    this.entry = entry;
    this.program = options.program;
    this.currentPid = pid;
    this.currentConfig = options.config;
    this.startupLines = options.startupLines ?? [];
    this.readConfig = options.readConfig;
    this.limitsApply = options.limitsApply ?? true;
    this.idleSinceMs = host.platform.clock.nowMs();
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
      beginUse: () => this.beginUse(),
      endUse: () => this.endUse(),
      hasExited: () => this.usesOpen === 0 && this.hasExited(host.platform.clock.nowMs()),
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
    if (this.retired && this.usesOpen === 0) this.respawn();
    if (this.startedMs === undefined) this.startedMs = this.host.platform.clock.nowMs();
    if (this.startupLines.length > 0) this.showStartupLines();
  }

  /** A reload: Postfix's master makes its children exit once they are done (every one:
   *  Postfix 3.7.11 logs new pids for pickup and qmgr at once, for cleanup, smtpd, local,
   *  trivial-rewrite when next used). The next act here is a new process's. */
  retire(): void {
    // A process in the middle of a session finishes it first, under its own pid.
    if (this.usesOpen > 0) this.retireWhenDone = true;
    else this.retired = true;
  }

  /** Whether a client is being served now (a reload leaves such a process alone). */
  get inUse(): boolean { return this.usesOpen > 0; }

  /** When the service's process started, if one runs at `nowMs`: none before its first
   *  act, none once it has exited (after a reload, max_use clients or max_idle without
   *  one) until the next act starts another. */
  processStartedMs(nowMs: number): number | undefined {
    if (this.startedMs === undefined) return undefined;
    let open = this.usesOpen;
    let idleSinceMs = this.idleSinceMs;
    // A multi-server's client left ipc_idle after its last request (request() counts that
    // at the next request; here it is only looked at).
    const last = this.clientLastRequestMs;
    const { clientIdleMs, idleMs } = this.limits();
    if (last !== undefined && nowMs - last >= clientIdleMs) {
      open -= 1;
      idleSinceMs = last + clientIdleMs;
    }
    if (open > 0) return this.startedMs;
    if (this.retired || this.retireWhenDone) return undefined;
    if (this.limitsApply && idleMs > 0 && nowMs - idleSinceMs >= idleMs) return undefined;
    return this.startedMs;
  }

  private respawn(): void {
    this.retired = false;
    this.retireWhenDone = false;
    this.usesServed = 0;
    this.clientLastRequestMs = undefined;
    this.idleSinceMs = this.host.platform.clock.nowMs();
    this.startedMs = this.idleSinceMs;
    this.currentPid = this.host.nextPid();
    this.currentLog = this.reporterFor(this.currentPid);
  }

  private limits(): ProcessLimits {
    const config = this.currentConfig;
    if (this.limitsFor?.config !== config) this.limitsFor = { config, limits: processLimits(this.entry.command, config) };
    return this.limitsFor.limits;
  }

  /** Whether the process has exited by now: retired, or idle for max_idle. */
  private hasExited(nowMs: number): boolean {
    if (this.retired) return true;
    if (!this.limitsApply) return false;
    const { idleMs } = this.limits();
    return idleMs > 0 && nowMs - this.idleSinceMs >= idleMs;
  }

  /** A client connects (an SMTP session, a delivery request, a cleanup stream). When the
   *  process has exited meanwhile, master starts a new one: a new pid, main.cf read again
   *  (its warnings logged), its settings for this client. Returns a promise only then, so
   *  a client of a living process goes on in the same turn. Pair with endUse(). */
  beginUse(): Promise<void> | undefined {
    const nowMs = this.host.platform.clock.nowMs();
    if (this.usesOpen === 0 && this.respawning === undefined && this.hasExited(nowMs)) {
      this.respawning = this.respawnFresh().finally(() => { this.respawning = undefined; });
    }
    if (this.startedMs === undefined) this.startedMs = nowMs;
    this.usesOpen += 1;
    return this.respawning;
  }

  /** A client is done: one more use; the process exits after max_use (or a reload) once
   *  no client is left. */
  endUse(atMs = this.host.platform.clock.nowMs()): void {
    if (this.usesOpen === 0) return;
    this.usesOpen -= 1;
    this.usesServed += 1;
    if (this.usesOpen > 0) return;
    this.idleSinceMs = atMs;
    const { usesMax } = this.limits();
    if (this.retireWhenDone || (this.limitsApply && usesMax > 0 && this.usesServed >= usesMax)) {
      this.retireWhenDone = false;
      this.retired = true;
    }
  }

  /** A multi-server's request (trivial-rewrite): its client keeps one connection while it
   *  asks, and closes it ipc_idle after its last request; that close is the use. */
  request(): Promise<void> | undefined {
    const nowMs = this.host.platform.clock.nowMs();
    const { clientIdleMs } = this.limits();
    const last = this.clientLastRequestMs;
    if (last !== undefined && nowMs - last >= clientIdleMs) {
      this.clientLastRequestMs = undefined;
      this.endUse(last + clientIdleMs);
    }
    if (this.clientLastRequestMs === undefined) {
      this.clientLastRequestMs = nowMs;
      return this.beginUse();
    }
    this.clientLastRequestMs = nowMs;
    return this.respawning;
  }

  /** A trigger (pickup's, flush's; master's wakeups too): one use, idle from then. */
  triggered(): Promise<void> | undefined {
    const waiting = this.beginUse();
    if (waiting === undefined) {
      this.endUse();
      return undefined;
    }
    return waiting.then(() => this.endUse());
  }

  /** The new process reads main.cf as it starts and logs what that read says. */
  private async respawnFresh(): Promise<void> {
    this.respawn();
    if (this.readConfig === undefined) return;
    const held = heldStartupLines(this.currentLog);
    try {
      this.currentConfig = await this.readConfig(this.currentPid, held.reporter);
    } catch (error) {
      // The new process died reading main.cf (its fatal is logged); the service goes on
      // with what it had, as master would start yet another process.
      if (!(error instanceof FatalExit)) throw error;
      return;
    }
    this.startupLines = held.lines;
    this.showStartupLines();
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
    if (this.startedMs === undefined) this.startedMs = this.host.platform.clock.nowMs();
    const lines = this.startupLines;
    this.startupLines = [];
    showHeldLines(lines, this.currentLog);
  }

  /** The service's own syslog_name (an -o override applies), for its log tag. */
  get syslogName(): string { return this.currentConfig.get('syslog_name') ?? 'postfix'; }
}
