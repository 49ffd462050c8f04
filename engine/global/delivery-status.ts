// The delivery-status library every delivery agent (and qmgr) calls for each recipient's
// outcome: it logs the "to=<...>, relay=..., delay=..., delays=a/b/c/d, dsn=..., status=..."
// line (as a 'delivery.status' trace event), appends to the per-message defer/bounce/trace
// log through the bounce service, and marks a finished recipient done in the queue file.
// Called by engine/local, engine/virtual, engine/error, engine/discard, engine/pipe and
// engine/smtp from inside deliver(), and by qmgr for recipients it fails itself; sent and
// bounce answer false when a bounce/defer/trace service failure left the recipient to do,
// and the agent then reports the request deferred (Postfix's non-zero status). Trusts
// the request qmgr built; the DSN code is checked and replaced when its class is wrong.
// Models Postfix's src/global/sent.c, defer.c (defer_append), bounce.c (bounce_append),
// trace.c (trace_append), log_adhoc.c (the delays) and deliver_completed.c.

import type { DeliveryRequest, RecipientStatus, ServiceContext, ServiceTraceInput } from '../master/contracts.ts';
import type { FileHandle } from '../platform/types.ts';
import type { DeliveryDelays, DeliveryStatusName } from './trace-pipeline.ts';
import { markRecipientDone } from './queue/queue-file.ts';
import { noteDeferredRecipient } from '../flush/client.ts';

/** Time stamps an agent may pass (all milliseconds on the platform clock), Postfix's
 *  MSG_STATS: when the agent got the request, when its connection was set up (smtp,
 *  lmtp), and when delivery finished (so that a multi-recipient delivery logs the same
 *  delays for every recipient). `extra` is inserted after relay= (", conn_use=2"). */
export interface DeliveryTimings {
  agentHandoffMs?: number;
  connectionSetupDoneMs?: number;
  deliverDoneMs?: number;
  extra?: string;
}

/** The trace input of one kind, as a service hands it to context.trace(). */
type TraceInputOf<K extends ServiceTraceInput['kind']> = Extract<ServiceTraceInput, { kind: K }>;

/** Postfix's NO_RELAY_AGENT: trace records do not say "delivery via none". */
const NO_RELAY_AGENT = 'none';

/** DSN NOTIFY=SUCCESS (dsn_mask.h) and DELAY. */
const DSN_NOTIFY_SUCCESS = 2;
const DSN_NOTIFY_DELAY = 8;

const MICROSECONDS_PER_SECOND = 1_000_000;

/** When a request reached its agent (deliver_request_get() stamps agent_handoff): a
 *  property of the request under a private symbol (JSON, structured clones and key lists
 *  do not see it), cheaper than a WeakMap entry per delivery attempt. */
const AGENT_HANDOFF_MS: unique symbol = Symbol('agentHandoffMs');
type StampedRequest = DeliveryRequest & { [AGENT_HANDOFF_MS]?: number };

/** A delivery agent calls this as it starts on a request, so that delays= splits the time
 *  in the active queue (b) from the delivery itself (d). Without it, b covers both. */
export function noteAgentHandoff(context: ServiceContext, request: DeliveryRequest): void {
  (request as StampedRequest)[AGENT_HANDOFF_MS] = context.host.platform.clock.nowMs();
}

/** Microseconds between two stamps, never negative (log_adhoc.c's DELTA). */
function deltaSeconds(laterMicroseconds: number, earlierMicroseconds: number): number {
  return Math.max(0, laterMicroseconds - earlierMicroseconds) / MICROSECONDS_PER_SECOND;
}

const toMicroseconds = (milliseconds: number): number => Math.round(milliseconds * 1000);

/** delay= and delays=a/b/c/d as log_adhoc() computes them: a = before the active queue,
 *  b = in the active queue until the agent took over, c = connection set-up, d = the
 *  transmission. A stamp of 0 means "not stamped" (Postfix's TIME_STAMPED). */
