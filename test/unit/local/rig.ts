// Test rig for local(8): one simulated host (createSimPlatform) with /etc/passwd, home
// directories owned by their users, a main.cf of the test's choosing, aliases built with
// postalias, H8's trivial-rewrite core as the rewrite endpoint, a cleanup endpoint that
// records what local forwards, and a status sink that records every outcome and
// done-marking. Messages are queue-file content segments written with Postfix's records.

import { createSimPlatform, Scheduler, type SimPlatform } from '../../../engine/platform/sim/index.ts';
import { CONFIG_DIRECTORY, REFERENCE_START_MS, mainCfWith, runAdminTool, writeMainCf } from '../sim-host.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';
import { readMainConfig } from '../../../engine/global/config/main-cf.ts';
import { openTrivialRewrite } from '../../../engine/trivial-rewrite/api.ts';
import { postaliasMain } from '../../../engine/admin/postalias.ts';
import { openLookupTable, type LookupTable } from '../../../engine/global/maps/index.ts';
import { encodeRecord, RecordType } from '../../../engine/global/queue/record.ts';
import type {
  CleanupEndpoint, CleanupStream, DeliveryRecipient, DeliveryRequest, RecipientStatus, SubmittedRecipient,
} from '../../../engine/master/contracts.ts';
import type { ServiceTraceInput } from '../../../engine/master/contracts.ts';
import {
  createBuiltinCommandRunner, deliverLocal, ownershipFor, readLocalSettings, type CommandRunner, type LocalDependencies,
} from '../../../engine/local/api.ts';

export { CONFIG_DIRECTORY };
export const SPOOL = '/var/mail';
export const START_MS = REFERENCE_START_MS;

export const BASE_MAIN_CF = mainCfWith(
  `mail_spool_directory = ${SPOOL}`,
  `alias_maps = hash:${CONFIG_DIRECTORY}/aliases`,
  `alias_database = hash:${CONFIG_DIRECTORY}/aliases`,
  'biff = no',
);

export const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  'alice:x:1001:1001::/home/alice:/bin/sh',
  'bob:x:1002:1002::/home/bob:/bin/sh',
  'carol:x:1003:1003::/home/carol:/bin/sh',
  '',
].join('\n');

export interface Outcome {
  kind: 'sent' | 'deferred' | 'bounced';
  to: string;
  origTo: string;
  dsn: string;
  reason: string;
  relay: string;
  action: string;
  offset: number;
}

export interface Forwarded {
  queueId: string;
  sender: string;
  recipients: SubmittedRecipient[];
  attributes: Record<string, string>;
  content: string;
}

export interface LocalRig {
  platform: SimPlatform;
  host: Host;
  deps: LocalDependencies;
  outcomes: Outcome[];
  completed: DeliveryRecipient[];
  forwarded: Forwarded[];
  traces: ServiceTraceInput[];
  warnings(): string[];
  /** Writes a queue file holding `content` and delivers it to `recipients`. */
  deliver(content: string, recipients: Array<string | { address: string; originalRecipient?: string }>, sender?: string): Promise<{ deferred: boolean }>;
  read(path: string): Promise<string>;
  /** Lines as Postfix logs them: "to=<a>, orig_to=<b>, relay=local, dsn=.., status=.. (..)". */
  lines(): string[];
}

export interface LocalRigOptions {
  main?: string;
  aliases?: string;
  files?: Record<string, { text: string; uid?: number; gid?: number; mode?: number }>;
  commands?: CommandRunner;
  cleanupStatus?: number;
}

const users: Array<[string, number]> = [['alice', 1001], ['bob', 1002], ['carol', 1003]];

