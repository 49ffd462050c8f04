// The pickup service: a thin shell over api.ts. master starts it for master.cf's
// "pickup unix n - y 60 1 pickup" line and wakes it on its wakeup timer and whenever
// postdrop triggers it. Wakeups that arrive during a scan fold into one more scan after it,
// as a FIFO's pending bytes do; stop() waits for the scan in progress, so a file is never
// left half copied by the service itself (cleanup discards an unfinished submission).
// Reads: line_length_limit, mail_owner, receive_override_options, cleanup_service_name.
// Called by master (engine/master/programs.ts). Models pickup.c's trigger_server_main.

import type { RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import { pickupScan } from './api.ts';

/** Scans one wakeup may chain when wakeups keep arriving during scans. */
export const CHAINED_SCANS_MAX = 1000;

export const pickupProgram: ServiceProgram = {
  program: 'pickup',
  async start(context: ServiceContext): Promise<RunningService> {
    let scanning: Promise<void> | undefined;
    let again = false;
    let stopped = false;
    const scan = (): void => {
      if (stopped) return;
      if (scanning !== undefined) { again = true; return; }
      scanning = (async () => {
        try {
          let count = 0;
          do {
            again = false;
            await pickupScan(context);
          } while (again && !stopped && ++count < CHAINED_SCANS_MAX);
        } catch (error) {
          context.log.warn(`pickup: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          scanning = undefined;
        }
      })();
    };
    return {
      wake: () => scan(),
      async stop() {
        stopped = true;
        await scanning;
      },
    };
  },
};
