// anvil's client side for a process that is not master's: an smtpd worker process (real
// mode with mtalab_smtpd_processes > 0) asks the one anvil in master's process, so that the
// per-client limits stay global across workers, as every Postfix smtpd process asks the one
// anvil(8) service over private/anvil. The transport (node's IPC channel to master) is the
// caller's; this file only turns AnvilEndpoint calls into requests and answers into values.
// Started by the worker's master runtime for master.cf's anvil entry, in place of
// anvilProgram (engine/cli/smtpd-worker.ts). Models src/global/anvil_clnt.c.

import type { RunningService, ServiceContext, ServiceProgram } from '../master/contracts.ts';
import type { AnvilConnectCounts, AnvilEndpoint } from './api.ts';

/** The requests a client sends (anvil_clnt's ANVIL_REQ_* names in whole words). */
export type AnvilRequestName = 'connect' | 'disconnect' | 'mail' | 'recipient' | 'auth' | 'newTls';

export interface AnvilRequest {
  request: AnvilRequestName;
  service: string;
  address: string;
}

/** What master answers: counts for connect, a rate for the others, nothing for disconnect. */
export type AnvilAnswer = AnvilConnectCounts | number | undefined;

/** How requests reach master's anvil: ask() resolves with its answer, tell() expects none. */
export interface AnvilTransport {
  ask(request: AnvilRequest): Promise<AnvilAnswer>;
  tell(request: AnvilRequest): void;
}

/** Marks the anvil services smtpd may use (service.ts's isAnvilEndpoint). */
export const ANVIL_ENDPOINT_BRAND: unique symbol = Symbol('anvil endpoint');

class AnvilClientService implements RunningService, AnvilEndpoint {
  readonly [ANVIL_ENDPOINT_BRAND] = true;

  constructor(private readonly transport: AnvilTransport) {}

  private async rate(request: AnvilRequestName, service: string, address: string): Promise<number> {
    const answer = await this.transport.ask({ request, service, address });
    return typeof answer === 'number' ? answer : 0;
  }

  async connect(service: string, address: string): Promise<AnvilConnectCounts> {
    const answer = await this.transport.ask({ request: 'connect', service, address });
    return typeof answer === 'object' ? answer : { count: 0, rate: 0 };
  }

  disconnect(service: string, address: string): void { this.transport.tell({ request: 'disconnect', service, address }); }
  mail(service: string, address: string): Promise<number> { return this.rate('mail', service, address); }
  recipient(service: string, address: string): Promise<number> { return this.rate('recipient', service, address); }
  auth(service: string, address: string): Promise<number> { return this.rate('auth', service, address); }
  newTls(service: string, address: string): Promise<number> { return this.rate('newTls', service, address); }

  async stop(): Promise<void> {
    // Nothing kept here: the counters live in master's anvil.
  }
}

/** The anvil program of a worker process, over `transport`. */
export function anvilClientProgram(transport: AnvilTransport): ServiceProgram {
  return {
    program: 'anvil',
    async start(_context: ServiceContext): Promise<RunningService> {
      return new AnvilClientService(transport);
    },
  };
}

/** Answers one request with a host's own anvil (master's side of the transport). */
export async function answerAnvilRequest(anvil: AnvilEndpoint, request: AnvilRequest): Promise<AnvilAnswer> {
  switch (request.request) {
    case 'connect': return anvil.connect(request.service, request.address);
    case 'disconnect': anvil.disconnect(request.service, request.address); return undefined;
    case 'mail': return anvil.mail(request.service, request.address);
    case 'recipient': return anvil.recipient(request.service, request.address);
    case 'auth': return anvil.auth(request.service, request.address);
    case 'newTls': return anvil.newTls(request.service, request.address);
  }
}
