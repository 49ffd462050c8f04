// The discard(8) delivery agent's core: every recipient of a request is reported as
// delivered ("status=sent") with relay=none and, as the reason, the nexthop text (a
// transport_maps "discard:some text" entry, else the destination qmgr passes), with the
// code 2.0.0 unless the text starts with its own. The message is never written anywhere.
// Called by service.ts and tests. Trusts qmgr's request; reports through
// recipient-outcome.ts. Models src/discard/discard.c.

import type { DeliveryRequest, DeliveryResult, ServiceContext } from '../master/contracts.ts';
import { dsnSplit } from '../error/dsn-split.ts';
import { checkRequest, requireQueueFile, RequestOutcome } from '../error/recipient-outcome.ts';
import { NO_RELAY } from '../error/api.ts';

export async function deliverDiscard(context: ServiceContext, request: DeliveryRequest): Promise<DeliveryResult> {
  checkRequest(context, request);
  await requireQueueFile(context, request, 'deliver_message');
  const split = dsnSplit('2.0.0', request.nexthop);
  const outcome = new RequestOutcome(context, request);
  for (const recipient of request.recipients) {
    await outcome.sent({ recipient, dsn: split.dsn, action: 'delivered', reason: split.text, relay: NO_RELAY });
  }
  return outcome.result();
}
