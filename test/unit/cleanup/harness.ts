// Test harness for cleanup's core: one simulated host (createSimPlatform) with a main.cf and
// table files of the test's choosing, H1's readMainConfig, H8's rewriteAddress as the rewrite
// client, and a CleanupEndpoint over a queue directory in memfs. submit() plays a client
// (pickup or smtpd) through open()/finish(); the trace events and stderr warnings are kept;
// the queue file can be read back with the queue library, or copied to a real directory so
// that the real Postfix 3.7.11 postcat reads it.

import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createSimPlatform, Scheduler } from '../../../engine/platform/sim/index.ts';
import { CONFIG_DIRECTORY, REFERENCE_START_MS, mainCfWith, writeMainCf } from '../sim-host.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';
import { readMainConfig } from '../../../engine/global/config/main-cf.ts';
import { rewriteAddress } from '../../../engine/trivial-rewrite/api.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import { mailQueue, findQueueFile, type MailQueue } from '../../../engine/global/queue/mail-queue.ts';
import { readQueueFile, readContent, type QueueFile } from '../../../engine/global/queue/queue-file.ts';
import { renderLogText } from '../../../engine/global/maillog/render.ts';
import { createCleanupEndpoint, openCleanupCore, type RejectedMessage } from '../../../engine/cleanup/api.ts';
import type { CleanupClient, CleanupEndpoint, CleanupFlags, CleanupResult, SubmittedRecipient } from '../../../engine/master/contracts.ts';

export { CONFIG_DIRECTORY };
export const QUEUE_DIRECTORY = '/var/spool/postfix';
export const START_MS = REFERENCE_START_MS;

export const BASE_MAIN_CF = mainCfWith(`queue_directory = ${QUEUE_DIRECTORY}`);

export const PICKUP: CleanupClient = { service: 'pickup', rewriteContext: 'local', uid: 1002 };
export const SMTPD: CleanupClient = {
  service: 'smtpd', rewriteContext: 'local', clientName: 'localhost', clientAddress: '127.0.0.1',
  protocol: 'ESMTP', helo: 'client.remote.test',
};

export interface Submission {
  sender: string;
  recipients: Array<string | SubmittedRecipient>;
  content: string;
  fullName?: string;
  attributes?: Array<[string, string]>;
  client?: CleanupClient;
  flags?: CleanupFlags;
}

export interface Rig {
  host: Host;
  queue: MailQueue;
  endpoint: CleanupEndpoint;
  events: TraceEvent[];
  queued: string[];
  bounced: RejectedMessage[];
  warnings(): string[];
  submit(submission: Submission): Promise<CleanupResult>;
  /** The maillog texts (after the tag) of cleanup's events so far. */
  logLines(): string[];
  read(id: string): Promise<{ queueName: string; file: QueueFile; content: string; mode: number; path: string }>;
  /** Runs the real postcat on a copy of the queue file; undefined when postcat is missing. */
  realPostcat(id: string): Promise<{ status: number; stdout: string; stderr: string } | undefined>;
}

export interface RigOptions {
  main?: string;
  files?: Record<string, string>;
  /** Install a bounce hook; 'fail' makes it answer false (the bounce service failed). */
  bounce?: boolean | 'fail';
}

