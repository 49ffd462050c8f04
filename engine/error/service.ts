// The error(8) service as master starts it: master.cf's "error" and "retry" entries (both
// run the command "error"). It takes no command-line arguments besides master's own -o
// options. Called by engine/master (programs.ts). Models error_service() in src/error/error.c.

import type { DeliveryAgentEndpoint, DeliveryRequest, RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { noteAgentHandoff } from '../global/delivery-status.ts';
import { deliverError, errorModeFor } from './api.ts';
import { serviceArguments } from './service-arguments.ts';

export const errorProgram: ServiceProgram = {
  program: 'error',
  start(context: ServiceContext): Promise<RunningService & DeliveryAgentEndpoint> {
    return Promise.resolve({
      stop: () => Promise.resolve(),
      async deliver(request: DeliveryRequest) {
        noteAgentHandoff(context, request);
        const extra = serviceArguments(context.entry.arguments);
        if (extra.length > 0) context.log.fatal(`unexpected command-line argument: ${extra[0]}`);
        const mode = errorModeFor(context.serviceName);
        if (mode === undefined) return context.log.fatal(`bad error service name: ${context.serviceName}`);
        return deliverError(context, request, mode);
      },
    });
  },
};
