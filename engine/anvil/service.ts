// anvil as a master.cf service ("anvil unix - - n - 1 anvil"): the host's smtpd services
// find it through runtime.service('anvil') and call it directly (the AnvilEndpoint methods
// are on the running service). Its counters live in its process, as anvil(8)'s do: the
// process starts with its first client, and each smtpd session is a client from its
// connect request until ipc_idle after its disconnect request (an smtpd keeps its anvil
// connection that long after its last request). Without clients for max(max_idle,
// anvil_rate_time_unit) the process exits (master's ServiceInstance decides: it ignores
// max_use), logging its "statistics: ..." lines and taking its counters and its periodic
// anvil_status_update_time dump with it; the next client gets a new process (new pid,
// main.cf read again, empty counters, rate limits start over). A reload ends the process
// once its clients are gone, as for other services.
// Started by master through programs.ts. Models src/anvil/anvil.c's main(), its exit hook
// (anvil_status_dump) and timer (anvil_status_update), multi_server.c's idle exit and
// auto_clnt.c's idle close on smtpd's side (checked on a private Postfix 3.7.11).

import type { Reporter } from '../global/msg.ts';
import type { Cancel } from '../platform/types.ts';
import type { RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { processLimits } from '../master/process-limits.ts';
import { Anvil, type AnvilConnectCounts, type AnvilEndpoint } from './api.ts';
import { ANVIL_ENDPOINT_BRAND } from './client.ts';

/** What one anvil process holds: its counters, its log pid and its status timer. */
interface AnvilProcess {
  readonly pid: number;
  readonly log: Reporter;
  readonly anvil: Anvil;
  cancelStatus: Cancel | undefined;
}

class AnvilService implements RunningService, AnvilEndpoint {
  readonly [ANVIL_ENDPOINT_BRAND] = true;
  private process: AnvilProcess | undefined;
  /** Client connections open now (smtpd sessions, each until ipc_idle after its end). */
  private clientsOpen = 0;
  private cancelExit: Cancel | undefined;
  private stopped = false;

  constructor(private readonly context: ServiceContext) {}

  /** The process serving now, started (or replaced, when the old one exited) on demand. */
  private current(): AnvilProcess {
    const running = this.process;
    if (running !== undefined && running.pid === this.context.pid) return running;
    if (running !== undefined) this.exit(running);
    this.context.active?.();
    const config = this.context.config();
    const made: AnvilProcess = {
      pid: this.context.pid,
      log: this.context.log,
      anvil: new Anvil(this.context.host.platform.clock, Math.max(1, config.getTimeSeconds('anvil_rate_time_unit'))),
      cancelStatus: undefined,
    };
    this.process = made;
    this.scheduleStatus(made, Math.max(1, config.getTimeSeconds('anvil_status_update_time')) * 1000);
    return made;
  }

  /** anvil_status_update: every interval from the process's start, while it lives. */
  private scheduleStatus(process: AnvilProcess, intervalMs: number): void {
    process.cancelStatus = this.context.host.platform.timers.after(intervalMs, () => {
      if (this.stopped || this.process !== process) return;
      dump(process);
      this.scheduleStatus(process, intervalMs);
    });
  }

  /** The process exits: its statistics are logged (its pre-exit hook), its state is gone. */
  private exit(process: AnvilProcess): void {
    process.cancelStatus?.();
    process.cancelStatus = undefined;
    dump(process);
    if (this.process === process) this.process = undefined;
  }

  /** An smtpd session's connect request opens its client connection (one use). */
  private clientOpens(): Promise<void> | undefined {
    this.cancelExit?.();
    this.cancelExit = undefined;
    this.clientsOpen += 1;
    return this.context.beginUse?.();
  }

  /** Its disconnect request: the connection closes ipc_idle later (sooner if smtpd's
   *  max_idle is shorter: the smtpd process exits); when it was the last, the process
   *  exits after its idle limit unless a client comes. */
  private clientCloses(): void {
    const config = this.context.config();
    const limits = processLimits('anvil', config);
    const smtpdIdleMs = Math.max(0, config.getTimeSeconds('max_idle')) * 1000;
    const closeMs = smtpdIdleMs > 0 ? Math.min(limits.clientIdleMs, smtpdIdleMs) : limits.clientIdleMs;
    this.context.host.platform.timers.after(closeMs, () => {
      if (this.stopped || this.clientsOpen === 0) return;
      this.clientsOpen -= 1;
      this.context.endUse?.();
      if (this.clientsOpen === 0 && limits.idleMs > 0) this.cancelExit = this.context.host.platform.timers.after(limits.idleMs, () => this.idleExit());
    });
  }

  private idleExit(): void {
    this.cancelExit = undefined;
    const process = this.process;
    if (this.stopped || process === undefined || this.clientsOpen > 0) return;
    if (this.context.hasExited?.() === true) this.exit(process);
  }

  connect(service: string, address: string): AnvilConnectCounts | Promise<AnvilConnectCounts> {
    const waiting = this.clientOpens();
    if (waiting === undefined) return this.current().anvil.connect(service, address);
    return waiting.then(() => this.current().anvil.connect(service, address));
  }

  disconnect(service: string, address: string): void {
    this.process?.anvil.disconnect(service, address);
    this.clientCloses();
  }

  mail(service: string, address: string): number { return this.current().anvil.mail(service, address); }
  recipient(service: string, address: string): number { return this.current().anvil.recipient(service, address); }
  auth(service: string, address: string): number { return this.current().anvil.auth(service, address); }
  newTls(service: string, address: string): number { return this.current().anvil.newTls(service, address); }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelExit?.();
    if (this.process !== undefined) this.exit(this.process);
  }
}

function dump(process: AnvilProcess): void {
  for (const line of process.anvil.statistics()) process.log.info(line);
}

/** Whether a running service is an anvil, the host's own or a worker's client of master's
 *  (smtpd's check before it uses one). */
export function isAnvilEndpoint(service: unknown): service is AnvilEndpoint {
  return typeof service === 'object' && service !== null && (service as { [ANVIL_ENDPOINT_BRAND]?: boolean })[ANVIL_ENDPOINT_BRAND] === true;
}

export const anvilProgram: ServiceProgram = {
  program: 'anvil',
  async start(context: ServiceContext): Promise<RunningService> {
    return new AnvilService(context);
  },
};
