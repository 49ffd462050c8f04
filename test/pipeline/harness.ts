// The pipeline test harness: one simulated host made from main.cf/master.cf text, started
// by the real master runtime (engine/master), with helpers to submit mail through the
// `sendmail` command or straight to the cleanup service, run the scheduler until the host is quiet (bounded), and read the
// maillog, the queue and any file (mailboxes). Used by test/pipeline/*.test.ts and by the
// unit tests of the services. Trusts the engine; every wait is bounded in events.
//
// Quiet: master.cf wakeups (pickup every 60 s, qmgr every 300 s) mean the scheduler is never
// empty, so run() stops when no trace event has happened for `quietMs` of virtual time
// (default 10 s) and the next timer is further away than that. run({ forMs }) instead
// advances virtual time by forMs, firing every timer on the way (deferred-mail retries).
// Each scheduler event is followed by a real macrotask turn (setImmediate), so the promise
// chains an event starts (all memfs work is microtasks) finish at that event's virtual time.

import assert from 'node:assert/strict';
import { setImmediate as macrotask } from 'node:timers/promises';
import { createSimPlatform, Scheduler, type SimNetwork, type SimPlatform, type SimZone, type RunResult } from '../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../engine/global/host.ts';
import type { TraceEvent } from '../../engine/global/trace.ts';
import { BufferedInput, CapturedOutput } from '../../engine/admin/stdio.ts';
import { runCommand } from '../../engine/admin/run.ts';
import { stockMasterCf } from '../../engine/global/config/default-master-cf.ts';
import { startRegisteredHost, stopRegisteredHost, type RunningHost } from '../../engine/master/index.ts';
import type { CleanupResult, ServiceProgram } from '../../engine/master/contracts.ts';

export const HOST_NAME = 'mail.example.test';
export const CONFIG_DIRECTORY = '/etc/postfix';
export const DEFAULT_SEED = 1;
/** Events one run() may fire. */
export const RUN_EVENTS_MAX = 20_000;
/** Virtual quiet time after which run() stops. */
export const QUIET_MS_DEFAULT = 10_000;

/** A fresh host's main.cf, in the shape of the reference instance ref1 with example.test names. */
export const DEFAULT_MAIN_CF = `compatibility_level = 3.6
myhostname = ${HOST_NAME}
mydomain = example.test
myorigin = $mydomain
mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
biff = no
`;

export const DEFAULT_MASTER_CF = stockMasterCf;

export const DEFAULT_ALIASES = `postmaster: root
MAILER-DAEMON: postmaster
abuse: postmaster
`;

export const DEFAULT_USERS: readonly string[] = ['alice', 'bob', 'carol'];
/** The first uid/gid the harness gives to `users`, as useradd does. */
export const FIRST_USER_ID = 1001;

export interface PipelineHostOptions {
  mainCf?: string;
  masterCf?: string;
  /** Extra files by absolute path (maps, aliases, .forward...); written before start. */
  files?: Record<string, string>;
  seed?: number;
  /** Local users (uids from 1001, homes under /home); default alice, bob, carol. */
  users?: readonly string[];
  /** Replaces the program table (engine/master/programs.ts), e.g. to add a test double. */
  programs?: Readonly<Record<string, ServiceProgram>>;
  /** Start the host (default true). */
  start?: boolean;
  /** Several hosts in one world: a shared scheduler and network, this host's name and
   *  addresses on it, and the world's DNS zone (multi-host tests such as smtp-client). */
  world?: { scheduler: Scheduler; network: SimNetwork; dns?: SimZone };
  hostName?: string;
  addresses?: string[];
}

export interface CommandResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Advance virtual time by this much, firing every timer (retries, wakeups). */
  forMs?: number;
  quietMs?: number;
  eventsMax?: number;
}

