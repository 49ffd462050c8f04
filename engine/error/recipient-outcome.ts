// The per-request bookkeeping every delivery agent of this group (error, discard, virtual,
// pipe) shares: each recipient's outcome goes through the delivery-status library
// (reportSent/reportDeferred/reportBounced, which log, append to the defer/bounce/trace
// logs and mark the recipient done), and the request's DeliveryResult says "deferred" when
// any recipient is still to do afterwards: sent or bounce answered false (a bounce, defer
// or trace service failure, as Postfix's non-zero status), or the recipient record read
// back from the queue file is still to do (soft_bounce, a verify-mode deferral).
// Called by engine/error, engine/discard, engine/virtual and engine/pipe. Trusts
// engine/global/delivery-status.ts. Models the status bits the agents OR together
// (DEL_STAT_DEFER) and deliver_request_done().

import type { DeliveryRequest, DeliveryResult, RecipientStatus, ServiceContext } from '../master/contracts.ts';
import { reportBounced, reportDeferred, reportSent, type DeliveryTimings } from '../global/delivery-status.ts';
import { RecordType } from '../global/queue/record.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import type { Why } from '../global/dsn/why.ts';

/** A reason with its DSN status (engine/global/dsn/why.ts). */
export type { Why };

export class RequestOutcome {
  private anyDeferred = false;

  constructor(private readonly context: ServiceContext, private readonly request: DeliveryRequest,
    private readonly timings?: DeliveryTimings) {}

  /** sent(): "status=sent (reason)". */
  async sent(status: RecipientStatus): Promise<void> {
    if (!(await reportSent(this.context, this.request, status, this.timings))) this.anyDeferred = true;
    await this.noteUnfinished(status);
  }

  /** defer_append(): the recipient stays queued. */
  async deferred(status: RecipientStatus): Promise<void> {
    await reportDeferred(this.context, this.request, status, this.timings);
    this.anyDeferred = true;
  }

  /** bounce_append(): final failure (or SOFTBOUNCE, which stays queued). */
  async bounced(status: RecipientStatus): Promise<void> {
    if (!(await reportBounced(this.context, this.request, status, this.timings))) this.anyDeferred = true;
    await this.noteUnfinished(status);
  }

  /** A 4.x.x code defers, anything else bounces (the agents' "defer_append : bounce_append"). */
  failed(status: RecipientStatus): Promise<void> {
    return status.dsn.startsWith('4') ? this.deferred(status) : this.bounced(status);
  }

  /** The request stays queued without a per-recipient report (corrupt content: Postfix
   *  returns DEL_STAT_DEFER and leaves the file to be looked at). */
  noteDeferred(): void {
    this.anyDeferred = true;
  }

  result(): DeliveryResult {
    return { deferred: this.anyDeferred };
  }

  /** Whether the recipient record is still a to-do record after the report. */
  private async noteUnfinished(status: RecipientStatus): Promise<void> {
    if (this.anyDeferred) return;
    const offset = status.recipient.offset;
    if (offset <= 0) {
      if (status.dsn.startsWith('5') && this.context.config().getBool('soft_bounce')) this.anyDeferred = true;
      return;
    }
    const path = queueFilePathOf(this.context, this.request);
    try {
      const handle = await this.context.host.platform.fs.open(path, 'r');
      try {
        const [type] = await handle.read(1, offset);
        if (type === RecordType.recipient) this.anyDeferred = true;
      } finally {
        await handle.close();
      }
    } catch {
      this.anyDeferred = true;
    }
  }
}

/** The request's queue file, absolute (request.queuePath is under the queue directory). */
export function queueFilePathOf(context: ServiceContext, request: DeliveryRequest): string {
  return request.queuePath.startsWith('/')
    ? request.queuePath
    : `${context.runtime.queue().queueDirectory}/${request.queuePath}`;
}

/** Postfix's mail_queue_open() check at the start of deliver_message(): an agent that cannot
 *  open the queue file stops (fatal), so qmgr backs off and retries later. */
export async function requireQueueFile(context: ServiceContext, request: DeliveryRequest, caller: string): Promise<void> {
  try {
    await context.host.platform.fs.stat(queueFilePathOf(context, request));
  } catch (error) {
    const text = error instanceof PlatformError ? describeCode(error.code) : String(error);
    context.log.fatal(`${caller}: open ${request.queueName} ${request.queueId}: ${text}`);
  }
}

/** The sanity checks every one of these agents makes first. */
export function checkRequest(context: ServiceContext, request: DeliveryRequest): void {
  if (request.nexthop === '') context.log.fatal('empty nexthop hostname');
  if (request.recipients.length <= 0) context.log.fatal(`recipient count: ${request.recipients.length}`);
}
