// The start of a bounce(8) process, as master spawns one when a client connects to the
// bounce, defer or trace service. Postfix's bounce reads bounce_template_file before it
// accepts its first request (pre_jail_init), so a file that cannot be opened or has a
// malformed line kills every new process at once: the process logs "fatal: ...", master
// logs "process PATH pid N exit status 1" and "PATH: bad command startup -- throttling"
// a second later (msg_fatal sleeps one second before it exits) and spawns no process for
// that service for service_throttle_time. The client's connection waits in the listen
// queue meanwhile; after ipc_timeout the client gives up ("write private/NAME socket:
// Connection timed out") but its connection stays queued, so master keeps spawning (and
// the process keeps dying) every 1 + service_throttle_time seconds until a process
// starts, for example after the file was fixed. Each of the three services has its own
// processes and throttle.
// Called by engine/bounce/api.ts before every request. Waits only through
// platform.timers. Models src/master/master_spawn.c (throttle) and master_avail.c as seen
// from the bounce service, with bounce.c's pre_jail_init.

import type { MainConfig } from '../global/config/main-cf.ts';
import { createReporter, FatalExit, type Reporter } from '../global/msg.ts';
import type { ServiceContext } from '../master/contracts.ts';
import { nullOutput } from '../master/service-instance.ts';

/** msg_fatal() sleeps this long before the process exits (and master notices). */
const FATAL_EXIT_DELAY_MS = 1000;
/** Spawns of one service after a failed start, at most: master has no limit; this one is
 *  two weeks of retries at the default service_throttle_time (61 s apart). */
export const RESPAWNS_MAX = 20_000;

/** The client's view of a service that never answered within ipc_timeout. */
export class ServiceConnectTimeout extends Error {
  /** What the client logs as its warning (the library's own line). */
  readonly clientWarning: string;
  constructor(serviceName: string) {
    const text = `write private/${serviceName} socket: Connection timed out`;
    super(text);
    this.name = 'ServiceConnectTimeout';
    this.clientWarning = text;
  }
}

/** What a process start needs of the service's context. */
export type StartContext = Pick<ServiceContext, 'host' | 'runtime' | 'config' | 'log' | 'pid' | 'program' | 'entry'>;

/** What a started process gives (the templates it loaded). */
export type Starter<T> = (config: MainConfig, log: Reporter) => Promise<T>;

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  /** When the client connected (its ipc_timeout counts from here). */
  requestedAtMs: number;
  /** Armed only once a start failed, so that a healthy service sets no timers. */
  cancelDeadline?: () => void;
}

/** One master.cf service (bounce, defer or trace) with its spawn/throttle state. */
class ServiceStarts<T> {
  private waiters = new Set<Waiter<T>>();
  /** A request came in since the last process that started: master keeps spawning. */
  private connectionQueued = false;
  private cycle: 'idle' | 'starting' | 'throttled' = 'idle';
  private cancelTimer: (() => void) | undefined;
  private respawns = 0;

  constructor(private readonly context: StartContext, private readonly serviceName: string,
    private readonly shared: { spawnedOnce: boolean },
    private readonly start: Starter<T>, private readonly started: (value: T, config: MainConfig) => void) {}

