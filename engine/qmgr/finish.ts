// What happens to a message once every recipient has been tried: send the bounces that
// bounce/ID holds, the success/trace notices, then either expire it (maximal_queue_lifetime,
// bounce_queue_lifetime for the null sender: "status=expired, returned to sender" and a
// non-delivery notice from defer/ID; "status=force-expired" after postsuper -e/-f), warn the sender once (delay_warning_time), and move
// it to deferred/ with its next attempt time; or, when nothing is left, remove it.
// Called by api.ts when a message's last delivery request finishes. Trusts the bounce
// endpoint to send notices and the reporter to log the expiry.
// Models src/qmgr/qmgr_active.c (qmgr_active_done and its _2/_25/_3 continuations,
// qmgr_active_defer, qmgr_active_corrupt) and qmgr_message_update_warn.

import type { FileHandle } from '../platform/types.ts';
import { PlatformError } from '../platform/types.ts';
import { queueFilePath, renameQueueFile } from '../global/queue/mail-queue.ts';
import { RecordType } from '../global/queue/record.ts';
import type { ActiveMessage, QmgrEnvironment } from './environment.ts';
import { QMGR_READ_FLAG_NOTIFY_SUCCESS, TraceFlag } from './message.ts';
import {
  backoffSeconds, NEXT_ATTEMPT_RECORD_BYTES, storeNextAttempt, type FileIdentity,
} from './retry-time.ts';

/** Fixed width of the delay warning time record, rewritten in place (REC_TYPE_WARN_FORMAT). */
const WARN_VALUE_WIDTH = 15;

