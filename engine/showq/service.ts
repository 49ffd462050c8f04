// The showq(8) service as master starts it (master.cf: "showq unix n - n - - showq"):
// postqueue -p/-j, mailq and sendmail -bp ask it for the queue listing while the mail
// system runs. It reads empty_address_recipient and duplicate_filter_limit, and takes no
// command-line arguments besides master's own options.
// Each listing is one use of its process (single_server.c's use_count), so after max_use
// listings or max_idle without one the next listing is a new process's (a new pid, in ps).
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
      showQueue: () => {
        // Each listing is one client of showq's single-server process (max_use, max_idle):
        // a process that has exited is replaced first, with a new pid and main.cf read anew.
        const list = () => showQueue({
          ...showqSettings(context.config()),
          queue: context.runtime.queue(),
          warn: (text: string) => context.log.warn(text),
        });
        const waiting = context.beginUse?.();
        const result = waiting === undefined ? list() : waiting.then(list);
        const end = (): void => context.endUse?.();
        result.then(end, end);
        return result;
      },
    });
  },
};
