// The fast flush client: what delivery agents (through the delivery-status library's
// defer_append), smtpd's ETRN and postqueue -s/-i call to reach the flush service. As
// Postfix's client does, it asks the server only about sites that fast_flush_domains lists
// (others are 'deny' at once, a failing table is 'fail'), and a service that is not there
// is 'fail' (a connection that could not be made, as real mode's socket link reports it,
// is warned about as mail_command_client does: "connect to public/flush: ...").
// The domain list is opened once per configuration (a reload makes a new one).
// Called by engine/global/delivery-status.ts, engine/smtpd/commands-session.ts (ETRN) and
// engine/admin/postqueue.ts. Trusts the endpoint it is given.
// Models src/global/flush_clnt.c (flush_add, flush_send_site, flush_send_file,
// flush_refresh, flush_purge) and defer.c's call of flush_add.

import type { MainConfig } from '../global/config/main-cf.ts';
import { openMatchList, type MatchList } from '../global/address/index.ts';
import type { FileSystem } from '../platform/types.ts';
import type { Reporter } from '../global/msg.ts';
import type { ServiceContext } from '../master/contracts.ts';
import { isFlushEndpoint, type FlushEndpoint, type FlushStatus } from './api.ts';
import { FlushConnectError } from './protocol.ts';
import { describeCode } from '../platform/types.ts';
import type { MailSystemLink } from '../global/mail-system.ts';
import type { Host } from '../global/host.ts';

/** What a client needs: the configuration, where tables are read, and the service. */
export interface FlushClient {
  config(): MainConfig;
  fs: FileSystem;
  reporter: Reporter;
  /** The running flush service, or undefined when it cannot be reached. */
  endpoint(): FlushEndpoint | undefined;
}

const domainLists = new WeakMap<MainConfig, Promise<MatchList>>();

/** fast_flush_domains of a configuration, opened once per MainConfig. */
export function fastFlushDomains(config: MainConfig, fs: FileSystem, reporter: Reporter): Promise<MatchList> {
  let list = domainLists.get(config);
  if (list === undefined) {
    list = openMatchList({
      parameterName: 'fast_flush_domains',
      value: config.get('fast_flush_domains') ?? '',
      kind: 'domain',
      parentMatchesSubdomains: config.getList('parent_domain_matches_subdomains').includes('fast_flush_domains'),
      context: { fs, reporter, cwd: config.configDirectory, allowSurrogate: true },
    });
    domainLists.set(config, list);
  }
  return list;
}

/** The client-side eligibility test: undefined when the server should be asked. */
async function screen(client: FlushClient, site: string): Promise<FlushStatus | undefined> {
  let list: MatchList;
  try {
    list = await fastFlushDomains(client.config(), client.fs, client.reporter);
    return await list.match(site) ? undefined : 'deny';
  } catch {
    return 'fail';
  }
}

/** mail_command_client(): a missing service or a failed request is 'fail'. */
async function ask(client: FlushClient, request: (endpoint: FlushEndpoint) => Promise<FlushStatus>): Promise<FlushStatus> {
  const endpoint = client.endpoint();
  if (endpoint === undefined) return 'fail';
  try {
    return await request(endpoint);
  } catch (error) {
    if (error instanceof FlushConnectError) {
      const service = client.config().get('flush_service_name') ?? 'flush';
      client.reporter.warn(`connect to public/${service}: ${describeCode(error.code)}`);
    }
    return 'fail';
  }
}

/** flush_add(): mail for `site` with this queue id was deferred. */
export async function flushAdd(client: FlushClient, site: string, queueId: string): Promise<FlushStatus> {
  return await screen(client, site) ?? ask(client, (endpoint) => endpoint.flushAdd(site, queueId));
}

/** flush_send_site(): deliver the mail queued for `site` (ETRN, postqueue -s). */
export async function flushSendSite(client: FlushClient, site: string): Promise<FlushStatus> {
  return await screen(client, site) ?? ask(client, (endpoint) => endpoint.flushSendSite(site));
}

/** flush_send_file(): deliver one deferred message (postqueue -i). */
export function flushSendFile(client: FlushClient, queueId: string): Promise<FlushStatus> {
  return ask(client, (endpoint) => endpoint.flushSendFile(queueId));
}

/** flush_refresh() and flush_purge(): 'deny' without asking when the service is off. */
export function flushRefresh(client: FlushClient, purge = false): Promise<FlushStatus> {
  if ((client.config().get('fast_flush_domains') ?? '') === '') return Promise.resolve('deny');
  return ask(client, (endpoint) => (purge ? endpoint.flushPurge() : endpoint.flushRefresh()));
}

/** The client a running service uses: its own configuration and master's flush service. */
export function serviceFlushClient(context: Pick<ServiceContext, 'config' | 'host' | 'log' | 'runtime'>): FlushClient {
  // One per service context (it only delegates to the context): made once, not per
  // deferred recipient.
  let client = serviceClients.get(context);
  if (client === undefined) {
    client = new ServiceFlushClient(context);
    serviceClients.set(context, client);
  }
  return client;
}

const serviceClients = new WeakMap<object, ServiceFlushClient>();

/** serviceFlushClient's object (a class, so that no functions are made per deferred
 *  recipient). */
class ServiceFlushClient implements FlushClient {
  readonly fs: FileSystem;
  readonly reporter: Reporter;

  constructor(private readonly context: Pick<ServiceContext, 'config' | 'host' | 'log' | 'runtime'>) {
    this.fs = context.host.platform.fs;
    this.reporter = context.log;
  }

  config(): MainConfig {
    return this.context.config();
  }

  endpoint(): FlushEndpoint | undefined {
    const service = this.context.runtime.service(this.context.config().get('flush_service_name') ?? 'flush');
    if (isFlushEndpoint(service)) return service;
    // A process that does not run the flush service itself (real mode's smtpd workers)
    // reaches master's through the host's link: public/flush, as Postfix's smtpd does.
    const link = this.context.host.mailSystem;
    if (link?.flush === undefined) return undefined;
    return linkedFlushEndpoint(link, this.context.host, this.context.config());
  }
}

/** A flush endpoint whose requests go through a MailSystemLink (its flush() is looked up
 *  per request: the service may come and go with master). */
function linkedFlushEndpoint(link: MailSystemLink, host: Host, config: MainConfig): FlushEndpoint {
  const send = async (request: (endpoint: FlushEndpoint) => Promise<FlushStatus>): Promise<FlushStatus> => {
    const endpoint = await link.flush?.(host, config);
    return endpoint === undefined ? 'fail' : request(endpoint);
  };
  return {
    flushAdd: (site, queueId) => send((endpoint) => endpoint.flushAdd(site, queueId)),
    flushSendSite: (site) => send((endpoint) => endpoint.flushSendSite(site)),
    flushSendFile: (queueId) => send((endpoint) => endpoint.flushSendFile(queueId)),
    flushRefresh: () => send((endpoint) => endpoint.flushRefresh()),
    flushPurge: () => send((endpoint) => endpoint.flushPurge()),
  };
}

/** defer.c after defer_append(): tell the flush service about a deferred recipient's
 *  domain; only a failure other than "not eligible" is worth a warning. */
export async function noteDeferredRecipient(context: Pick<ServiceContext, 'config' | 'host' | 'log' | 'runtime'>,
  queueId: string, address: string): Promise<void> {
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return;
  const status = await flushAdd(serviceFlushClient(context), address.slice(at + 1), queueId);
  if (status !== 'ok' && status !== 'deny') {
    context.log.warn(`${queueId}: ${context.config().get('flush_service_name') ?? 'flush'} service failure`);
  }
}
