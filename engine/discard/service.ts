// The discard(8) service as master starts it (master.cf: "discard unix - - n - - discard").
// It takes no command-line arguments besides master's own options.
// Called by engine/master (programs.ts). Models discard_service() in src/discard/discard.c.

import type { DeliveryAgentEndpoint, DeliveryRequest, RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { noteAgentHandoff } from '../global/delivery-status.ts';
import { serviceArguments } from '../error/service-arguments.ts';
import { deliverDiscard } from './api.ts';

export const discardProgram: ServiceProgram = {
  program: 'discard',
  start(context: ServiceContext): Promise<RunningService & DeliveryAgentEndpoint> {
    return Promise.resolve({
      stop: () => Promise.resolve(),
      deliver(request: DeliveryRequest) {
        noteAgentHandoff(context, request);
        const extra = serviceArguments(context.entry.arguments);
        if (extra.length > 0) context.log.fatal(`unexpected command-line argument: ${extra[0]}`);
        return deliverDiscard(context, request);
      },
    });
  },
};