export function computeDelays(request: DeliveryRequest, nowMs: number, timings: DeliveryTimings = {}):
  { delaySeconds: number; delays: DeliveryDelays } {
  const arrival = request.arrivalTime.seconds * MICROSECONDS_PER_SECOND + request.arrivalTime.microseconds;
  const now = toMicroseconds(timings.deliverDoneMs ?? nowMs);
  const delays: DeliveryDelays = { beforeActiveSeconds: 0, inActiveSeconds: 0, connectionSetupSeconds: 0, transmissionSeconds: 0 };
  const handoffMs = timings.agentHandoffMs ?? (request as StampedRequest)[AGENT_HANDOFF_MS];
  if (request.activeSinceMs > 0) {
    const active = toMicroseconds(request.activeSinceMs);
    delays.beforeActiveSeconds = deltaSeconds(active, arrival);
    if (handoffMs !== undefined && handoffMs > 0) {
      const handoff = toMicroseconds(handoffMs);
      delays.inActiveSeconds = deltaSeconds(handoff, active);
      if (timings.connectionSetupDoneMs !== undefined && timings.connectionSetupDoneMs > 0) {
        const setup = toMicroseconds(timings.connectionSetupDoneMs);
        delays.connectionSetupSeconds = deltaSeconds(setup, handoff);
        delays.transmissionSeconds = deltaSeconds(now, setup);
      } else {
        delays.transmissionSeconds = deltaSeconds(now, handoff);
      }
    } else {
      delays.inActiveSeconds = deltaSeconds(now, active);
    }
  } else {
    delays.beforeActiveSeconds = deltaSeconds(now, arrival);
  }
  return { delaySeconds: deltaSeconds(now, arrival), delays };
}

/** dsn_valid(): "d.ddd.ddd" with a class digit 2, 4 or 5. */
export function isValidDsn(code: string): boolean {
  // /^[245]\.\d{1,3}\.\d{1,3}$/ with a plain scan (called for every recipient status).
  const length = code.length;
  if (length < 5 || length > 9) return false;
  const first = code.charCodeAt(0);
  if ((first !== 0x32 && first !== 0x34 && first !== 0x35) || code.charCodeAt(1) !== 0x2e) return false;
  let at = 2;
  for (let part = 0; part < 2; part++) {
    const start = at;
    while (at < length && at - start < 4) {
      const character = code.charCodeAt(at);
      if (character < 0x30 || character > 0x39) break;
      at++;
    }
    const digits = at - start;
    if (digits < 1 || digits > 3) return false;
    if (part === 0) {
      if (code.charCodeAt(at) !== 0x2e) return false;
      at++;
    }
  }
  return at === length;
}

/** Emits the maillog line's event (log_adhoc()). */
function logDelivery(context: ServiceContext, request: DeliveryRequest, status: RecipientStatus,
  statusName: DeliveryStatusName, timings: DeliveryTimings | undefined): void {
  const { delaySeconds, delays } = computeDelays(request, context.host.platform.clock.nowMs(), timings);
  const recipient = status.recipient;
  const original = recipient.originalRecipient;
  // (Mostly the very same text: compared as it is before both are lowercased.)
  const differs = original !== '' && original !== recipient.address && original.toLowerCase() !== recipient.address.toLowerCase();
  // Two literals instead of conditional spreads (one event per recipient and attempt): the
  // keys keep their order, originalRecipient after recipient and extra last.
  const input: TraceInputOf<'delivery.status'> = differs
    ? { kind: 'delivery.status', queueId: request.queueId, recipient: recipient.address, originalRecipient: original,
      relay: status.relay, delaySeconds, delays, dsn: status.dsn, status: statusName, text: status.reason }
    : { kind: 'delivery.status', queueId: request.queueId, recipient: recipient.address,
      relay: status.relay, delaySeconds, delays, dsn: status.dsn, status: statusName, text: status.reason };
  if (timings?.extra !== undefined) input.extra = timings.extra;
  context.trace(input);
}

/** A service that never answered (engine/bounce/process-start.ts) gives the warning the
 *  client library logs, e.g. "write private/bounce socket: Connection timed out". */
function logClientWarning(context: ServiceContext, error: unknown): void {
  const warning = (error as { clientWarning?: unknown } | undefined)?.clientWarning;
  if (typeof warning === 'string') context.log.warn(warning);
}

/** Appends to trace/ID (trace_append()): the reason says which relay delivered. */
async function appendTrace(context: ServiceContext, request: DeliveryRequest, status: RecipientStatus): Promise<boolean> {
  const reason = status.relay === NO_RELAY_AGENT ? status.reason : `delivery via ${status.relay}: ${status.reason}`;
  try {
    await context.runtime.bounce().append('trace', request.queueId, { ...status, reason });
    return true;
  } catch (error) {
    logClientWarning(context, error);
    context.log.warn(`${request.queueId}: trace service failure`);
    return false;
  }
}

