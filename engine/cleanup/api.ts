// cleanup(8)'s callable core (CONVENTIONS.md rule 1). openCleanupCore reads main.cf and
// opens the tables once (as the daemon does at start and reload); createCleanupEndpoint
// gives the CleanupEndpoint that pickup, smtpd, bounce, local and postsuper submit through:
// open() creates the queue file in incoming/ (its name is the queue id, short or long as
// enable_long_queue_ids says) and returns the stream; finish() processes and commits.
// service.ts wires this to the host runtime; tests call it directly with their own rewrite
// function (H8's rewriteAddress) and trace sink.
// Trusts MainConfig (H1), the lookup tables (H3), the queue library and the rewrite
// function it is given. Models src/cleanup/cleanup.c, cleanup_api.c and cleanup_init.c.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Host } from '../global/host.ts';
import type { Reporter } from '../global/msg.ts';
import type { MapContext } from '../global/maps/types.ts';
import type { PipelineTraceDetail } from '../global/trace-pipeline.ts';
import { enterQueueFile, QueueName, type MailQueue } from '../global/queue/mail-queue.ts';
import type { Clock, Random } from '../platform/types.ts';
import type { CleanupClient, CleanupEndpoint, CleanupFlags, CleanupStream } from '../master/contracts.ts';
import { makeMapper, type CleanupCore, type RewriteFunction } from './core.ts';
import type { RejectedMessage } from './finish.ts';
import { openCleanupTables, readCleanupSettings } from './settings.ts';
import { Submission } from './stream.ts';

export type { CleanupCore, RewriteFunction } from './core.ts';
export type { RejectedMessage } from './finish.ts';
export { cleanupStatusDetail, type StatusDetail } from './state.ts';
export { mailDate, messageIdStamp, receivedHeader } from './headers.ts';

/** The program name in log tags and trace events. */
export const SERVICE_NAME = 'cleanup';

export interface OpenCleanupCoreOptions {
  config: MainConfig;
  host: Host;
  reporter: Reporter;
  rewrite: RewriteFunction;
  /** Emits a trace event for a queue id (ServiceContext.trace in the service). */
  trace(queueId: string, detail: PipelineTraceDetail): void;
  /** Where relative table names resolve; default: the configuration directory. */
  mapContext?: Partial<MapContext>;
}

export async function openCleanupCore(options: OpenCleanupCoreOptions): Promise<CleanupCore> {
  const settings = readCleanupSettings(options.config);
  const context: MapContext = {
    fs: options.host.platform.fs,
    reporter: options.reporter,
    cwd: options.config.configDirectory,
    ...options.mapContext,
  };
  const tables = await openCleanupTables(options.config, context);
  return {
    settings,
    tables,
    mapper: makeMapper(settings, tables, options.rewrite, options.reporter),
    rewrite: options.rewrite,
    log: options.reporter,
    trace: options.trace,
  };
}

export interface CleanupEndpointOptions {
  /** The current core (a reload may replace it between submissions). */
  core(): Promise<CleanupCore>;
  queue(): MailQueue;
  clock: Clock;
  random?: Random;
  /** The process id in temporary queue file names. */
  pid: number;
  /** After a message is queued in incoming/: Postfix triggers qmgr. */
  notifyQueued(queueId: string): void;
  /** Bounces a rejected message for clients that ask (pickup); see finish.ts. */
  bounceRejected?(message: RejectedMessage): Promise<boolean>;
}

export function createCleanupEndpoint(options: CleanupEndpointOptions): CleanupEndpoint {
  return {
    async open(client: CleanupClient, flags: CleanupFlags = {}): Promise<CleanupStream> {
      const core = await options.core();
      const queue = options.queue();
      const entered = await enterQueueFile(queue, {
        queueName: QueueName.incoming, clock: options.clock, pid: options.pid,
        longQueueIds: core.settings.longQueueIds, ...(options.random === undefined ? {} : { random: options.random }),
      });
      const createTimeSeconds = Math.floor(options.clock.nowMs() / 1000);
      const env = {
        queue, handle: entered.handle, path: entered.path, createTimeSeconds,
        notifyQueued: options.notifyQueued,
        ...(options.bounceRejected === undefined ? {} : { bounceRejected: options.bounceRejected }),
      };
      return new Submission(core, env, { queueId: entered.id, client, flags, createdAt: entered.time });
    },
  };
}
