// Test fixture for the smtp/lmtp client: a sim host ("mail", 192.0.2.1) whose queue holds
// messages written with the real queue writer, a ServiceContext whose runtime records what
// the client hands to the bounce service, a DNS zone the tests fill in, and scripted fake
// servers listening on the same simulated network (on the host's loopback or on other
// hosts' addresses). Used by test/unit/smtp/*.test.ts and test/pipeline/smtp-client.test.ts.

import { setImmediate as macrotask } from 'node:timers/promises';
import { createSimPlatform, createSimResolver, Scheduler, SimNetwork, type SimPlatform, type SimZone } from '../../../engine/platform/sim/index.ts';
import type { Connection, Listener, Platform } from '../../../engine/platform/types.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { readMainConfig, type MainConfig } from '../../../engine/global/config/main-cf.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { writeQueueFile, commitQueueFile } from '../../../engine/global/queue/queue-file.ts';
import { renderLogLine } from '../../../engine/global/maillog/render.ts';
import type { TraceEvent, TraceInput } from '../../../engine/global/trace.ts';
import type { MasterEntry } from '../../../engine/global/config/master-cf.ts';
import type {
  BounceEndpoint, DeliveryAgentEndpoint, DeliveryRequest, DeliveryResult, HostRuntime, RecipientStatus, RunningService,
  ServiceContext, ServiceProgram,
} from '../../../engine/master/contracts.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';

export const QUEUE_DIRECTORY = '/var/spool/postfix';
export const CONFIG_DIRECTORY = '/etc/postfix';
export const HOST_ADDRESS = '192.0.2.1';
/** 2026-11-22 09:47:04 UTC, the clock of the reference capture logs/w. */
export const START_MS = Date.UTC(2026, 10, 22, 9, 47, 4, 10);
/** Scheduler events one delivery may take. */
export const DELIVERY_EVENTS_MAX = 50_000;
/** Virtual time run after a delivery returns, so that in-flight bytes arrive. */
export const SETTLE_AFTER_MS = 1_000;

export const BASE_MAIN_CF = `compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain
inet_protocols = ipv4
inet_interfaces = all
queue_directory = ${QUEUE_DIRECTORY}
`;

export interface AppendedRecord { log: 'bounce' | 'defer' | 'trace'; queueId: string; status: RecipientStatus }

/** What a fake server does. Replies are full lines without CRLF; several lines for one
 *  reply are given as an array. A function sees the command line. */
export interface ServerScript {
  /** The greeting; null never greets (a black hole); 'close' closes at once. */
  greeting?: string | string[] | null | 'close';
  ehlo?: string | string[];
  helo?: string;
  mail?: string | ((line: string) => string);
  rcpt?: string | ((line: string) => string);
  data?: string;
  /** Reply to end of data; for LMTP, an array of replies (one per accepted recipient). */
  dot?: string | string[];
  rset?: string;
  quit?: string;
  /** Closes the connection instead of replying when the command starts with this verb. */
  closeOn?: string;
  /** Delay of every reply, in virtual ms. */
  delayMs?: number;
  /** Drops the connection this long after it was accepted. */
  closeAfterMs?: number;
  /** Announces AUTH PLAIN LOGIN and accepts any AUTH PLAIN login (235), recording it. */
  auth?: boolean;
  /** Announces STARTTLS and does the (simulated) handshake as the server. */
  starttls?: boolean;
}

export interface FakeServer {
  listener: Listener;
  /** Every command line received, per connection. */
  sessions: string[][];
  /** The raw DATA bytes received (dot-stuffed, through the final ".\r\n"), per message. */
  messages: Uint8Array[];
  /** The user names of AUTH PLAIN logins, per connection (script.auth). */
  logins: string[][];
  close(): Promise<void>;
}

const decoder = new TextDecoder('latin1');
const encoder = new TextEncoder();

function replyLines(reply: string | string[]): string {
  const lines = Array.isArray(reply) ? reply : [reply];
  return lines.map((line) => `${line}\r\n`).join('');
}

