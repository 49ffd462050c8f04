// A bench for the bounce service and the delivery-status library without a running host:
// a sim platform, main.cf text read by the real config reader, a queue directory, the real
// bounce core, and a cleanup double that records what would be queued. Also a small MIME
// reader to take a composed notice apart again.
// Used by test/unit/bounce/*.test.ts.

import { createSimPlatform, Scheduler } from '../../../engine/platform/sim/index.ts';
import { createHost } from '../../../engine/global/host.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';
import { readMainConfig, type MainConfig } from '../../../engine/global/config/main-cf.ts';
import { mailQueue, queueFilePath } from '../../../engine/global/queue/mail-queue.ts';
import { writeQueueFile, commitQueueFile, splitContentLines, type EnvelopeEntry } from '../../../engine/global/queue/queue-file.ts';
import type {
  CleanupEndpoint, CleanupResult, DeliveryRequest, HostRuntime, RecipientStatus, ServiceContext, SubmittedRecipient,
} from '../../../engine/master/contracts.ts';
import type { MasterEntry } from '../../../engine/global/config/master-cf.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import { createBounceCore, type BounceCore } from '../../../engine/bounce/api.ts';

export const QUEUE_DIRECTORY = '/var/spool/postfix';
/** 2026-11-22 09:27:55 UTC, the clock of the reference scenario (h). */
export const REFERENCE_START_MS = 1_795_339_675_000;

export const BASE_MAIN_CF = `compatibility_level = 3.6
queue_directory = ${QUEUE_DIRECTORY}
myhostname = mail.example.com
mydomain = example.com
myorigin = $mydomain
`;

export interface Submission {
  queueId: string;
  sender: string;
  recipients: SubmittedRecipient[];
  content: string;
  client: { service: string; rewriteContext: string };
  skipContentChecks: boolean;
}

