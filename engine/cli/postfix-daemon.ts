// Real mode for `mtalab postfix` (DESIGN.md section 6): the postfix(1) command on the real
// machine, and the background process it starts. `start` spawns a detached Node process
// (`mtalab __master -c DIR`) that runs the host from DIR with the node platform; the master
// runtime writes queue_directory/pid/master.pid, and `start` returns once the child reports
// that the host is up. stop/abort (SIGTERM), reload (SIGHUP) and flush (SIGUSR1) signal the
// pid in that file; status checks that the process is alive. Without -c and $MAIL_CONFIG the
// directory is ~/.mtalab/postfix, created on first use: loopback only, smtpd on
// 127.0.0.1:2525, mail for the host itself, and queue, mailboxes and maillog under it.
// Called by engine/cli/main.ts. Trusts node:child_process and process signals.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext, OutputStream } from '../admin/command.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { masterCfListeningOn, minimalMainCf } from '../global/config/default-master-cf.ts';
import { createHost, type Host } from '../global/host.ts';
import { FatalExit } from '../global/msg.ts';
import { createNodePlatform } from '../platform/node/index.ts';
import { createPostfixMain } from '../admin/postfix.ts';
import type { MasterController } from '../master/controller.ts';
import { masterPidPath, parseMasterPid } from '../master/queue-directories.ts';
import { startHost, type RunningHost } from '../master/runtime.ts';
import { processInput, processOutput } from './stdio.ts';

/** The hidden command the background process runs. */
export const MASTER_COMMAND = '__master';
/** How long `start` waits for the host to come up (tsx compiles on a first run). */
export const START_WAIT_MS = 60_000;
/** How long `stop` waits for the process to end. */
export const STOP_WAIT_MS = 10_000;
const POLL_MS = 50;
/** The smtpd listener of the default directory: no root needed. */
export const DEFAULT_SMTPD_LISTEN = '127.0.0.1:2525';

/** ~/.mtalab/postfix, or under $HOME when it is set. */
export function defaultPostfixDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME ?? homedir(), '.mtalab', 'postfix');
}

/** The default directory's main.cf: loopback only, everything under the directory. */
export function defaultMainCf(directory: string, hostName: string): string {
  return minimalMainCf(hostName).replace(/^mydestination = .*$/m, 'mydestination = $myhostname, localhost')
    + `queue_directory = ${directory}/queue
data_directory = ${directory}/data
mail_spool_directory = ${directory}/mail
maillog_file = ${directory}/maillog
alias_maps = texthash:${directory}/aliases
alias_database = texthash:${directory}/aliases
`;
}

/** Creates the default directory's files when main.cf is missing; leaves an existing one alone. */
export function ensureDefaultDirectory(directory: string, hostName: string): void {
  if (existsSync(join(directory, 'main.cf'))) return;
  mkdirSync(directory, { recursive: true });
  for (const name of ['queue', 'data', 'mail']) mkdirSync(join(directory, name), { recursive: true });
  writeFileSync(join(directory, 'main.cf'), defaultMainCf(directory, hostName));
  if (!existsSync(join(directory, 'master.cf'))) writeFileSync(join(directory, 'master.cf'), masterCfListeningOn(DEFAULT_SMTPD_LISTEN));
  if (!existsSync(join(directory, 'aliases'))) writeFileSync(join(directory, 'aliases'), 'postmaster: root\nMAILER-DAEMON: postmaster\n');
}

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

const binPath = fileURLToPath(new URL('../../bin/mtalab.mjs', import.meta.url));

type DaemonMessage = { kind: 'ready'; pid: number } | { kind: 'failed'; text: string };

/** Spawns the background master and waits for its report. */
function spawnMaster(configDirectory: string, stderr: OutputStream): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [binPath, MASTER_COMMAND, '-c', configDirectory], {
      detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], cwd: '/', env: process.env,
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
    process.kill(pid, 'SIGTERM');
    await waitUntil(() => !isAlive(pid), STOP_WAIT_MS);
  },
  async reload(_host, _directory, config) {
    const pid = readPid(config);
    if (pid !== undefined) process.kill(pid, 'SIGHUP');
  },
  async flush(_host, _directory, config) {
    const pid = readPid(config);
    if (pid !== undefined) process.kill(pid, 'SIGUSR1');
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

function realHost(defaultConfigDirectory: string): Host {
  const name = hostname();
  return createHost({ name, platform: createNodePlatform({ hostName: name }), defaultConfigDirectory, fixedPid: process.pid });
}

/** `mtalab postfix [-c DIR] command`. */
export async function postfixCommand(argv: string[]): Promise<number> {
  const explicit = configOption(argv) ?? process.env.MAIL_CONFIG;
  const directory = explicit === undefined ? defaultPostfixDirectory() : resolve(explicit);
  if (explicit === undefined) ensureDefaultDirectory(directory, hostname());
  const env = new Map<string, string>();
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env.set(key, value);
  const stdin = processInput(process.stdin);
  const context: CommandContext = {
    argv: ['postfix', ...argv], stdin, stdout: processOutput(process.stdout), stderr: processOutput(process.stderr),
    env, cwd: process.cwd(), host: realHost(directory),
  };
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
  const report = (message: DaemonMessage): void => {
    if (process.send !== undefined && process.connected) process.send(message);
  };
  let failure = '';
  const stderr: OutputStream = { isTty: false, write: (data) => { failure += typeof data === 'string' ? data : new TextDecoder().decode(data); } };
  let runtime: RunningHost;
  try {
    runtime = await startHost({ host: realHost(directory), configDirectory: directory, stderr });
  } catch (error) {
    report({ kind: 'failed', text: failure || `master: fatal: ${error instanceof Error ? error.message : String(error)}\n` });
    return 1;
  }
  // Services with wakeups keep the event loop busy; this keeps it alive without them.
  const keepAlive = setInterval(() => undefined, 3_600_000);
  let stopping = false;
  const stop = async (signal: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await runtime.stop(signal);
    clearInterval(keepAlive);
    process.exit(0);
  };
  process.on('SIGTERM', () => { void stop(15); });
  process.on('SIGINT', () => { void stop(2); });
  process.on('SIGHUP', () => { void runtime.reload(); });
  process.on('SIGUSR1', () => { runtime.trigger('qmgr', 'flush-deferred'); });
  report({ kind: 'ready', pid: process.pid });
  if (process.connected) process.disconnect();
  return new Promise<number>(() => undefined);
}
