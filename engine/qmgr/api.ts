// qmgr's callable core (CONVENTIONS.md rule 1): the queue manager of one host. It moves
// files from incoming/ (on a trigger) and from deferred/ (every queue_run_delay, only those
// whose next attempt time has come; all of them on a flush) into active/, up to
// qmgr_message_active_limit at once; reads each, logs "from=<...>, size=N, nrcpt=N (queue
// active)", resolves and groups its recipients, and hands them to the delivery agents
// within each destination's concurrency window. When a message's last delivery returns it
// is removed, or bounced/expired/warned and moved to deferred/ (finish.ts). At start, files
// left in active/ by a crash go back to incoming/; unreadable files go to corrupt/.
// Everything waits through platform timers; every loop has a named bound.
// Called by service.ts (qmgrProgram) and tests. Trusts its QmgrEnvironment.
// Models src/qmgr/qmgr.c (qmgr_loop, qmgr_trigger_event, qmgr_deferred_run_event,
// qmgr_post_init), qmgr_active.c (qmgr_active_feed) and qmgr_move.c.

import type { Cancel, FileStat } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import { queueFilePath, renameQueueFile, type MailQueue } from '../global/queue/mail-queue.ts';
import { readQueueFile } from '../global/queue/queue-file.ts';
import { QUEUE_STAT_EXPIRE } from '../global/queue/scan-dir.ts';
import type { TriggerReason } from '../master/contracts.ts';
import { assignRecipients, type AssignContext } from './assign.ts';
import { buildRequest, deferAll, runDelivery } from './delivery.ts';
import { TransportQueues, type DestinationQueue, type QueueEntry } from './destinations.ts';
import type { ActiveMessage, QmgrEnvironment } from './environment.ts';
import { finishMessage, releaseHandle, SETTLED_TURN, moveMessage, saveCorrupt } from './finish.ts';
import { handleSource, loadMessage } from './message.ts';
import { checkOpenable, listQueueIds, LISTING_NEEDED, QueueScan } from './queue-scan.ts';
import {
  forgetNextAttempt, isDue, mirrorFileTime, NextAttemptCache, registerNextAttemptCache, storeNextAttempt, storedNextAttempt,
} from './retry-time.ts';

export type { QmgrEnvironment, RecipientReporter, ActiveMessage } from './environment.ts';
export { readQmgrSettings, defaultQmgrSettings, type QmgrSettings } from './settings.ts';
export { backoffSeconds, storedNextAttempt, NEXT_ATTEMPT_ATTRIBUTE } from './retry-time.ts';

/** Rounds of feed-and-dispatch one wake-up may run before yielding to a timer. */
export const PUMP_ROUNDS_MAX = 10_000;
/** Files moved at start-up from active/ back to incoming/. */
export const RECOVERY_FILES_MAX = 100_000;

/** MICROTASK_TURNS: a file qmgr feeds, and a round that finds nothing, take as many
 *  microtask turns as they did when each scan was asked with an await, so that the work
 *  of a fed message interleaves with other messages' work (and same-millisecond trace
 *  events and maillog lines come) as they always did. A deferred file passed over
 *  because its remembered time is still ahead takes no turn (PASSED_OVER): that is the
 *  deferred scan's common case, every file every queue_run_delay. */
const MICROTASK_TURNS_MAX = 4;

/** What a turn awaits: one settled promise for all of them. */
const SETTLED: Promise<void> = Promise.resolve();
/** feedOne's answer when the active queue is full: the pump's await of a settled promise
 *  takes the same one turn as its await of a plain boolean did, without a new promise. */
const SETTLED_FALSE: Promise<boolean> = Promise.resolve(false);
/** feedOne's answer for a deferred id passed over because its remembered next attempt
 *  time is still ahead (Postfix's qmgr looks at the file's mtime and goes on to the next
 *  one in the same loop, with no other work in between): the pump takes no turn for it. */
const PASSED_OVER = true;

const SCAN_INCOMING = 0;
const SCAN_DEFERRED = 1;

