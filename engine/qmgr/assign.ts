// Resolving a message's recipients and sorting them into delivery queue entries: a
// redirect_to record replaces the first pending recipient's address and drops the rest, a
// content_filter record sends every recipient to the filter's transport:nexthop unresolved;
// otherwise each recipient goes through trivial-rewrite's resolve; a failure is redirected to the retry
// transport ("4.3.0 address resolver failure"), a malformed address or an empty one to the
// error transport, a message postsuper force-expired to retry ("4.7.0 message is
// administratively expired"), defer_transports to retry ("4.3.2 deferred transport"), mail for the
// double-bounce address is discarded, and a recipient for a dead destination is deferred.
// The rest are sorted (transport, queue, domain, address) and grouped into entries of at
// most <transport>_destination_recipient_limit recipients.
// Called by api.ts when a message enters the active queue. Trusts the rewrite endpoint.
// Models src/qmgr/qmgr_message.c (qmgr_resolve_one, qmgr_message_resolve,
// qmgr_message_sort_compare, qmgr_message_assign).

import type { DeliveryRecipient, Resolution } from '../master/contracts.ts';
import type { QueueRecipient } from '../global/queue/queue-file.ts';
import { destinationName, type DestinationQueue, type QueueEntry, type TransportQueues } from './destinations.ts';
import { buildRequest, qmgrStatus, NO_RELAY } from './delivery.ts';
import type { ActiveMessage, QmgrEnvironment } from './environment.ts';
import { TraceFlag } from './message.ts';
import type { QmgrSettings } from './settings.ts';

export interface Route {
  transport: string;
  nexthop: string;
  address: string;
  addressClass: string;
}

const redirect = (transport: 'error' | 'retry', text: string, address: string): Route =>
  ({ transport, nexthop: text, address, addressClass: 'default' });

/** qmgr_resolve_one: the resolver's answer, or a redirect to retry/error when it fails.
 *  Not an async function: the answer (a promise, or a cached Resolution, which an await
 *  wrapped in a settled promise) with one reaction answers after the same turns as an
 *  async function that awaited it, without its frame and the await's closures. */
function resolveOne(environment: QmgrEnvironment, message: ActiveMessage, address: string): Promise<Route> {
  let resolving: Promise<Resolution> | Resolution;
  try {
    resolving = environment.rewrite.resolve(message.loaded.sender, address);
  } catch {
    return Promise.resolve(redirect('retry', '4.3.0 address resolver failure', address));
  }
  return Promise.resolve(resolving).then((resolution) => routeOfResolution(resolution, address),
    () => redirect('retry', '4.3.0 address resolver failure', address));
}

function routeOfResolution(resolution: Resolution, address: string): Route {
  if (resolution.flags.includes('fail')) return redirect('retry', '4.3.0 address resolver failure', address);
  if (resolution.flags.includes('error')) return redirect('error', '5.1.3 bad address syntax', address);
  return { transport: resolution.transport, nexthop: resolution.nexthop, address: resolution.recipient, addressClass: resolution.addressClass };
}

/** A redirect_to address in canonical form (rewrite_clnt_internal(REWRITE_CANON)), then
 *  resolved as any recipient. */
async function redirectRoute(environment: QmgrEnvironment, message: ActiveMessage, target: string): Promise<Route> {
  let address: string;
  try {
    address = await environment.rewrite.rewrite('local', target);
  } catch {
    return redirect('retry', '4.3.0 address resolver failure', target);
  }
  return resolveOne(environment, message, address);
}

/** Verification probes (sendmail -bv) are not sent through a content filter
 *  (DEL_REQ_TRACE_ONLY_MASK). */
const TRACE_ONLY_FLAGS = TraceFlag.mtaVerify | TraceFlag.userVerify;

/** A content filter overrides the resolver: "transport:nexthop", or "transport" alone with
 *  default_filter_nexthop, else the recipient's domain, else myhostname as the nexthop. The
 *  address is not rewritten and has no address class. */
export function filterRoute(filter: string, address: string, settings: Pick<QmgrSettings, 'defaultFilterNexthop' | 'myHostname'>): Route {
  const colon = filter.indexOf(':');
  const transport = colon < 0 ? filter : filter.slice(0, colon);
  let nexthop = colon < 0 ? '' : filter.slice(colon + 1);
  if (nexthop === '') nexthop = settings.defaultFilterNexthop;
  if (nexthop === '') {
    const at = address.lastIndexOf('@');
    nexthop = at >= 0 && at < address.length - 1 ? address.slice(at + 1) : settings.myHostname;
  }
  return { transport, nexthop, address, addressClass: 'default' };
}

/** qmgr_message_resolve's choice for one recipient: redirect_to overrides all, then a
 *  content filter, then the resolver; then the null address, a forced expiry and
 *  defer_transports redirect it to the error or retry transport. Not an async function:
 *  the route's promise with one reaction (a settled one for a content filter's route)
 *  answers after the same turns as an async function that awaited it. */
