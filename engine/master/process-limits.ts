// How long a service's process lives: Postfix's max_idle (seconds without a client) and
// max_use (clients served) as each daemon applies them, with the daemons that override
// them. Called by ServiceInstance (service-instance.ts) with the service's configuration
// (main.cf plus its master.cf -o overrides). Trusts MainConfig for parsing and defaults.
// Models src/master/single_server.c, multi_server.c and trigger_server.c (use_count, the
// idle timer) and the post_init/pre_init hooks of qmgr, tlsmgr, verify, anvil, scache
// and postlogd that set var_use_limit/var_idle_limit (Postfix 3.7.11).

import type { MainConfig } from '../global/config/main-cf.ts';

/** The three server skeletons count a "use" differently:
 *  single  one client connection (smtpd, cleanup, local, smtp, bounce, showq, flush...);
 *  multi   one client disconnect; clients keep their connection while busy (trivial-rewrite);
 *  trigger one trigger, master's periodic wakeups included (pickup, qmgr). */
export type ServerKind = 'single' | 'multi' | 'trigger';

const MULTI_SERVERS = new Set(['trivial-rewrite', 'proxymap', 'anvil', 'verify', 'scache', 'tlsmgr']);
const TRIGGER_SERVERS = new Set(['pickup', 'qmgr']);

export function serverKind(program: string): ServerKind {
  if (TRIGGER_SERVERS.has(program)) return 'trigger';
  return MULTI_SERVERS.has(program) ? 'multi' : 'single';
}

export interface ProcessLimits {
  /** Exit after this long without a client (0: never). */
  idleMs: number;
  /** Exit after this many clients (0: never). */
  usesMax: number;
  /** A multi-server's client keeps its connection this long after its last request
   *  (ipc_idle), so the use ends then. */
  clientIdleMs: number;
}

/** The limits a program's process applies. qmgr and tlsmgr never exit on their own; anvil,
 *  scache and postlogd ignore max_use (anvil waits at least anvil_rate_time_unit); verify
 *  ignores both when its cache is in memory only (address_verify_map empty). */
export function processLimits(program: string, config: MainConfig): ProcessLimits {
  let idleMs = Math.max(0, config.getTimeSeconds('max_idle')) * 1000;
  let usesMax = Math.max(0, config.getInt('max_use'));
  const clientIdleMs = Math.max(0, config.getTimeSeconds('ipc_idle')) * 1000;
  if (program === 'qmgr' || program === 'tlsmgr') return { idleMs: 0, usesMax: 0, clientIdleMs };
  if (program === 'verify' && (config.get('address_verify_map') ?? '') === '') return { idleMs: 0, usesMax: 0, clientIdleMs };
  if (program === 'anvil' || program === 'scache' || program === 'postlogd') usesMax = 0;
  if (program === 'anvil') idleMs = Math.max(idleMs, config.getTimeSeconds('anvil_rate_time_unit') * 1000);
  return { idleMs, usesMax, clientIdleMs };
}
