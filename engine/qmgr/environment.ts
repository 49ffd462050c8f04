// What the queue manager's core is given (the service wires a running host's runtime to
// it; unit tests give fakes), and the in-core message it keeps while a file is in active/.
// Called by api.ts and its helpers, service.ts and tests. Models the globals and the
// QMGR_MESSAGE structure of src/qmgr/qmgr.h.

import type { Clock, FileHandle, FileStat, Timers } from '../platform/types.ts';
import type { MailQueue } from '../global/queue/mail-queue.ts';
import type {
  BounceEndpoint, DeliveryAgentEndpoint, DeliveryRequest, RecipientStatus, Resolution, RewriteEndpoint, ServiceTraceInput,
} from '../master/contracts.ts';
import type { LoadedMessage } from './message.ts';
import type { QmgrSettings } from './settings.ts';

/** The per-recipient outcomes qmgr records itself (the delivery-status library in a
 *  running host: reportDeferred, reportBounced, reportSent, reportExpired). */
export interface RecipientReporter {
  deferred(request: DeliveryRequest, status: RecipientStatus): Promise<void>;
  /** False when the bounce (or trace) service could not record the failure and the
   *  recipient was deferred instead (bounce_append's non-zero status): it stays queued. */
  bounced(request: DeliveryRequest, status: RecipientStatus): Promise<boolean>;
  /** False when the trace service could not record it (engine/global/delivery-status.ts). */
  sent(request: DeliveryRequest, status: RecipientStatus): Promise<boolean | void>;
  /** Logs "status=expired, returned to sender" and flushes defer/ID as a non-delivery
   *  notice; throws when the bounce service fails. */
  expired(message: { queueId: string; queueName: string; sender: string; forced?: boolean }): Promise<string | undefined>;
}

export interface QmgrEnvironment {
  queue: MailQueue;
  clock: Clock;
  timers: Timers;
  /** Read at each use, so that a reload takes effect. */
  settings(): QmgrSettings;
  /** resolve for every recipient (an answer may come at once from resolve_clnt's cache);
   *  rewrite (canonical form) for a redirect_to address. */
  rewrite: Pick<RewriteEndpoint, 'rewrite'> & { resolve(sender: string, address: string): Promise<Resolution> | Resolution };
  deliveryAgent(transport: string): DeliveryAgentEndpoint | undefined;
  bounce: BounceEndpoint;
  report: RecipientReporter;
  trace(input: ServiceTraceInput): void;
  /** "warning: ..." in the maillog. */
  warn(text: string): void;
}

/** A message in the active queue (QMGR_MESSAGE). */
export interface ActiveMessage {
  queueId: string;
  loaded: LoadedMessage;
  activeSinceMs: number;
  /** Delivery requests not yet finished (refcount). */
  pendingEntries: number;
  /** Some recipient must be tried again (message->flags). */
  deferred: boolean;
  /** Came from a flush: deliver defer_transports mail too (QMGR_FLUSH_DFXP). */
  flushDeferTransports: boolean;
  /** postsuper -e/-f marked the file (MAIL_QUEUE_STAT_EXPIRE): QMGR_FORCE_EXPIRE. */
  forceExpire: boolean;
  /** The file's inode and size as qmgr_active_feed's lstat saw them (a rename keeps both;
   *  agents rewrite bytes in place), so that a deferral knows them without another stat. */
  fedFile: Pick<FileStat, 'ino' | 'size'>;
  /** The active file, opened read-write when it was fed (qmgr_message_open's O_RDWR) and
   *  kept until the message is done, so that the next attempt time, the delay warning mark
   *  and the trace flag kill go through it instead of another open and close each;
   *  undefined once closed (finish.ts). */
  handle: FileHandle | undefined;
}