/** A server speaking just enough SMTP to follow a script. */
export async function startFakeServer(platform: SimPlatform, address: string, port: number, script: ServerScript): Promise<FakeServer> {
  const sessions: string[][] = [];
  const messages: Uint8Array[] = [];
  const logins: string[][] = [];
  const listener = await platform.net.listen(address, port, (connection: Connection) => {
    const commands: string[] = [];
    sessions.push(commands);
    const users: string[] = [];
    logins.push(users);
    const ehloLines = (): string[] => {
      const base = Array.isArray(script.ehlo) ? script.ehlo : script.ehlo === undefined
        ? ['250-fake.example.net', '250-PIPELINING', '250-SIZE 10240000', '250-8BITMIME', '250 DSN'] : [script.ehlo];
      const extra = [...(script.auth === true ? ['AUTH PLAIN LOGIN'] : []), ...(script.starttls === true ? ['STARTTLS'] : [])];
      if (extra.length === 0) return base;
      const last = base.length - 1;
      return [...base.slice(0, last), `250-${base[last]!.slice(4)}`, ...extra.map((word, index) => `250${index === extra.length - 1 ? ' ' : '-'}${word}`)];
    };
    let buffer: number[] = [];
    let inData = false;
    let dataBytes: number[] = [];
    const send = (reply: string | string[]): void => {
      const text = replyLines(reply);
      if (script.delayMs) platform.timers.after(script.delayMs, () => connection.write(encoder.encode(text)));
      else connection.write(encoder.encode(text));
    };
    const answer = (line: string): void => {
      commands.push(line);
      const verb = line.split(' ')[0]!.toUpperCase();
      if (script.closeOn !== undefined && verb === script.closeOn) { connection.destroy(); return; }
      switch (verb) {
        case 'EHLO':
        case 'LHLO': send(ehloLines()); return;
        case 'AUTH': {
          if (script.auth !== true) break;
          const initial = line.split(' ')[2] ?? '';
          users.push(Buffer.from(initial, 'base64').toString('latin1').split('\0')[1] ?? '');
          send('235 2.7.0 Authentication successful');
          return;
        }
        case 'STARTTLS':
          if (script.starttls !== true) break;
          send('220 2.0.0 Ready to start TLS');
          void connection.startTls({ role: 'server', certPem: 'simulated', keyPem: 'simulated' }).catch(() => undefined);
          return;
        case 'HELO': send(script.helo ?? '250 fake.example.net'); return;
        case 'MAIL': send(typeof script.mail === 'function' ? script.mail(line) : script.mail ?? '250 2.1.0 Ok'); return;
        case 'RCPT': send(typeof script.rcpt === 'function' ? script.rcpt(line) : script.rcpt ?? '250 2.1.5 Ok'); return;
        case 'DATA':
          send(script.data ?? '354 End data with <CR><LF>.<CR><LF>');
          if ((script.data ?? '354').startsWith('354')) { inData = true; dataBytes = []; }
          return;
        case 'RSET': send(script.rset ?? '250 2.0.0 Ok'); return;
        case 'QUIT': send(script.quit ?? '221 2.0.0 Bye'); connection.end(); return;
        default: break;
      }
      send('502 5.5.2 Error: command not recognized');
    };
    connection.onData((chunk) => {
      for (const byte of chunk) {
        if (inData) {
          dataBytes.push(byte);
          const length = dataBytes.length;
          const ended = length >= 3 && dataBytes[length - 3] === 0x2e && dataBytes[length - 2] === 0x0d && dataBytes[length - 1] === 0x0a
            && (length === 3 || (dataBytes[length - 5] === 0x0d && dataBytes[length - 4] === 0x0a));
          if (ended) {
            inData = false;
            messages.push(Uint8Array.from(dataBytes));
            const dot = script.dot ?? '250 2.0.0 Ok: queued as 1A2B3C4D5E';
            for (const reply of Array.isArray(dot) ? dot : [dot]) send(reply);
          }
          continue;
        }
        if (byte === 0x0a) {
          const line = decoder.decode(Uint8Array.from(buffer)).replace(/\r$/, '');
          buffer = [];
          answer(line);
          continue;
        }
        buffer.push(byte);
      }
    });
    connection.onClose(() => undefined);
    if (script.closeAfterMs !== undefined) platform.timers.after(script.closeAfterMs, () => connection.destroy());
    if (script.greeting === 'close') { connection.destroy(); return; }
    if (script.greeting === null) return;
    send(script.greeting ?? '220 fake.example.net ESMTP');
  });
  return { listener, sessions, messages, logins, close: () => listener.close() };
}