/** deliver_completed(): the recipient record becomes a done record, in place. An agent
 *  that holds the queue file open read-write (smtp, as Postfix's deliver_request_get()
 *  stream) passes its handle and the mark goes through it; others get a short-lived one. */
async function markDone(context: ServiceContext, request: DeliveryRequest, status: RecipientStatus,
  queueFile?: FileHandle): Promise<void> {
  const offset = status.recipient.offset;
  if (offset <= 0) return;
  if (queueFile !== undefined) {
    await markRecipientDone(queueFile, offset);
    return;
  }
  const path = request.queuePath.startsWith('/')
    ? request.queuePath
    : `${context.runtime.queue().queueDirectory}/${request.queuePath}`;
  const handle = await context.host.platform.fs.open(path, 'r+');
  try {
    await markRecipientDone(handle, offset);
  } finally {
    await handle.close();
  }
}

/** The DSN code with a class check: a wrong class is replaced, with Postfix's warning. */
function checkedDsn(context: ServiceContext, caller: string, code: string, wantedClass: string): string {
  if (code.startsWith(wantedClass) && isValidDsn(code)) return code;
  context.log.warn(`${caller}: ignoring dsn code "${code}"`);
  return `${wantedClass}.0.0`;
}

/** sent() + deliver_completed(): the recipient was delivered (or, for sendmail -bv, would be).
 *  False, as sent()'s non-zero result, when the trace service could not record it (sendmail
 *  -bv, -v, DSN NOTIFY=SUCCESS): the recipient was deferred or left as it was, and the
 *  agent must report the request deferred so that qmgr keeps the message. */
export async function reportSent(context: ServiceContext, request: DeliveryRequest, status: RecipientStatus,
  timings?: DeliveryTimings, queueFile?: FileHandle): Promise<boolean> {
  const flags = request.flags ?? {};
  const dsn = checkedDsn(context, 'sent', status.dsn, '2');
  if (flags.verify === true) {
    const verified: RecipientStatus = { ...status, dsn, action: 'deliverable' };
    if (!(await appendTrace(context, request, verified))) return false;
    logDelivery(context, request, verified, 'deliverable', timings);
    await markDone(context, request, status, queueFile);
    return true;
  }
  const delivered: RecipientStatus = { ...status, dsn };
  const notify = status.recipient.dsnNotify;
  const recordAll = flags.record === true;
  const recordDelayed = flags.recordDelayedSent === true && (notify === 0 || (notify & DSN_NOTIFY_DELAY) !== 0);
  const wantsTrace = recordAll || recordDelayed || (notify & DSN_NOTIFY_SUCCESS) !== 0;
  if (wantsTrace && !(await appendTrace(context, request, delivered))) {
    await reportDeferredChecked(context, request,
      { ...status, dsn: '4.3.0', reason: `${request.queueId}: trace service failed` }, timings);
    return false;
  }
  logDelivery(context, request, delivered, 'sent', timings);
  await markDone(context, request, status, queueFile);
  return true;
}

/** defer_append(): the recipient stays in the queue; defer/ID says why. */
export async function reportDeferred(context: ServiceContext, request: DeliveryRequest, status: RecipientStatus,
  timings?: DeliveryTimings): Promise<void> {
  const dsn = checkedDsn(context, 'defer_append', status.dsn, '4');
  await reportDeferredChecked(context, request, dsn === status.dsn ? status : { ...status, dsn }, timings);
}

async function reportDeferredChecked(context: ServiceContext, request: DeliveryRequest, status: RecipientStatus,
  timings: DeliveryTimings | undefined, logStatus: DeliveryStatusName = 'deferred'): Promise<void> {
  if (request.flags?.verify === true) {
    const unverified: RecipientStatus = { ...status, action: 'undeliverable' };
    if (await appendTrace(context, request, unverified)) logDelivery(context, request, unverified, 'undeliverable', timings);
    return;
  }
  const delayed: RecipientStatus = { ...status, action: 'delayed' };
  try {
    await context.runtime.bounce().append('defer', request.queueId, delayed);
  } catch (error) {
    logClientWarning(context, error);
    context.log.warn(`${request.queueId}: defer service failure`);
  }
  logDelivery(context, request, delayed, logStatus, timings);
  if (request.flags?.record === true) await appendTrace(context, request, delayed);
  await noteDeferredRecipient(context, request.queueId, status.recipient.address);
}

