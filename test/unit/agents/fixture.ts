// A stand-alone sim host for the delivery-agent unit tests: main.cf text, /etc/passwd, a
// queue file written with the real queue writer, a ServiceContext whose runtime records
// what the agents hand to the bounce service, and the maillog lines the trace renders to.
// Used by test/unit/agents/*.test.ts. The agents run exactly as master would run them.

import { createSimPlatform, Scheduler, type SimPlatform } from '../../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { readMainConfig, type MainConfig } from '../../../engine/global/config/main-cf.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { writeQueueFile, commitQueueFile } from '../../../engine/global/queue/queue-file.ts';
import { renderLogLine } from '../../../engine/global/maillog/render.ts';
import type { TraceEvent, TraceInput } from '../../../engine/global/trace.ts';
import type { MasterEntry } from '../../../engine/global/config/master-cf.ts';
import type {
  BounceEndpoint, DeliveryAgentEndpoint, DeliveryRequest, HostRuntime, RecipientStatus, RunningService,
  ServiceContext, ServiceProgram,
} from '../../../engine/master/contracts.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';

export const QUEUE_DIRECTORY = '/var/spool/postfix';
export const CONFIG_DIRECTORY = '/etc/postfix';
/** 2026-11-22 09:27:24 UTC, the reference capture's clock. */
export const START_MS = Date.UTC(2026, 10, 22, 9, 27, 24, 10);

export const BASE_MAIN_CF = `compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain
queue_directory = ${QUEUE_DIRECTORY}
`;

export interface AppendedRecord {
  log: 'bounce' | 'defer' | 'trace';
  queueId: string;
  status: RecipientStatus;
}

export interface AgentFixture {
  platform: SimPlatform;
  host: Host;
  config: MainConfig;
  events: TraceEvent[];
  appended: AppendedRecord[];
  stderr: CapturedOutput;
  context(program: string, serviceName?: string, argumentsWords?: string[]): ServiceContext;
  /** Writes an active queue file; returns the request qmgr would build for it. */
  queueMessage(options: QueueMessageOptions): Promise<DeliveryRequest>;
  /** Starts a program and delivers one request through its endpoint. */
  deliver(program: ServiceProgram, request: DeliveryRequest, serviceName?: string, argumentsWords?: string[]): Promise<ReturnType<DeliveryAgentEndpoint['deliver']> extends Promise<infer R> ? R : never>;
  /** Maillog lines rendered from the trace (tag "postfix/program[pid]: text"). */
  logLines(): string[];
  /** Warnings and fatals from the agents. */
  diagnostics(): string[];
  readText(path: string): Promise<string>;
  isDone(request: DeliveryRequest, index: number): Promise<boolean>;
}

export interface QueueMessageOptions {
  queueId?: string;
  sender: string;
  recipients: { address: string; originalRecipient?: string }[];
  content: string;
  nexthop?: string;
  transport?: string;
  flags?: DeliveryRequest['flags'];
  clientAddress?: string;
  clientName?: string;
}

function masterEntry(serviceName: string, program: string, argumentsWords: string[]): MasterEntry {
  const words = [serviceName, 'unix', '-', '-', 'n', '-', '-', program, ...argumentsWords];
  return {
    service: serviceName, type: 'unix', private: '-', unprivileged: '-', chroot: 'n', wakeup: '-', processLimit: '-',
    command: program, arguments: argumentsWords, overrides: new Map(), words, file: `${CONFIG_DIRECTORY}/master.cf`,
    line: 1, text: words.join(' '),
  } as MasterEntry;
}