export class QueueManager {
  private readonly scans: [QueueScan, QueueScan];
  private readonly transports = new Map<string, TransportQueues<ActiveMessage>>();
  private readonly messages = new Map<string, ActiveMessage>();
  private firstScan = SCAN_INCOMING;
  private pumping = false;
  private pumpWanted = false;
  /** Some destination's list, window, busy count or life changed since the last dispatch
   *  (dispatch on unchanged state starts nothing and prunes nothing). */
  private dispatchWanted = true;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private cancelDeferredRun: Cancel | undefined;
  private idleWaiters: Array<() => void> = [];
  /** QueueEntry.order of the next entry made. */
  private entriesMade = 0;
  /** The entries one dispatch starts (reused; empty between dispatches). */
  private readonly startable: QueueEntry<ActiveMessage>[] = [];
  /** Deferred files' stored next attempt times, so that a scan need not re-read them. */
  private readonly nextAttempts = new NextAttemptCache();
  private readonly unregisterNextAttempts: () => void;
  private readonly assignContext: AssignContext;

  constructor(private readonly environment: QmgrEnvironment) {
    const { queue } = environment;
    this.scans = [
      new QueueScan('incoming', () => listQueueIds(queue.fs, queue.queueDirectory, 'incoming')),
      new QueueScan('deferred', async () => {
        const ids = await listQueueIds(queue.fs, queue.queueDirectory, 'deferred');
        this.nextAttempts.retain(ids);
        return ids;
      }),
    ];
    this.unregisterNextAttempts = registerNextAttemptCache(queue.fs, this.nextAttempts);
    this.assignContext = {
      environment,
      transport: (name) => this.transport(name),
      hasRetryAgent: () => environment.deliveryAgent('retry') !== undefined,
      nextEntryOrder: () => this.entriesMade++,
    };
  }

  /** qmgr_post_init: recover active/, then scan incoming and deferred, and every
   *  queue_run_delay after that. */
  async start(): Promise<void> {
    await recoverActiveQueue(this.environment);
    this.scans[SCAN_INCOMING].request();
    this.deferredRun();
  }

  /** A trigger from master: cleanup's "scan incoming", postqueue -f's flush. */
  wake(reason: TriggerReason): void {
    if (this.stopped) return;
    if (reason === 'flush-deferred') {
      this.reviveAll();
      this.scans[SCAN_DEFERRED].request({ all: true, flushDeferTransports: true });
      this.scans[SCAN_INCOMING].request({ flushDeferTransports: true });
    } else if (reason === 'flush-dead') {
      // QMGR_REQ_FLUSH_DEAD (the flush service, for ETRN and postqueue -s): forget every
      // dead destination now; the next scans also deliver defer_transports mail. It starts
      // no scan itself: the flush service's own trigger does.
      this.reviveAll();
      this.scans[SCAN_DEFERRED].modify({ flushDeferTransports: true });
      this.scans[SCAN_INCOMING].modify({ flushDeferTransports: true });
    } else {
      this.scans[SCAN_INCOMING].request();
    }
    this.kick();
  }

  /** qmgr_enable_all: every throttled destination works again. */
  private reviveAll(): void {
    this.dispatchWanted = true;
    for (const transport of this.transports.values()) for (const queue of transport.queues.values()) queue.revive();
  }

  /** Stops scanning and waits for deliveries in progress to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unregisterNextAttempts();
    this.cancelDeferredRun?.();
    for (const transport of this.transports.values()) for (const queue of transport.queues.values()) queue.cancelRevive?.();
    await Promise.all([...this.inFlight]);
    // Messages still waiting for a delivery agent keep their file in active/ (the next qmgr
    // feeds it again); the descriptors qmgr held for them go, as at Postfix's qmgr exit.
    for (const message of this.messages.values()) releaseHandle(message);
  }

  /** Messages in the active queue (for tests and the UI). */
  get activeCount(): number { return this.messages.size; }

  /** Resolves when nothing is being fed or delivered. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return !this.pumping && this.inFlight.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /** qmgr_deferred_run_event: scan deferred now and again after queue_run_delay. */
  private deferredRun(): void {
    if (this.stopped) return;
    this.scans[SCAN_DEFERRED].request();
    this.kick();
    const delayMs = Math.max(1, this.environment.settings().queueRunDelaySeconds) * 1000;
    this.cancelDeferredRun = this.environment.timers.after(delayMs, () => this.deferredRun());
  }