async function fileSize(environment: QmgrEnvironment, queueName: string, id: string): Promise<number | undefined> {
  try {
    return (await environment.queue.fs.stat(queueFilePath(environment.queue, queueName, id))).size;
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** An already settled promise: the feed awaits it where the close of the active file is
 *  saved, so that other daemons' events keep their places (without it, one same-millisecond
 *  pair of trace events of two daemons in the hosting scenario swaps). */
export const SETTLED_TURN: Promise<void> = Promise.resolve();

/** Closes the active file kept open since the feed (qmgr_message_close). Not awaited: qmgr
 *  takes no turn for it (it took one at the feed instead), and nothing waits on a close. */
export function releaseHandle(message: ActiveMessage): void {
  const { handle } = message;
  if (handle === undefined) return;
  message.handle = undefined;
  void handle.close().catch(() => undefined);
}

/** Runs `work` on the message's active file, open since the feed, or on one opened for
 *  it (a message loaded without keeping its file). The held file is used without a turn:
 *  the open and close it saves are system calls inside one process in Postfix. */
function withQueueFile<T>(environment: QmgrEnvironment, message: ActiveMessage, work: (handle: FileHandle) => Promise<T>): Promise<T> {
  const held = message.handle;
  if (held !== undefined) return work(held);
  return withOpenedQueueFile(environment, message, work);
}

async function withOpenedQueueFile<T>(environment: QmgrEnvironment, message: ActiveMessage, work: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await environment.queue.fs.open(queueFilePath(environment.queue, 'active', message.queueId), 'r+');
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}

/** Moves a message to another queue and traces the move; false when the file was gone.
 *  Not an async function: the rename's promise with one reaction answers after the same
 *  turns as an async function that awaited it (once per feed), the trace and warning made
 *  in that reaction, where the function resumed. */
export function moveMessage(environment: QmgrEnvironment, id: string, from: string, to: string): Promise<boolean> {
  return renameQueueFile(environment.queue, id, from, to).then(() => {
    environment.trace({ kind: 'queue.moved', queueId: id, from, to });
    return true;
  }, (error: unknown) => {
    if (!(error instanceof PlatformError) || error.code !== 'ENOENT') throw error;
    environment.warn(`qmgr_active_defer: rename ${id} from ${from} to ${to}: No such file or directory`);
    return false;
  });
}

/** qmgr_active_corrupt: keep a file that cannot be read for a human to look at. */
export async function saveCorrupt(environment: QmgrEnvironment, id: string, reason: string): Promise<void> {
  try {
    await renameQueueFile(environment.queue, id, 'active', 'corrupt');
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return;
    throw error;
  }
  environment.warn(`saving corrupt file "${id}" from queue "active" to queue "corrupt"`);
  environment.trace({ kind: 'queue.moved', queueId: id, from: 'active', to: 'corrupt' });
  environment.trace({ kind: 'qmgr.corrupt', queueId: id, reason });
}

/** Sends what bounce/ID holds; an empty log is removed. False when the bounce service failed. */
async function flushBounceLog(environment: QmgrEnvironment, message: ActiveMessage): Promise<boolean> {
  // fileSize() inline: the stat is awaited here, with no function of its own to return from.
  let size: number;
  try {
    size = (await environment.queue.fs.stat(queueFilePath(environment.queue, 'bounce', message.queueId))).size;
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return true;
    throw error;
  }
  if (size === 0) {
    await environment.queue.fs.unlink(queueFilePath(environment.queue, 'bounce', message.queueId));
    return true;
  }
  try {
    await environment.bounce.flushBounces(message.queueId, 'active');
    return true;
  } catch {
    return false;
  }
}

/** Whether the message asked for a success/trace notice (flushTraceLog looks for a log
 *  only then; without one, qmgr goes on with no call and no turn). */
function isTraceLogWanted(message: ActiveMessage): boolean {
  const { loaded } = message;
  return (loaded.traceFlags & (TraceFlag.userVerify | TraceFlag.record | TraceFlag.recordDelayedSent)) !== 0
    || (loaded.qmgrFlags & QMGR_READ_FLAG_NOTIFY_SUCCESS) !== 0;
}

/** Sends the success/trace notice when the message asked for one (sendmail -v/-bv,
 *  NOTIFY=SUCCESS) and a trace log exists. */
async function flushTraceLog(environment: QmgrEnvironment, message: ActiveMessage): Promise<boolean> {
  const { loaded } = message;
  if (await fileSize(environment, 'trace', message.queueId) === undefined) return true;
  try {
    await environment.bounce.flushTrace(message.queueId, 'active');
  } catch {
    return false;
  }
  const offset = loaded.traceFlagsOffset;
  if (offset !== undefined) await withQueueFile(environment, message, (handle) => handle.write(new Uint8Array([RecordType.killed]), offset));
  return true;
}

function lifetimeSeconds(environment: QmgrEnvironment, message: ActiveMessage): number {
  const settings = environment.settings();
  return message.loaded.sender === '' ? settings.bounceQueueLifetimeSeconds : settings.queueLifetimeSeconds;
}

/** After a delay warning the W record becomes -1 (qmgr_message_update_warn). */
async function markWarned(environment: QmgrEnvironment, message: ActiveMessage, offset: number): Promise<void> {
  const value = new TextEncoder().encode('-1'.padStart(WARN_VALUE_WIDTH, ' '));
  await withQueueFile(environment, message, async (handle) => {
    await handle.write(value, offset + 2);
    await handle.sync();
  });
}

/** A deferred file as qmgr left it: its stored next attempt time and the stat that time
 *  goes with, so that the deferred scan need not read the file to learn it. */
export interface DeferredFile {
  nextAttemptSeconds: number;
  stat: FileIdentity;
}

/** qmgr_active_done and its continuations, in Postfix's order. Returns what it stored
 *  when the message went to deferred/. */
export async function finishMessage(environment: QmgrEnvironment, message: ActiveMessage): Promise<DeferredFile | undefined> {
  const id = message.queueId;
  if (!(await flushBounceLog(environment, message))) message.deferred = true;
  if (isTraceLogWanted(message) && !(await flushTraceLog(environment, message))) message.deferred = true;
  const nowSeconds = Math.floor(environment.clock.nowMs() / 1000);
  if (message.deferred) {
    const { loaded } = message;
    if (message.forceExpire || nowSeconds >= loaded.createTimeSeconds + lifetimeSeconds(environment, message)) {
      try {
        await environment.report.expired({ queueId: id, queueName: 'active', sender: loaded.sender, ...(message.forceExpire ? { forced: true } : {}) });
        message.deferred = false;
      } catch {
        message.deferred = true;
      }
    } else if (loaded.warnTime !== undefined && loaded.warnTime.seconds > 0 && nowSeconds >= loaded.warnTime.seconds - 1) {
      let warned = true;
      try {
        await environment.bounce.warnDelayed(id, 'active');
      } catch {
        warned = false;
      }
      if (warned) await markWarned(environment, message, loaded.warnTime.offset);
    }
  }
  if (message.deferred) return deferMessage(environment, message, nowSeconds);
  releaseHandle(message);
  try {
    await environment.queue.fs.unlink(queueFilePath(environment.queue, 'active', id));
  } catch (error) {
    if (!(error instanceof PlatformError) || error.code !== 'ENOENT') throw error;
    environment.warn(`qmgr_active_done_3_generic: remove ${id} from active: No such file or directory`);
    return undefined;
  }
  environment.trace({ kind: 'qmgr.removed', queueId: id });
  return undefined;
}

/** qmgr_active_defer: store the next attempt time, mirror it in the file times, move.
 *  The record offsets come from the load: records never move (agents, the delay warning
 *  and the trace flush rewrite bytes in place), so the file is not read again. What the
 *  deferred scan's lstat will see is known without a stat: a rename keeps the inode and
 *  size, the first deferral adds one record, and utime set the time (were any of it
 *  otherwise, the scan would only read the file again). */
async function deferMessage(environment: QmgrEnvironment, message: ActiveMessage, nowSeconds: number): Promise<DeferredFile | undefined> {
  const id = message.queueId;
  const path = queueFilePath(environment.queue, 'active', id);
  const delay = backoffSeconds(nowSeconds, message.loaded.createTimeSeconds, environment.settings());
  const nextAttempt = nowSeconds + delay;
  const { file } = message.loaded;
  const previous = message.loaded.nextAttempt;
  const stored = await withQueueFile(environment, message, (handle) => storeNextAttempt(handle, file, nextAttempt, previous));
  releaseHandle(message);
  if (stored !== 'stored') environment.warn(`${id}: cannot record the next attempt time: no end record`);
  let timed = true;
  try {
    // mirrorFileTime() and moveMessage() inline: their system calls are awaited here.
    await environment.queue.fs.utimes(path, nextAttempt * 1000, nextAttempt * 1000);
  } catch {
    timed = false;
  }
  try {
    await renameQueueFile(environment.queue, id, 'active', 'deferred');
  } catch (error) {
    if (!(error instanceof PlatformError) || error.code !== 'ENOENT') throw error;
    environment.warn(`qmgr_active_defer: rename ${id} from active to deferred: No such file or directory`);
    return undefined;
  }
  environment.trace({ kind: 'queue.moved', queueId: id, from: 'active', to: 'deferred' });
  if (stored !== 'stored' || !timed) return undefined;
  const { ino, size } = message.fedFile;
  const stat = { ino, size: previous === undefined ? size + NEXT_ATTEMPT_RECORD_BYTES : size, mtimeMs: nextAttempt * 1000 };
  return { nextAttemptSeconds: nextAttempt, stat };
}
