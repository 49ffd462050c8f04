// Real mode's control channel: the UNIX-domain sockets through which commands in other
// processes reach the host that `mtalab postfix start` runs in the background. As Postfix's
// master does, the daemon listens at queue_directory/public/NAME (master.cf private = n)
// or private/NAME for the services a client may call:
// - trigger services (pickup, qmgr, any service with a wake-up handler): each byte
//   received is a trigger request (Postfix's codes: W wakeup, I scan incoming, D/A/F scan
//   deferred or everything), handed to runtime.trigger(); the server then closes, as a
//   trigger server does. Postfix's own clients (postdrop, postqueue -f) accept a socket
//   there in place of a FIFO (mail_trigger), so they can wake an mtalab host too.
// - showq: the queue listing in Postfix's attribute stream (showq-protocol.ts).
// - flush: flush(8)'s requests (add, send_site, send_file, rfrsh, purge) in its attribute
//   protocol (engine/flush/protocol.ts), handed to the running flush service; so postqueue
//   -s/-i and sendmail -qR in another process go through flush as in the simulation.
// Sockets follow reloads (added with master.cf); a dropped service's socket and, at stop,
// all of them stay as files nobody listens on, as Postfix's master leaves them.
// Called by engine/cli/postfix-daemon.ts in the background process. Trusts the runtime;
// every client byte is bounded. Models src/master/master_listen.c, src/util/
// trigger_server.c and the showq(8) service end point.

import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, linkSync, lstatSync, renameSync, unlinkSync } from 'node:fs';
import type { RunningHost } from '../master/runtime.ts';
import type { TriggerReason } from '../master/contracts.ts';
import type { ShowqEndpoint } from '../showq/api.ts';
import { encodeShowqEnd, encodeShowqGreeting, encodeShowqMessage } from './showq-protocol.ts';
import { isFlushEndpoint } from '../flush/api.ts';
import { hasEndpointFile, serviceSocketPath, SOCKET_MODE } from '../master/service-sockets.ts';
import { decodeFlushServerInput, encodeFlushGreeting, encodeFlushStatus, runFlushRequest } from '../flush/protocol.ts';

/** Bytes one trigger connection may send before it is cut off (Postfix reads 1024). */
export const TRIGGER_REQUEST_BYTES_MAX = 1024;
/** How long a client may keep a trigger connection open without sending (trigger_timeout). */
export const TRIGGER_IDLE_MS = 10_000;
/** Sockets one daemon listens on at most. */
export const CONTROL_SOCKETS_MAX = 100;
export { SOCKET_MODE } from '../master/service-sockets.ts';

/** Postfix's trigger request codes (trigger.h, qmgr.h) and what mtalab's services make of them. */
export function reasonsOfTrigger(bytes: Uint8Array): TriggerReason[] {
  const reasons = new Set<TriggerReason>();
  for (const byte of bytes.subarray(0, TRIGGER_REQUEST_BYTES_MAX)) {
    const code = String.fromCharCode(byte);
    if (code === 'I') reasons.add('scan-incoming');
    else if (code === 'D' || code === 'A' || code === 'F') reasons.add('flush-deferred');
    else reasons.add('wakeup');
  }
  return [...reasons];
}

/** The bytes a client writes for a reason (what postdrop, cleanup and postqueue -f write). */
export function triggerBytes(reason: TriggerReason): string {
  switch (reason) {
    case 'scan-incoming': return 'I';
    case 'flush-deferred': return 'FA';
    case 'flush-dead': return 'F';
    case 'wakeup': return 'W';
  }
}

type Kind = 'trigger' | 'showq' | 'flush';

interface Listener {
  kind: Kind;
  service: string;
  path: string;
  server: Server;
}

export interface ControlChannel {
  /** Paths listened on now. */
  paths(): string[];
  /** Follows master.cf after a reload. */
  synchronise(): Promise<void>;
  close(): Promise<void>;
}

/** Removes a leftover socket (from a process that was killed); anything else stays. */
function removeStaleSocket(path: string): void {
  try {
    const stat = lstatSync(path);
    if (stat.isSocket() || stat.isFIFO()) unlinkSync(path);
  } catch {
    // Nothing there.
  }
}

function wanted(runtime: RunningHost): Map<string, { kind: Kind; service: string }> {
  const queueDirectory = runtime.config().get('queue_directory') ?? '/var/spool/postfix';
  const found = new Map<string, { kind: Kind; service: string }>();
  for (const [name, instance] of runtime.services()) {
    if (found.size >= CONTROL_SOCKETS_MAX) break;
    const entry = instance.entry;
    // Where master.cf puts an end point (a fifo entry is served as a socket here).
    if (!hasEndpointFile(entry)) continue;
    const endpoint = instance.running as (typeof instance.running & Partial<ShowqEndpoint>) | undefined;
    const kind: Kind | undefined = typeof endpoint?.showQueue === 'function' ? 'showq'
      : isFlushEndpoint(instance.running) ? 'flush'
        : typeof instance.running?.wake === 'function' ? 'trigger' : undefined;
    if (kind === undefined) continue;
    const path = serviceSocketPath(queueDirectory, entry);
    found.set(path, { kind, service: name });
  }
  return found;
}