export interface PipelineHost {
  host: Host;
  platform: SimPlatform;
  scheduler: Scheduler;
  /** The running master; undefined when the host was not started (or was stopped). */
  runtime: RunningHost | undefined;
  configDirectory: string;
  /** Every trace event of the host since it was made, in order. */
  events: TraceEvent[];
  start(): Promise<RunningHost>;
  stop(): Promise<void>;
  run(options?: RunOptions): Promise<RunResult>;
  /** Runs until an event matches (checked after each scheduler event), bounded. */
  runUntil(predicate: (event: TraceEvent) => boolean, options?: { eventsMax?: number }): Promise<TraceEvent | undefined>;
  /** Any admin command through runCommand, as `user` (default root). */
  command(argv: string[], options?: { stdin?: string | Uint8Array; user?: string }): Promise<CommandResult>;
  /** `sendmail ARGS < message` as `user` (default root), then run() until quiet. */
  sendmail(argv: string[], message: string | Uint8Array, options?: { user?: string; run?: boolean }): Promise<CommandResult>;
  /** The maillog file's lines (after flushing the writer). */
  maillog(): Promise<string[]>;
  readFile(path: string): Promise<string>;
  writeFile(path: string, text: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Queue ids in a queue (hashed subdirectories included), sorted. */
  queueFiles(queueName: string): Promise<string[]>;
}

const decoder = new TextDecoder();

function passwdText(users: readonly string[]): string {
  const lines = [
    'root:x:0:0:root:/root:/bin/bash',
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
    'postfix:x:102:104::/var/spool/postfix:/usr/sbin/nologin',
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  ];
  users.forEach((name, index) => lines.push(`${name}:x:${FIRST_USER_ID + index}:${FIRST_USER_ID + index}::/home/${name}:/bin/sh`));
  return `${lines.join('\n')}\n`;
}

function groupText(users: readonly string[]): string {
  const lines = ['root:x:0:', 'daemon:x:1:', 'mail:x:8:', 'postfix:x:104:', 'postdrop:x:105:', 'nogroup:x:65534:'];
  users.forEach((name, index) => lines.push(`${name}:x:${FIRST_USER_ID + index}:`));
  return `${lines.join('\n')}\n`;
}

async function writeWithParents(platform: SimPlatform, path: string, text: string): Promise<void> {
  const parent = path.slice(0, path.lastIndexOf('/'));
  if (parent !== '') await platform.fs.mkdir(parent, { recursive: true });
  await platform.fs.writeFile(path, text);
}

async function layDownFiles(platform: SimPlatform, options: PipelineHostOptions): Promise<void> {
  const users = options.users ?? DEFAULT_USERS;
  const fs = platform.fs;
  await writeWithParents(platform, `${CONFIG_DIRECTORY}/main.cf`, options.mainCf ?? DEFAULT_MAIN_CF);
  await writeWithParents(platform, `${CONFIG_DIRECTORY}/master.cf`, options.masterCf ?? DEFAULT_MASTER_CF);
  await writeWithParents(platform, '/etc/passwd', passwdText(users));
  await writeWithParents(platform, '/etc/group', groupText(users));
  await writeWithParents(platform, '/etc/aliases', DEFAULT_ALIASES);
  await fs.mkdir('/var/mail', { recursive: true, mode: 0o1777 });
  await fs.chmod('/var/mail', 0o1777);
  await fs.mkdir('/var/log', { recursive: true });
  // The package's postinst makes the queue directory; postfix start/check fill it in.
  await fs.mkdir('/var/spool/postfix', { recursive: true, mode: 0o755 });
  await fs.mkdir('/root', { recursive: true, mode: 0o700 });
  for (const name of users) await fs.mkdir(`/home/${name}`, { recursive: true, mode: 0o755 });
  for (const [path, text] of Object.entries(options.files ?? {})) await writeWithParents(platform, path, text);
}

/** Queue ids under a queue directory, walking hash subdirectories (bounded depth). */
async function listQueue(platform: SimPlatform, directory: string, depth = 0): Promise<string[]> {
  let names: string[];
  try {
    names = await platform.fs.readdir(directory);
  } catch {
    return [];
  }
  const ids: string[] = [];
  for (const name of names) {
    const path = `${directory}/${name}`;
    const stat = await platform.fs.stat(path);
    if (stat.isDirectory && depth < 5) ids.push(...await listQueue(platform, path, depth + 1));
    else if (stat.isFile) ids.push(name);
  }
  return ids.sort();
}

export async function createPipelineHost(options: PipelineHostOptions = {}): Promise<PipelineHost> {
  const seed = options.seed ?? DEFAULT_SEED;
  const scheduler = options.world?.scheduler ?? new Scheduler({ settle: () => macrotask() });
  const hostName = options.hostName ?? HOST_NAME;
  const platform = createSimPlatform({
    hostName, seed, scheduler, network: options.world?.network, addresses: options.addresses, dns: options.world?.dns,
  });
  const host = createHost({ name: hostName, platform, defaultConfigDirectory: CONFIG_DIRECTORY, firstPid: 1000 });
  const events: TraceEvent[] = [];
  let lastActivityMs = scheduler.nowMs();
  platform.trace.subscribe((event) => {
    if (event.host !== hostName) return;
    events.push(event);
    lastActivityMs = event.atMs;
  });
  await layDownFiles(platform, options);

  const command = async (argv: string[], commandOptions: { stdin?: string | Uint8Array; user?: string } = {}): Promise<CommandResult> => {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput();
    const user = commandOptions.user ?? 'root';
    const env = new Map([['USER', user], ['LOGNAME', user], ['HOME', user === 'root' ? '/root' : `/home/${user}`]]);
    const exitCode = await runCommand({
      argv, stdin: new BufferedInput(commandOptions.stdin ?? ''), stdout, stderr, env, cwd: '/', host,
    });
    return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
  };

  const harness: PipelineHost = {
    host, platform, scheduler, runtime: undefined, configDirectory: CONFIG_DIRECTORY, events,
    async start() {
      const runtime = await startRegisteredHost({ host, configDirectory: CONFIG_DIRECTORY, programs: options.programs });
      harness.runtime = runtime;
      return runtime;
    },
    async stop() {
      await stopRegisteredHost(host, CONFIG_DIRECTORY);
      harness.runtime = undefined;
    },
    async run(runOptions = {}) {
      const eventsMax = runOptions.eventsMax ?? RUN_EVENTS_MAX;
      await macrotask();
      let result: RunResult;
      if (runOptions.forMs !== undefined) {
        result = await scheduler.runUntil(scheduler.nowMs() + runOptions.forMs, { eventsMax });
      } else {
        const quietMs = runOptions.quietMs ?? QUIET_MS_DEFAULT;
        result = await scheduler.runUntil(() => (scheduler.peek()?.atMs ?? Infinity) > lastActivityMs + quietMs, { eventsMax });
      }
      await harness.runtime?.flushLog();
      return result;
    },
    async runUntil(predicate, untilOptions = {}) {
      const seen = events.length;
      let found: TraceEvent | undefined;
      await scheduler.runUntil(() => {
        found ??= events.slice(seen).find(predicate);
        return found !== undefined;
      }, { eventsMax: untilOptions.eventsMax ?? RUN_EVENTS_MAX });
      found ??= events.slice(seen).find(predicate);
      await harness.runtime?.flushLog();
      return found;
    },
    command,
    async sendmail(argv, message, sendOptions = {}) {
      const result = await command(['sendmail', ...argv], { stdin: message, user: sendOptions.user });
      if (sendOptions.run !== false) await harness.run();
      return result;
    },
    async maillog() {
      await harness.runtime?.flushLog();
      const path = harness.runtime?.config().get('maillog_file') || '/var/log/maillog';
      if (!(await harness.exists(path))) return [];
      return (await harness.readFile(path)).split('\n').filter((line) => line !== '');
    },
    readFile: async (path) => decoder.decode(await platform.fs.readFile(path)),
    writeFile: (path, text) => writeWithParents(platform, path, text),
    async exists(path) {
      try {
        await platform.fs.stat(path);
        return true;
      } catch {
        return false;
      }
    },
    async queueFiles(queueName) {
      const queueDirectory = harness.runtime?.config().get('queue_directory') ?? '/var/spool/postfix';
      return listQueue(platform, `${queueDirectory}/${queueName}`);
    },
  };
  // The aliases database, as a fresh install's `newaliases` leaves it.
  const aliases = await command(['newaliases']);
  if (aliases.exitCode !== 0) throw new Error(`harness: newaliases failed: ${aliases.stderr}`);
  if (options.start !== false) await harness.start();
  return harness;
}

/** A message handed to the running cleanup service as pickup hands it over: `uid` is the
 *  submitting user's (default root). Cleanup queues it and triggers qmgr. */
export async function handToCleanup(
  harness: PipelineHost, sender: string, recipients: readonly string[], content: string, uid = 0,
): Promise<CleanupResult> {
  const runtime = harness.runtime;
  assert.ok(runtime, 'handToCleanup: the host is not started');
  const stream = await runtime.cleanup().open({ service: 'pickup', rewriteContext: 'local', uid });
  stream.setSender(sender);
  for (const address of recipients) stream.addRecipient({ address });
  stream.addContent(new TextEncoder().encode(content));
  return stream.finish();
}

/** handToCleanup() that must succeed; returns the queue id. */
export async function submitToCleanup(
  harness: PipelineHost, sender: string, recipients: readonly string[], content: string, uid = 0,
): Promise<string> {
  const result = await handToCleanup(harness, sender, recipients, content, uid);
  assert.equal(result.status, 0, result.reason);
  return result.queueId;
}
