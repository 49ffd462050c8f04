// Test fixtures for qmgr: a sim host's queue directory, queue files written as cleanup does,
// a fake resolver (local domain -> local, the rest -> smtp:domain), recording delivery
// agents and bounce endpoint, and a reporter that keeps defer/bounce logs as files and
// marks recipients done like the delivery-status library. `settle` steps the scheduler one
// event at a time and lets the queue manager finish each before the clock moves on.
import { createSimPlatform, Scheduler, type SimPlatform } from '../../../engine/platform/sim/index.ts';
import { mailQueue, queueFilePath, type MailQueue } from '../../../engine/global/queue/mail-queue.ts';
import {
  writeQueueFile, commitQueueFile, splitContentLines, markRecipientDone, type QueueFileInput,
} from '../../../engine/global/queue/queue-file.ts';
import type {
  DeliveryAgentEndpoint, DeliveryRequest, DeliveryResult, RecipientStatus, Resolution, ServiceTraceInput,
} from '../../../engine/master/contracts.ts';
import { createQueueManager, defaultQmgrSettings, type QmgrSettings, type QueueManager } from '../../../engine/qmgr/api.ts';
import type { QmgrEnvironment } from '../../../engine/qmgr/environment.ts';

export const SPOOL = '/var/spool/postfix';
export const START_SECONDS = 1_795_339_798;
export const QUEUE_NAMES = ['incoming', 'active', 'deferred', 'hold', 'corrupt', 'defer', 'bounce', 'trace', 'maildrop'];

export interface Outcome { queueId: string; recipient: string; kind: 'sent' | 'deferred' | 'bounced'; dsn: string; reason: string; transport: string }

export interface Agent extends DeliveryAgentEndpoint {
  requests: DeliveryRequest[];
  /** Most requests in progress at once. */
  concurrentMax: number;
}

export type AgentBehaviour = (request: DeliveryRequest, recipient: DeliveryRequest['recipients'][number]) =>
  { kind: 'sent' | 'deferred' | 'bounced'; dsn?: string; reason?: string };

export interface TestHost {
  platform: SimPlatform;
  scheduler: Scheduler;
  queue: MailQueue;
  environment: QmgrEnvironment;
  manager: QueueManager;
  events: ServiceTraceInput[];
  warnings: string[];
  outcomes: Outcome[];
  agents: Map<string, Agent>;
  bounceCalls: string[];
  settings: QmgrSettings;
  /** Fires timers up to untilMs, letting qmgr finish after each. */
  runUntil(untilMs: number): Promise<void>;
  nowSeconds(): number;
  /** The trace events of kinds qmgr logs, as short strings. */
  log(): string[];
}

const encoder = new TextEncoder();

export function messageInput(options: { sender?: string; recipients: string[]; arrival?: number; body?: string; warnAt?: number }): QueueFileInput {
  const arrival = options.arrival ?? START_SECONDS;
  const input: QueueFileInput = {
    arrivalTime: { seconds: arrival, microseconds: 5 },
    createTimeSeconds: arrival,
    envelope: [{ kind: 'attribute', name: 'rewrite_context', value: 'local' }, { kind: 'sender', address: options.sender ?? 'alice@example.com' }],
    recipients: options.recipients.map((address) => ({ address })),
    contentLines: splitContentLines(encoder.encode(options.body ?? 'Subject: test\n\nbody\n')),
  };
  if (options.warnAt !== undefined) input.warningTimeSeconds = options.warnAt;
  return input;
}

/** Writes a ready queue file as cleanup does; returns its id. */
export async function queueMessage(host: Pick<TestHost, 'queue'>, queueName: string, id: string, input: QueueFileInput, mode = 0o700): Promise<string> {
  const path = queueFilePath(host.queue, queueName, id);
  await host.queue.fs.mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  const handle = await host.queue.fs.open(path, 'wx', 0o600);
  await writeQueueFile(handle, input);
  await commitQueueFile(host.queue.fs, path, handle, mode);
  await handle.close();
  return id;
}

/** Canonical form as trivial-rewrite's "local" context makes it: a bare name gets @example.com. */
export function fakeRewrite(context: 'local' | 'remote', address: string): Promise<string> {
  void context;
  return Promise.resolve(address.includes('@') || address === '' ? address : `${address}@example.com`);
}

