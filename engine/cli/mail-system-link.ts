// The client side of real mode's control channel: a MailSystemLink (engine/global/
// mail-system.ts) that reaches a host running in another process through the UNIX-domain
// sockets under its queue_directory (control-channel.ts). sendmail's postdrop writes "W" to
// public/pickup, postqueue -f "FA" to public/qmgr, postqueue -p and mailq read
// public/showq, postqueue -s/-i (and sendmail -qR) talk flush(8)'s protocol on public/flush
// (engine/flush/protocol.ts). A socket that is missing (never started) or refuses the
// connection (a stopped master leaves its sockets, as Postfix's does) means the mail system
// is down, and the commands say so as Postfix's do, with the connect's own errno. The engine/cli Host carries this link
// as host.mailSystem. Called by engine/cli/main.ts. Trusts node:net; every wait is bounded
// by trigger_timeout / ipc_timeout and every response by a size limit.
// Models src/global/mail_trigger.c, src/util/unix_trigger.c and mail_connect.c.

import { createConnection } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import type { MailSystemLink, ServiceDown, TriggerFailure } from '../global/mail-system.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import type { TriggerReason } from '../master/contracts.ts';
import { masterPidPath, parseMasterPid } from '../master/queue-directories.ts';
import { decodeShowqListing } from './showq-protocol.ts';
import { triggerBytes } from './control-channel.ts';
import type { FlushEndpoint, FlushStatus } from '../flush/api.ts';
import {
  FLUSH_RESPONSE_BYTES_MAX, FlushConnectError, decodeFlushResponse, encodeFlushRequest, hasFlushGreeting, type FlushRequest,
} from '../flush/protocol.ts';
import type { PlatformErrorCode } from '../platform/types.ts';

/** The most a showq listing may be (named limit; the queue tools' own is in messages). */
export const SHOWQ_RESPONSE_BYTES_MAX = 512 * 1024 * 1024;
/** Bounds on the waits when main.cf's values are unusable. */
const TRIGGER_TIMEOUT_MS_DEFAULT = 10_000;
const IPC_TIMEOUT_MS_DEFAULT = 3600_000;

function queueDirectoryOf(config: MainConfig): string {
  return config.get('queue_directory') ?? '/var/spool/postfix';
}

function timeoutMs(config: MainConfig, parameter: string, fallbackMs: number): number {
  try {
    const seconds = config.getTimeSeconds(parameter);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallbackMs;
  } catch {
    return fallbackMs;
  }
}

/** unix_trigger(): connect, write, wait for the server to close (or the timeout). */
export function writeTrigger(path: string, bytes: string, waitMs: number): Promise<boolean> {
  return new Promise((done) => {
    let settled = false;
    const socket = createConnection(path);
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(true), waitMs);
    socket.once('connect', () => { socket.write(bytes); });
    socket.once('close', () => finish(true));
    socket.once('error', () => finish(false));
    socket.on('data', () => undefined);
  });
}

/** Reads one whole showq response; when nothing listens at `path`, the connect's errno
 *  (ENOENT: no socket file; ECONNREFUSED: a socket a stopped master left). */
export function readShowq(path: string, waitMs: number): Promise<Uint8Array | ServiceDown> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let connected = false;
    let settled = false;
    const socket = createConnection(path);
    const finish = (outcome: Uint8Array | ServiceDown | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) fail(outcome); else done(outcome);
    };
    const timer = setTimeout(() => finish(new Error('timeout reading the showq service')), waitMs);
    socket.once('connect', () => { connected = true; });
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > SHOWQ_RESPONSE_BYTES_MAX) return finish(new Error('showq response too large'));
      chunks.push(chunk);
    });
    socket.once('end', () => finish(new Uint8Array(Buffer.concat(chunks))));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(connected ? error : { down: connectCode(error) }));
  });
}

/** The errno texts a failed connect may carry (mail_connect's %m); others read as refused. */
const CONNECT_CODES: readonly PlatformErrorCode[] = ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTDIR', 'EPERM', 'ELOOP'];