export interface ClientFixture {
  platform: SimPlatform;
  scheduler: Scheduler;
  network: SimNetwork;
  host: Host;
  zone: SimZone;
  events: TraceEvent[];
  appended: AppendedRecord[];
  /** A second machine on the network that owns `addresses` (for MX tests). */
  addMachine(name: string, addresses: string[]): SimPlatform;
  queueMessage(options: QueueMessageOptions): Promise<DeliveryRequest>;
  /** Starts `program`, delivers one request and runs the scheduler until it returns. */
  deliver(program: ServiceProgram, request: DeliveryRequest, serviceName?: string): Promise<DeliveryResult>;
  /** Starts `program` once, for several deliveries through `deliverWith` (connection reuse). */
  start(program: ServiceProgram, serviceName?: string): Promise<RunningService & DeliveryAgentEndpoint>;
  /** One request to a running service, run like deliver() (the service keeps running). */
  deliverWith(running: DeliveryAgentEndpoint, request: DeliveryRequest): Promise<DeliveryResult>;
  logLines(): string[];
  isDone(request: DeliveryRequest, index: number): Promise<boolean>;
}

export interface QueueMessageOptions {
  sender: string;
  recipients: Array<{ address: string; originalRecipient?: string; dsnNotify?: number }>;
  content: string;
  nexthop: string;
  transport?: string;
  attributes?: Array<{ name: string; value: string }>;
  flags?: DeliveryRequest['flags'];
  dsnEnvelopeId?: string;
  dsnReturn?: string;
}

function masterEntry(serviceName: string, program: string): MasterEntry {
  const words = [serviceName, 'unix', '-', '-', 'n', '-', '-', program];
  return {
    service: serviceName, type: 'unix', private: '-', unprivileged: '-', chroot: 'n', wakeup: '-', processLimit: '-',
    command: program, arguments: [], overrides: new Map(), words, file: `${CONFIG_DIRECTORY}/master.cf`, line: 1, text: words.join(' '),
  } as MasterEntry;
}

export interface ClientFixtureOptions {
  mainCf?: string;
  /** Run on this platform (e.g. the node platform for interop) with files under `root`
   *  instead of the simulation. */
  platform?: Platform;
  root?: string;
}