export function fakeResolve(sender: string, address: string): Promise<Resolution> {
  void sender;
  if (address.includes('resolverfail')) return Promise.resolve({ addressClass: 'default', transport: '', nexthop: '', recipient: address, flags: ['fail'] });
  const domain = address.includes('@') ? address.slice(address.lastIndexOf('@') + 1) : 'example.com';
  const recipient = address.includes('@') ? address : `${address}@example.com`;
  if (domain === 'example.com') return Promise.resolve({ addressClass: 'local', transport: 'local', nexthop: 'example.com', recipient, flags: [] });
  if (domain === 'nowhere.test') return Promise.resolve({ addressClass: 'default', transport: 'uucp', nexthop: domain, recipient, flags: [] });
  return Promise.resolve({ addressClass: 'default', transport: 'smtp', nexthop: domain, recipient, flags: [] });
}

export async function createTestHost(options: {
  settings?: Partial<QmgrSettings>;
  behaviour?: AgentBehaviour;
  /** Virtual milliseconds each delivery takes. */
  deliveryMs?: number;
  /** Transports that have an agent (default local, smtp). */
  transports?: string[];
  deadDestinations?: string[];
  setup?: (host: Pick<TestHost, 'queue'>) => Promise<void>;
} = {}): Promise<TestHost> {
  const scheduler = new Scheduler({ startMs: START_SECONDS * 1000 });
  const platform = createSimPlatform({ hostName: 'mail', seed: 3, scheduler });
  const queue = mailQueue(platform.fs, SPOOL);
  for (const name of QUEUE_NAMES) await platform.fs.mkdir(`${SPOOL}/${name}`, { recursive: true });
  const events: ServiceTraceInput[] = [];
  const warnings: string[] = [];
  const outcomes: Outcome[] = [];
  const bounceCalls: string[] = [];
  const settings = defaultQmgrSettings(options.settings);
  const appendLog = async (log: string, queueId: string, status: RecipientStatus): Promise<void> => {
    const path = queueFilePath(queue, log, queueId);
    await platform.fs.mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
    await platform.fs.appendFile(path, `recipient=${status.recipient.address} status=${status.dsn} reason=${status.reason}\n`);
  };
  const markDone = async (request: DeliveryRequest, status: RecipientStatus): Promise<void> => {
    const handle = await platform.fs.open(`${SPOOL}/${request.queuePath}`, 'r+');
    await markRecipientDone(handle, status.recipient.offset);
    await handle.close();
  };
  const record = (request: DeliveryRequest, status: RecipientStatus, kind: Outcome['kind']): void => {
    outcomes.push({ queueId: request.queueId, recipient: status.recipient.address, kind, dsn: status.dsn, reason: status.reason, transport: request.transport });
  };
  const removeLog = async (log: string, queueId: string): Promise<void> => {
    try { await platform.fs.unlink(queueFilePath(queue, log, queueId)); } catch { /* absent */ }
  };
  const environment: QmgrEnvironment = {
    queue,
    clock: platform.clock,
    timers: platform.timers,
    settings: () => settings,
    rewrite: { resolve: fakeResolve, rewrite: fakeRewrite },
    deliveryAgent: (transport) => agents.get(transport),
    bounce: {
      append: (log, queueId, status) => appendLog(log, queueId, status),
      flushBounces: async (queueId) => { bounceCalls.push(`bounce ${queueId}`); await removeLog('bounce', queueId); return 'NEW1'; },
      flushDeferred: async (queueId) => { bounceCalls.push(`expire ${queueId}`); await removeLog('defer', queueId); return 'NEW2'; },
      warnDelayed: async (queueId) => { bounceCalls.push(`warn ${queueId}`); return 'NEW3'; },
      flushTrace: async (queueId) => { bounceCalls.push(`trace ${queueId}`); await removeLog('trace', queueId); return 'NEW4'; },
    },
    report: {
      deferred: async (request, status) => { record(request, status, 'deferred'); await appendLog('defer', request.queueId, status); },
      bounced: async (request, status) => { record(request, status, 'bounced'); await appendLog('bounce', request.queueId, status); await markDone(request, status); return true; },
      sent: async (request, status) => { record(request, status, 'sent'); await markDone(request, status); },
      expired: async (message) => {
        events.push({ kind: 'qmgr.expired', queueId: message.queueId, sender: message.sender, ...(message.forced === true ? { forced: true } : {}) });
        bounceCalls.push(`expire ${message.queueId}`);
        await removeLog('defer', message.queueId);
        return 'NEW2';
      },
    },
    trace: (input) => { events.push(input); },
    warn: (text) => { warnings.push(text); },
  };
  const behaviour: AgentBehaviour = options.behaviour ?? (() => ({ kind: 'sent' }));
  const dead = new Set(options.deadDestinations ?? []);
  const agents = new Map<string, Agent>();
  for (const transport of options.transports ?? ['local', 'smtp']) {
    let inProgress = 0;
    const agent: Agent = {
      requests: [],
      concurrentMax: 0,
      async deliver(request): Promise<DeliveryResult> {
        agent.requests.push(request);
        inProgress++;
        agent.concurrentMax = Math.max(agent.concurrentMax, inProgress);
        if (options.deliveryMs !== undefined) await new Promise<void>((resolve) => platform.timers.after(options.deliveryMs ?? 0, resolve));
        inProgress--;
        if (dead.has(request.nexthop)) {
          for (const recipient of request.recipients) {
            await environment.report.deferred(request, { recipient, dsn: '4.4.1', action: 'delayed', reason: 'connect to x: Connection refused', relay: 'none' });
          }
          return { deferred: true, destinationDead: { dsn: '4.4.1', reason: 'connect to x: Connection refused' } };
        }
        let deferred = false;
        for (const recipient of request.recipients) {
          const result = behaviour(request, recipient);
          const status: RecipientStatus = { recipient, dsn: result.dsn ?? (result.kind === 'sent' ? '2.0.0' : result.kind === 'deferred' ? '4.0.0' : '5.0.0'), action: 'delivered', reason: result.reason ?? result.kind, relay: transport };
          if (result.kind === 'sent') await environment.report.sent(request, status);
          if (result.kind === 'deferred') { deferred = true; await environment.report.deferred(request, status); }
          if (result.kind === 'bounced') await environment.report.bounced(request, status);
        }
        return { deferred };
      },
    };
    agents.set(transport, agent);
  }
  if (options.setup) await options.setup({ queue });
  const manager = createQueueManager(environment);
  const host: TestHost = {
    platform, scheduler, queue, environment, manager, events, warnings, outcomes, agents, bounceCalls, settings,
    async runUntil(untilMs) {
      await settle();
      for (let step = 0; step < 100_000; step++) {
        const next = scheduler.peek();
        if (next === undefined || next.atMs > untilMs) break;
        scheduler.step();
        await settle();
      }
      await scheduler.runUntil(untilMs, { eventsMax: 0 });
    },
    nowSeconds: () => Math.floor(scheduler.nowMs() / 1000),
    log: () => events.filter((event) => ['qmgr.active', 'qmgr.removed', 'qmgr.expired', 'queue.moved', 'delivery.request'].includes(event.kind))
      .map((event) => describe(event)),
  };
  return host;
}

/** Lets every promise chain that does not wait on a timer run to its end: the sim file
 *  system answers in microtasks, so one macrotask turn drains them all. */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function describe(event: ServiceTraceInput): string {
  switch (event.kind) {
    case 'qmgr.active': return `${event.queueId}: from=<${event.sender}>, size=${event.size}, nrcpt=${event.recipients} (queue active)`;
    case 'qmgr.removed': return `${event.queueId}: removed`;
    case 'qmgr.expired': return `${event.queueId}: from=<${event.sender}>, status=${event.forced === true ? 'force-expired' : 'expired'}, returned to sender`;
    case 'queue.moved': return `${event.queueId}: ${event.from} -> ${event.to}`;
    case 'delivery.request': return `${event.queueId}: ${event.transport}:${event.nexthop} ${event.recipients.join(',')}`;
    default: return event.kind;
  }
}

export async function exists(host: Pick<TestHost, 'queue'>, queueName: string, id: string): Promise<boolean> {
  try {
    await host.queue.fs.stat(queueFilePath(host.queue, queueName, id));
    return true;
  } catch {
    return false;
  }
}