export async function makeRig(options: RigOptions = {}): Promise<Rig> {
  const platform = createSimPlatform({ hostName: 'mail.example.com', seed: 7, scheduler: new Scheduler({ startMs: START_MS }) });
  const host = createHost({ name: 'mail.example.com', platform, defaultConfigDirectory: CONFIG_DIRECTORY });
  const fs = platform.fs;
  for (const name of ['incoming', 'hold', 'active', 'deferred']) await fs.mkdir(`${QUEUE_DIRECTORY}/${name}`, { recursive: true });
  await writeMainCf(fs, BASE_MAIN_CF, options.main);
  for (const [path, text] of Object.entries(options.files ?? {})) await fs.writeFile(path, text);
  const stderr = new CapturedOutput();
  const reporter = createReporter({ program: 'cleanup', host, pid: 4711, stderr });
  const config = await readMainConfig({ fs, directory: CONFIG_DIRECTORY, reporter, host });
  const events: TraceEvent[] = [];
  platform.trace.subscribe((event) => events.push(event));
  const core = await openCleanupCore({
    config, host, reporter,
    rewrite: async (context, address) => rewriteAddress(context, address, config),
    trace: (queueId, detail) => platform.trace.emit({ ...detail, host: host.name, service: 'cleanup', pid: 4711, queueId }),
  });
  const queue = mailQueue(fs, QUEUE_DIRECTORY);
  const queued: string[] = [];
  const bounced: RejectedMessage[] = [];
  const endpoint = createCleanupEndpoint({
    core: async () => core, queue: () => queue, clock: platform.clock, random: platform.random.fork('cleanup'), pid: 4711,
    notifyQueued: (id) => queued.push(id),
    ...(options.bounce ? { bounceRejected: async (message: RejectedMessage) => { bounced.push(message); return options.bounce !== 'fail'; } } : {}),
  });
  const rig: Rig = {
    host, queue, endpoint, events, queued, bounced,
    warnings: () => stderr.text().split('\n').filter((line) => line !== ''),
    async submit(submission) {
      const stream = await endpoint.open(submission.client ?? PICKUP, submission.flags ?? {});
      for (const [name, value] of submission.attributes ?? []) stream.setAttribute(name, value);
      if (submission.fullName !== undefined) stream.setFullName(submission.fullName);
      stream.setSender(submission.sender);
      for (const recipient of submission.recipients) {
        stream.addRecipient(typeof recipient === 'string' ? { address: recipient } : recipient);
      }
      stream.addContent(new TextEncoder().encode(submission.content));
      return stream.finish();
    },
    logLines: () => events.filter((event) => event.service === 'cleanup')
      .map((event) => renderLogText(event)).filter((line): line is string => line !== undefined),
    async read(id) {
      const found = await findQueueFile(queue, id);
      const path = `${QUEUE_DIRECTORY}/${found.relativePath}`;
      try {
        const file = await readQueueFile(found.handle, path);
        const content = new TextDecoder('latin1').decode(await readContent(found.handle, file));
        const mode = (await fs.stat(path)).mode & 0o777;
        return { queueName: found.queueName, file, content, mode, path };
      } finally {
        await found.handle.close();
      }
    },
    async realPostcat(id) {
      const found = await findQueueFile(queue, id);
      await found.handle.close();
      const bytes = await fs.readFile(`${QUEUE_DIRECTORY}/${found.relativePath}`);
      return runRealPostcat(found.relativePath, bytes);
    },
  };
  return rig;
}

export const POSTCAT = '/usr/sbin/postcat';

/** Writes the file into a private queue directory with a minimal main.cf and runs
 *  `postcat -c DIR -q ID` of the real Postfix. */
export function runRealPostcat(relativePath: string, bytes: Uint8Array): { status: number; stdout: string; stderr: string } | undefined {
  const probe = spawnSync(POSTCAT, ['-h'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  const root = mkdtempSync(join(tmpdir(), 'mtalab-cleanup-'));
  try {
    const queueDirectory = join(root, 'queue');
    const configDirectory = join(root, 'etc');
    mkdirSync(configDirectory, { recursive: true });
    const target = join(queueDirectory, relativePath);
    mkdirSync(target.slice(0, target.lastIndexOf('/')), { recursive: true });
    writeFileSync(target, bytes, { mode: 0o700 });
    writeFileSync(join(configDirectory, 'main.cf'), `queue_directory = ${queueDirectory}\ncompatibility_level = 3.6\n`);
    const id = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    const result = spawnSync(POSTCAT, ['-c', configDirectory, '-q', id], { encoding: 'latin1' });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
