// The smtp(8)/lmtp(8) delivery agent's core: one delivery request from qmgr becomes
// sessions with the servers its nexthop leads to. The nexthop (a list, with
// smtp_fallback_relay appended) is tried site by site; each site's addresses (MX hosts in
// preference order, or the host itself for "[host]:port") are tried until the recipients
// are done, smtp_mx_address_limit addresses or smtp_mx_session_limit sessions are used, or
// mail would loop. What is left at the end is deferred or bounced with the last reason,
// e.g. "connect to host[addr]:port: Connection refused" (4.4.1, relay=none).
// The active queue file is opened once for the request (content.ts, ActiveQueueFile).
// Called by service.ts (smtpProgram, lmtpProgram) and by tests with a ServiceContext.
// Trusts qmgr's request and the platform (net, dns, timers). Models smtp_connect()/
// smtp_connect_inet()/smtp_connect_local() in src/smtp/smtp_connect.c.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { DeliveryRequest, DeliveryResult, ServiceContext } from '../master/contracts.ts';
import { ownAddressesOf, type HostAddress } from '../trivial-rewrite/tables.ts';
import { ActiveQueueFile } from './content.ts';
import { isSoft, parseDestination, resolveDomain, resolveHost, type Lookup, type ServerAddress } from './destination.ts';
import { handshake } from './handshake.ts';
import { clientTableOpener, readClientSecurity, secureSession, type ClientSecurity } from './security.ts';
import { DeliveryState } from './outcome.ts';
import { ClientSession, connectServer } from './session.ts';
import { clientSettingsOf, type ClientProtocol, type ClientSettings } from './settings.ts';
import { transfer } from './transfer.ts';
import { destinationLabel, endpointLabel, type ConnectionCache, type LabelParts } from './connection-cache.ts';

/** Sites in one nexthop list plus fallback relays. */
export const SITES_MAX = 100;

export interface ClientOptions {
  /** The machine's interface addresses, for inet_interfaces = all (loopback by default). */
  interfaceAddresses?: readonly string[];
  /** The service's idle-connection cache (connection reuse); none: every session is new. */
  cache?: ConnectionCache;
}

/** Whether this request may take cached connections and leave its own for later. */
interface Caching {
  cache: ConnectionCache;
  fetch: boolean;
  store: boolean;
}

/** What the cache labels hold beyond the server (smtp_key.c's conditional fields). */
interface LabelContext {
  service: string;
  /** smtp_sender_dependent_authentication with password maps: the sender is in the labels. */
  sender: string | undefined;
  /** smtp_sasl_password_maps is set: the current nexthop and host name are in the labels. */
  saslKeyed: boolean;
  tlsLevel: string;
}

interface Attempt {
  context: ServiceContext;
  request: DeliveryRequest;
  settings: ClientSettings;
  state: DeliveryState;
  lookup: Lookup;
  encoding: string | undefined;
  /** The active queue file, open for the whole request. */
  queueFile: ActiveQueueFile;
  security: ClientSecurity;
  caching: Caching | undefined;
  labels: LabelContext;
  /** The request nexthop's label while no session of this request was good yet
   *  (SET/CLEAR_SCACHE_REQUEST_NEXTHOP): the first good one is bound to it. */
  destinationLabel: string | undefined;
}

/** The endpoint label of one server of one nexthop (SMTP_KEY_MASK_SCACHE_ENDP_LABEL). */
function endpointLabelOf(attempt: Attempt, nexthop: string, server: { hostName: string; address: string }, port: number): string {
  const { labels } = attempt;
  const parts: LabelParts = {
    service: labels.service, address: server.address, port, tlsLevel: labels.tlsLevel,
    ...(labels.sender === undefined ? {} : { sender: labels.sender }),
    ...(labels.saslKeyed || labels.tlsLevel === 'verify' ? { currentNexthop: nexthop } : {}),
    ...(labels.saslKeyed ? { hostName: server.hostName } : {}),
  };
  return endpointLabel(parts);
}

/** The last own-address list per configuration, with the interface addresses it was made
 *  from (the simulated network may give a host new addresses between requests). */
const ownAddressesByConfig = new WeakMap<MainConfig, { interfaces: string; own: HostAddress[] }>();

/** inet_interfaces and proxy_interfaces as addresses, parsed again only when the
 *  configuration or the machine's interface addresses changed. Callers must not modify it. */
