// The process table `ps` shows for a host: each running master (`/usr/lib/postfix/sbin/master
// -w`, as `postfix start` runs it) and its service processes with the argv Postfix's master
// gives a child (master_ent.c: "-l" for a process limit of 1, "-z" for 0, "-n NAME" when the
// service name is not the program's, "-t TYPE", "-u" unprivileged, "-c" chroot, "-o stress="
// for a public service of several processes, "-s N" for several listening sockets, then the
// master.cf arguments), with the pid each one logs under now (ServiceInstance.pid); then the
// terminal's shell and the ps itself. Called by ps.ts. Reads the master registry; trusts it.
// A service's process is listed while it runs: from its first act (pickup and qmgr at
// master's start, the others on demand) until it exits (max_idle, max_use, a reload).

import type { MainConfig } from '../../global/config/main-cf.ts';
import type { MasterEntry } from '../../global/config/master-cf.ts';
import type { Host } from '../../global/host.ts';
import { runningHosts } from '../../master/registry.ts';

export interface ProcessEntry {
  pid: number;
  parentPid: number;
  user: string;
  tty: string;
  state: string;
  startedMs: number;
  /** argv as ps prints it in COMMAND. */
  argv: string[];
  /** The program name (comm) ps prints in CMD. */
  name: string;
}

/** Processes one listing takes from a host. */
export const PROCESSES_MAX = 2000;

const LOOPBACK = /^(127\.[0-9.]+|::1|\[::1\]|localhost|loopback-only)$/i;

function baseNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The addresses an inet service listens on and whether all are loopback (master's
 *  MASTER_FLAG_LOCAL_ONLY). */
function inetListeners(entry: MasterEntry, config: MainConfig): { count: number; localOnly: boolean } {
  const colon = entry.service.lastIndexOf(':');
  if (colon > 0) return { count: 1, localOnly: LOOPBACK.test(entry.service.slice(0, colon)) };
  const protocols = (config.get('inet_protocols') ?? 'all').toLowerCase();
  const families = protocols === 'all' ? 2 : Math.max(1, protocols.split(/[\s,]+/).filter((word) => word !== '').length);
  const interfaces = (config.get('inet_interfaces') ?? 'all').split(/[\s,]+/).filter((word) => word !== '');
  if (interfaces.length === 1 && interfaces[0]!.toLowerCase() === 'all') return { count: families, localOnly: false };
  const count = interfaces.reduce((total, name) => total + (/^(localhost|loopback-only)$/i.test(name) ? families : 1), 0);
  return { count, localOnly: interfaces.every((name) => LOOPBACK.test(name)) };
}

/** The argv Postfix's master starts a service's process with. */
export function serviceArgv(entry: MasterEntry, config: MainConfig): string[] {
  const limit = entry.processLimit === '-' ? Number(config.get('default_process_limit') ?? '100') : Number(entry.processLimit);
  const argv = [entry.command];
  if (limit === 1) argv.push('-l');
  if (limit === 0) argv.push('-z');
  if (baseNameOf(entry.command) !== entry.service) argv.push('-n', entry.service);
  argv.push('-t', entry.type);
  if (entry.unprivileged !== 'n') argv.push('-u');
  // Postfix 3.0 and later: "-" in the chroot column means no chroot.
  if (entry.chroot === 'y') argv.push('-c');
  const inet = entry.type === 'inet' ? inetListeners(entry, config) : { count: 1, localOnly: true };
  if (!inet.localOnly && limit > 1) argv.push('-o', 'stress=');
  if (inet.count > 1) argv.push('-s', String(inet.count));
  argv.push(...entry.arguments);
  return argv;
}

/** The mail system's processes on `host`, masters first, children by pid. */
export function mailSystemProcesses(host: Host): ProcessEntry[] {
  const processes: ProcessEntry[] = [];
  for (const master of runningHosts(host)) {
    const config = master.config();
    const nowMs = host.platform.clock.nowMs();
    const startedMs = master.startedMs;
    const daemonDirectory = config.get('daemon_directory') ?? '/usr/lib/postfix/sbin';
    processes.push({
      pid: master.pid, parentPid: 1, user: 'root', tty: '?', state: 'Ss', startedMs,
      argv: [`${daemonDirectory}/master`, '-w'], name: 'master',
    });
    for (const instance of master.services().values()) {
      if (processes.length >= PROCESSES_MAX) break;
      // Master starts a child on demand, and a child exits after max_idle, max_use or a
      // reload: only the processes that run now are listed.
      const childStartedMs = instance.processStartedMs(nowMs);
      if (childStartedMs === undefined) continue;
      processes.push({
        pid: instance.pid, parentPid: master.pid, user: instance.config.get('mail_owner') ?? 'postfix', tty: '?',
        state: 'S', startedMs: childStartedMs, argv: serviceArgv(instance.entry, instance.config), name: baseNameOf(instance.entry.command),
      });
    }
  }
  return processes;
}