  private kick(): void {
    this.pumpWanted = true;
    this.dispatchWanted = true;
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    void this.pump().catch((error: unknown) => {
      this.environment.warn(`qmgr: ${error instanceof Error ? error.message : String(error)}`);
    }).finally(() => {
      this.pumping = false;
      if (this.pumpWanted && !this.stopped) this.environment.timers.after(0, () => this.kick());
      this.notifyIdle();
    });
  }

  /** qmgr_loop, repeated while there is work: feed one message, then start deliveries. */
  private async pump(): Promise<void> {
    for (let round = 0; round < PUMP_ROUNDS_MAX && this.pumpWanted && !this.stopped; round++) {
      this.pumpWanted = false;
      const feeding = this.feedOne();
      // A deferred id passed over is no file operation: the round goes on without a turn.
      const fed = feeding === PASSED_OVER ? true : await feeding;
      if (this.dispatchWanted) this.dispatch();
      if (fed) this.pumpWanted = true;
    }
  }

  /** Takes the next id from the scans, incoming and deferred in turn; true when one was
   *  looked at (fed or passed over), so that the caller goes on. The scans are asked
   *  without an await unless one must list its directory. */
  private feedOne(): typeof PASSED_OVER | Promise<boolean> {
    if (this.messages.size >= this.environment.settings().activeMessagesMax) return SETTLED_FALSE;
    for (let index = 0; index < this.scans.length; index++) {
      const scanIndex = (this.firstScan + index) % this.scans.length;
      const id = this.scans[scanIndex as 0 | 1].nextListed();
      if (id === LISTING_NEEDED) return this.feedOneListing(index);
      if (id === undefined) continue;
      const scan = this.take(scanIndex, id);
      return scan === undefined ? PASSED_OVER : this.feedAfterTurns(scan, id, index + 1);
    }
    return this.afterTurns(false, this.scans.length);
  }

  /** feedOne from the scan at `first` on, listing a directory where a scan (re)starts. */
  private async feedOneListing(first: number): Promise<boolean> {
    for (let turn = 0; turn < Math.min(first, this.scans.length); turn++) await SETTLED;
    for (let index = first; index < this.scans.length; index++) {
      const scanIndex = (this.firstScan + index) % this.scans.length;
      const id = await this.scans[scanIndex as 0 | 1].next();
      if (id === undefined) continue;
      const scan = this.take(scanIndex, id);
      if (scan === undefined) return true;
      await this.feed(scan, id);
      return true;
    }
    return false;
  }

  /** Moves the turn on past the scan that gave `id`; its scan when the id is to be fed,
   *  undefined when it is known not to be due. */
  private take(scanIndex: number, id: string): QueueScan | undefined {
    const scan = this.scans[scanIndex as 0 | 1];
    this.firstScan = (scanIndex + 1) % this.scans.length;
    return this.isKnownNotDue(scan, id) ? undefined : scan;
  }

  /** Feeds an id after `turnsOwed` microtask turns, one for each scan asked without an
   *  await (see MICROTASK_TURNS). */
  private async feedAfterTurns(scan: QueueScan, id: string, turnsOwed: number): Promise<boolean> {
    for (let turn = 0; turn < Math.min(turnsOwed, this.scans.length); turn++) await SETTLED;
    await this.feed(scan, id);
    return true;
  }

  /** `value`, to a caller that awaits it, after `turns` microtask turns and the turn of
   *  this function's own return (feedOne's, before). */
  private async afterTurns(value: boolean, turns: number): Promise<boolean> {
    for (let turn = 0; turn < Math.min(turns, MICROTASK_TURNS_MAX); turn++) await SETTLED;
    return value;
  }

  /** A deferred file whose remembered next attempt time is still ahead is passed over
   *  without being opened or stat'ed (retry-time.ts says why that is safe). */
  private isKnownNotDue(scan: QueueScan, id: string): boolean {
    if (scan.queueName !== 'deferred' || scan.all || this.messages.has(id)) return false;
    return this.nextAttempts.isKnownNotDue(id, Math.floor(this.environment.clock.nowMs() / 1000));
  }

