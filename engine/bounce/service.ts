// bounce(8) as a service of a running host: master.cf's bounce, defer and trace entries
// all run this program. The service keeps no state of its own between requests; every
// request works on the per-message logs and queue files, so stop() only waits for the
// requests in flight (each append is one synced write).
// Started by master (engine/master/programs.ts); reached by others via runtime.bounce().
// Reads: queue_directory (through runtime.queue()), notify_classes, bounce_notice_recipient,
// 2bounce_notice_recipient, delay_notice_recipient, double_bounce_sender, bounce_size_limit,
// maximal_queue_lifetime, delay_warning_time, myhostname, mail_name, smtputf8_enable, bounce_template_file
// (engine/bounce/templates.ts), read when a process starts, as bounce's pre_jail_init; a
// broken file kills each start and master throttles the service (process-start.ts).
// Models src/bounce/bounce.c.

import type { BounceEndpoint, RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { createBounceCore } from './api.ts';

export const bounceProgram: ServiceProgram & {
  start(context: ServiceContext): Promise<RunningService & BounceEndpoint>;
} = {
  program: 'bounce',
  async start(context: ServiceContext): Promise<RunningService & BounceEndpoint> {
    const core = createBounceCore(context);
    const inFlight = new Set<Promise<unknown>>();
    const track = <T>(running: Promise<T>): Promise<T> => {
      inFlight.add(running);
      const forget = (): void => { inFlight.delete(running); };
      running.then(forget, forget);
      return running;
    };
    return {
      append: (log, queueId, status) => track(core.append(log, queueId, status)),
      flushBounces: (queueId, queueName, options) => track(core.flushBounces(queueId, queueName, options)),
      flushDeferred: (queueId, queueName) => track(core.flushDeferred(queueId, queueName)),
      warnDelayed: (queueId, queueName) => track(core.warnDelayed(queueId, queueName)),
      flushTrace: (queueId, queueName) => track(core.flushTrace(queueId, queueName)),
      stop: async () => {
        core.stop();
        await Promise.allSettled([...inFlight]);
      },
    };
  },
};
