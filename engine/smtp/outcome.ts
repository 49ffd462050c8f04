// The recipients of one delivery request as the SMTP client works through them, and the
// three ways they leave it: delivered (a 2xx after end of data), failed one by one (a 4xx
// or 5xx to RCPT TO, or an LMTP end-of-data reply), or failed together (a session that
// could not be set up, a rejected MAIL FROM or DATA, a lost connection). A soft failure at
// a server that is not the last one to try only marks the recipients for the next server
// ("KEEP") and logs why; at the final server it defers them. Timings follow Postfix's
// msg_stats: connection set-up done when MAIL FROM is built, delivery done at the
// end-of-data reply, conn_use= when a cached connection is reused. Delivered and bounced
// recipients are marked done through the request's open queue file handle; one that a
// bounce or trace service failure left to do makes the request deferred (state->status).
// Called by protocol.ts and api.ts. Reports through engine/global/delivery-status.ts.
// Models src/smtp/smtp_trouble.c and smtp_rcpt.c.

import type { DeliveryRecipient, DeliveryRequest, RecipientStatus, ServiceContext } from '../master/contracts.ts';
import type { FileHandle } from '../platform/types.ts';
import { reportBounced, reportDeferred, reportSent, type DeliveryTimings } from '../global/delivery-status.ts';
import { isSoft, type Why } from './destination.ts';
import { oneLine, type ServerReply } from './reply.ts';

/** Postfix's NO_RELAY_AGENT: relay= when no session was set up. */
export const NO_RELAY = 'none';
const DSN_NOTIFY_SUCCESS = 2;

/** What the outcome functions need to know of the current session. */
export interface SessionView {
  /** host[address]:port, the relay= value. */
  namaddrport: string;
  /** The server's host name, the DSN Remote-MTA. */
  hostName: string;
  /** Whether the server announced DSN (then it sends success notices itself). */
  dsnSupported: boolean;
  reuseCount: number;
}

export class DeliveryState {
  /** Recipients not yet delivered, bounced or deferred (SMTP_RCPT_LEFT). */
  recipients: DeliveryRecipient[];
  private readonly marks = new Map<DeliveryRecipient, 'keep' | 'drop'>();
  readonly why: Why = { dsn: '', reason: '' };
  finalServer = false;
  session: SessionView | undefined;
  setupDoneMs = 0;
  deliverDoneMs = 0;
  reuseCount = 0;
  deferredAny = false;
  /** Set by a whole-session soft failure: qmgr throttles the destination. */
  destinationDead: { dsn: string; reason: string } | undefined;
  /** A session of this request ran to its end (SMTP_MISC_FLAG_COMPLETE_SESSION): a later
   *  failure then does not throttle the destination. */
  sessionComplete = false;

  constructor(readonly context: ServiceContext, readonly request: DeliveryRequest, readonly handoffMs: number,
    readonly finalDelivery: boolean, readonly queueFile?: FileHandle) {
    this.recipients = request.recipients.slice();
  }

  nowMs(): number { return this.context.host.platform.clock.nowMs(); }

  unmarked(): DeliveryRecipient[] { return this.recipients.filter((recipient) => !this.marks.has(recipient)); }
  isMarked(recipient: DeliveryRecipient): boolean { return this.marks.has(recipient); }

  timings(): DeliveryTimings {
    // Keys set in this order, present only when known (a spread of each would give the same).
    const timings: DeliveryTimings = { agentHandoffMs: this.handoffMs };
    if (this.setupDoneMs > 0) timings.connectionSetupDoneMs = this.setupDoneMs;
    if (this.deliverDoneMs > 0) timings.deliverDoneMs = this.deliverDoneMs;
    if (this.reuseCount > 0) timings.extra = `, conn_use=${this.reuseCount + 1}`;
    return timings;
  }

  /** Sets the reason: with a server reply it carries the Remote-MTA and the diagnostic;
   *  a reply whose code is not 4xx/5xx is a protocol error (5.5.0), as vsmtp_fill_dsn. */
  fill(dsn: string, reason: string, mta?: string, reply?: ServerReply): void {
    let status = dsn;
    let text = reason;
    if (mta !== undefined && !status.startsWith('4') && !status.startsWith('5')) {
      text = `Protocol error: ${reason}`;
      status = '5.5.0';
    }
    Object.assign(this.why, { dsn: status, reason: text, mta, reply: reply === undefined ? undefined : oneLine(reply) });
  }

