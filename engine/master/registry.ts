// Which hosts have a running master, per configuration directory: what `postfix start`,
// `postfix stop`, `postfix status` and `postfix reload` act on in the simulation (the shell
// and the UI), where there are no processes or pid files to signal. Real mode finds its
// master through pid/master.pid instead (engine/cli/postfix-daemon.ts).
// Called by engine/admin/postfix.ts and the pipeline test harness. Trusts callers to stop
// what they start. Models master's lock file: one master per configuration directory.

import type { Host } from '../global/host.ts';
import { createHostMaster, type RunningHost, type StartHostOptions } from './runtime.ts';

const registry = new WeakMap<Host, Map<string, RunningHost>>();

function directoryOf(host: Host, configDirectory: string | undefined): string {
  return (configDirectory ?? host.defaultConfigDirectory).replace(/\/+$/, '') || '/';
}

/** The running master of host + configuration directory, if any. */
export function runningHost(host: Host, configDirectory?: string): RunningHost | undefined {
  const found = registry.get(host)?.get(directoryOf(host, configDirectory));
  return found?.running ? found : undefined;
}

/** The master of host + directory that is starting or running (not stopped), if any. */
export function registeredHost(host: Host, configDirectory?: string): RunningHost | undefined {
  const found = registry.get(host)?.get(directoryOf(host, configDirectory));
  return found !== undefined && found.state !== 'stopped' ? found : undefined;
}

/** Every running master of a host (one per configuration directory). */
export function runningHosts(host: Host): RunningHost[] {
  return [...(registry.get(host)?.values() ?? [])].filter((entry) => entry.running);
}

export class AlreadyRunningError extends Error {
  constructor() {
    super('the Postfix mail system is already running');
    this.name = 'AlreadyRunningError';
  }
}

/** Starts and registers a master; throws AlreadyRunningError when one is running. */
export async function startRegisteredHost(options: StartHostOptions): Promise<RunningHost> {
  const directory = directoryOf(options.host, options.configDirectory);
  if (registeredHost(options.host, directory) !== undefined) throw new AlreadyRunningError();
  let byDirectory = registry.get(options.host);
  if (byDirectory === undefined) {
    byDirectory = new Map();
    registry.set(options.host, byDirectory);
  }
  const master = createHostMaster({ ...options, configDirectory: directory });
  byDirectory.set(directory, master);
  try {
    await master.start();
  } catch (error) {
    if (byDirectory.get(directory) === master) byDirectory.delete(directory);
    throw error;
  }
  return master;
}

/** Stops and forgets a master; false when none was running. */
export async function stopRegisteredHost(host: Host, configDirectory?: string, signal = 15): Promise<boolean> {
  const directory = directoryOf(host, configDirectory);
  const found = runningHost(host, directory);
  registry.get(host)?.delete(directory);
  if (found === undefined) return false;
  await found.stop(signal);
  return true;
}