/** bounce_append() + deliver_completed(): the recipient failed for good and bounce/ID
 *  gets its record for the non-delivery notice. With soft_bounce = yes the failure is
 *  logged as SOFTBOUNCE and kept for retry (defer/ID, the code's class turned 5 -> 4).
 *  False when the bounce or trace service failed and the recipient was deferred instead,
 *  or (sendmail -bv) its trace record could not be written: bounce_append's non-zero
 *  result, and the agent must report the request deferred so that qmgr keeps it. */
export async function reportBounced(context: ServiceContext, request: DeliveryRequest, status: RecipientStatus,
  timings?: DeliveryTimings, queueFile?: FileHandle): Promise<boolean> {
  const dsn = checkedDsn(context, 'bounce_append', status.dsn, '5');
  if (request.flags?.verify === true) {
    // bounce_append() answers with trace_append()'s result here.
    const unverified: RecipientStatus = { ...status, dsn, action: 'undeliverable' };
    if (!(await appendTrace(context, request, unverified))) return false;
    logDelivery(context, request, unverified, 'undeliverable', timings);
    await markDone(context, request, status, queueFile);
    return true;
  }
  const softBounce = context.config().getBool('soft_bounce');
  const failed: RecipientStatus = softBounce
    ? { ...status, dsn: `4${dsn.slice(1)}`, action: 'delayed' }
    : { ...status, dsn, action: 'failed' };
  let appended = true;
  try {
    await context.runtime.bounce().append(softBounce ? 'defer' : 'bounce', request.queueId, failed);
  } catch (error) {
    logClientWarning(context, error);
    appended = false;
  }
  if (appended && request.flags?.record === true) appended = await appendTrace(context, request, failed);
  if (!appended) {
    await reportDeferredChecked(context, request,
      { ...status, dsn: '4.3.0', reason: 'bounce or trace service failure' }, timings);
    return false;
  }
  logDelivery(context, request, failed, softBounce ? 'SOFTBOUNCE' : 'bounced', timings);
  if (!softBounce) await markDone(context, request, status, queueFile);
  return true;
}

/** The message outlived maximal_queue_lifetime (bounce_queue_lifetime for the null sender):
 *  qmgr logs "from=<...>, status=expired, returned to sender" and the bounce service sends
 *  a non-delivery notice for the recipients in defer/ID (qmgr_active_done's defer_flush).
 *  Returns the notice's queue id, if one was sent. */
export async function reportExpired(context: ServiceContext, message: { queueId: string; queueName: string; sender: string }):
  Promise<string | undefined> {
  context.trace({ kind: 'qmgr.expired', queueId: message.queueId, sender: message.sender });
  return context.runtime.bounce().flushDeferred(message.queueId, message.queueName);
}

/** bounce_append() with BOUNCE_FLAG_CLEAN, as cleanup calls it for a message it rejected
 *  itself (cleanup_bounce.c): the recipient is logged "bounced" once bounce/ID has its
 *  record. False, with nothing recorded or logged but the client library's warning, when
 *  the bounce service failed; and at once, silently, with soft_bounce = yes (there is no
 *  queue file to defer: the client keeps its copy). No done mark: cleanup removes its file. */
export async function reportBouncedByCleanup(context: ServiceContext, request: DeliveryRequest,
  status: RecipientStatus): Promise<boolean> {
  const dsn = checkedDsn(context, 'bounce_append', status.dsn, '5');
  if (context.config().getBool('soft_bounce')) return false;
  const failed: RecipientStatus = { ...status, dsn, action: 'failed' };
  try {
    await context.runtime.bounce().append('bounce', request.queueId, failed);
  } catch (error) {
    logClientWarning(context, error);
    return false;
  }
  logDelivery(context, request, failed, 'bounced', undefined);
  return true;
}

/** bounce_flush() with BOUNCE_FLAG_CLEAN: the non-delivery notice for cleanup's bounce/ID.
 *  False (after the client library's warning, without bounce_flush's "status=deferred
 *  (bounce failed)" line) when the bounce service failed, and with soft_bounce = yes. */
export async function flushBouncesByCleanup(context: ServiceContext, queueId: string, queueName: string,
  headersOnly: boolean): Promise<boolean> {
  if (context.config().getBool('soft_bounce')) return false;
  try {
    await context.runtime.bounce().flushBounces(queueId, queueName, { headersOnly });
    return true;
  } catch (error) {
    logClientWarning(context, error);
    return false;
  }
}