  private status(recipient: DeliveryRecipient, action: RecipientStatus['action']): RecipientStatus {
    const why = this.why;
    const status: RecipientStatus = { recipient, dsn: why.dsn, action, reason: why.reason, relay: this.session?.namaddrport ?? NO_RELAY };
    if (why.mta !== undefined) status.remoteMta = why.mta;
    if (why.reply !== undefined) status.diagnosticCode = `smtp; ${why.reply}`;
    return status;
  }

  /** defer_append() or bounce_append(), answering as bounce_append() does: false when the
   *  recipient stays to do, because the bounce (or trace) service could not record it and it
   *  was deferred instead, or because soft_bounce = yes made the bounce a deferral (bounce.c
   *  returns -1 then even when the defer record was written). defer_append() answers 0. */
  private async report(recipient: DeliveryRecipient): Promise<boolean> {
    if (isSoft(this.why)) {
      this.deferredAny = true;
      await reportDeferred(this.context, this.request, this.status(recipient, 'delayed'), this.timings());
      return true;
    }
    const recorded = await reportBounced(this.context, this.request, this.status(recipient, 'failed'), this.timings(), this.queueFile);
    const bounced = recorded && !this.context.config().getBool('soft_bounce');
    if (!bounced) this.deferredAny = true;
    return bounced;
  }

  private deferrable(): boolean {
    const soft = isSoft(this.why);
    const softBounce = this.why.dsn.startsWith('5') && this.context.config().getBool('soft_bounce');
    return (soft || softBounce) && !this.finalServer;
  }

  /** smtp_bulk_fail(): every unmarked recipient fails with `why`, or is kept for the next
   *  server. `throttle` marks a failure of the destination (site), not of the message. */
  async bulkFail(throttle: boolean): Promise<void> {
    if (this.deferrable()) {
      this.context.log.info(`${this.request.queueId}: ${this.why.reason}`);
      for (const recipient of this.unmarked()) this.marks.set(recipient, 'keep');
      return;
    }
    if (this.setupDoneMs === 0) {
      this.setupDoneMs = this.nowMs();
      this.deliverDoneMs = this.setupDoneMs;
    } else {
      this.deliverDoneMs = this.nowMs();
    }
    let deferred = false;
    for (const recipient of this.unmarked()) {
      // Postfix throttles on the aggregate status, which a failed bounce or a soft-bounced
      // one (bounce_append() -1) makes non-zero too (smtp_trouble.c, smtp_bulk_fail).
      if (!(await this.report(recipient)) || isSoft(this.why)) deferred = true;
      this.marks.set(recipient, 'drop');
    }
    if (!this.sessionComplete && throttle && deferred && this.destinationDead === undefined) {
      this.destinationDead = { dsn: this.why.dsn, reason: this.why.reason };
    }
  }

  /** smtp_rcpt_fail(): one recipient failed (RCPT TO reply, LMTP end-of-data reply). */
  async recipientFail(recipient: DeliveryRecipient): Promise<void> {
    if (this.deferrable()) {
      this.context.log.info(`${this.request.queueId}: ${this.why.reason}`);
      this.marks.set(recipient, 'keep');
      return;
    }
    await this.report(recipient);
    this.marks.set(recipient, 'drop');
  }

  /** smtp_rcpt_done(): the server took responsibility for the recipient. */
  async recipientDone(recipient: DeliveryRecipient, reply: ServerReply): Promise<void> {
    const session = this.session;
    const dsnSupported = session?.dsnSupported === true;
    const delivered = { ...recipient, dsnNotify: dsnSupported ? recipient.dsnNotify & ~DSN_NOTIFY_SUCCESS : recipient.dsnNotify };
    const text = oneLine(reply);
    const status: RecipientStatus = {
      recipient: delivered, dsn: reply.dsn, action: !dsnSupported && this.finalDelivery ? 'delivered' : 'relayed',
      reason: text, relay: session?.namaddrport ?? NO_RELAY, diagnosticCode: `smtp; ${text}`,
      ...(session !== undefined ? { remoteMta: session.hostName } : {}),
    };
    // sent() fails when the trace service cannot record it (-bv, -v, NOTIFY=SUCCESS).
    if (!(await reportSent(this.context, this.request, status, this.timings(), this.queueFile))) this.deferredAny = true;
    this.marks.set(recipient, 'drop');
  }

  /** smtp_rcpt_cleanup() + the profile reset of smtp_cleanup_session(). */
  endSession(): void {
    this.recipients = this.recipients.filter((recipient) => this.marks.get(recipient) !== 'drop');
    this.marks.clear();
    this.session = undefined;
    this.setupDoneMs = 0;
    this.deliverDoneMs = 0;
    this.reuseCount = 0;
  }
}
