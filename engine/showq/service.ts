// The showq(8) service as master starts it (master.cf: "showq unix n - n - - showq"):
// postqueue -p/-j, mailq and sendmail -bp ask it for the queue listing while the mail
// system runs. It reads empty_address_recipient and duplicate_filter_limit, and takes no
// command-line arguments besides master's own options.
// Called by engine/master (programs.ts) and found by postqueue through runtime.service().
// Models showq_service() and main() in src/showq/showq.c.

import type { RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { serviceArguments } from '../error/service-arguments.ts';
import { showQueue, type ShowqEndpoint, type ShowqSettings } from './api.ts';

/** The parameters showq reads, with Postfix's defaults. */
export function showqSettings(config: MainConfig): ShowqSettings {
  const emptyAddress = config.get('empty_address_recipient') ?? 'MAILER-DAEMON';
  const limit = Number.parseInt(config.get('duplicate_filter_limit') ?? '1000', 10);
  return { emptyAddress, duplicateFilterLimit: Number.isFinite(limit) && limit >= 0 ? limit : 1000 };
}

export const showqProgram: ServiceProgram = {
  program: 'showq',
  start(context: ServiceContext): Promise<RunningService & ShowqEndpoint> {
    const extra = serviceArguments(context.entry.arguments);
    if (extra.length > 0) context.log.fatal(`unexpected command-line argument: ${extra[0]}`);
    return Promise.resolve({
      stop: () => Promise.resolve(),
      showQueue: () => showQueue({
        ...showqSettings(context.config()),
        queue: context.runtime.queue(),
        warn: (text) => context.log.warn(text),
      }),
    });
  },
};
