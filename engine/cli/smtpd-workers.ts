// master's side of real mode's smtpd worker processes (mtalab_smtpd_processes = N > 0):
// forks N node:cluster workers (smtpd-worker.ts) that run master.cf's inet smtpd services,
// shares each listening socket with them (SCHED_NONE: the kernel hands each connection to
// one worker's accept), hands their triggers (cleanup's wake-ups of qmgr) to the runtime,
// answers their anvil requests with the host's one anvil, passes
// `postfix reload` on, and ends them at stop. A worker that dies is forked again with
// master's warning line ("process .../smtpd pid N exit status 1" or "killed by signal 9"),
// and one that dies before it is up throttles for service_throttle_time as Postfix's
// master does. The connections a dead worker had counted in at anvil are counted out, as
// anvil forgets a client's connections when that smtpd's stream closes.
// Called by postfix-daemon.ts's masterDaemon. Trusts node:cluster; every wait is bounded.
// Models src/master/master_spawn.c, master_avail.c and master_status.c for smtpd.

import cluster, { type Worker } from 'node:cluster';
import { constants } from 'node:os';
import type { RunningHost } from '../master/runtime.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import { isAnvilEndpoint } from '../anvil/service.ts';
import { answerAnvilRequest, type AnvilRequest } from '../anvil/client.ts';
import { BUNDLE_NODE_FLAGS, workerBundle } from './engine-bundle.ts';
import { binPath } from './source-root.ts';
import { reasonsOfTrigger, TRIGGER_REQUEST_BYTES_MAX } from './control-channel.ts';
import { smtpdProcessCount, WORKER_PID_BASE_VARIABLE, type FromWorker, type ToWorker } from './smtpd-worker.ts';

/** How long start waits for a worker to listen, and stop for it to end. */
export const WORKER_START_WAIT_MS = 60_000;
export const WORKER_STOP_WAIT_MS = 10_000;
/** Log pids reserved for each worker's cleanup and trivial-rewrite. */
const WORKER_PID_BLOCK = 100;
/** anvil connections one worker may hold counted in (its sessions' limit is lower). */
const WORKER_CONNECTIONS_MAX = 100_000;

interface Slot {
  worker: Worker;
  pid: number;
  ready: boolean;
  /** master asked it to end: its exit is no failure. */
  ending: boolean;
  /** anvil idents counted in by this worker and not out yet. */
  connected: Map<string, { service: string; address: string; count: number }>;
}

export interface SmtpdWorkerPool {
  /** Worker pids now. */
  pids(): number[];
  /** Forks or ends workers to match mtalab_smtpd_processes (or `count`); resolves when
   *  they listen. */
  resize(count?: number): Promise<void>;
  /** `postfix reload`: the workers re-read main.cf and master.cf for new sessions. */
  reload(): void;
  /** Ends every worker (bounded; SIGKILL by pid past the wait). */
  stop(): Promise<void>;
}

/** Node flags for bundled workers: MTALAB_WORKER_NODE_FLAGS (e.g. --cpu-prof for the
 *  benchmark's profiles) after the bundle's own (its source map). A smaller young generation (--max-semi-space-size=1 or
 *  4) keeps a worker's peak RSS ~20 MB lower but was measured to cost ~0.2 ms CPU per
 *  message in more scavenges, so V8's default stays. */
function workerNodeFlags(): string[] {
  const flags = process.env.MTALAB_WORKER_NODE_FLAGS;
  return [...BUNDLE_NODE_FLAGS, ...(flags === undefined ? WORKER_NODE_FLAGS : flags.split(' ').filter((flag) => flag !== ''))];
}
export const WORKER_NODE_FLAGS: readonly string[] = [];

const sleep = (ms: number): Promise<void> => new Promise((done) => { setTimeout(done, ms); });

