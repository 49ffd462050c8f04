// Builds the protocol core's environment from a configuration: settings, the tables and
// lists (checks/tables.ts), the restriction stages, the address resolver over a
// RewriteEndpoint, and the log_whatsup() line emitter. service.ts builds one at start and
// after each reload; tests build one directly around a sim host.
// Trusts its inputs. Models smtpd's pre_jail_init()/post_jail_init() and smtpd_check_init().

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Reporter } from '../global/msg.ts';
import type { CleanupEndpoint, RewriteEndpoint, ServiceTraceInput } from '../master/contracts.ts';
import type { Platform } from '../platform/types.ts';
import type { SmtpdEnvironment } from './api.ts';
import { SmtpdResolver } from './checks/resolve.ts';
import type { CheckEnvironment } from './checks/run.ts';
import { Restrictions } from './checks/stages.ts';
import { openSmtpdTables } from './checks/tables.ts';
import { readSmtpdSettings } from './settings.ts';
import { saslLogFields } from './auth.ts';
import { quoteLocalPart } from '../global/address/index.ts';
import { openSmtpdSecurity } from './security.ts';
import type { AnvilEndpoint } from '../anvil/api.ts';
import type { FlushClient } from '../flush/client.ts';

export interface SmtpdEnvironmentOptions {
  config: MainConfig;
  platform: Platform;
  log: Reporter;
  trace(event: ServiceTraceInput): void;
  cleanup(): CleanupEndpoint;
  rewrite(): RewriteEndpoint;
  /** The anvil service for client limits (service.ts finds master's); absent: no limits. */
  anvil?: () => AnvilEndpoint | undefined;
  /** The master.cf service name ("smtp"), for anvil and the limit warnings. */
  serviceName?: string;
  /** The fast flush client for ETRN (service.ts gives master's flush service). */
  flush?: FlushClient;
}

export async function createSmtpdEnvironment(options: SmtpdEnvironmentOptions): Promise<SmtpdEnvironment> {
  const settings = readSmtpdSettings(options.config);
  const tables = await openSmtpdTables(options.config, {
    fs: options.platform.fs, reporter: options.log, cwd: options.config.configDirectory, allowSurrogate: true,
  });
  // The resolver asks trivial-rewrite through the runtime at call time, so a reload of the
  // rewrite service is seen.
  const rewrite: RewriteEndpoint = {
    rewrite: (context, address) => options.rewrite().rewrite(context, address),
    resolve: (sender, address) => options.rewrite().resolve(sender, address),
  };
  const resolver = new SmtpdResolver(rewrite);
  const security = await openSmtpdSecurity({
    config: options.config, fs: options.platform.fs, log: options.log,
    context: { fs: options.platform.fs, reporter: options.log, cwd: options.config.configDirectory, allowSurrogate: true },
    serviceName: options.serviceName ?? 'smtp',
    ...(options.anvil === undefined ? {} : { anvil: options.anvil }),
  });
  // info_log_addr_form_sender/recipient(): log_whatsup's from=<> and to=<> are external
  // form ("a b"@example) unless info_log_address_format = internal.
  const external = options.config.get('info_log_address_format') !== 'internal';
  const logForm = (address: string): string => (external && address !== '' ? quoteLocalPart(address) : address);
  const checks: CheckEnvironment = {
    settings, tables, resolver, rewrite, dns: options.platform.dns, log: options.log, security,
    net: options.platform.net, timers: options.platform.timers, clock: options.platform.clock,
    queueSpace: queueSpaceOf(options.platform, options.config.get('queue_directory') ?? '/var/spool/postfix'),
    queueMinfreeBytes: options.config.getSize('queue_minfree'),
    whatsup(session, names, action, text) {
      const client = session.client;
      const queueId = session.transaction?.queueId;
      options.trace({
        kind: 'smtpd.whatsup', action, where: session.where, clientName: client.name, clientAddress: client.address, text,
        ...(names.sender === undefined ? {} : { sender: logForm(names.sender) }),
        ...(names.recipient === undefined ? {} : { recipient: logForm(names.recipient) }),
        protocol: session.protocol,
        ...(names.helo === undefined ? {} : { helo: names.helo }),
        ...saslLogFields(session),
        sessionId: session.sessionId,
        ...(queueId === undefined ? {} : { queueId }),
      });
    },
  };
  return {
    settings, tables, resolver,
    restrictions: new Restrictions(checks),
    cleanup: options.cleanup,
    timers: options.platform.timers,
    clock: options.platform.clock,
    log: options.log,
    trace: options.trace,
    security,
    ...(options.flush === undefined ? {} : { flush: options.flush }),
  };
}

/** A file system that can say how much space is free (statvfs): the sim disk (its budget,
 *  engine/platform/sim/fs.ts) and the node platform (the real file system,
 *  engine/platform/node/fs.ts) do; one without statfs skips the queue space check. */
interface FileSystemWithSpace {
  statfs?(path: string): Promise<{ blockSize: number; blocksFree: number }>;
}

function queueSpaceOf(platform: Platform, queueDirectory: string): () => Promise<{ blockSize: number; blocksFree: number } | undefined> {
  return async () => {
    const fs = platform.fs as Platform['fs'] & FileSystemWithSpace;
    if (typeof fs.statfs !== 'function') return undefined;
    try {
      return await fs.statfs(queueDirectory);
    } catch {
      return undefined;
    }
  };
}
