// Forwarding: addresses from aliases, .forward and :include: files that are not delivered
// here are collected per recipient, grouped by (Delivered-To address, envelope sender),
// and each group becomes one new message through cleanup once the recipient's expansion
// is done: a Delivered-To header (per prepend_delivered_header) before the original
// content, the original DSN envelope and client attributes (log_client_name ...
// rewrite_context, as forward_open() passes them), and cleanup's own "Received: by HOST (Postfix)"
// header first. When every group was queued, the top-level recipient is logged as
// "status=sent (forwarded as NEWID)" (one line per new message) with a 'local.forwarded'
// trace event for path joining. Called by token.ts (forwardAppend) and api.ts
// (forwardFinish). Models src/local/forward.c.

import type { DeliveryRecipient, DeliveryRequest, SubmittedRecipient } from '../master/contracts.ts';
import type { LocalState, DeliverAttr, SharedState, DeliveryStatus } from './state.ts';
import { STATUS_DEFER, STATUS_OK } from './state.ts';
import { reportDeferred, reportSent } from './status.ts';
import { concatenate, mailCopy } from '../global/mail-copy.ts';
import { withoutSuccess } from './alias.ts';
import { DeliveredHeader } from './settings.ts';
import { preciseTime } from '../global/queue/mail-queue.ts';

/** Forwarded recipients of one top-level recipient, at most this many (a runaway list). */
export const FORWARD_RECIPIENTS_MAX = 100_000;

interface ForwardGroup {
  delivered: string;
  sender: string;
  dsnEnvelopeId?: string;
  dsnReturn?: string;
  recipients: SubmittedRecipient[];
}

/** delivered-to address -> sender -> group, in insertion order. */
export class ForwardTable {
  readonly groups = new Map<string, Map<string, ForwardGroup>>();
  count = 0;
}

/** forward_append(): false when the table is full. */
export function forwardAppend(state: LocalState): boolean {
  const table = state.shared.forwards;
  if (table.count >= FORWARD_RECIPIENTS_MAX) return false;
  const attr = state.attr;
  const delivered = attr.delivered ?? attr.recipient.address;
  let bySender = table.groups.get(delivered);
  if (bySender === undefined) { bySender = new Map(); table.groups.set(delivered, bySender); }
  let group = bySender.get(attr.sender);
  if (group === undefined) {
    group = { delivered, sender: attr.sender, dsnEnvelopeId: attr.dsnEnvelopeId, dsnReturn: attr.dsnReturn, recipients: [] };
    bySender.set(attr.sender, group);
  }
  const recipient: SubmittedRecipient = { address: attr.recipient.address };
  if (attr.recipient.originalRecipient !== '') recipient.originalRecipient = attr.recipient.originalRecipient;
  if (attr.recipient.dsnOriginalRecipient) recipient.dsnOriginalRecipient = attr.recipient.dsnOriginalRecipient;
  if (attr.recipient.dsnNotify) recipient.dsnNotify = attr.recipient.dsnNotify;
  group.recipients.push(recipient);
  table.count++;
  return true;
}

const encoder = new TextEncoder();

/** The request's client attributes forward_open() passes on, in its order; an empty value
 *  stands for one that is not known and is not written. The client port is not passed. */
function forwardedClientAttributes(request: DeliveryRequest): Array<[string, string | undefined]> {
  return [
    ['log_client_name', request.clientName], ['log_client_address', request.clientAddress],
    ['log_protocol_name', request.clientProtocol], ['log_helo_name', request.clientHelo],
    ['sasl_method', request.saslMethod], ['sasl_username', request.saslUsername], ['sasl_sender', request.saslSender],
    ['log_ident', request.logIdent], ['rewrite_context', request.rewriteContext],
  ];
}

/** Sends one group through cleanup; the new queue id, or undefined on failure. */
async function forwardSend(shared: SharedState, group: ForwardGroup): Promise<string | undefined> {
  const { deps, request, message } = shared;
  const platform = deps.host.platform;
  const stream = await deps.cleanup.open({ service: 'local', rewriteContext: 'local' }, { bounceOnReject: true, skipContentChecks: true });
  try {
    stream.setArrivalTime(preciseTime(platform.clock));
    stream.setSender(group.sender);
    if (group.dsnReturn !== undefined) stream.setAttribute('ret_flags', group.dsnReturn === 'hdrs' ? '2' : '1');
    if (group.dsnEnvelopeId) stream.setAttribute('envelope_id', group.dsnEnvelopeId);
    for (const [name, value] of forwardedClientAttributes(request)) {
      if (value) stream.setAttribute(name, value);
    }
    for (const recipient of group.recipients) stream.addRecipient(recipient);
    const header = (deps.settings.deliveredHeaderMask & DeliveredHeader.forward) !== 0
      ? encoder.encode(`Delivered-To: ${group.delivered.toLowerCase()}\n`) : new Uint8Array(0);
    stream.addContent(concatenate([header, mailCopy(message, { sender: '', originalRecipient: '', delivered: '', nowMs: 0 }, {})]));
    const result = await stream.finish();
    if (result.status !== 0) {
      deps.log.warn(`${request.queueId}: forwarding failed: ${result.reason ?? `cleanup status ${result.status}`}`);
      return undefined;
    }
    return stream.queueId;
  } catch (error) {
    await stream.abort().catch(() => undefined);
    deps.log.warn(`${request.queueId}: forwarding failed: ${String(error)}`);
    return undefined;
  }
}

/** forward_finish(): sends every group unless the expansion already failed (`cancel`),
 *  and logs "forwarded as ID" for the top-level recipient. */
export async function forwardFinish(state: LocalState, cancel: DeliveryStatus): Promise<DeliveryStatus> {
  const { shared } = state;
  let status = cancel;
  for (const bySender of shared.forwards.groups.values()) {
    for (const group of bySender.values()) {
      if (status !== STATUS_OK) continue;
      const newQueueId = await forwardSend(shared, group);
      if (newQueueId === undefined) {
        status = await reportDeferred(state, { dsn: '4.3.0', reason: 'unable to forward message' });
        continue;
      }
      const recipient: DeliveryRecipient = { ...state.attr.recipient, dsnNotify: withoutSuccess(state.attr.recipient.dsnNotify) };
      const attr: DeliverAttr = { ...state.attr, recipient };
      shared.deps.trace({ kind: 'local.forwarded', queueId: shared.request.queueId, recipient: recipient.address, newQueueId });
      status |= await reportSent({ ...state, attr }, { dsn: '2.0.0', reason: `forwarded as ${newQueueId}` }, 'relayed');
    }
  }
  shared.forwards.groups.clear();
  shared.forwards.count = 0;
  return status === STATUS_OK ? STATUS_OK : STATUS_DEFER;
}
