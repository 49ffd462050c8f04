// flush(8) as master.cf starts it ("flush unix n - n 1000? 0 flush"): the fast flush
// server of one host. Its requests are FlushCore's; master's wakeup (every 1000 s once the
// service has been used: the "?") is a refresh. The first request marks the service used,
// as master does when it first spawns a flush process (which also wakes it at once).
// Each request, like each wakeup, is one use of its process (single_server.c's use_count).
// Reads fast_flush_domains, fast_flush_refresh_time, fast_flush_purge_time,
// parent_domain_matches_subdomains and queue_service_name, at each request (a reload is
// seen at once). Takes no command-line arguments besides master's own.
// Started by master (engine/master/programs.ts); found by its clients (client.ts) through
// runtime.service(flush_service_name). Models flush_service() and main() in src/flush/flush.c.

import type { RunningService, ServiceContext, ServiceProgram, TriggerReason } from '../master/contracts.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { serviceArguments } from '../error/service-arguments.ts';
import { createFlushCore, type FlushCore, type FlushEndpoint, type FlushSettings, type FlushStatus } from './api.ts';
import { fastFlushDomains } from './client.ts';

/** fast_flush_refresh_time and fast_flush_purge_time (defaults 12h and 7d). */
export function flushSettings(config: MainConfig): FlushSettings {
  const seconds = (name: string, fallback: number): number => {
    try {
      const value = config.getTimeSeconds(name);
      return Number.isFinite(value) && value > 0 ? value : fallback;
    } catch {
      return fallback;
    }
  };
  return { refreshSeconds: seconds('fast_flush_refresh_time', 12 * 3600), purgeSeconds: seconds('fast_flush_purge_time', 7 * 86400) };
}

export type FlushService = RunningService & FlushEndpoint & {
  /** The core, for tests (refresh() resolves when the refresh is done). */
  readonly core: FlushCore;
  /** Logs a malformed request's complaint (real mode's public/flush socket). */
  warnProtocol(text: string): void;
};

export const flushProgram: ServiceProgram & { start(context: ServiceContext): Promise<FlushService> } = {
  program: 'flush',
  start(context: ServiceContext): Promise<FlushService> {
    const extra = serviceArguments(context.entry.arguments);
    if (extra.length > 0) context.log.fatal(`unexpected command-line argument: ${extra[0]}`);
    const qmgrName = (): string => context.config().get('queue_service_name') ?? 'qmgr';
    const core = createFlushCore({
      queue: () => context.runtime.queue(),
      clock: context.host.platform.clock,
      settings: () => flushSettings(context.config()),
      domains: () => fastFlushDomains(context.config(), context.host.platform.fs, context.log),
      scanIncoming: () => context.runtime.trigger(qmgrName(), 'scan-incoming'),
      unthrottle: () => context.runtime.trigger(qmgrName(), 'flush-dead'),
      warn: (text) => context.log.warn(text),
      trace: (detail) => context.trace(detail),
    });
    let used = false;
    const request = (work: () => Promise<FlushStatus>): Promise<FlushStatus> => {
      if (!used) {
        used = true;
        context.runtime.trigger(context.serviceName, 'wakeup');
      }
      // Each request is one client of flush's single-server process (max_use, max_idle);
      // master's wakeups are counted by master (runtime.ts). A process that has exited is
      // replaced first, with a new pid and main.cf read anew; a living one's request starts
      // in this turn, as before.
      const waiting = context.beginUse?.();
      const result = waiting === undefined ? work() : waiting.then(work);
      const end = (): void => context.endUse?.();
      result.then(end, end);
      return result;
    };
    const inFlight = new Set<Promise<unknown>>();
    const track = (work: () => Promise<FlushStatus>): Promise<FlushStatus> => {
      const running = request(work);
      inFlight.add(running);
      const forget = (): void => { inFlight.delete(running); };
      running.then(forget, forget);
      return running;
    };
    return Promise.resolve({
      core,
      warnProtocol: (text) => context.log.warn(text),
      flushAdd: (site, queueId) => track(() => core.flushAdd(site, queueId)),
      flushSendSite: (site) => track(() => core.flushSendSite(site)),
      flushSendFile: (queueId) => track(() => core.flushSendFile(queueId)),
      flushRefresh: () => track(() => core.flushRefresh()),
      flushPurge: () => track(() => core.flushPurge()),
      wake: (reason: TriggerReason) => {
        // A master wakeup (TRIGGER_REQ_WAKEUP) is a refresh request.
        if (reason === 'wakeup') void core.flushRefresh();
      },
      stop: async () => {
        await Promise.allSettled([...inFlight]);
        await core.whenIdle();
      },
    });
  },
};