export interface Bench {
  context: ServiceContext;
  core: BounceCore;
  config: MainConfig;
  scheduler: Scheduler;
  fs: ReturnType<typeof createSimPlatform>['fs'];
  events: TraceEvent[];
  warnings: CapturedOutput;
  submissions: Submission[];
  /** Make cleanup refuse the next submissions with this result. */
  failCleanup?: CleanupResult;
  queuePath(queueName: string, id: string): string;
  readText(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
}

const decoder = new TextDecoder('latin1');

/** A cleanup double: numbers the new messages and records them. */
function fakeCleanup(bench: Bench): CleanupEndpoint {
  let next = 0xD0C23168053;
  return {
    async open(client, flags) {
      const queueId = (next++).toString(16).toUpperCase();
      const submission: Submission = { queueId, sender: '', recipients: [], content: '',
        client: { service: client.service, rewriteContext: client.rewriteContext }, skipContentChecks: flags?.skipContentChecks === true };
      const parts: Uint8Array[] = [];
      return {
        queueId,
        setSender(address) { submission.sender = address; },
        setFullName() {},
        addRecipient(recipient) { submission.recipients.push(recipient); },
        setAttribute() {},
        setArrivalTime() {},
        addContent(bytes) { parts.push(bytes); },
        async finish() {
          if (bench.failCleanup !== undefined) return { ...bench.failCleanup, queueId };
          submission.content = parts.map((part) => decoder.decode(part)).join('');
          bench.submissions.push(submission);
          return { status: 0, queueId };
        },
        async abort() {},
      };
    },
  };
}

export async function createBench(mainCfExtra = ''): Promise<Bench> {
  const scheduler = new Scheduler({ startMs: REFERENCE_START_MS });
  const platform = createSimPlatform({ hostName: 'mail.example.com', seed: 1, scheduler });
  const host = createHost({ name: 'mail.example.com', platform, defaultConfigDirectory: '/etc/postfix' });
  await platform.fs.mkdir('/etc/postfix', { recursive: true });
  await platform.fs.writeFile('/etc/postfix/main.cf', BASE_MAIN_CF + mainCfExtra);
  const warnings = new CapturedOutput();
  const log = createReporter({ program: 'postfix/bounce', host, pid: 4242, stderr: warnings });
  const config = await readMainConfig({ fs: platform.fs, directory: '/etc/postfix', reporter: log });
  const queue = mailQueue(platform.fs, QUEUE_DIRECTORY);
  const events: TraceEvent[] = [];
  platform.trace.subscribe((event) => { events.push(event); });
  const bench = {} as Bench;
  const runtime = {
    host, configDirectory: '/etc/postfix', config: () => config, queue: () => queue,
    trigger: () => {}, cleanup: () => fakeCleanup(bench), rewrite: () => { throw new Error('no rewrite'); },
    bounce: () => bench.core, deliveryAgent: () => undefined, service: () => undefined,
  } as HostRuntime;
  const cleanup = fakeCleanup(bench);
  runtime.cleanup = () => cleanup;
  const context: ServiceContext = {
    host, runtime, entry: {} as MasterEntry, serviceName: 'local', program: 'local', pid: 4243,
    config: () => config, log,
    trace: (detail) => { platform.trace.emit({ ...detail, host: host.name, service: 'local', pid: 4243 }); },
  };
  Object.assign(bench, {
    context, config, scheduler, fs: platform.fs, events, warnings, submissions: [],
    core: createBounceCore(context),
    queuePath: (queueName: string, id: string) => queueFilePath(queue, queueName, id),
    readText: async (path: string) => decoder.decode(await platform.fs.readFile(path)),
    exists: async (path: string) => platform.fs.stat(path).then(() => true, () => false),
  });
  return bench;
}

export interface OriginalOptions {
  id?: string;
  queueName?: string;
  sender?: string;
  recipients?: Array<{ address: string; originalRecipient?: string; dsnNotify?: number }>;
  body?: string;
  attributes?: Record<string, string>;
  arrivalSeconds?: number;
}

/** The message of reference scenario (h), written as a queue file in `queueName`. */
export async function writeOriginal(bench: Bench, options: OriginalOptions = {}): Promise<{ request: DeliveryRequest; path: string }> {
  const id = options.id ?? 'CD08016803D';
  const queueName = options.queueName ?? 'active';
  const sender = options.sender ?? 'bob@example.com';
  const arrivalSeconds = options.arrivalSeconds ?? REFERENCE_START_MS / 1000;
  const recipients = options.recipients ?? [{ address: 'nosuchuser@example.com' }];
  const content = options.body ?? [
    'Received: by mail.example.com (Postfix, from userid 0)',
    `\tid ${id}; Sun, 22 Nov 2026 09:27:55 +0000 (UTC)`,
    'Subject: to unknown local user',
    `Message-Id: <20261122092755.${id}@mail.example.com>`,
    'Date: Sun, 22 Nov 2026 09:27:55 +0000 (UTC)',
    'From: root <bob@example.com>',
    '', 'body', '',
  ].join('\n');
  const envelope: EnvelopeEntry[] = [{ kind: 'attribute', name: 'rewrite_context', value: 'local' }, { kind: 'sender', address: sender }];
  for (const [name, value] of Object.entries(options.attributes ?? {})) envelope.push({ kind: 'attribute', name, value });
  const path = bench.queuePath(queueName, id);
  await bench.fs.mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  const handle = await bench.fs.open(path, 'wx', 0o600);
  let layout;
  try {
    layout = await writeQueueFile(handle, {
      arrivalTime: { seconds: arrivalSeconds, microseconds: 0 }, createTimeSeconds: arrivalSeconds, envelope,
      recipients: recipients.map((recipient) => ({ address: recipient.address, originalRecipient: recipient.originalRecipient ?? recipient.address,
        dsnOriginalRecipient: `rfc822;${recipient.originalRecipient ?? recipient.address}`, ...(recipient.dsnNotify ? { dsnNotify: recipient.dsnNotify } : {}) })),
      contentLines: splitContentLines(new TextEncoder().encode(content)),
    });
    await commitQueueFile(bench.fs, path, handle);
  } finally {
    await handle.close();
  }
  const request: DeliveryRequest = {
    queueName, queueId: id, queuePath: path, transport: 'local', nexthop: 'mail.example.com', sender,
    arrivalTime: { seconds: arrivalSeconds, microseconds: 0 }, activeSinceMs: arrivalSeconds * 1000 + 10,
    messageSize: layout.size.contentSize, contentOffset: layout.size.dataOffset,
    recipients: recipients.map((recipient, index) => ({
      address: recipient.address, originalRecipient: recipient.originalRecipient ?? recipient.address,
      offset: layout.recipientOffsets[index] ?? 0, dsnNotify: recipient.dsnNotify ?? 0,
      dsnOriginalRecipient: `rfc822;${recipient.originalRecipient ?? recipient.address}`,
    })),
  };
  return { request, path };
}

/** A recipient status as an agent reports it. */
export function statusOf(request: DeliveryRequest, index: number, fields: Partial<RecipientStatus> & Pick<RecipientStatus, 'dsn' | 'reason'>): RecipientStatus {
  const recipient = request.recipients[index];
  if (recipient === undefined) throw new Error(`no recipient ${index}`);
  return { recipient, action: 'failed', relay: 'local', ...fields };
}

// ---------------------------------------------------------------------------------------
// Reading a notice back.

export interface MimePart {
  headers: Array<[string, string]>;
  body: string[];
}

export interface ParsedNotice {
  headers: Array<[string, string]>;
  boundary: string;
  preamble: string[];
  parts: MimePart[];
  epilogueSeen: boolean;
}

/** Header lines (unfolded) up to the first empty line; returns the index after it. */
function readHeaders(lines: string[], start: number): { headers: Array<[string, string]>; next: number } {
  const headers: Array<[string, string]> = [];
  let index = start;
  for (; index < lines.length && lines[index] !== ''; index++) {
    const line = lines[index] ?? '';
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1];
      if (last !== undefined) last[1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { headers, next: index + 1 };
}

export function header(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
}

/** Splits a multipart/report notice into its header, boundary and parts. */
export function parseNotice(text: string): ParsedNotice {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const top = readHeaders(lines, 0);
  const contentType = header(top.headers, 'Content-Type') ?? '';
  const boundary = /boundary="([^"]+)"/.exec(contentType)?.[1] ?? '';
  const preamble: string[] = [];
  const parts: MimePart[] = [];
  let index = top.next;
  while (index < lines.length && lines[index] !== `--${boundary}`) preamble.push(lines[index++] ?? '');
  let epilogueSeen = false;
  while (index < lines.length) {
    if (lines[index] === `--${boundary}--`) { epilogueSeen = true; break; }
    const partHeaders = readHeaders(lines, index + 1);
    index = partHeaders.next;
    const body: string[] = [];
    while (index < lines.length && lines[index] !== `--${boundary}` && lines[index] !== `--${boundary}--`) body.push(lines[index++] ?? '');
    parts.push({ headers: partHeaders.headers, body });
  }
  return { headers: top.headers, boundary, preamble, parts, epilogueSeen };
}