function ownAddressesFor(config: MainConfig, interfaceAddresses: readonly string[]): HostAddress[] {
  const interfaces = interfaceAddresses.join(' ');
  const known = ownAddressesByConfig.get(config);
  if (known !== undefined && known.interfaces === interfaces) return known.own;
  const own = ownAddressesOf(config, interfaceAddresses);
  ownAddressesByConfig.set(config, { interfaces, own });
  return own;
}

function queuePathOf(context: ServiceContext, request: DeliveryRequest): string {
  return request.queuePath.startsWith('/') ? request.queuePath : `${context.runtime.queue().queueDirectory}/${request.queuePath}`;
}

/** Ends a session after a failed handshake: QUIT (reply read unless smtp_skip_quit_response). */
async function quit(session: ClientSession, settings: ClientSettings): Promise<void> {
  if (session.stream.isClosed) return;
  session.stream.writeCommand('QUIT');
  if (settings.skipQuitResponse) return;
  try {
    await session.stream.readReply(settings.timeouts.quitSeconds);
  } catch {
    // The server went away first: nothing left to tell it.
  }
}

/** smtp_reuse_common(): a cached session under this label (an endpoint's, or with
 *  `byDestination` the request nexthop's) that answers an RSET probe. */
async function reuseSession(attempt: Attempt, label: string, byDestination = false): Promise<ClientSession | undefined> {
  const caching = attempt.caching;
  if (caching === undefined || !caching.fetch) return undefined;
  for (let tries = 0; tries < 2; tries++) {
    const session = byDestination ? caching.cache.takeByDestination(label) : caching.cache.takeByEndpoint(label);
    if (session === undefined) return undefined;
    session.stream.queueId = attempt.request.queueId;
    if (!session.stream.hasUnread) {
      session.stream.writeCommand('RSET');
      try {
        const reply = await session.stream.readReply(attempt.settings.timeouts.rsetSeconds);
        if (Math.floor(reply.code / 100) === 2) return session;
      } catch {
        // Gone while idle: try another or connect.
      }
    }
    if (!session.stream.isClosed) session.stream.close(false, 'cached connection unusable');
  }
  return undefined;
}

/** Whether a session may go back to the cache after this transaction: not after STARTTLS
 *  (Postfix keeps a TLS connection only with smtp_tls_connection_reuse = yes, which hands
 *  the TLS session to tlsproxy(8); mtalab has no tlsproxy, so TLS connections are never
 *  kept), younger than the reuse time limit, used fewer times than the reuse count limit.
 *  A SASL-authenticated session is kept: its labels carry what picked its credentials. */
function cacheable(attempt: Attempt, session: ClientSession): boolean {
  const { caching, settings } = attempt;
  if (caching === undefined || !caching.store || session.tls !== undefined) return false;
  const limits = settings.connectionCache;
  if (attempt.context.host.platform.clock.nowMs() - session.connectedMs >= limits.reuseSeconds * 1000) return false;
  return limits.reuseCountLimit <= 0 || session.reuseCount + 1 < limits.reuseCountLimit;
}

/** One session with one server address; returns whether the address list should stop. */
async function trySession(attempt: Attempt, nexthop: string, server: ServerAddress, port: number, last: boolean,
  counts: { sessions: number }, flags: { finalNexthop: boolean; loopDetect: boolean; bestPreference: number },
  cached?: ClientSession): Promise<boolean> {
  const { context, settings, state, request } = attempt;
  const endpoint = endpointLabelOf(attempt, nexthop, server, port);
  const reused = cached ?? await reuseSession(attempt, endpoint);
  const connected = reused
    ?? await connectServer(context, settings, { nexthop, hostName: server.hostName, address: server.address, port }, request.queueId);
  if (!(connected instanceof ClientSession)) {
    state.fill(connected.dsn, connected.reason);
    context.log.info(connected.reason);
    return last;
  }
  const session = connected;
  if (cached === undefined && server.preference === flags.bestPreference) session.features.add('bestMx');
  state.finalServer = flags.finalNexthop && last;
  state.session = { namaddrport: session.namaddrport, hostName: session.hostName, dsnSupported: false, reuseCount: 0 };
  let stop = last;
  let keep = false;
  const input = { state, session, settings, loopDetect: flags.loopDetect };
  if (reused === undefined && (!(await handshake(input)) || !(await secureSession(input, attempt.security)))) {
    await quit(session, settings);
  } else {
    // This session was good: less preferred servers are not bound to the nexthop label.
    const destination = attempt.destinationLabel;
    attempt.destinationLabel = undefined;
    state.session.dsnSupported = session.has('dsn');
    if (++counts.sessions >= settings.mxSessionLimit && settings.mxSessionLimit > 0) stop = true;
    state.finalServer = flags.finalNexthop && stop;
    const cache = cacheable(attempt, session);
    const complete = await transfer({
      state, session, settings, encoding: attempt.encoding, cacheable: cache,
      content: () => attempt.queueFile.wireContent(request.contentOffset, settings.lineLengthLimit),
    });
    if (complete) state.sessionComplete = true;
    keep = cache && complete && !session.rsetRejected && !session.stream.isClosed;
    if (keep) {
      session.reuseCount++;
      attempt.caching!.cache.store(session, { endpoint, ...(destination === undefined ? {} : { destination }) },
        settings.connectionCache.idleSeconds);
    }
  }
  if (!keep && !session.stream.isClosed) {
    session.stream.close(true, 'session done');
  }
  state.endSession();
  return stop;
}

