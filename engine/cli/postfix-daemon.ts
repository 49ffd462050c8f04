// Real mode for `mtalab postfix` (DESIGN.md section 6): the postfix(1) command on the real
// machine, and the background process it starts. `start` spawns a detached Node process
// (`mtalab __master -c DIR`, or its bundle) that runs the host from DIR with the node platform; the master
// runtime writes queue_directory/pid/master.pid, and `start` returns once the child reports
// that the host is up. stop/abort (SIGTERM) and reload (SIGHUP) signal the pid in that file
// (flush is postqueue -f, through the sockets); status checks that the process is alive.
// The background process also listens on queue_directory/public/{pickup,qmgr,showq} (control-channel.ts), which is how
// sendmail, postqueue and mailq in other processes wake and query it. Without -c and $MAIL_CONFIG the
// directory is ~/.mtalab/postfix, created on first use: loopback only, smtpd on
// 127.0.0.1:2525, mail for the host itself, and queue, mailboxes and maillog under it.
// With mtalab_smtpd_processes = N > 0 the background process forks N smtpd worker
// processes (smtpd-workers.ts) that serve master.cf's inet smtpd services in its place;
// a worker is this same command, entered as a node:cluster worker (smtpd-worker.ts).
// Master and workers run esbuild bundles of their code with plain node when esbuild is
// there (engine-bundle.ts, master-entry.ts), bin/mtalab.mjs through tsx otherwise.
// Called by engine/cli/main.ts. Trusts node:child_process and process signals.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { CommandContext, OutputStream } from '../admin/command.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { defaultPostfixDirectory, prepareDefaultDirectory } from './default-directory.ts';
import { createHost, type Host } from '../global/host.ts';
import { FatalExit } from '../global/msg.ts';
import { createNodePlatform } from '../platform/node/index.ts';
import { createPostfixMain } from '../admin/postfix.ts';
import type { MasterController } from '../master/controller.ts';
import { masterPidPath, parseMasterPid } from '../master/queue-directories.ts';
import { startHost, type RunningHost } from '../master/runtime.ts';
import { processInput, processOutput } from './stdio.ts';
import { openControlChannel, type ControlChannel } from './control-channel.ts';
import { socketMailSystemLink } from './mail-system-link.ts';
import cluster from 'node:cluster';
import { readMainConfig } from '../global/config/main-cf.ts';
import { createReporter } from '../global/msg.ts';
import { createTraceSink } from '../global/trace.ts';
import { isWorkerSmtpd, smtpdProcessCount, smtpdWorkerMain } from './smtpd-worker.ts';
import { createSmtpdWorkerPool, type SmtpdWorkerPool } from './smtpd-workers.ts';
import { BUNDLE_NODE_FLAGS, engineBundles, WORKER_BUNDLE_VARIABLE } from './engine-bundle.ts';
import { binPath } from './source-root.ts';

/** The hidden command the background process runs. */
export const MASTER_COMMAND = '__master';
/** How long `start` waits for the host to come up (tsx compiles on a first run). */
export const START_WAIT_MS = 60_000;
/** How long `stop` waits for the process to end. */
export const STOP_WAIT_MS = 10_000;
const POLL_MS = 50;

