// anvil as a master.cf service ("anvil unix - - n - 1 anvil"): one Anvil per host that the
// host's smtpd services find through runtime.service('anvil') and call directly (the
// AnvilEndpoint methods are on the running service). It logs the statistics lines every
// anvil_status_update_time and when it stops, as anvil(8) does at its periodic update and
// at exit. A reload keeps the counters (anvil_rate_time_unit is read at start).
// Started by master through programs.ts. Models src/anvil/anvil.c's main().

import type { RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { Anvil, type AnvilConnectCounts, type AnvilEndpoint } from './api.ts';
import { ANVIL_ENDPOINT_BRAND } from './client.ts';

class AnvilService implements RunningService, AnvilEndpoint {
  readonly [ANVIL_ENDPOINT_BRAND] = true;
  private readonly anvil: Anvil;
  private cancelTimer: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly context: ServiceContext) {
    const config = context.config();
    this.anvil = new Anvil(context.host.platform.clock, Math.max(1, config.getTimeSeconds('anvil_rate_time_unit')));
    this.schedule(Math.max(1, config.getTimeSeconds('anvil_status_update_time')) * 1000);
  }

  private schedule(intervalMs: number): void {
    this.cancelTimer = this.context.host.platform.timers.after(intervalMs, () => {
      if (this.stopped) return;
      this.dump();
      this.schedule(intervalMs);
    });
  }

  private dump(): void {
    for (const line of this.anvil.statistics()) this.context.log.info(line);
  }

  connect(service: string, address: string): AnvilConnectCounts { return this.anvil.connect(service, address); }
  disconnect(service: string, address: string): void { this.anvil.disconnect(service, address); }
  mail(service: string, address: string): number { return this.anvil.mail(service, address); }
  recipient(service: string, address: string): number { return this.anvil.recipient(service, address); }
  auth(service: string, address: string): number { return this.anvil.auth(service, address); }
  newTls(service: string, address: string): number { return this.anvil.newTls(service, address); }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.dump();
  }
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
