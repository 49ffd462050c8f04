// What virtual(8) knows while it delivers one recipient: the request, the settings, the
// message content (read once per request), the rights to write with, and the helpers that
// report the outcome with relay=<service name>. Shared by api.ts, mailbox.ts and maildir.ts.
// Models LOCAL_STATE/DELIVER_ATTR/USER_ATTR of src/virtual/virtual.h.

import type { DeliveryRecipient, DeliveryRequest, RecipientStatus, ServiceContext } from '../master/contracts.ts';
import type { MessageContent } from '../global/mail-copy.ts';
import type { Ownership } from '../global/ownership.ts';
import type { RequestOutcome, Why } from '../error/recipient-outcome.ts';
import type { VirtualSettings } from './settings.ts';

export interface RecipientJob {
  context: ServiceContext;
  request: DeliveryRequest;
  settings: VirtualSettings;
  message: MessageContent;
  ownership: Ownership;
  outcome: RequestOutcome;
  recipient: DeliveryRecipient;
  /** The recipient address in lower case: the lookup key (state.msg_attr.user). */
  user: string;
}

/** USER_ATTR: where to deliver, and as whom. */
export interface MailboxOwner {
  mailbox: string;
  uid: number;
  gid: number;
}

function statusOf(job: RecipientJob, why: Why, action: RecipientStatus['action']): RecipientStatus {
  return { recipient: job.recipient, dsn: why.dsn, action, reason: why.reason, relay: job.context.serviceName };
}

export function reportSent(job: RecipientJob, why: Why): Promise<void> {
  return job.outcome.sent(statusOf(job, why, 'delivered'));
}

export function reportDeferred(job: RecipientJob, why: Why): Promise<void> {
  return job.outcome.deferred(statusOf(job, why, 'delayed'));
}

export function reportBounced(job: RecipientJob, why: Why): Promise<void> {
  return job.outcome.bounced(statusOf(job, why, 'failed'));
}

/** 4.x.x defers, anything else bounces. */
export function reportFailure(job: RecipientJob, why: Why): Promise<void> {
  return why.dsn.startsWith('4') ? reportDeferred(job, why) : reportBounced(job, why);
}
