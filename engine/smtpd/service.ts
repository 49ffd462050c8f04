// smtpd as a master.cf inet service: listens where the service name says ("smtp" is port
// 25 on inet_interfaces, "127.0.0.1:2525" that address and port), looks up each client's
// name, and runs one protocol session per connection (api.ts) against the host's cleanup
// and trivial-rewrite services. A reload, or a new process after max_idle/max_use (each
// session is one use), is picked up by the next connection; stop() closes the listeners
// and the sessions in progress.
// Started by master (engine/master/runtime.ts) through programs.ts. Reads main.cf with the
// service's -o overrides. Models smtpd's main(), smtpd_service() and master's inet listener
// (src/smtpd/smtpd.c, src/master/master_listen.c).

import type { MainConfig } from '../global/config/main-cf.ts';
import type { RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import type { Connection, Listener } from '../platform/types.ts';
import { openSmtpdSession, type SmtpdConnection, type SmtpdEnvironment } from './api.ts';
import { createSmtpdEnvironment } from './environment.ts';
import { lookupClient } from './peer.ts';
import { isAnvilEndpoint } from '../anvil/service.ts';
import { serviceFlushClient } from '../flush/client.ts';

/** Connections one smtpd service serves at once (master.cf maxproc; default_process_limit). */
export const SESSIONS_MAX_DEFAULT = 100;

const SERVICE_PORTS: Readonly<Record<string, number>> = { smtp: 25, submission: 587, smtps: 465, submissions: 465 };

/** "host:port", "[v6]:port", "port" or a service name -> where to listen. */
export function listenAddresses(service: string, config: MainConfig): { addresses: string[]; port: number } {
  let host: string | undefined;
  let portText = service;
  const bracket = /^\[([^\]]+)\]:(.+)$/.exec(service);
  if (bracket !== null) {
    host = bracket[1];
    portText = bracket[2] as string;
  } else if (service.includes(':')) {
    host = service.slice(0, service.lastIndexOf(':'));
    portText = service.slice(service.lastIndexOf(':') + 1);
  }
  const port = /^\d+$/.test(portText) ? Number(portText) : SERVICE_PORTS[portText.toLowerCase()] ?? 25;
  if (host !== undefined && host !== '') return { addresses: [host === 'localhost' ? '127.0.0.1' : host], port };
  const interfaces = config.getList('inet_interfaces').map((name) => name.toLowerCase());
  if (interfaces.length === 0 || interfaces.includes('all')) return { addresses: ['0.0.0.0'], port };
  if (interfaces.includes('loopback-only')) return { addresses: ['127.0.0.1'], port };
  return { addresses: interfaces.map((name) => (name === 'localhost' ? '127.0.0.1' : name)), port };
}

class SmtpdService implements RunningService {
  private readonly listeners: Listener[] = [];
  private readonly sessions = new Set<SmtpdConnection>();
  private environment: { config: MainConfig; env: Promise<SmtpdEnvironment> } | undefined;
  private sessionCount = 0;
  private stopped = false;

  constructor(private readonly context: ServiceContext) {}

  /** The environment for the current configuration (rebuilt after a reload). */
  private env(): Promise<SmtpdEnvironment> {
    const config = this.context.config();
    if (this.environment?.config !== config) {
      const context = this.context;
      this.environment = {
        config,
        env: createSmtpdEnvironment({
          config, platform: context.host.platform, log: context.log, trace: (event) => context.trace(event),
          cleanup: () => context.runtime.cleanup(), rewrite: () => context.runtime.rewrite(),
          serviceName: context.serviceName,
          flush: serviceFlushClient(context),
          anvil: () => {
            const anvil = context.runtime.service('anvil');
            return isAnvilEndpoint(anvil) ? anvil : undefined;
          },
        }),
      };
    }
    return this.environment.env;
  }

  async listen(): Promise<void> {
    await this.env();
    const { addresses, port } = listenAddresses(this.context.serviceName, this.context.config());
    for (const address of addresses) {
      this.listeners.push(await this.context.host.platform.net.listen(address, port, (connection) => {
        void this.serve(connection);
      }));
    }
  }

  private async serve(connection: Connection): Promise<void> {
    const limit = Number.parseInt(this.context.entry.processLimit, 10);
    if (this.stopped || this.sessions.size >= (Number.isFinite(limit) && limit > 0 ? limit : SESSIONS_MAX_DEFAULT)) {
      connection.destroy();
      return;
    }
    // Bytes that arrive during the name lookup wait for the session (so an early talker
    // is seen as pipelining after CONNECT); the handlers are set once.
    const early: Uint8Array[] = [];
    let closedEarly = false;
    let target: SmtpdConnection | undefined;
    connection.onData((chunk) => { if (target === undefined) early.push(chunk); else target.receive(chunk); });
    connection.onClose(() => { if (target === undefined) closedEarly = true; else target.close(); });
    // One session is one use of the smtpd process (max_use); a process that has exited
    // after max_idle or max_use is replaced first and reads main.cf anew.
    const waiting = this.context.beginUse?.();
    try {
      if (waiting !== undefined) await waiting;
      await this.session(connection, early, () => closedEarly, (session) => { target = session; });
    } finally {
      this.context.endUse?.();
    }
  }

  private async session(connection: Connection, early: Uint8Array[], closedEarly: () => boolean,
    attach: (session: SmtpdConnection) => void): Promise<void> {
    const env = await this.env();
    const client = {
      ...await lookupClient(this.context.host.platform, connection.remoteAddress, connection.remotePort),
      serverAddress: connection.localAddress, serverPort: connection.localPort,
    };
    const sessionId = `${this.context.host.name}/smtpd/${this.context.pid}/${++this.sessionCount}`;
    const session = openSmtpdSession(env, client, sessionId, {
      write: (bytes) => connection.write(bytes),
      close: () => connection.end(),
      startTls: (options) => connection.startTls(options),
    });
    this.sessions.add(session);
    for (const chunk of early.splice(0)) session.receive(chunk);
    if (closedEarly()) session.close();
    attach(session);
    try {
      await session.finished;
    } finally {
      this.sessions.delete(session);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const listener of this.listeners.splice(0)) await listener.close();
    for (const session of [...this.sessions]) session.close();
  }
}

export const smtpdProgram: ServiceProgram = {
  program: 'smtpd',
  async start(context: ServiceContext): Promise<RunningService> {
    const service = new SmtpdService(context);
    await service.listen();
    return service;
  },
};