export function routeRecipient(environment: QmgrEnvironment, message: ActiveMessage, address: string): Promise<Route> {
  try {
    const { loaded } = message;
    const settings = environment.settings();
    if (loaded.redirect !== undefined) return redirectRoute(environment, message, loaded.redirect).then((route) => finalRoute(message, settings, route));
    if (loaded.filter !== undefined && (loaded.traceFlags & TRACE_ONLY_FLAGS) === 0) {
      return Promise.resolve(finalRoute(message, settings, filterRoute(loaded.filter, address, settings)));
    }
    return resolveOne(environment, message, address).then((route) => finalRoute(message, settings, route));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** routeRecipient's redirects of a route: the null address, a forced expiry, defer_transports. */
function finalRoute(message: ActiveMessage, settings: QmgrSettings, found: Route): Route {
  let route = found;
  if (route.address === '') route = redirect('error', '5.1.3 null recipient address', route.address);
  if (message.forceExpire) route = redirect('retry', '4.7.0 message is administratively expired', route.address);
  if (!message.flushDeferTransports && settings.deferTransports.includes(route.transport)) {
    return redirect('retry', '4.3.2 deferred transport', route.address);
  }
  return route;
}

/** Whether a local recipient is the double-bounce address (its mail is dropped). */
function isDoubleBounce(route: Route, doubleBounceSender: string): boolean {
  if (route.addressClass !== 'local') return false;
  const at = route.address.lastIndexOf('@');
  const local = at < 0 ? route.address : route.address.slice(0, at);
  return local.toLowerCase() === doubleBounceSender.toLowerCase();
}

interface Placed {
  recipient: DeliveryRecipient;
  queue: DestinationQueue<ActiveMessage>;
}

function compareAddresses(left: string, right: string): number {
  const leftAt = left.lastIndexOf('@');
  const rightAt = right.lastIndexOf('@');
  if (leftAt < 0 && rightAt >= 0) return 1;
  if (leftAt >= 0 && rightAt < 0) return -1;
  if (leftAt >= 0 && rightAt >= 0) {
    const leftDomain = left.slice(leftAt).toLowerCase();
    const rightDomain = right.slice(rightAt).toLowerCase();
    if (leftDomain !== rightDomain) return leftDomain < rightDomain ? -1 : 1;
  }
  return left === right ? 0 : left < right ? -1 : 1;
}

/** qmgr_message_sort_compare for recipients that have a queue. */
function comparePlaced(left: Placed, right: Placed): number {
  const transport = compare(left.queue.transport.name, right.queue.transport.name);
  if (transport !== 0) return transport;
  const queue = compare(left.queue.name, right.queue.name);
  if (queue !== 0) return queue;
  return compareAddresses(left.recipient.address, right.recipient.address);
}

const compare = (left: string, right: string): number => (left === right ? 0 : left < right ? -1 : 1);

export interface AssignContext {
  environment: QmgrEnvironment;
  transport(name: string): TransportQueues<ActiveMessage>;
  /** Retry agent present: dead destinations' recipients go there, else qmgr defers them. */
  hasRetryAgent(): boolean;
  /** The next entry's QueueEntry.order. */
  nextEntryOrder(): number;
}

function deliveryRecipient(recipient: QueueRecipient, address: string): DeliveryRecipient {
  const result: DeliveryRecipient = {
    address,
    originalRecipient: recipient.originalRecipient ?? recipient.address,
    offset: recipient.offset,
    dsnNotify: recipient.dsnNotify ?? 0,
  };
  if (recipient.dsnOriginalRecipient !== undefined) result.dsnOriginalRecipient = recipient.dsnOriginalRecipient;
  return result;
}

/** Resolves and assigns every pending recipient; returns the new entries (already queued
 *  on their destinations). Recipients qmgr disposes of itself are reported here. */
export async function assignRecipients(context: AssignContext, message: ActiveMessage): Promise<QueueEntry<ActiveMessage>[]> {
  const { environment } = context;
  const settings = environment.settings();
  const placed: Placed[] = [];
  // With redirect_to only the first pending recipient in sorted order (qmgr_message_sort
  // runs before the resolve) is delivered, to the new address; the rest go when the file
  // is removed (qmgr_message_resolve: "only once per entire message").
  const pending = message.loaded.recipients;
  const recipients = message.loaded.redirect === undefined ? pending
    : [...pending].sort((left, right) => compareAddresses(left.address, right.address)).slice(0, 1);
  for (const recipient of recipients) {
    const route = await routeRecipient(environment, message, recipient.address);
    const target = deliveryRecipient(recipient, route.address);
    if (isDoubleBounce(route, settings.doubleBounceSender)) {
      const request = buildRequest(environment, message, route.transport, route.nexthop, [target]);
      const status = { ...qmgrStatus(target, '2.0.0', 'undeliverable postmaster notification discarded', false), action: 'delivered' as const };
      // sent() failed (trace service): the recipient stays to do and the message deferred.
      if ((await environment.report.sent(request, status)) === false) message.deferred = true;
      continue;
    }
    let transport = context.transport(route.transport);
    let queue = transport.queue(destinationName(route.transport, transport.recipientLimit, route.address, route.nexthop, settings.recipientDelimiters), route.nexthop);
    if (queue.dead !== undefined) {
      const dead = queue.dead;
      if (!context.hasRetryAgent() || route.transport === 'retry') {
        const request = buildRequest(environment, message, route.transport, route.nexthop, [target]);
        await environment.report.deferred(request, qmgrStatus(target, dead.dsn, dead.reason, false));
        message.deferred = true;
        continue;
      }
      transport = context.transport('retry');
      const text = `${dead.dsn} ${dead.reason}`;
      queue = transport.queue(text.toLowerCase(), text);
    }
    placed.push({ recipient: target, queue });
  }
  placed.sort(comparePlaced);
  const entries: QueueEntry<ActiveMessage>[] = [];
  let last: QueueEntry<ActiveMessage> | undefined;
  for (const { recipient, queue } of placed) {
    const limit = queue.transport.recipientLimit;
    if (last === undefined || last.destination !== queue || (limit !== 0 && last.recipients.length >= limit)) {
      last = { message, destination: queue, recipients: [], order: context.nextEntryOrder() };
      entries.push(last);
      queue.todo.push(last);
    }
    last.recipients.push(recipient);
  }
  return entries;
}

export { NO_RELAY };
