// The pipe(8) service as master starts it, e.g.
//   maildrop unix - n n - - pipe flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
// The attributes after the server options are read at each delivery. pipeProgram runs
// commands with the built-in programs (builtin-programs.ts) on every platform;
// createPipeProgram({ runner }) lets engine/cli supply a runner that execs real programs.
// Called by engine/master (programs.ts). Models pipe_service() in src/pipe/pipe.c.

import type { DeliveryAgentEndpoint, DeliveryRequest, RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { noteAgentHandoff } from '../global/delivery-status.ts';
import { deliverPipe } from './api.ts';
import { createBuiltinPipeRunner } from './builtin-programs.ts';
import type { PipeCommandRunner } from './runner.ts';

export function createPipeProgram(options: { runner?: PipeCommandRunner } = {}): ServiceProgram {
  const runner = options.runner ?? createBuiltinPipeRunner();
  return {
    program: 'pipe',
    start(context: ServiceContext): Promise<RunningService & DeliveryAgentEndpoint> {
      return Promise.resolve({
        stop: () => Promise.resolve(),
        deliver(request: DeliveryRequest) {
          noteAgentHandoff(context, request);
          return deliverPipe(context, request, runner);
        },
      });
    },
  };
}

export const pipeProgram: ServiceProgram = createPipeProgram();
