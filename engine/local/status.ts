// Reporting one recipient's outcome the way local(8) calls sent(), bounce_append(),
// defer_append() and bounce_workaround(): a RecipientStatus with relay=<service name>,
// handed to the StatusSink. The recipient passed is the one of the current expansion level
// (to=<alice@example.com>, orig_to=<sales@example.com> for an alias member), not the queue
// file's: marking the queue file is done once per top-level recipient by api.ts, as
// local_deliver() calls deliver_completed() only when the whole expansion succeeded.
// Called by every delivery method in engine/local. Models src/local/bounce_workaround.c and
// the BOUNCE_ATTR/SENT_ATTR calls throughout src/local.

import type { RecipientStatus } from '../master/contracts.ts';
import type { LocalState, DeliveryStatus } from './state.ts';
import { STATUS_DEFER, STATUS_OK } from './state.ts';
import { findOwnerAlias } from './alias.ts';
import type { Why } from '../global/dsn/why.ts';

/** A reason with its DSN status (engine/global/dsn/why.ts). */
export type { Why };

function recipientStatus(state: LocalState, why: Why, action: RecipientStatus['action']): RecipientStatus {
  return { recipient: { ...state.attr.recipient, offset: -1 }, dsn: why.dsn, action, reason: why.reason, relay: state.attr.relay };
}

/** sent(): "status=sent (reason)"; defer when the trace service could not record it. */
export async function reportSent(state: LocalState, why: Why, action: RecipientStatus['action'] = 'delivered'): Promise<DeliveryStatus> {
  const { deps, request } = state.shared;
  try {
    const recorded = await deps.status.sent(request, recipientStatus(state, why, action));
    return recorded === false ? STATUS_DEFER : STATUS_OK;
  } catch (error) {
    deps.log.warn(`${request.queueId}: cannot record delivery status: ${String(error)}`);
    return STATUS_DEFER;
  }
}

/** bounce_append(): "status=bounced (reason)"; 0 when the bounce was recorded. */
export async function reportBounced(state: LocalState, why: Why): Promise<DeliveryStatus> {
  const { deps, request } = state.shared;
  try {
    const recorded = await deps.status.bounced(request, recipientStatus(state, why, 'failed'));
    return recorded === false ? STATUS_DEFER : STATUS_OK;
  } catch (error) {
    deps.log.warn(`${request.queueId}: cannot record bounce: ${String(error)}`);
    return STATUS_DEFER;
  }
}

/** defer_append(): "status=deferred (reason)"; always leaves the recipient queued. */
export async function reportDeferred(state: LocalState, why: Why): Promise<DeliveryStatus> {
  const { deps, request } = state.shared;
  try {
    await deps.status.deferred(request, recipientStatus(state, why, 'delayed'));
  } catch (error) {
    deps.log.warn(`${request.queueId}: cannot record deferral: ${String(error)}`);
  }
  return STATUS_DEFER;
}

/** A 4.x.x reason defers, anything else bounces. */
export function reportFailure(state: LocalState, why: Why): Promise<DeliveryStatus> {
  return why.dsn.startsWith('4') ? reportDeferred(state, why) : reportBounced(state, why);
}

/** bounce_workaround(): when the failing address has an owner- alias, Postfix sends a
 *  one-recipient notice to that owner instead of the sender. The per-recipient bounce
 *  endpoint here always notifies the message's sender, so an owner- alias only changes
 *  the sender attribute for what follows; the failure itself is recorded as usual.
 *  An alias table that fails defers. */
export async function bounceWorkaround(state: LocalState, why: Why): Promise<DeliveryStatus> {
  if (state.shared.deps.settings.ownerRequestSpecial) {
    const owner = await findOwnerAlias(state, state.attr.recipient.address);
    if (owner === 'error') return reportDeferred(state, { dsn: '4.3.0', reason: 'alias database unavailable' });
  }
  return reportFailure(state, why);
}