/** smtp_connect_inet() for one site: returns whether to stop after it (final nexthop). */
async function trySite(attempt: Attempt, site: string, final: boolean, first: boolean): Promise<boolean> {
  const { context, settings, state, lookup } = attempt;
  const destination = parseDestination(site, settings.defaultPort);
  if ('error' in destination) return context.log.fatal(destination.error);
  const smtp = settings.protocol === 'smtp';
  const loopDetect = smtp && destination.port === 25;
  const lookupMx = smtp && settings.dnsSupport !== 'disabled' && !destination.bracketed;
  let finalNexthop = final;
  let addresses: ServerAddress[];
  if (lookupMx) {
    const found = await resolveDomain(lookup, destination.host, loopDetect, state.why);
    addresses = found.addresses;
    if (found.iAmMx) finalNexthop = true;
  } else {
    addresses = await resolveHost(lookup, destination.host, loopDetect, state.why);
  }
  if (addresses.length === 0 && state.why.dsn.endsWith('.4.6')) finalNexthop = true;
  const bestPreference = addresses[0]?.preference ?? -1;
  const counts = { sessions: 0 };
  if (first && attempt.caching !== undefined && addresses.length > 0) {
    attempt.destinationLabel = destinationLabel({
      service: attempt.labels.service, requestNexthop: attempt.request.nexthop,
      ...(attempt.labels.sender === undefined ? {} : { sender: attempt.labels.sender }),
    });
    // smtp_reuse_nexthop(): a connection filed under the request's nexthop, wherever it
    // leads among this nexthop's servers; its address is then taken off the list.
    const cached = await reuseSession(attempt, attempt.destinationLabel, true);
    const index = cached === undefined ? -1 : addresses.findIndex((server) => server.address === cached.address && destination.port === cached.port);
    if (cached !== undefined && index < 0) cached.stream.close(false, 'cached connection not for this nexthop');
    if (cached !== undefined && index >= 0) {
      const [server] = addresses.splice(index, 1);
      const stop = await trySession(attempt, site, server!, destination.port, addresses.length === 0, counts,
        { finalNexthop, loopDetect, bestPreference }, cached);
      if (stop || state.recipients.length === 0) return finalNexthop;
    }
  }
  const limit = settings.mxAddressLimit > 0 ? Math.min(addresses.length, settings.mxAddressLimit) : addresses.length;
  for (let index = 0; index < limit && state.recipients.length > 0; index++) {
    const last = index === limit - 1;
    const stop = await trySession(attempt, site, addresses[index]!, destination.port, last, counts,
      { finalNexthop, loopDetect, bestPreference });
    if (stop) break;
  }
  return finalNexthop;
}

/** LMTP to "unix:/path": this platform has no UNIX-domain sockets, so it fails as a
 *  connect to a socket that is not there. */
function unixDestination(attempt: Attempt, path: string): void {
  const reason = `connect to ${attempt.settings.myhostname}[${path}]: No such file or directory`;
  attempt.state.fill('4.4.1', reason);
  attempt.context.log.info(reason);
}

/** Delivers one request by SMTP or LMTP. */
export async function deliverMail(context: ServiceContext, request: DeliveryRequest, protocol: ClientProtocol,
  options: ClientOptions = {}): Promise<DeliveryResult> {
  const platform = context.host.platform;
  const queueFile = await ActiveQueueFile.open(platform.fs, queuePathOf(context, request));
  try {
    return await deliverFrom(context, request, protocol, options, queueFile, await queueFile.encoding());
  } finally {
    await queueFile.close();
  }
}