  /** Waits for a process that started (or for ipc_timeout to pass). */
  request(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, requestedAtMs: this.context.host.platform.clock.nowMs() };
      this.waiters.add(waiter);
      this.connectionQueued = true;
      if (this.cycle === 'throttled') this.armDeadline(waiter);
      else if (this.cycle === 'idle') void this.spawn();
    });
  }

  /** The client gives up ipc_timeout after it connected. */
  private armDeadline(waiter: Waiter<T>): void {
    if (waiter.cancelDeadline !== undefined) return;
    const timeoutMs = Math.max(1, this.context.config().getTimeSeconds('ipc_timeout')) * 1000;
    const remainingMs = Math.max(0, waiter.requestedAtMs + timeoutMs - this.context.host.platform.clock.nowMs());
    waiter.cancelDeadline = this.context.host.platform.timers.after(remainingMs, () => {
      this.waiters.delete(waiter);
      waiter.reject(new ServiceConnectTimeout(this.serviceName));
    });
  }

  /** Ends the cycle and fails whoever still waits (master is stopping). */
  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.cycle = 'idle';
    this.connectionQueued = false;
    for (const waiter of this.waiters) {
      waiter.cancelDeadline?.();
      waiter.reject(new Error(`private/${this.serviceName}: service stopped`));
    }
    this.waiters.clear();
  }

  private async spawn(): Promise<void> {
    this.cycle = 'starting';
    const config = this.context.config();
    // The first process logs as the service's own pid; every later one is a new process.
    const pid = this.shared.spawnedOnce ? this.context.host.nextPid() : this.context.pid;
    this.shared.spawnedOnce = true;
    const log = pid === this.context.pid ? this.context.log
      : createReporter({ program: this.context.program, host: this.context.host, pid, stderr: nullOutput });
    let value: T;
    try {
      value = await this.start(config, log);
    } catch (error) {
      if (this.cycle !== 'starting') return; // stopped meanwhile
      if (!(error instanceof FatalExit)) log.error(`panic: ${error instanceof Error ? error.message : String(error)}`);
      for (const waiter of this.waiters) this.armDeadline(waiter);
      this.cancelTimer = this.context.host.platform.timers.after(FATAL_EXIT_DELAY_MS, () => this.exited(pid));
      return;
    }
    if (this.cycle !== 'starting') return;
    this.cycle = 'idle';
    this.connectionQueued = false;
    this.respawns = 0;
    this.started(value, config);
    for (const waiter of this.waiters) {
      waiter.cancelDeadline?.();
      waiter.resolve(value);
    }
    this.waiters.clear();
  }

  /** master_spawn's reaper for a child that died before it served anything. */
  private exited(pid: number): void {
    const master = masterReporter(this.context);
    const command = (this.context.entry as { command?: string } | undefined)?.command ?? this.context.program;
    const path = `${this.context.config().get('daemon_directory') ?? '/usr/libexec/postfix'}/${command}`;
    master.warn(`process ${path} pid ${pid} exit status 1`);
    master.warn(`${path}: bad command startup -- throttling`);
    this.cycle = 'throttled';
    const throttleMs = Math.max(1, this.context.config().getTimeSeconds('service_throttle_time')) * 1000;
    this.cancelTimer = this.context.host.platform.timers.after(throttleMs, () => {
      this.cancelTimer = undefined;
      this.cycle = 'idle';
      if (this.connectionQueued && this.respawns < RESPAWNS_MAX) {
        this.respawns++;
        void this.spawn();
      }
    });
  }
}

/** master's own reporter (its pid is the host runtime's). */
function masterReporter(context: StartContext): Reporter {
  const pid = (context.runtime as { pid?: unknown }).pid;
  return createReporter({ program: 'master', host: context.host, pid: typeof pid === 'number' ? pid : 0, stderr: nullOutput });
}

/** The bounce, defer and trace services' process starts, by service name. */
export class ProcessStarts<T> {
  private readonly services = new Map<string, ServiceStarts<T>>();
  private readonly shared = { spawnedOnce: false };

  constructor(private readonly context: StartContext, private readonly start: Starter<T>,
    private readonly started: (value: T, config: MainConfig) => void) {}

  /** A started process's value for a request to this service. */
  request(serviceName: string): Promise<T> {
    let service = this.services.get(serviceName);
    if (service === undefined) {
      service = new ServiceStarts(this.context, serviceName, this.shared, this.start, this.started);
      this.services.set(serviceName, service);
    }
    return service.request();
  }

  stop(): void {
    for (const service of this.services.values()) service.stop();
  }
}
