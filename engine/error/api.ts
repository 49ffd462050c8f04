// The error(8) delivery agent's core: every recipient of a request fails with the reason
// its nexthop carries ("5.1.6 User has moved to ...", from relocated_maps, or the text of a
// transport_maps "error:5.7.1 text" entry). Running as the "error" service it bounces
// (default code 5.0.0); running as the "retry" service it defers (default 4.0.0), which is
// how Postfix delays mail for defer_transports-like cases. relay=none. The service name
// picks the behaviour, as in Postfix: any other name is a fatal configuration error.
// Called by service.ts and by tests. Trusts qmgr's request; reports through
// recipient-outcome.ts (engine/global/delivery-status.ts). Models src/error/error.c.

import type { DeliveryRequest, DeliveryResult, ServiceContext } from '../master/contracts.ts';
import { dsnSplit } from './dsn-split.ts';
import { checkRequest, requireQueueFile, RequestOutcome } from './recipient-outcome.ts';

/** Postfix's NO_RELAY_AGENT: what relay= says when no host was involved. */
export const NO_RELAY = 'none';

export type ErrorServiceMode = 'error' | 'retry';

/** MAIL_SERVICE_ERROR and MAIL_SERVICE_RETRY: the two names the program answers to. */
export function errorModeFor(serviceName: string): ErrorServiceMode | undefined {
  if (serviceName === 'error') return 'error';
  if (serviceName === 'retry') return 'retry';
  return undefined;
}

/** deliver_message(): fail every recipient with the nexthop's code and text. */
export async function deliverError(context: ServiceContext, request: DeliveryRequest, mode: ErrorServiceMode): Promise<DeliveryResult> {
  checkRequest(context, request);
  await requireQueueFile(context, request, 'deliver_message');
  const split = dsnSplit(mode === 'error' ? '5.0.0' : '4.0.0', request.nexthop);
  const outcome = new RequestOutcome(context, request);
  for (const recipient of request.recipients) {
    const status = { recipient, dsn: split.dsn, action: 'failed' as const, reason: split.text, relay: NO_RELAY };
    if (mode === 'error') await outcome.bounced(status);
    else await outcome.deferred({ ...status, action: 'delayed' });
  }
  return outcome.result();
}
