// One smtpd worker process of real mode (mtalab_smtpd_processes > 0): a node:cluster child
// of the background master (postfix-daemon.ts) that runs master.cf's inet smtpd services
// with their own cleanup and trivial-rewrite, as Postfix's master runs smtpd and cleanup as
// processes of their own. The listening socket is master's, shared by the kernel among the
// workers (cluster SCHED_NONE). Queue files go into incoming/ as from master's own cleanup,
// synced before the 250; qmgr in master's process is woken with the trigger bytes cleanup
// writes to Postfix's public/qmgr, sent over the cluster channel; anvil requests go to master's anvil over the IPC
// channel so that the limits stay global. Each worker appends its own maillog lines
// (O_APPEND, one write per batch), as each Postfix process talks to syslog itself; a
// trigger waits until the lines before it are written, so that qmgr's lines come after
// cleanup's. A worker ends when master asks, and by itself when master's channel goes
// away (master killed): it never serves without a master.
// Started by smtpd-workers.ts through masterDaemon (a cluster worker enters here).

import { hostname } from 'node:os';
import { createHost } from '../global/host.ts';
import type { MasterEntry } from '../global/config/master-cf.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { createNodePlatform } from '../platform/node/index.ts';
import { startHost, serviceKey, type RunningHost } from '../master/runtime.ts';
import { programs } from '../master/programs.ts';
import type { TriggerReason } from '../master/contracts.ts';
import { anvilClientProgram, type AnvilAnswer, type AnvilRequest, type AnvilTransport } from '../anvil/client.ts';
import { socketMailSystemLink, writeTrigger } from './mail-system-link.ts';
import { triggerBytes } from './control-channel.ts';

/** Environment variable with the first log pid for a worker's cleanup and trivial-rewrite. */
export const WORKER_PID_BASE_VARIABLE = 'MTALAB_WORKER_PID_BASE';
/** How long a worker's trigger to qmgr may take (trigger_timeout's default). */
const TRIGGER_WAIT_MS = 10_000;
/** Triggers one service may merge while one is being written, before they are sent. */
const TRIGGER_ROUNDS_MAX = 1_000_000;
/** How long a worker whose master went away takes to end its sessions. */
const ORPHAN_EXIT_MS = 2_000;
/** anvil requests waiting for master's answer at most (then counted as allowed). */
const ANVIL_PENDING_MAX = 10_000;
const ANVIL_WAIT_MS = 10_000;

/** Messages between master and a worker over the cluster IPC channel. */
export type ToWorker =
  | { kind: 'reload' }
  | { kind: 'stop' }
  | { kind: 'anvil-answer'; id: number; answer: AnvilAnswer };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'failed'; text: string }
  | { kind: 'anvil'; id?: number; request: AnvilRequest }
  /** Trigger requests for a service of master's process, in Postfix's codes ("I", "W"). */
  | { kind: 'trigger'; service: string; bytes: string };

/** The master.cf entries a worker runs itself: master leaves them to the workers. */
export function isWorkerSmtpd(entry: MasterEntry): boolean {
  return entry.type === 'inet' && entry.command === 'smtpd';
}

/** mtalab_smtpd_processes, bounded; 0 when unset or not a number. */
export const SMTPD_PROCESSES_MAX = 64;
export function smtpdProcessCount(config: MainConfig): number {
  const value = Number.parseInt(config.get('mtalab_smtpd_processes') ?? '0', 10);
  return Number.isFinite(value) && value > 0 ? Math.min(value, SMTPD_PROCESSES_MAX) : 0;
}

function send(message: FromWorker): void {
  if (process.send !== undefined && process.connected) process.send(message);
}

/** anvil over the IPC channel: each question gets an id, master answers with it. */
function ipcAnvilTransport(): { transport: AnvilTransport; answer(id: number, answer: AnvilAnswer): void } {
  const waiting = new Map<number, (answer: AnvilAnswer) => void>();
  let nextId = 1;
  return {
    transport: {
      ask: (request) => new Promise((done) => {
        if (waiting.size >= ANVIL_PENDING_MAX || !process.connected) return done(undefined);
        const id = nextId++;
        const timer = setTimeout(() => { waiting.delete(id); done(undefined); }, ANVIL_WAIT_MS);
        waiting.set(id, (answer) => { clearTimeout(timer); done(answer); });
        send({ kind: 'anvil', id, request });
      }),
      tell: (request) => send({ kind: 'anvil', request }),
    },
    answer(id, answer) {
      const resolve = waiting.get(id);
      waiting.delete(id);
      resolve?.(answer);
    },
  };
}

