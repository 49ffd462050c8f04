// Handing one queue entry to its delivery agent and recording what qmgr must do itself when
// there is no agent: the delivery request (qmgr_deliver_send_request's attributes), the
// "mail transport unavailable" deferral, and the error/retry transports' work when
// master.cf has no such service (their nexthop holds "D.D.D text", as QMGR_REDIRECT
// writes it).
// Called by api.ts. Trusts the agent to report each recipient through the delivery-status
// library before it returns.
// Models src/qmgr/qmgr_deliver.c and qmgr_defer.c (qmgr_defer_recipient, qmgr_defer_todo).

import type {
  DeliveryRecipient, DeliveryRequest, DeliveryResult, RecipientStatus,
} from '../master/contracts.ts';
import { queuePathOf } from '../global/queue/queue-id.ts';
import type { ActiveMessage, QmgrEnvironment } from './environment.ts';
import { TraceFlag } from './message.ts';

/** Postfix's relay name when qmgr itself decides a recipient's fate. */
export const NO_RELAY = 'none';

export function buildRequest(environment: QmgrEnvironment, message: ActiveMessage, transport: string,
  nexthop: string, recipients: DeliveryRecipient[]): DeliveryRequest {
  const { loaded } = message;
  const flags: NonNullable<DeliveryRequest['flags']> = {};
  let flagged = false;
  if ((loaded.traceFlags & TraceFlag.userVerify) !== 0) flagged = flags.verify = true;
  if ((loaded.traceFlags & TraceFlag.record) !== 0) flagged = flags.record = true;
  if ((loaded.traceFlags & TraceFlag.recordDelayedSent) !== 0 || (loaded.warnTime?.seconds ?? 0) < 0) flagged = flags.recordDelayedSent = true;
  const settings = environment.settings();
  const lifetime = loaded.sender === '' ? settings.bounceQueueLifetimeSeconds : settings.queueLifetimeSeconds;
  if (environment.clock.nowMs() / 1000 >= loaded.createTimeSeconds + lifetime) flagged = flags.lastAttempt = true;
  const request: DeliveryRequest = {
    queueName: 'active',
    queueId: message.queueId,
    queuePath: queuePathOf('active', message.queueId, environment.queue.hashing),
    transport,
    nexthop,
    sender: loaded.sender,
    arrivalTime: loaded.arrivalTime,
    activeSinceMs: message.activeSinceMs,
    messageSize: loaded.contentLength,
    contentOffset: loaded.dataOffset,
    recipients,
  };
  if (loaded.dsnEnvelopeId !== undefined) request.dsnEnvelopeId = loaded.dsnEnvelopeId;
  if (loaded.dsnReturn !== undefined) request.dsnReturn = loaded.dsnReturn;
  Object.assign(request, loaded.client);
  if (flagged) request.flags = flags;
  return request;
}

/** A status for a recipient qmgr fails itself. */
export function qmgrStatus(recipient: DeliveryRecipient, dsn: string, reason: string, failed: boolean): RecipientStatus {
  return { recipient, dsn, action: failed ? 'failed' : 'delayed', reason, relay: NO_RELAY };
}

/** "4.3.2 deferred transport" -> its DSN code and text (the error agent's nexthop syntax). */
export function splitDsnText(text: string): { dsn: string; reason: string } {
  const match = /^([245]\.\d{1,3}\.\d{1,3})\s+(.*)$/s.exec(text);
  if (match === null) return { dsn: '4.0.0', reason: text };
  return { dsn: match[1] ?? '4.0.0', reason: match[2] ?? '' };
}

/** Defers every recipient of a request through the reporter; true when all were recorded. */
export async function deferAll(environment: QmgrEnvironment, request: DeliveryRequest, dsn: string, reason: string): Promise<void> {
  const { recipients } = request;
  for (let index = 0; index < recipients.length; index++) {
    await environment.report.deferred(request, qmgrStatus(recipients[index]!, dsn, reason, false));
  }
}

/** The error/retry transports' job, done by qmgr when master.cf runs no such agent. */
async function deliverBuiltIn(environment: QmgrEnvironment, request: DeliveryRequest): Promise<DeliveryResult> {
  const { dsn, reason } = splitDsnText(request.nexthop);
  if (request.transport === 'error' && dsn.startsWith('5')) {
    // A bounce the bounce service could not record was deferred instead and its recipient
    // left unmarked (qmgr_bounce_recipient: message->flags |= status): the message must
    // go to deferred/, not be removed.
    let deferred = false;
    for (const recipient of request.recipients) {
      if (!(await environment.report.bounced(request, qmgrStatus(recipient, dsn, reason, true)))) deferred = true;
    }
    return { deferred };
  }
  await deferAll(environment, request, dsn.startsWith('5') ? `4${dsn.slice(1)}` : dsn, reason);
  return { deferred: true };
}

/** Runs one delivery: the agent, the built-in error/retry, or "mail transport unavailable".
 *  An agent that throws is a crashed delivery process: its unfinished recipients stay in
 *  the file and are tried again (DELIVER_STAT_CRASH). */
export async function runDelivery(environment: QmgrEnvironment, request: DeliveryRequest): Promise<DeliveryResult & { crashed?: boolean }> {
  environment.trace({
    kind: 'delivery.request', queueId: request.queueId, transport: request.transport, nexthop: request.nexthop,
    recipients: request.recipients.map((recipient) => recipient.address),
  });
  const agent = environment.deliveryAgent(request.transport);
  if (agent === undefined) {
    if (request.transport === 'error' || request.transport === 'retry') return deliverBuiltIn(environment, request);
    await deferAll(environment, request, '4.3.0', 'mail transport unavailable');
    return { deferred: true };
  }
  try {
    return await agent.deliver(request);
  } catch (error) {
    environment.warn(`transport ${request.transport} failure -- see a previous warning/fatal/panic logfile record for the problem description`);
    environment.warn(`${request.queueId}: ${request.transport}: ${error instanceof Error ? error.message : String(error)}`);
    return { deferred: true, crashed: true };
  }
}