export { DEFAULT_SMTPD_LISTEN, defaultPostfixDirectory, defaultMainCf, ensureDefaultDirectory } from './default-directory.ts';
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(config: MainConfig): number | undefined {
  try {
    return parseMasterPid(readFileSync(masterPidPath(config.get('queue_directory') ?? '/var/spool/postfix'), 'utf8'));
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((done) => { setTimeout(done, ms); });

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  for (let waited = 0; waited <= timeoutMs; waited += POLL_MS) {
    if (predicate()) return true;
    await sleep(POLL_MS);
  }
  return predicate();
}


type DaemonMessage = { kind: 'ready'; pid: number } | { kind: 'failed'; text: string };

/** The background master's command line and environment: plain node on the master's
 *  bundle, told the workers' bundle made in the same run (engine-bundle.ts), or else
 *  bin/mtalab.mjs __master through tsx. */
async function masterCommand(configDirectory: string): Promise<{ argv: string[]; env: NodeJS.ProcessEnv }> {
  const bundles = await engineBundles(['master', 'smtpd-worker']);
  if (bundles.master === undefined) return { argv: [binPath, MASTER_COMMAND, '-c', configDirectory], env: process.env };
  const env = { ...process.env };
  if (bundles['smtpd-worker'] !== undefined) env[WORKER_BUNDLE_VARIABLE] = bundles['smtpd-worker'];
  return { argv: [...BUNDLE_NODE_FLAGS, ...masterNodeFlags(), bundles.master, '-c', configDirectory], env };
}

/** MTALAB_MASTER_NODE_FLAGS: node flags for the bundled master (measurements, e.g. V8's GC
 *  options), as MTALAB_WORKER_NODE_FLAGS are for the workers. */
function masterNodeFlags(): string[] {
  return (process.env.MTALAB_MASTER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
}

/** Spawns the background master and waits for its report. */
async function spawnMaster(configDirectory: string, stderr: OutputStream): Promise<void> {
  const command = await masterCommand(configDirectory);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, command.argv, {
      detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], cwd: '/', env: command.env,
    });
    const timer = setTimeout(() => finish(new Error(`master did not start within ${START_WAIT_MS / 1000} s`)), START_WAIT_MS);
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      child.unref();
      if (error === undefined) done(); else fail(error);
    };
    child.on('message', (message: DaemonMessage) => {
      if (message.kind === 'ready') return finish();
      stderr.write(message.text);
      finish(new FatalExit('master failed to start', 1));
    });
    child.on('exit', (code) => finish(new FatalExit(`master exited with status ${code ?? 'unknown'}`, 1)));
    child.on('error', (error) => finish(error));
  });
}

/** How long a command waits before it signals master: its own maillog line ("stopping the
 *  Postfix mail system") is appended asynchronously, and must land before master's answer
 *  ("terminating on signal 15"), as postfix-script's synchronous syslog call does. */
const LOG_SETTLE_MS = 30;
const letLogLinesLand = (): Promise<void> => sleep(LOG_SETTLE_MS);

export const nodeMasterController: MasterController = {
  async runningPid(_host, _directory, config) {
    const pid = readPid(config);
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  },
  async start(_host, configDirectory, _config, stderr) {
    await spawnMaster(configDirectory, stderr);
  },
  async stop(_host, _directory, config) {
    const pid = readPid(config);
    if (pid === undefined) return;
    await letLogLinesLand();
    process.kill(pid, 'SIGTERM');
    await waitUntil(() => !isAlive(pid), STOP_WAIT_MS);
  },
  async reload(_host, _directory, config) {
    const pid = readPid(config);
    if (pid === undefined) return;
    await letLogLinesLand();
    process.kill(pid, 'SIGHUP');
  },
};

/** The -c operand of a postfix(1) argument list, if any (options end at the command). */
function configOption(argv: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (!argument.startsWith('-') || argument === '--') break;
    if (argument === '-c') found = argv[++index];
    else if (argument.startsWith('-c')) found = argument.slice(2);
  }
  return found;
}

/** The machine as a Host. The command process logs under its own pid; the background
 *  process's master takes its pid (the one in master.pid) and its services the numbers
 *  after it, so that the maillog tells pickup, cleanup, qmgr and local apart as Postfix's
 *  separate processes are (they are not processes of their own here). */
function realHost(defaultConfigDirectory: string, servicePids = false): Host {
  const name = hostname();
  return createHost({
    name, platform: createNodePlatform({ hostName: name }), defaultConfigDirectory,
    ...(servicePids ? { firstPid: process.pid } : { fixedPid: process.pid }), mailSystem: socketMailSystemLink,
  });
}