  /** qmgr_active_feed: check, move to active/, read, log, assign. */
  private async feed(scan: QueueScan, id: string): Promise<void> {
    const { environment } = this;
    this.dispatchWanted = true;
    if (this.messages.has(id)) return;
    const path = queueFilePath(environment.queue, scan.queueName, id);
    const openable = await checkOpenable(environment.queue.fs, path);
    if (!openable.ok) {
      if (openable.warning !== undefined) environment.warn(openable.warning);
      return;
    }
    if (scan.queueName === 'deferred' && !scan.all) {
      // A remembered time is known without reading the file: no function to return from.
      const remembered = this.nextAttempts.lookup(id, openable.stat);
      const due = remembered !== undefined ? isDue(remembered.seconds, Math.floor(environment.clock.nowMs() / 1000))
        : await this.isDueNow(id, path, openable.stat);
      if (!due) return;
    }
    if (!(await moveMessage(environment, id, scan.queueName, 'active'))) return;
    const activeSinceMs = environment.clock.nowMs();
    // Opened read-write, as qmgr_message_open does, and kept while the message is in core:
    // the deferral writes its next attempt time through it (finish.ts).
    const handle = await environment.queue.fs.open(queueFilePath(environment.queue, 'active', id), 'r+');
    let result;
    try {
      result = await loadMessage(handle, queueFilePath(environment.queue, 'active', id), id);
    } catch (error) {
      await handle.close();
      throw error;
    }
    // A loaded message keeps the file open: a settled turn in place of the close.
    if (result.kind !== 'loaded') await handle.close();
    else await SETTLED_TURN;
    const opened = result.kind === 'loaded'
      ? { sender: result.message.sender, contentLength: result.message.contentLength, recipientCount: result.message.recipientCount }
      : result.opened;
    if (opened !== undefined) {
      environment.trace({ kind: 'qmgr.active', queueId: id, sender: opened.sender, size: opened.contentLength, recipients: opened.recipientCount });
    }
    for (const warning of result.warnings) environment.warn(warning);
    if (result.kind === 'corrupt') {
      await saveCorrupt(environment, id, result.warnings.join('; '));
      return;
    }
    const message: ActiveMessage = {
      queueId: id, loaded: result.message, activeSinceMs, pendingEntries: 0, deferred: false,
      flushDeferTransports: scan.flushDeferTransports,
      forceExpire: (openable.stat.mode & QUEUE_STAT_EXPIRE) !== 0,
      fedFile: { ino: openable.stat.ino, size: openable.stat.size },
      handle,
    };
    this.messages.set(id, message);
    // qmgr_message_alloc: a force-expired message whose defer log has records returns
    // those to the sender and assigns no deliveries; otherwise the old defer log goes and
    // every recipient is tried (or, force-expired, deferred by the retry transport).
    if (message.forceExpire && ((await fileSizeOf(environment.queue, 'defer', id)) ?? 0) > 0) {
      message.deferred = true;
      this.track(this.finish(message));
      return;
    }
    await removeIfPresent(environment.queue, 'defer', id);
    const entries = await assignRecipients(this.assignContext, message);
    message.pendingEntries = entries.length;
    if (entries.length === 0) this.track(this.finish(message));
  }

  /** Whether a deferred file's stored next attempt time has come; the file is read only
   *  when it changed since the last scan read it (`stat` was taken before this call). */
  private async isDueNow(id: string, path: string, stat: FileStat): Promise<boolean> {
    const nowSeconds = Math.floor(this.environment.clock.nowMs() / 1000);
    const remembered = this.nextAttempts.lookup(id, stat);
    if (remembered !== undefined) return isDue(remembered.seconds, nowSeconds);
    const handle = await this.environment.queue.fs.open(path, 'r');
    try {
      const file = await readQueueFile(handleSource(handle), path);
      const seconds = storedNextAttempt(file)?.seconds;
      this.nextAttempts.remember(id, stat, seconds);
      return isDue(seconds, nowSeconds);
    } catch {
      return true; // a damaged file is due: feeding it sends it to corrupt/
    } finally {
      await handle.close();
    }
  }