async function deliverFrom(context: ServiceContext, request: DeliveryRequest, protocol: ClientProtocol,
  options: ClientOptions, queueFile: ActiveQueueFile, encoding: string | undefined): Promise<DeliveryResult> {
  const platform = context.host.platform;
  const config = context.config();
  const settings = clientSettingsOf(config, protocol);
  const finalDelivery = protocol === 'lmtp' && settings.assumeFinal;
  const state = new DeliveryState(context, request, platform.clock.nowMs(), finalDelivery, queueFile.handle);
  const lookup: Lookup = {
    context, settings, dns: platform.dns, random: platform.random.fork(`${protocol}:${request.queueId}`),
    own: ownAddressesFor(config, options.interfaceAddresses ?? ['127.0.0.1', '::1']), queueId: request.queueId,
  };
  const security = await readClientSecurity(config, protocol, clientTableOpener(config, { fs: platform.fs, reporter: context.log }));
  const saslKeyed = (config.get(`${protocol}_sasl_password_maps`) ?? '').trim() !== '';
  const attempt: Attempt = {
    context, request, settings, state, lookup, encoding, queueFile, security,
    caching: cachingFor(options, settings, request),
    labels: {
      service: context.serviceName, saslKeyed, tlsLevel: security.tlsLevel,
      sender: saslKeyed && config.getBool(`${protocol}_sender_dependent_authentication`) ? request.sender : undefined,
    },
    destinationLabel: undefined,
  };
  let nexthop = request.nexthop;
  const sites: string[] = [];
  let nonFallback = 0;
  let lastTried = -1;
  if (protocol === 'lmtp' && nexthop.startsWith('unix:')) {
    if (settings.fallbackRelays.length > 0) context.log.warn(`ignoring "lmtp_fallback_relay = ${settings.fallbackRelays.join(' ')}" setting for non-TCP connections`);
    unixDestination(attempt, nexthop.slice('unix:'.length));
  } else {
    if (protocol === 'lmtp' && nexthop.startsWith('inet:')) nexthop = nexthop.slice('inet:'.length);
    sites.push(...nexthop.split(/[\s,]+/).filter((site) => site !== ''));
    nonFallback = sites.length;
    sites.push(...settings.fallbackRelays);
    for (let index = 0; index < Math.min(sites.length, SITES_MAX) && state.recipients.length > 0; index++) {
      lastTried = index;
      const final = await trySite(attempt, sites[index]!, index === sites.length - 1, index === 0);
      if (final) break;
    }
  }
  if (state.recipients.length > 0) await failLeftovers(attempt, sites, nonFallback, lastTried);
  return {
    deferred: state.deferredAny,
    ...(state.destinationDead !== undefined ? { destinationDead: state.destinationDead } : {}),
  };
}

/** smtp_cache_policy(): smtp_connection_cache_on_demand with qmgr's CONN_FETCH/CONN_STORE
 *  flags, or the request nexthop's domain (without [] and :port) listed in
 *  smtp_connection_cache_destinations (always cached). Any TLS level may cache: the TLS
 *  level is part of the endpoint label, and connections that did STARTTLS are not kept. */
function cachingFor(options: ClientOptions, settings: ClientSettings, request: DeliveryRequest): Caching | undefined {
  if (options.cache === undefined) return undefined;
  const limits = settings.connectionCache;
  const firstSite = request.nexthop.split(/[\s,]+/).find((site) => site !== '') ?? '';
  const parsed = parseDestination(firstSite.replace(/^inet:/, ''), settings.defaultPort);
  const domain = ('error' in parsed ? firstSite : parsed.host).toLowerCase();
  const listed = limits.destinations.length > 0 && limits.destinations.includes(domain);
  const fetch = listed || (limits.onDemand && request.flags?.connectionFetch === true);
  const store = listed || (limits.onDemand && request.flags?.connectionStore === true);
  return fetch || store ? { cache: options.cache, fetch, store } : undefined;
}

/** What smtp_connect() does with recipients that no server took. */
async function failLeftovers(attempt: Attempt, sites: readonly string[], nonFallback: number, lastTried: number): Promise<void> {
  const { state, settings, context } = attempt;
  if (state.why.dsn === '') {
    state.fill('4.3.0', 'server unavailable or unable to receive mail');
  } else if (!isSoft(state.why)) {
    if (lastTried >= nonFallback && lastTried >= 0) {
      context.log.warn(`${settings.protocol}_fallback_relay configuration problem`);
      state.why.dsn = '4.3.5';
    } else if (settings.protocol === 'smtp' && sites[0] !== undefined && sites[0] === settings.relayhost) {
      context.log.warn('relayhost configuration problem');
      state.why.dsn = '4.3.5';
    }
  }
  state.finalServer = true;
  state.session = undefined;
  await state.bulkFail(true);
}