function connectCode(error: NodeJS.ErrnoException): PlatformErrorCode {
  return CONNECT_CODES.find((known) => known === error.code) ?? 'ECONNREFUSED';
}

/** mail_trigger()'s stat of the end point before it writes: a missing one is what the
 *  client warns about ("unable to look up"); one that is there but refuses is silent. */
async function triggerEndpoint(path: string, bytes: string, waitMs: number): Promise<true | TriggerFailure> {
  try {
    statSync(path);
  } catch (error) {
    return { lookupError: connectCode(error as NodeJS.ErrnoException) };
  }
  return (await writeTrigger(path, bytes, waitMs)) ? true : {};
}

/** mail_command_client(): connect, read the announcement, write the request, read the
 *  status. A failed connect throws FlushConnectError (the client warns); anything else
 *  that goes wrong is 'fail'. */
export function flushRequest(path: string, request: FlushRequest, waitMs: number): Promise<FlushStatus> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let connected = false;
    let written = false;
    let settled = false;
    const socket = createConnection(path);
    const finish = (outcome: FlushStatus | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) fail(outcome); else done(outcome);
    };
    const timer = setTimeout(() => finish('fail'), waitMs);
    const look = (ended: boolean): void => {
      const bytes = new Uint8Array(Buffer.concat(chunks));
      if (!written) {
        if (!hasFlushGreeting(bytes)) return ended ? finish('fail') : undefined;
        written = true;
        socket.write(encodeFlushRequest(request));
      }
      const status = decodeFlushResponse(bytes, ended);
      if (status !== 'incomplete') finish(status);
    };
    socket.once('connect', () => { connected = true; });
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > FLUSH_RESPONSE_BYTES_MAX) return finish('fail');
      chunks.push(chunk);
      look(false);
    });
    socket.once('end', () => look(true));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (connected) return finish('fail');
      finish(new FlushConnectError(connectCode(error)));
    });
  });
}

function masterIsAlive(config: MainConfig): boolean {
  let pid: number | undefined;
  try {
    pid = parseMasterPid(readFileSync(masterPidPath(queueDirectoryOf(config)), 'utf8'));
  } catch {
    return false;
  }
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The link over queue_directory's sockets. */
export const socketMailSystemLink: MailSystemLink = {
  async showq(_host, config) {
    const service = config.get('showq_service_name') ?? 'showq';
    const bytes = await readShowq(`${queueDirectoryOf(config)}/public/${service}`, timeoutMs(config, 'ipc_timeout', IPC_TIMEOUT_MS_DEFAULT));
    if (!(bytes instanceof Uint8Array)) return bytes;
    const messages = decodeShowqListing(bytes);
    return { showQueue: async () => messages };
  },
  async trigger(_host, config, service, reason: TriggerReason) {
    return triggerEndpoint(`${queueDirectoryOf(config)}/public/${service}`, triggerBytes(reason), timeoutMs(config, 'trigger_timeout', TRIGGER_TIMEOUT_MS_DEFAULT));
  },
  async running(_host, config) {
    return masterIsAlive(config);
  },
  async flush(_host, config): Promise<FlushEndpoint> {
    const path = `${queueDirectoryOf(config)}/public/${config.get('flush_service_name') ?? 'flush'}`;
    const waitMs = timeoutMs(config, 'ipc_timeout', IPC_TIMEOUT_MS_DEFAULT);
    const send = (request: FlushRequest): Promise<FlushStatus> => flushRequest(path, request, waitMs);
    return {
      flushAdd: (site, queueId) => send({ request: 'add', site, queueId }),
      flushSendSite: (site) => send({ request: 'send_site', site }),
      flushSendFile: (queueId) => send({ request: 'send_file', queueId }),
      flushRefresh: () => send({ request: 'rfrsh' }),
      flushPurge: () => send({ request: 'purge' }),
    };
  },
};