export async function makeLocalRig(options: LocalRigOptions = {}): Promise<LocalRig> {
  const platform = createSimPlatform({ hostName: 'mail.example.com', seed: 7, scheduler: new Scheduler({ startMs: START_MS }) });
  const host = createHost({ name: 'vm', platform, defaultConfigDirectory: CONFIG_DIRECTORY });
  const fs = platform.fs;
  const volume = fs.volume;
  await writeMainCf(fs, BASE_MAIN_CF, options.main);
  await fs.writeFile('/etc/passwd', PASSWD);
  await fs.mkdir(SPOOL, { recursive: true });
  await fs.chmod(SPOOL, 0o1777);
  await fs.mkdir('/var/spool/postfix/active', { recursive: true });
  for (const [name, uid] of users) {
    await fs.mkdir(`/home/${name}`, { recursive: true });
    await fs.chmod(`/home/${name}`, 0o755);
    volume.chownSync(`/home/${name}`, uid, uid);
  }
  for (const [path, file] of Object.entries(options.files ?? {})) {
    await fs.mkdir(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true });
    await fs.writeFile(path, file.text);
    await fs.chmod(path, file.mode ?? 0o644);
    volume.chownSync(path, file.uid ?? 0, file.gid ?? file.uid ?? 0);
  }
  await fs.writeFile(`${CONFIG_DIRECTORY}/aliases`, options.aliases ?? 'postmaster: root\nroot: alice\n');
  const stderr = new CapturedOutput();
  await runAdminTool(postaliasMain, ['postalias', '-c', CONFIG_DIRECTORY, `${CONFIG_DIRECTORY}/aliases`], host);
  const reporter = createReporter({ program: 'local', host, pid: 8427, stderr });
  const config = await readMainConfig({ fs, directory: CONFIG_DIRECTORY, reporter, host });
  const rewriter = await openTrivialRewrite({ config, host, reporter, pid: 8427 });
  const outcomes: Outcome[] = [];
  const completed: DeliveryRecipient[] = [];
  const forwarded: Forwarded[] = [];
  const traces: ServiceTraceInput[] = [];
  let nextId = 0x3ef52168208;
  const record = (kind: Outcome['kind']) => async (_request: DeliveryRequest, status: RecipientStatus): Promise<void> => {
    outcomes.push({
      kind, to: status.recipient.address, origTo: status.recipient.originalRecipient, dsn: status.dsn,
      reason: status.reason, relay: status.relay, action: status.action, offset: status.recipient.offset,
    });
  };
  const cleanup: CleanupEndpoint = {
    open: async () => {
      const queueId = (nextId++).toString(16).toUpperCase();
      const entry: Forwarded = { queueId, sender: '', recipients: [], attributes: {}, content: '' };
      const chunks: Uint8Array[] = [];
      const stream: CleanupStream = {
        queueId,
        setSender: (address) => { entry.sender = address; },
        setFullName: () => undefined,
        addRecipient: (recipient) => { entry.recipients.push(recipient); },
        setAttribute: (name, value) => { entry.attributes[name] = value; },
        setArrivalTime: () => undefined,
        addContent: (bytes) => { chunks.push(bytes); },
        finish: async () => {
          entry.content = chunks.map((chunk) => new TextDecoder().decode(chunk)).join('');
          forwarded.push(entry);
          return { status: options.cleanupStatus ?? 0, queueId };
        },
        abort: async () => undefined,
      };
      return stream;
    },
  };
  const tables = new Map<string, Promise<LookupTable>>();
  const ownership = ownershipFor(fs);
  const deps: LocalDependencies = {
    host, fs: fs, settings: readLocalSettings(config), serviceName: 'local', pid: 8427, log: reporter,
    trace: (detail) => { traces.push(detail); },
    rewrite: {
      rewrite: async (context, address) => rewriter.rewrite(context, address),
      resolve: async (sender, address) => {
        const resolution = await rewriter.resolve(address, { sender });
        const flags: string[] = [];
        if (resolution.flags.fail) flags.push('fail');
        if (resolution.flags.error) flags.push('error');
        return { addressClass: resolution.class, transport: resolution.transport, nexthop: resolution.nexthop, recipient: resolution.recipient, flags };
      },
    },
    cleanup,
    status: {
      sent: record('sent'), deferred: record('deferred'), bounced: record('bounced'),
      completed: async (_request, recipient) => { completed.push(recipient); },
    },
    openTable: (spec) => {
      let table = tables.get(spec);
      if (table === undefined) {
        table = openLookupTable(spec, { fs: fs, reporter, cwd: CONFIG_DIRECTORY, allowSurrogate: true });
        tables.set(spec, table);
      }
      return table;
    },
    commands: options.commands ?? createBuiltinCommandRunner(fs, ownership),
    ownership,
    queueDirectory: '/var/spool/postfix',
  };
  let sequence = 0;
  const rig: LocalRig = {
    platform, host, deps, outcomes, completed, forwarded, traces,
    warnings: () => stderr.text().split('\n').filter((line) => line !== ''),
    deliver: async (content, recipients, sender = 'bob@example.com') => {
      const queueId = `A0107168${(0x38 + sequence++).toString(16).toUpperCase()}`;
      const path = `active/${queueId}`;
      const parts: Uint8Array[] = [];
      const lines = content.endsWith('\n') ? content.slice(0, -1).split('\n') : content.split('\n');
      for (const line of lines) parts.push(encodeRecord(RecordType.normalText, line));
      parts.push(encodeRecord(RecordType.extractedStart, ''), encodeRecord(RecordType.end, ''));
      let total = 0;
      for (const part of parts) total += part.length;
      const bytes = new Uint8Array(total);
      let at = 0;
      for (const part of parts) { bytes.set(part, at); at += part.length; }
      await fs.writeFile(`/var/spool/postfix/${path}`, bytes);
      const request: DeliveryRequest = {
        queueName: 'active', queueId, queuePath: path, transport: 'local', nexthop: 'mail.example.com',
        sender, arrivalTime: { seconds: Math.floor(START_MS / 1000), microseconds: 0 }, activeSinceMs: START_MS,
        messageSize: bytes.length, contentOffset: 0,
        recipients: recipients.map((given, index) => {
          const spec = typeof given === 'string' ? { address: given } : given;
          return { address: spec.address, originalRecipient: spec.originalRecipient ?? spec.address, offset: 100 + index, dsnNotify: 0 };
        }),
      };
      return deliverLocal(deps, request);
    },
    read: async (path) => new TextDecoder().decode(await fs.readFile(path)),
    lines: () => outcomes.map((outcome) => {
      const orig = outcome.origTo !== '' && outcome.origTo.toLowerCase() !== outcome.to.toLowerCase() ? `, orig_to=<${outcome.origTo}>` : '';
      const status = outcome.kind;
      return `to=<${outcome.to}>${orig}, relay=${outcome.relay}, dsn=${outcome.dsn}, status=${status} (${outcome.reason})`;
    }),
  };
  return rig;
}

/** msgs/a.txt as cleanup queued it (logs/a's mailbox, below the headers local adds). */
export const MESSAGE_A = [
  'Received: by mail.example.com (Postfix, from userid 1002)',
  '\tid A0107168038; Sun, 22 Nov 2026 09:26:23 +0000 (UTC)',
  'Subject: test (a) local mbox delivery',
  'Message-Id: <20261122092623.A0107168038@mail.example.com>',
  'Date: Sun, 22 Nov 2026 09:26:23 +0000 (UTC)',
  'From: bob@example.com',
  '',
  'Hello Alice,',
  'this is scenario a.',
].join('\n');