  private transport(name: string): TransportQueues<ActiveMessage> {
    let transport = this.transports.get(name);
    if (transport === undefined) {
      const settings = this.environment.settings();
      const limit = settings.concurrencyLimit(name);
      // qmgr_transport_create: the initial window never exceeds the transport's limit.
      const initial = limit !== 0 && limit < settings.initialConcurrency ? limit : settings.initialConcurrency;
      transport = new TransportQueues(name, initial, limit,
        settings.recipientLimit(name), settings.failedCohortLimit);
      this.transports.set(name, transport);
    }
    return transport;
  }

  /** qmgr_active_drain: start every waiting entry that its destination's window allows,
   *  oldest message first and, within one, in sorted recipient order (the job/peer order
   *  of Postfix's scheduler). Only the heads of ready destinations' lists are looked at,
   *  as qmgr_transport_select/qmgr_queue_select look only at ready ones: the entries that
   *  wait behind a busy or dead destination cost nothing per round. */
  private dispatch(): void {
    if (this.stopped) return;
    this.dispatchWanted = false;
    const startable = this.startable;
    this.transports.forEach(collectStartable, startable);
    if (startable.length > 1) startable.sort(byOrder);
    for (let index = 0; index < startable.length; index++) {
      const entry = startable[index]!;
      const queue = entry.destination;
      queue.todo.shift();
      queue.busy++;
      queue.selectConnectionCache(Math.floor(this.environment.clock.nowMs() / 1000));
      this.track(this.deliver(entry));
    }
    startable.length = 0;
    this.transports.forEach(pruneTransport);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.environment.warn(`qmgr: ${error instanceof Error ? error.message : String(error)}`);
    }).finally(() => {
      this.inFlight.delete(tracked);
      this.kick();
      this.notifyIdle();
    });
    this.inFlight.add(tracked);
  }

  /** One delivery request and its aftermath (qmgr_deliver_update). */
  private async deliver(entry: QueueEntry<ActiveMessage>): Promise<void> {
    const { environment } = this;
    const { message, destination } = entry;
    const request = buildRequest(environment, message, destination.transport.name, destination.nexthop, entry.recipients);
    if (destination.connectionCache.fetch || destination.connectionCache.store) {
      request.flags = {
        ...request.flags,
        ...(destination.connectionCache.fetch ? { connectionFetch: true } : {}),
        ...(destination.connectionCache.store ? { connectionStore: true } : {}),
      };
    }
    const result = await runDelivery(environment, request);
    if (result.deferred) message.deferred = true;
    if (result.destinationDead !== undefined) {
      if (destination.noteFailure(result.destinationDead)) await this.throttle(entry);
    } else if (!result.crashed) {
      destination.noteSuccess();
    }
    destination.busy--;
    this.dispatchWanted = true;
    destination.lastDoneSeconds = Math.floor(environment.clock.nowMs() / 1000);
    await this.entryDone(message);
  }

  /** A dead destination: defer what waits for it and revive it after minimal_backoff_time. */
  private async throttle(entry: QueueEntry<ActiveMessage>): Promise<void> {
    const { destination } = entry;
    const dead = destination.dead;
    if (dead === undefined) return;
    if (destination.cancelRevive === undefined) {
      const delayMs = this.environment.settings().backoffSecondsMin * 1000;
      destination.cancelRevive = this.environment.timers.after(delayMs, () => {
        destination.cancelRevive = undefined;
        destination.revive();
        this.dispatchWanted = true;
        this.kick();
      });
    }
    const waiting = destination.todo.splice(0, destination.todo.length);
    for (const other of waiting) {
      const request = buildRequest(this.environment, other.message, destination.transport.name, destination.nexthop, other.recipients);
      await deferAll(this.environment, request, dead.dsn, dead.reason);
      other.message.deferred = true;
      await this.entryDone(other.message);
    }
  }

  /** One of the message's entries is done; the last one finishes the message (finish's own
   *  promise, with no function of its own to return from). */
  private entryDone(message: ActiveMessage): Promise<void> {
    message.pendingEntries--;
    return message.pendingEntries === 0 ? this.finish(message) : SETTLED;
  }

  private async finish(message: ActiveMessage): Promise<void> {
    try {
      const deferred = await finishMessage(this.environment, message);
      if (deferred !== undefined) this.nextAttempts.remember(message.queueId, deferred.stat, deferred.nextAttemptSeconds);
    } finally {
      this.messages.delete(message.queueId);
      releaseHandle(message); // finishMessage failed part way (its own paths close the file)
    }
  }
}

