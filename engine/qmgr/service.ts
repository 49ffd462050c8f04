// qmgr as a master.cf service ("qmgr unix n - n 300 1 qmgr"): wires the running host to
// the queue manager's core. Parameters are read from ServiceContext.config() (main.cf with
// this entry's -o overrides) and re-read after a reload; per-recipient outcomes qmgr
// decides itself go through the delivery-status library, like a delivery agent's; resolve
// queries go through resolve_clnt's one-entry cache (resolve-cache.ts).
// Called by master (engine/master/programs.ts). Trusts the HostRuntime.
// Models src/qmgr/qmgr.c's main() (trigger_server_main with qmgr_trigger_event).

import type { MainConfig } from '../global/config/main-cf.ts';
import { reportBounced, reportDeferred, reportExpired, reportSent } from '../global/delivery-status.ts';
import type { RunningService, ServiceContext, ServiceProgram, TriggerReason } from '../master/contracts.ts';
import { createQueueManager, type QmgrEnvironment } from './api.ts';
import { ResolveCache } from './resolve-cache.ts';
import { readQmgrSettings, type QmgrSettings } from './settings.ts';

/** Settings cached per MainConfig object: a reload hands out a new one. */
function settingsReader(context: ServiceContext): () => QmgrSettings {
  let source: MainConfig | undefined;
  let settings: QmgrSettings | undefined;
  return () => {
    const config = context.config();
    if (config !== source || settings === undefined) {
      settings = readQmgrSettings(config, (text) => context.log.warn(text));
      source = config;
    }
    return settings;
  };
}

/** reportExpired for a message postsuper -e/-f marked: "status=force-expired". */
function reportForceExpired(context: ServiceContext, message: { queueId: string; queueName: string; sender: string }): Promise<string | undefined> {
  context.trace({ kind: 'qmgr.expired', queueId: message.queueId, sender: message.sender, forced: true });
  return context.runtime.bounce().flushDeferred(message.queueId, message.queueName);
}

export function qmgrEnvironment(context: ServiceContext): QmgrEnvironment {
  const { runtime } = context;
  const { platform } = context.host;
  const resolveCache = new ResolveCache(platform.clock, (sender, address) => runtime.rewrite().resolve(sender, address));
  return {
    queue: runtime.queue(),
    clock: platform.clock,
    timers: platform.timers,
    settings: settingsReader(context),
    rewrite: {
      resolve: (sender, address) => resolveCache.resolve(sender, address, context.config()),
      rewrite: (rewriteContext, address) => runtime.rewrite().rewrite(rewriteContext, address),
    },
    deliveryAgent: (transport) => runtime.deliveryAgent(transport),
    bounce: {
      append: (log, queueId, status) => runtime.bounce().append(log, queueId, status),
      flushBounces: (queueId, queueName) => runtime.bounce().flushBounces(queueId, queueName),
      flushDeferred: (queueId, queueName) => runtime.bounce().flushDeferred(queueId, queueName),
      warnDelayed: (queueId, queueName) => runtime.bounce().warnDelayed(queueId, queueName),
      flushTrace: (queueId, queueName) => runtime.bounce().flushTrace(queueId, queueName),
    },
    report: {
      deferred: (request, status) => reportDeferred(context, request, status),
      bounced: (request, status) => reportBounced(context, request, status),
      sent: (request, status) => reportSent(context, request, status),
      expired: (message) => (message.forced === true ? reportForceExpired(context, message) : reportExpired(context, message)),
    },
    trace: (input) => context.trace(input),
    warn: (text) => context.log.warn(text),
  };
}

export const qmgrProgram: ServiceProgram = {
  program: 'qmgr',
  async start(context: ServiceContext): Promise<RunningService> {
    const manager = createQueueManager(qmgrEnvironment(context));
    await manager.start();
    return {
      stop: () => manager.stop(),
      wake: (reason: TriggerReason) => manager.wake(reason),
    };
  },
};