function serveTrigger(runtime: RunningHost, service: string, socket: Socket): void {
  socket.setTimeout(TRIGGER_IDLE_MS, () => socket.destroy());
  socket.once('data', (chunk: Buffer) => {
    for (const reason of reasonsOfTrigger(chunk)) runtime.trigger(service, reason);
    socket.end();
  });
  socket.on('error', () => socket.destroy());
}

async function serveShowq(runtime: RunningHost, service: string, socket: Socket): Promise<void> {
  socket.on('error', () => socket.destroy());
  const endpoint = runtime.service(service) as unknown as Partial<ShowqEndpoint> | undefined;
  socket.write(encodeShowqGreeting());
  try {
    const messages = typeof endpoint?.showQueue === 'function' ? await endpoint.showQueue() : [];
    for (const message of messages) socket.write(encodeShowqMessage(message));
    socket.end(encodeShowqEnd());
  } catch {
    // A failed scan ends the stream early: the client reports a malformed response.
    socket.destroy();
  }
}

/** flush_service(): the announcement, one request, its status; then the server closes.
 *  An unknown request name gets no answer; a malformed one status 3 and a warning in the
 *  flush service's name (its log), as attr_scan's strict mode logs it. */
function serveFlush(runtime: RunningHost, service: string, socket: Socket): void {
  socket.setTimeout(TRIGGER_IDLE_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.write(encodeFlushGreeting());
  const chunks: Buffer[] = [];
  let done = false;
  const answer = async (ended: boolean): Promise<void> => {
    if (done) return;
    const input = decodeFlushServerInput(new Uint8Array(Buffer.concat(chunks)), ended);
    if (input.kind === 'incomplete') return;
    done = true;
    const endpoint = runtime.service(service);
    const warn = (endpoint as { warnProtocol?: (text: string) => void } | undefined)?.warnProtocol;
    if (!isFlushEndpoint(endpoint)) return void socket.end();
    if (input.kind === 'bad') {
      if (input.warning !== undefined) warn?.(input.warning);
      return void socket.end(encodeFlushStatus('bad'));
    }
    if (input.kind === 'unknown') return void socket.end();
    if (input.kind === 'trigger') {
      // master's wakeup ("W"): a refresh; any other short request has no answer.
      if (input.text !== 'W') return void socket.end();
      return void socket.end(encodeFlushStatus(await endpoint.flushRefresh().catch(() => 'fail' as const)));
    }
    const status = await runFlushRequest(endpoint, input.request).catch(() => 'fail' as const);
    socket.end(encodeFlushStatus(status));
  };
  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    chunks.push(chunk);
    void answer(false);
  });
  socket.once('end', () => { void answer(true); });
}

function listen(runtime: RunningHost, path: string, kind: Kind, service: string): Promise<Listener> {
  removeStaleSocket(path);
  const server = createServer((socket) => {
    if (kind === 'trigger') serveTrigger(runtime, service, socket);
    else if (kind === 'flush') serveFlush(runtime, service, socket);
    else void serveShowq(runtime, service, socket);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(path, () => {
      server.off('error', fail);
      // unix_listen(): the socket itself is open to all (srw-rw-rw-); who may reach it is
      // decided by its directory (public/ is mode 0710, group postdrop, in Postfix).
      try {
        chmodSync(path, SOCKET_MODE);
      } catch {
        // A file system without modes: the socket works as it is.
      }
      done({ kind, service, path, server });
    });
  });
}

/** Stops listening and leaves the socket file, as Postfix's master closes its listeners
 *  (at stop, and at a reload that drops a service) without unlinking them: a client then
 *  gets "Connection refused", not "No such file or directory". Node's close() unlinks the
 *  path, so a second link to the socket is kept across it and renamed back. */
function closeListener(listener: Listener): Promise<void> {
  const keeper = `${listener.path}.closing.${process.pid}`;
  let kept = false;
  try {
    linkSync(listener.path, keeper);
    kept = true;
  } catch {
    // The file is gone already (removed by hand): nothing to keep.
  }
  return new Promise((done) => listener.server.close(() => {
    if (kept) putBack(keeper, listener.path);
    done();
  }));
}

/** Renames the kept link back, unless a new file has taken the name meanwhile (it wins). */
function putBack(keeper: string, path: string): void {
  try {
    if (existsQuietly(path)) unlinkSync(keeper);
    else renameSync(keeper, path);
  } catch {
    // Either way the name is in use or the keeper is gone: nothing more to do.
  }
}

function existsQuietly(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Opens the sockets of `runtime`'s client-facing services. */
export async function openControlChannel(runtime: RunningHost): Promise<ControlChannel> {
  const listeners = new Map<string, Listener>();
  const synchronise = async (): Promise<void> => {
    const target = wanted(runtime);
    for (const [path, listener] of [...listeners]) {
      const want = target.get(path);
      if (want !== undefined && want.kind === listener.kind && want.service === listener.service) continue;
      listeners.delete(path);
      await closeListener(listener);
    }
    for (const [path, { kind, service }] of target) {
      if (!listeners.has(path)) listeners.set(path, await listen(runtime, path, kind, service));
    }
  };
  await synchronise();
  return {
    paths: () => [...listeners.keys()],
    synchronise,
    async close() {
      const all = [...listeners.values()];
      listeners.clear();
      await Promise.all(all.map(closeListener));
    },
  };
}