/** `mtalab postfix [-c DIR] command`. */
export async function postfixCommand(argv: string[]): Promise<number> {
  const explicit = configOption(argv) ?? process.env.MAIL_CONFIG;
  const directory = explicit === undefined ? defaultPostfixDirectory() : resolve(explicit);

  const env = new Map<string, string>();
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env.set(key, value);
  const stdin = processInput(process.stdin);
  const context: CommandContext = {
    argv: ['postfix', ...argv], stdin, stdout: processOutput(process.stdout), stderr: processOutput(process.stderr),
    env, cwd: process.cwd(), host: realHost(directory),
  };
  if (explicit === undefined) await prepareDefaultDirectory(directory, context.host, context.stderr);
  try {
    return await createPostfixMain(nodeMasterController)(context);
  } catch (error) {
    if (error instanceof FatalExit) return error.exitCode;
    process.stderr.write(`postfix: panic: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    stdin.release();
  }
}

/** The background process: runs the host until SIGTERM. Reports to its parent over IPC. */
export async function masterDaemon(argv: string[]): Promise<number> {
  const directory = resolve(configOption(argv) ?? process.env.MAIL_CONFIG ?? defaultPostfixDirectory());
  if (cluster.isWorker) return smtpdWorkerMain(directory);
  const report = (message: DaemonMessage): void => {
    if (process.send !== undefined && process.connected) process.send(message);
  };
  let failure = '';
  const stderr: OutputStream = { isTty: false, write: (data) => { failure += typeof data === 'string' ? data : new TextDecoder().decode(data); } };
  let runtime: RunningHost;
  try {
    runtime = await startHost({
      host: realHost(directory, true), configDirectory: directory, stderr,
      // With worker processes, master leaves the inet smtpd services to them.
      selectEntries: (entries, config) => (smtpdProcessCount(config) > 0 ? entries.filter((entry) => !isWorkerSmtpd(entry)) : [...entries]),
    });
  } catch (error) {
    report({ kind: 'failed', text: failure || `master: fatal: ${error instanceof Error ? error.message : String(error)}\n` });
    return 1;
  }
  let channel: ControlChannel;
  try {
    channel = await openControlChannel(runtime);
  } catch (error) {
    await runtime.stop(15);
    report({ kind: 'failed', text: `master: fatal: bind ${error instanceof Error ? error.message : String(error)}\n` });
    return 1;
  }
  const workers = createSmtpdWorkerPool(runtime, directory);
  await workers.resize();
  // Services with wakeups keep the event loop busy; this keeps it alive without them.
  const keepAlive = setInterval(() => undefined, 3_600_000);
  let stopping = false;
  const stop = async (signal: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await workers.stop();
    await channel.close();
    await runtime.stop(signal);
    clearInterval(keepAlive);
    process.exit(0);
  };
  process.on('SIGTERM', () => { void stop(15); });
  process.on('SIGINT', () => { void stop(2); });
  process.on('SIGHUP', () => { void reloadWithWorkers(runtime, directory, workers).then(() => channel.synchronise()).catch(() => undefined); });
  report({ kind: 'ready', pid: process.pid });
  if (process.connected) process.disconnect();
  return new Promise<number>(() => undefined);
}

/** SIGHUP with workers: when mtalab_smtpd_processes goes to 0 the workers end before master
 *  takes the inet smtpd services back (their listening sockets must close first);
 *  otherwise master reloads, then the workers follow. */
async function reloadWithWorkers(runtime: RunningHost, directory: string, workers: SmtpdWorkerPool): Promise<void> {
  // A quiet look ahead: runtime.reload() reads main.cf again and logs its warnings once.
  const quiet = createTraceSink(runtime.host.platform.clock);
  const quietHost = { ...runtime.host, platform: { ...runtime.host.platform, trace: quiet } };
  const next = await readMainConfig({
    fs: runtime.host.platform.fs, directory, host: quietHost, directoryIsExplicit: true,
    reporter: createReporter({ program: 'master', host: quietHost, pid: runtime.pid, stderr: { isTty: false, write: () => undefined } }),
  }).catch(() => undefined);
  if (next !== undefined && smtpdProcessCount(next) === 0) {
    await workers.resize(0);
    await runtime.reload();
    return;
  }
  await runtime.reload();
  workers.reload();
  await workers.resize();
}
