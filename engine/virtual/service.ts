// The virtual(8) service as master starts it (master.cf: "virtual unix - n n - - virtual").
// It takes no command-line arguments besides master's own options; its parameters are read
// from the service's configuration (main.cf with -o overrides) at each delivery, and its
// tables are reopened when the configuration is reloaded.
// Called by engine/master (programs.ts). Models local_service() in src/virtual/virtual.c.

import type { DeliveryAgentEndpoint, DeliveryRequest, RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { noteAgentHandoff } from '../global/delivery-status.ts';
import { serviceArguments } from '../error/service-arguments.ts';
import { VirtualAgent } from './api.ts';

export const virtualProgram: ServiceProgram = {
  program: 'virtual',
  start(context: ServiceContext): Promise<RunningService & DeliveryAgentEndpoint> {
    const agent = new VirtualAgent(context);
    return Promise.resolve({
      stop: () => Promise.resolve(),
      deliver(request: DeliveryRequest) {
        noteAgentHandoff(context, request);
        const extra = serviceArguments(context.entry.arguments);
        if (extra.length > 0) context.log.fatal(`unexpected command-line argument: ${extra[0]}`);
        return agent.deliver(request);
      },
    });
  },
};
