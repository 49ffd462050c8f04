// The cleanup service: master.cf's "cleanup unix n - n - 0 cleanup" entry, wired to the
// callable core (api.ts). The core (settings and tables) is opened once per configuration
// and re-opened after a reload. Addresses are rewritten through the host's trivial-rewrite
// service, events go to the service's trace, a queued message triggers qmgr
// ("scan-incoming"), and a rejected message from a client that asked for bounces becomes
// per-recipient bounce records plus a non-delivery notice through the bounce service.
// Parameters read: see settings.ts (canonical/virtual/masquerade/check tables and limits).
// Called by master (engine/master/programs.ts). Models src/cleanup/cleanup.c (main,
// pre/post-jail init) and cleanup_bounce.c's calls of bounce_append/bounce_flush.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { PipelineTraceDetail } from '../global/trace-pipeline.ts';
import { flushBouncesByCleanup, reportBouncedByCleanup } from '../global/delivery-status.ts';
import type {
  CleanupEndpoint, DeliveryRequest, RunningService, ServiceContext, ServiceProgram, ServiceTraceInput,
} from '../master/contracts.ts';
import { createCleanupEndpoint, openCleanupCore, SERVICE_NAME, type CleanupCore, type RejectedMessage } from './api.ts';

export interface CleanupService extends RunningService, CleanupEndpoint {}

/** cleanup_bounce: a bounce record for each recipient, then the notice, all with
 *  BOUNCE_FLAG_CLEAN. The first record the bounce service does not take ends the loop and
 *  no notice is asked for; a notice that fails gets cleanup's own warning. False means
 *  CLEANUP_STAT_WRITE: nothing was deferred, and the client keeps its copy. */
async function bounceRejected(context: ServiceContext, message: RejectedMessage): Promise<boolean> {
  const request: DeliveryRequest = {
    queueName: message.queueName, queueId: message.queueId, queuePath: message.queuePath,
    transport: 'none', nexthop: 'none', sender: message.sender, arrivalTime: message.arrivalTime,
    activeSinceMs: 0, messageSize: message.messageSize, contentOffset: message.contentOffset,
    recipients: message.recipients.map((recipient) => ({
      address: recipient.address, originalRecipient: recipient.originalRecipient ?? recipient.address,
      offset: recipient.offset, dsnNotify: recipient.dsnNotify ?? 0,
      ...(recipient.dsnOriginalRecipient === undefined ? {} : { dsnOriginalRecipient: recipient.dsnOriginalRecipient }),
    })),
  };
  // cleanup_bounce() appends for "unknown" when the file has no recipient at all.
  const recipients = request.recipients.length > 0 ? request.recipients
    : [{ address: 'unknown', originalRecipient: '', offset: 0, dsnNotify: 0 }];
  for (const recipient of recipients) {
    const status = { recipient, dsn: message.dsn, action: 'failed', reason: message.reason, relay: 'none' } as const;
    if (!(await reportBouncedByCleanup(context, request, status))) return false;
  }
  if (await flushBouncesByCleanup(context, message.queueId, message.queueName, message.headersOnly)) return true;
  context.log.warn(`${message.queueId}: bounce message failure`);
  return false;
}

export function startCleanupService(context: ServiceContext): CleanupService {
  let opened: { config: MainConfig; core: Promise<CleanupCore> } | undefined;
  const core = (): Promise<CleanupCore> => {
    const config = context.config();
    if (opened === undefined || opened.config !== config) {
      const pending = openCleanupCore({
        config, host: context.host, reporter: context.log,
        rewrite: (rewriteContext, address) => context.runtime.rewrite().rewrite(rewriteContext, address),
        // Every caller hands over a fresh object (cleanup's own literals): the queue id goes
        // in place, where a spread into a new object would put it.
        trace: (queueId: string, detail: PipelineTraceDetail) => {
          (detail as PipelineTraceDetail & { queueId: string }).queueId = queueId;
          context.trace(detail as ServiceTraceInput);
        },
      });
      opened = { config, core: pending };
      pending.catch(() => { if (opened?.core === pending) opened = undefined; });
    }
    return opened.core;
  };
  const endpoint = createCleanupEndpoint({
    core,
    queue: () => context.runtime.queue(),
    clock: context.host.platform.clock,
    random: context.host.platform.random.fork('cleanup'),
    // Read at each open: after a reload the next message is a new cleanup process's.
    get pid() { return context.pid; },
    notifyQueued: () => context.runtime.trigger('qmgr', 'scan-incoming'),
    bounceRejected: (message) => bounceRejected(context, message),
  });
  return {
    open: (client, flags) => endpoint.open(client, flags),
    async stop() {
      opened = undefined;
    },
  };
}

export const cleanupProgram: ServiceProgram = {
  program: SERVICE_NAME,
  start: async (context) => startCleanupService(context),
};