function pruneTransport(transport: TransportQueues<ActiveMessage>): void {
  transport.prune();
}

/** Adds a transport's startable entries: the first (window - busy) entries of each live
 *  destination's list (those the old one-by-one walk would have started). */
function collectStartable(this: QueueEntry<ActiveMessage>[], transport: TransportQueues<ActiveMessage>): void {
  transport.queues.forEach(collectQueueStartable, this);
}

function collectQueueStartable(this: QueueEntry<ActiveMessage>[], queue: DestinationQueue<ActiveMessage>): void {
  if (queue.todo.length === 0 || !queue.ready) return;
  const count = Math.min(queue.window - queue.busy, queue.todo.length);
  for (let index = 0; index < count; index++) this.push(queue.todo[index]!);
}

const byOrder = (left: QueueEntry<ActiveMessage>, right: QueueEntry<ActiveMessage>): number => left.order - right.order;

async function fileSizeOf(queue: MailQueue, queueName: string, id: string): Promise<number | undefined> {
  try {
    return (await queue.fs.stat(queueFilePath(queue, queueName, id))).size;
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** unlink that takes a missing file as done. Not an async function: the unlink's promise
 *  with one reaction answers after the same turns as an async function that awaited it
 *  (one per feed), and a throw before the unlink answers at once, as there. */
function removeIfPresent(queue: MailQueue, queueName: string, id: string): Promise<void> {
  let removing: Promise<void>;
  try {
    removing = queue.fs.unlink(queueFilePath(queue, queueName, id));
  } catch (error) {
    return isMissing(error) ? SETTLED : Promise.reject(error);
  }
  return removing.then(undefined, passMissing);
}

function isMissing(error: unknown): boolean {
  return error instanceof PlatformError && error.code === 'ENOENT';
}

/** removeIfPresent's rejection handler: ENOENT is done, any other failure goes on. */
function passMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

/** qmgr_move(active, incoming): files a crashed qmgr left in active/ are tried again. */
export async function recoverActiveQueue(environment: Pick<QmgrEnvironment, 'queue' | 'clock' | 'trace' | 'warn'>): Promise<number> {
  const { queue } = environment;
  const ids = (await listQueueIds(queue.fs, queue.queueDirectory, 'active')).slice(0, RECOVERY_FILES_MAX);
  const nowSeconds = Math.floor(environment.clock.nowMs() / 1000);
  let moved = 0;
  for (const id of ids) {
    await mirrorFileTime(queue.fs, queueFilePath(queue, 'active', id), nowSeconds);
    try {
      await renameQueueFile(queue, id, 'active', 'incoming');
    } catch (error) {
      if (!(error instanceof PlatformError) || error.code !== 'ENOENT') throw error;
      environment.warn(`qmgr_move: rename ${id} from active to incoming: No such file or directory`);
      continue;
    }
    environment.trace({ kind: 'queue.moved', queueId: id, from: 'active', to: 'incoming' });
    moved++;
  }
  return moved;
}

/** Makes a deferred message due at once (postqueue -s, postsuper -H use it): its stored
 *  next attempt time becomes now. Returns false when the file is not there. */
export async function makeDueNow(queue: MailQueue, queueName: string, id: string, nowSeconds: number): Promise<boolean> {
  const path = queueFilePath(queue, queueName, id);
  let handle;
  try {
    handle = await queue.fs.open(path, 'r+');
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return false;
    throw error;
  }
  try {
    const file = await readQueueFile(handleSource(handle), path);
    if (storedNextAttempt(file) !== undefined) await storeNextAttempt(handle, file, nowSeconds);
  } finally {
    await handle.close();
    forgetNextAttempt(queue.fs, id);
  }
  await mirrorFileTime(queue.fs, path, nowSeconds);
  return true;
}

export function createQueueManager(environment: QmgrEnvironment): QueueManager {
  return new QueueManager(environment);
}
