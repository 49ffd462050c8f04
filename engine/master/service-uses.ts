// The endpoints master hands to callers (cleanup, trivial-rewrite, bounce, delivery agents)
// wrapped so that each client counts as a use of the service's process (service-instance.ts
// beginUse/endUse): a cleanup stream from open() to finish()/abort(), a delivery request, a
// bounce request, a trivial-rewrite client's requests (request()). A process that has
// exited (max_idle, max_use, a reload) is replaced before the call goes on.
// Called by the runtime (runtime.ts). Trusts the wrapped endpoints for the work itself.
// Models what a Postfix client's connect to private/NAME does to a single_server or
// multi_server process (src/master/single_server.c, multi_server.c).

import type {
  BounceEndpoint, CleanupEndpoint, CleanupStream, DeliveryAgentEndpoint, RewriteEndpoint,
} from './contracts.ts';
import type { ServiceInstance } from './service-instance.ts';

/** Runs call as one use. A living process's call starts in this turn and the caller gets
 *  its own promise (the use ends in a handler registered before the caller's), so the
 *  order of events is the same as without the count. */
function asOneUse<T>(instance: ServiceInstance, call: () => Promise<T>): Promise<T> {
  const waiting = instance.beginUse();
  const end = (): void => instance.endUse();
  if (waiting !== undefined) {
    const result = waiting.then(call);
    result.then(end, end);
    return result;
  }
  let result: Promise<T>;
  try {
    result = call();
  } catch (error) {
    end();
    throw error;
  }
  result.then(end, end);
  return result;
}

/** The stream's use ends once, at finish() or abort() (patched in place, before the
 *  caller of open() sees the stream). */
function endingUse(stream: CleanupStream, instance: ServiceInstance): void {
  let open = true;
  const end = (): void => {
    if (!open) return;
    open = false;
    instance.endUse();
  };
  const finish = stream.finish.bind(stream);
  const abort = stream.abort.bind(stream);
  stream.finish = () => {
    const result = finish();
    result.then(end, end);
    return result;
  };
  stream.abort = () => {
    const result = abort();
    result.then(end, end);
    return result;
  };
}

export function cleanupUses(instance: ServiceInstance, endpoint: CleanupEndpoint): CleanupEndpoint {
  return {
    open: (client, flags) => {
      const waiting = instance.beginUse();
      const result = waiting === undefined ? endpoint.open(client, flags) : waiting.then(() => endpoint.open(client, flags));
      result.then((stream) => endingUse(stream, instance), () => instance.endUse());
      return result;
    },
  };
}

export function rewriteUses(instance: ServiceInstance, endpoint: RewriteEndpoint): RewriteEndpoint {
  return {
    rewrite: (context, address) => {
      const waiting = instance.request();
      return waiting === undefined ? endpoint.rewrite(context, address) : waiting.then(() => endpoint.rewrite(context, address));
    },
    resolve: (sender, address) => {
      const waiting = instance.request();
      return waiting === undefined ? endpoint.resolve(sender, address) : waiting.then(() => endpoint.resolve(sender, address));
    },
  };
}

export function bounceUses(instance: ServiceInstance, endpoint: BounceEndpoint): BounceEndpoint {
  return {
    append: (log, queueId, status) => asOneUse(instance, () => endpoint.append(log, queueId, status)),
    flushBounces: (queueId, queueName, options) => asOneUse(instance, () => endpoint.flushBounces(queueId, queueName, options)),
    flushDeferred: (queueId, queueName) => asOneUse(instance, () => endpoint.flushDeferred(queueId, queueName)),
    warnDelayed: (queueId, queueName) => asOneUse(instance, () => endpoint.warnDelayed(queueId, queueName)),
    flushTrace: (queueId, queueName) => asOneUse(instance, () => endpoint.flushTrace(queueId, queueName)),
  };
}

export function deliveryUses(instance: ServiceInstance, endpoint: DeliveryAgentEndpoint): DeliveryAgentEndpoint {
  return { deliver: (request) => asOneUse(instance, () => endpoint.deliver(request)) };
}
