// smtp(8) and lmtp(8) as master starts them: one program, two protocol variants, as in
// Postfix where lmtp is the smtp binary under another name. The endpoint takes qmgr's
// delivery requests; settings are read per request so -o overrides and reloads apply. Each
// running service keeps one cache of idle connections (connection-cache.ts), closed at stop.
// Called by engine/master (programs.ts). Models the main() of src/smtp/smtp.c.

import type { DeliveryAgentEndpoint, DeliveryRequest, RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { noteAgentHandoff } from '../global/delivery-status.ts';
import { deliverMail, type ClientOptions } from './api.ts';
import type { ClientProtocol } from './settings.ts';
import { ConnectionCache } from './connection-cache.ts';

/** The host's interface addresses when the platform can tell them (the simulated network
 *  knows which addresses each host owns); loopback otherwise. */
function interfaceAddresses(context: ServiceContext): ClientOptions['interfaceAddresses'] {
  const platform = context.host.platform as unknown as { network?: { addressesOf?: (host: string) => string[] }; hostName?: string };
  const owned = platform.network?.addressesOf?.(platform.hostName ?? context.host.name) ?? [];
  return ['127.0.0.1', '::1', ...owned];
}

function clientProgram(protocol: ClientProtocol): ServiceProgram {
  return {
    program: protocol,
    start(context: ServiceContext): Promise<RunningService & DeliveryAgentEndpoint> {
      const cache = new ConnectionCache(context.host.platform.timers);
      return Promise.resolve({
        stop: () => {
          cache.closeAll();
          return Promise.resolve();
        },
        deliver(request: DeliveryRequest) {
          noteAgentHandoff(context, request);
          return deliverMail(context, request, protocol, { interfaceAddresses: interfaceAddresses(context), cache });
        },
      });
    },
  };
}

export const smtpProgram: ServiceProgram = clientProgram('smtp');
export const lmtpProgram: ServiceProgram = clientProgram('lmtp');
