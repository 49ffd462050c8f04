// How postfix(1) finds, starts, stops and signals a host's master. In the simulation the
// master is an object in the per-host registry (registry.ts); real mode (engine/cli) has
// its own controller over a background process and queue_directory/pid/master.pid.
// Called by engine/admin/postfix.ts. Models what postfix-script does with `master -t`,
// `kill`, `kill -HUP` and `postqueue -f`.

import type { OutputStream } from '../admin/command.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import type { Host } from '../global/host.ts';
import { runningHost, startRegisteredHost, stopRegisteredHost } from './registry.ts';

export interface MasterController {
  /** master's pid when one runs for this configuration directory. */
  runningPid(host: Host, configDirectory: string, config: MainConfig): Promise<number | undefined>;
  /** Starts master; resolves once it is up. */
  start(host: Host, configDirectory: string, config: MainConfig, stderr: OutputStream): Promise<void>;
  /** SIGTERM; resolves once master has stopped. */
  stop(host: Host, configDirectory: string, config: MainConfig): Promise<void>;
  /** SIGHUP. */
  reload(host: Host, configDirectory: string, config: MainConfig): Promise<void>;
}

export const simMasterController: MasterController = {
  async runningPid(host, configDirectory) {
    return runningHost(host, configDirectory)?.pid;
  },
  async start(host, configDirectory, _config, stderr) {
    await startRegisteredHost({ host, configDirectory, stderr });
  },
  async stop(host, configDirectory) {
    await stopRegisteredHost(host, configDirectory);
  },
  async reload(host, configDirectory) {
    await runningHost(host, configDirectory)?.reload();
  },
};