/** Triggers to services in master's process: merged while one is on its way, sent after the
 *  worker's maillog lines so far are written (so qmgr's lines come after cleanup's). They go
 *  over the cluster channel that is open anyway, in the bytes a trigger client writes to
 *  public/SERVICE: a connection to that socket per queued message cost a socket, a connect,
 *  an accept and a close in both processes. Without a channel (master gone) they go to the
 *  socket, as postdrop's do. */
function remoteTriggers(runtime: () => RunningHost | undefined): (service: string, reason: TriggerReason) => void {
  const states = new Map<string, { busy: boolean; reasons: Set<TriggerReason> }>();
  const drain = async (service: string, state: { busy: boolean; reasons: Set<TriggerReason> }): Promise<void> => {
    try {
      for (let round = 0; state.reasons.size > 0 && round < TRIGGER_ROUNDS_MAX; round++) {
        const host = runtime();
        if (host === undefined) return;
        let bytes = '';
        for (const reason of state.reasons) bytes += triggerBytes(reason);
        state.reasons.clear();
        await host.flushLog();
        if (process.send !== undefined && process.connected) {
          send({ kind: 'trigger', service, bytes });
          continue;
        }
        const queueDirectory = host.config().get('queue_directory') ?? '/var/spool/postfix';
        await writeTrigger(`${queueDirectory}/public/${service}`, bytes, TRIGGER_WAIT_MS);
      }
    } finally {
      state.busy = false;
    }
  };
  return (service, reason) => {
    let state = states.get(service);
    if (state === undefined) states.set(service, state = { busy: false, reasons: new Set() });
    state.reasons.add(reason);
    if (state.busy) return;
    state.busy = true;
    // After the caller's reply (cleanup's trigger comes just before smtpd's 250) is written.
    const waiting = state;
    setImmediate(() => { void drain(service, waiting); });
  };
}

/** The worker process: runs until master says stop or goes away. */
export async function smtpdWorkerMain(directory: string): Promise<number> {
  const name = hostname();
  const base = Number.parseInt(process.env[WORKER_PID_BASE_VARIABLE] ?? '', 10);
  const host = createHost({
    name, platform: createNodePlatform({ hostName: name }), defaultConfigDirectory: directory,
    firstPid: Number.isFinite(base) && base > 0 ? base : process.pid + 1, mailSystem: socketMailSystemLink,
  });
  const anvil = ipcAnvilTransport();
  let runtime: RunningHost | undefined;
  let firstSmtpd: string | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await runtime?.stop();
    }
    process.exit(code);
  };
  process.on('message', (message: ToWorker) => {
    if (message.kind === 'anvil-answer') anvil.answer(message.id, message.answer);
    else if (message.kind === 'reload') void runtime?.reload().catch(() => undefined);
    else if (message.kind === 'stop') void stop(0);
  });
  // master's channel closes when master ends, however it ends: stop serving at once.
  process.on('disconnect', () => {
    setTimeout(() => process.exit(0), ORPHAN_EXIT_MS).unref();
    void stop(0);
  });
  try {
    runtime = await startHost({
      host, configDirectory: directory, role: 'worker',
      programs: { ...programs, anvil: anvilClientProgram(anvil.transport) },
      selectEntries: (entries) => {
        const chosen = entries.filter((entry) => isWorkerSmtpd(entry) || entry.command === 'cleanup'
          || entry.command === 'trivial-rewrite' || entry.command === 'anvil');
        firstSmtpd = chosen.filter(isWorkerSmtpd).map(serviceKey)[0];
        return chosen;
      },
      // The worker's first smtpd logs under the worker's own pid, as Postfix's smtpd does.
      pidFor: (entry) => (serviceKey(entry) === firstSmtpd ? process.pid : undefined),
      remoteTrigger: remoteTriggers(() => runtime),
    });
  } catch (error) {
    send({ kind: 'failed', text: error instanceof Error ? error.message : String(error) });
    return 1;
  }
  send({ kind: 'ready' });
  setInterval(() => undefined, 3_600_000);
  return new Promise<number>(() => undefined);
}