export function createSmtpdWorkerPool(runtime: RunningHost, configDirectory: string): SmtpdWorkerPool {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // Workers run the bundle of their code (engine-bundle.ts) with plain node; without
  // one, bin/mtalab.mjs __master, which enters the worker as a cluster worker. Made once,
  // before the first fork.
  let prepared: Promise<void> | undefined;
  const prepare = (): Promise<void> => prepared ??= workerBundle().then((bundle) => {
    cluster.setupPrimary(bundle === undefined
      ? { exec: binPath, args: ['__master', '-c', configDirectory] }
      : { exec: bundle, args: ['-c', configDirectory], execArgv: workerNodeFlags() });
  });
  const reporter: Reporter = createReporter({
    program: 'master', host: runtime.host, pid: runtime.pid, stderr: { isTty: false, write: () => undefined },
  });
  const slots = new Set<Slot>();
  let stopping = false;
  let forks = 0;

  const daemonPath = (): string => `${runtime.config().get('daemon_directory') ?? '/usr/libexec/postfix'}/smtpd`;
  const throttleMs = (): number => {
    try {
      return Math.max(1, runtime.config().getTimeSeconds('service_throttle_time')) * 1000;
    } catch {
      return 60_000;
    }
  };

  const anvil = async (slot: Slot, id: number | undefined, request: AnvilRequest): Promise<void> => {
    const endpoint = runtime.service('anvil');
    const answer = isAnvilEndpoint(endpoint) ? await answerAnvilRequest(endpoint, request) : undefined;
    const ident = `${request.service}:${request.address}`;
    const held = slot.connected.get(ident);
    if (request.request === 'connect' && answer !== undefined && slot.connected.size < WORKER_CONNECTIONS_MAX) {
      if (held === undefined) slot.connected.set(ident, { service: request.service, address: request.address, count: 1 });
      else held.count += 1;
    } else if (request.request === 'disconnect' && held !== undefined && --held.count <= 0) {
      slot.connected.delete(ident);
    }
    if (id !== undefined && slot.worker.isConnected()) slot.worker.send({ kind: 'anvil-answer', id, answer } satisfies ToWorker);
  };

  /** A dead worker's clients are counted out at anvil. */
  const release = (slot: Slot): void => {
    const endpoint = runtime.service('anvil');
    if (!isAnvilEndpoint(endpoint)) return;
    for (const { service, address, count } of slot.connected.values()) {
      for (let index = 0; index < count && index < WORKER_CONNECTIONS_MAX; index++) endpoint.disconnect(service, address);
    }
    slot.connected.clear();
  };

  const fork = (): Promise<Slot> => {
    forks += 1;
    const worker = cluster.fork({ [WORKER_PID_BASE_VARIABLE]: String(runtime.pid + forks * WORKER_PID_BLOCK) });
    const slot: Slot = { worker, pid: worker.process.pid ?? 0, ready: false, ending: false, connected: new Map() };
    slots.add(slot);
    worker.on('exit', (code, signal) => {
      slots.delete(slot);
      release(slot);
      if (stopping || slot.ending) return;
      const how = signal !== null && signal !== undefined ? `killed by signal ${signalNumber(signal)}` : `exit status ${code ?? 0}`;
      reporter.warn(`process ${daemonPath()} pid ${slot.pid} ${how}`);
      void respawn(slot.ready);
    });
    return new Promise((done) => {
      const timer = setTimeout(() => done(slot), WORKER_START_WAIT_MS);
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'trigger') {
          for (const reason of reasonsOfTrigger(textBytes(message.bytes))) runtime.trigger(message.service, reason);
        } else if (message.kind === 'anvil') void anvil(slot, message.id, message.request);
        else if (message.kind === 'ready') {
          slot.ready = true;
          clearTimeout(timer);
          done(slot);
        } else if (message.kind === 'failed') {
          reporter.warn(`${daemonPath()}: ${message.text}`);
        }
      });
      worker.on('exit', () => { clearTimeout(timer); done(slot); });
    });
  };

  const respawn = async (wasReady: boolean): Promise<void> => {
    if (!wasReady) {
      reporter.warn(`${daemonPath()}: bad command startup -- throttling`);
      await sleep(throttleMs());
    }
    if (!stopping && slots.size < smtpdProcessCount(runtime.config())) {
      await prepare();
      await fork();
    }
  };

  const endSlot = async (slot: Slot): Promise<void> => {
    if (slot.worker.isConnected()) slot.worker.send({ kind: 'stop' } satisfies ToWorker);
    slot.ending = true;
    for (let waited = 0; !slot.worker.isDead() && waited < WORKER_STOP_WAIT_MS; waited += 50) await sleep(50);
    if (!slot.worker.isDead()) {
      try {
        process.kill(slot.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  };

  return {
    pids: () => [...slots].map((slot) => slot.pid),
    async resize(count?: number) {
      const wanted = stopping ? 0 : count ?? smtpdProcessCount(runtime.config());
      if (wanted > slots.size) await prepare();
      const starting: Promise<Slot>[] = [];
      for (let count = slots.size; count < wanted; count++) starting.push(fork());
      await Promise.all(starting);
      const extra = [...slots].slice(wanted);
      for (const slot of extra) slots.delete(slot);
      await Promise.all(extra.map(endSlot));
    },
    reload() {
      for (const slot of slots) if (slot.worker.isConnected()) slot.worker.send({ kind: 'reload' } satisfies ToWorker);
    },
    async stop() {
      stopping = true;
      const all = [...slots];
      await Promise.all(all.map(endSlot));
    },
  };
}

/** A worker's trigger text as the bytes a trigger client would have written (bounded as
 *  a trigger connection's read is). */
function textBytes(text: string): Uint8Array {
  const length = Math.min(text.length, TRIGGER_REQUEST_BYTES_MAX);
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = text.charCodeAt(index) & 0xff;
  return bytes;
}

/** A signal's name as the number master logs. */
function signalNumber(signal: string): number {
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}