export async function createClientFixture(options: ClientFixtureOptions = {}): Promise<ClientFixture> {
  const scheduler = new Scheduler({ startMs: START_MS, settle: () => macrotask() });
  const network = new SimNetwork(scheduler);
  const zone: SimZone = { records: {}, failures: {} };
  const simPlatform = createSimPlatform({
    hostName: 'mail', seed: 7, scheduler, network, addresses: [HOST_ADDRESS], dns: createSimResolver(zone, scheduler),
  });
  const platform = (options.platform ?? simPlatform) as SimPlatform;
  const root = options.root ?? '';
  const configDirectory = `${root}${CONFIG_DIRECTORY}`;
  const queueDirectory = `${root}${QUEUE_DIRECTORY}`;
  const host = createHost({ name: 'mail', platform });
  const fs = platform.fs;
  await fs.mkdir(configDirectory, { recursive: true });
  await fs.writeFile(`${configDirectory}/main.cf`, (options.mainCf ?? BASE_MAIN_CF).replace(`queue_directory = ${QUEUE_DIRECTORY}`, `queue_directory = ${queueDirectory}`));
  await fs.mkdir(`${queueDirectory}/active`, { recursive: true });
  const stderr = new CapturedOutput();
  const config: MainConfig = await readMainConfig({ fs, directory: configDirectory, reporter: createReporter({ program: 'test', host, pid: 1, stderr }), host });
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
    host, configDirectory, config: () => config,
    queue: () => ({ queueDirectory, fs }),
    bounce: () => bounce,
    trigger: () => undefined,
  } as unknown as HostRuntime;
  let nextPid = 2000;
  let queueCounter = 0;
  const context = (program: string, serviceName: string): ServiceContext => {
    const pid = nextPid++;
    return {
      host, runtime, entry: masterEntry(serviceName, program), serviceName, program, pid,
      config: () => config,
      log: createReporter({ program, host, pid, stderr }),
      trace: (detail) => { platform.trace.emit({ ...detail, host: host.name, service: program, pid } as TraceInput); },
    };
  };
  const fixture: ClientFixture = {
    platform, scheduler, network, host, zone, events, appended,
    addMachine(name, addresses) {
      return createSimPlatform({ hostName: name, seed: 7, scheduler, network, addresses, dns: zone });
    },
    async queueMessage(message) {
      const queueId = `7E5F6168${String(++queueCounter).padStart(3, '0')}`;
      const path = `${queueDirectory}/active/${queueId}`;
      const nowMs = platform.clock.nowMs();
      const handle = await fs.open(path, 'wx', 0o600);
      const lines = message.content.replace(/\n$/, '').split('\n').map((line) => encoder.encode(line));
      const layout = await writeQueueFile(handle, {
        arrivalTime: { seconds: Math.floor(nowMs / 1000), microseconds: (nowMs % 1000) * 1000 },
        createTimeSeconds: Math.floor(nowMs / 1000),
        envelope: [{ kind: 'sender', address: message.sender }],
        recipients: message.recipients.map((recipient) => ({ address: recipient.address, originalRecipient: recipient.originalRecipient })),
        contentLines: lines,
        ...(message.attributes ? { extracted: message.attributes.map((attribute) => ({ kind: 'attribute' as const, ...attribute })) } : {}),
      } as Parameters<typeof writeQueueFile>[1]);
      await commitQueueFile(fs, path, handle);
      await handle.close();
      return {
        queueName: 'active', queueId, queuePath: `active/${queueId}`, transport: message.transport ?? 'smtp',
        nexthop: message.nexthop, sender: message.sender,
        arrivalTime: { seconds: Math.floor(nowMs / 1000), microseconds: (nowMs % 1000) * 1000 },
        activeSinceMs: nowMs, messageSize: layout.size.contentSize, contentOffset: layout.size.dataOffset,
        recipients: message.recipients.map((recipient, index) => ({
          address: recipient.address, originalRecipient: recipient.originalRecipient ?? recipient.address,
          offset: layout.recipientOffsets[index] ?? 0, dsnNotify: recipient.dsnNotify ?? 0,
        })),
        ...(message.flags ? { flags: message.flags } : {}),
        ...(message.dsnEnvelopeId !== undefined ? { dsnEnvelopeId: message.dsnEnvelopeId } : {}),
        ...(message.dsnReturn !== undefined ? { dsnReturn: message.dsnReturn } : {}),
      };
    },
    async deliver(program, request, serviceName = program.program) {
      const running = await fixture.start(program, serviceName);
      try {
        return await fixture.deliverWith(running, request);
      } finally {
        await running.stop();
      }
    },
    async start(program, serviceName = program.program) {
      return await program.start(context(program.program, serviceName)) as RunningService & DeliveryAgentEndpoint;
    },
    async deliverWith(running, request) {
      let result: DeliveryResult | undefined;
      let failure: unknown;
      let finished = false;
      const pending = running.deliver(request).then((value) => { result = value; finished = true; }, (error: unknown) => { failure = error; finished = true; });
      if (options.platform !== undefined) await pending;
      await scheduler.runUntil(() => finished, { eventsMax: DELIVERY_EVENTS_MAX });
      for (let turn = 0; turn < 50 && !finished; turn++) await macrotask();
      // Let what is still on the wire (QUIT after the last reply) reach the server.
      await scheduler.runUntil(scheduler.nowMs() + SETTLE_AFTER_MS, { eventsMax: DELIVERY_EVENTS_MAX });
      if (failure !== undefined) throw failure;
      if (result === undefined) throw new Error('delivery did not finish within the event budget');
      return result;
    },
    logLines() {
      return events.map((event) => renderLogLine(event, 'postfix')).filter((line): line is string => line !== undefined);
    },
    async isDone(request, index) {
      const handle = await fs.open(`${queueDirectory}/${request.queuePath}`, 'r');
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