export async function createAgentFixture(options: { mainCf?: string; passwd?: string; group?: string; files?: Record<string, string> } = {}): Promise<AgentFixture> {
  const platform = createSimPlatform({ hostName: 'mail', seed: 7, scheduler: new Scheduler({ startMs: START_MS }) });
  const host = createHost({ name: 'mail', platform });
  const fs = platform.fs;
  await fs.mkdir(CONFIG_DIRECTORY, { recursive: true });
  await fs.writeFile(`${CONFIG_DIRECTORY}/main.cf`, options.mainCf ?? BASE_MAIN_CF);
  await fs.writeFile('/etc/passwd', options.passwd ?? 'root:x:0:0:root:/root:/bin/bash\npostfix:x:102:104::/var/spool/postfix:/usr/sbin/nologin\nalice:x:1001:1001::/home/alice:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  await fs.writeFile('/etc/group', options.group ?? 'root:x:0:\npostfix:x:104:\npostdrop:x:105:\nalice:x:1001:\nnogroup:x:65534:\n');
  await fs.mkdir(`${QUEUE_DIRECTORY}/active`, { recursive: true });
  for (const [path, text] of Object.entries(options.files ?? {})) {
    await fs.mkdir(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true });
    await fs.writeFile(path, text);
  }
  const stderr = new CapturedOutput();
  const config = await readMainConfig({ fs, directory: CONFIG_DIRECTORY, reporter: createReporter({ program: 'test', host, pid: 1, stderr }), host });
  const events: TraceEvent[] = [];
  platform.trace.subscribe((event) => events.push(event));
  const appended: AppendedRecord[] = [];
  const bounce: BounceEndpoint = {
    append: (log, queueId, status) => { appended.push({ log, queueId, status }); return Promise.resolve(); },
    flushBounces: () => Promise.resolve(undefined),
    flushDeferred: () => Promise.resolve(undefined),
    warnDelayed: () => Promise.resolve(undefined),
    flushTrace: () => Promise.resolve(undefined),
  };
  const runtime = {
    host, configDirectory: CONFIG_DIRECTORY, config: () => config,
    queue: () => ({ queueDirectory: QUEUE_DIRECTORY, fs }),
    bounce: () => bounce,
    trigger: () => undefined,
  } as unknown as HostRuntime;
  let nextPid = 2000;
  let queueCounter = 0;
  const context = (program: string, serviceName = program, argumentsWords: string[] = []): ServiceContext => {
    const pid = nextPid++;
    return {
      host, runtime, entry: masterEntry(serviceName, program, argumentsWords), serviceName, program, pid,
      config: () => config,
      log: createReporter({ program, host, pid, stderr }),
      trace: (detail) => { platform.trace.emit({ ...detail, host: host.name, service: program, pid } as TraceInput); },
    };
  };
  const fixture: AgentFixture = {
    platform, host, config, events, appended, stderr, context,
    async queueMessage(message) {
      const queueId = message.queueId ?? `4A1B2C${String(++queueCounter).padStart(5, '0')}`;
      const path = `${QUEUE_DIRECTORY}/active/${queueId}`;
      const nowMs = platform.clock.nowMs();
      const handle = await fs.open(path, 'wx', 0o600);
      const lines = message.content.replace(/\n$/, '').split('\n').map((line) => new TextEncoder().encode(line));
      const layout = await writeQueueFile(handle, {
        arrivalTime: { seconds: Math.floor(nowMs / 1000), microseconds: (nowMs % 1000) * 1000 },
        createTimeSeconds: Math.floor(nowMs / 1000),
        envelope: [{ kind: 'sender', address: message.sender }],
        recipients: message.recipients,
        contentLines: lines,
      });
      await commitQueueFile(fs, path, handle);
      await handle.close();
      return {
        queueName: 'active', queueId, queuePath: `active/${queueId}`, transport: message.transport ?? 'virtual',
        nexthop: message.nexthop ?? 'example.org', sender: message.sender,
        arrivalTime: { seconds: Math.floor(nowMs / 1000), microseconds: (nowMs % 1000) * 1000 },
        activeSinceMs: nowMs, messageSize: layout.size.contentSize, contentOffset: layout.size.dataOffset,
        recipients: message.recipients.map((recipient, index) => ({
          address: recipient.address, originalRecipient: recipient.originalRecipient ?? recipient.address,
          offset: layout.recipientOffsets[index] ?? 0, dsnNotify: 0,
        })),
        ...(message.flags ? { flags: message.flags } : {}),
        ...(message.clientAddress !== undefined ? { clientAddress: message.clientAddress } : {}),
        ...(message.clientName !== undefined ? { clientName: message.clientName } : {}),
      };
    },
    async deliver(program, request, serviceName, argumentsWords) {
      const running = await program.start(context(program.program, serviceName, argumentsWords)) as RunningService & DeliveryAgentEndpoint;
      try {
        return await running.deliver(request);
      } finally {
        await running.stop();
      }
    },
    logLines() {
      return events.map((event) => renderLogLine(event, 'postfix')).filter((line): line is string => line !== undefined);
    },
    diagnostics() {
      return events.filter((event) => event.kind === 'diagnostic').map((event) => {
        const detail = event as unknown as { severity: string; text: string; service: string };
        return `${detail.service}: ${detail.severity}: ${detail.text}`;
      });
    },
    async readText(path) {
      return new TextDecoder().decode(await fs.readFile(path));
    },
    async isDone(request, index) {
      const handle = await fs.open(`${QUEUE_DIRECTORY}/${request.queuePath}`, 'r');
      try {
        const [type] = await handle.read(1, request.recipients[index]!.offset);
        return type === 0x44;
      } finally {
        await handle.close();
      }
    },
  };
  return fixture;
}
