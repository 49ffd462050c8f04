// A private, running, real Postfix 3.7.11 instance for the pipeline interop tests
// (test/interop/pipeline-*.test.ts): its own config directory (main.cf, master.cf, maps),
// queue_directory, data_directory, mail_spool_directory and a maillog_file written by a
// postlog service, all inside one temporary directory. No inet listener unless the spec
// asks for one (smtpdListen, a 127.x.x.x address: the SMTP interop and the benchmark);
// otherwise mail enters through `sendmail -C DIR` only. Every command gets -c/-C DIR (and MAIL_CONFIG), so the
// default instance and /etc/postfix are never read or touched.
//
// Found on this machine (Debian's postfix 3.7.11, no /etc/postfix/main.cf at all): as root,
// `postfix -c DIR start`, `sendmail -C DIR`, `postqueue -c DIR`, `postsuper -c DIR`,
// `postcat -c DIR` and `qshape -c DIR` all work on a private directory without the default
// main.cf listing it in alternate_config_directories. That list is consulted only when a
// set-gid command (postdrop, postqueue) runs for a user other than root; the tests run as
// root, so nothing outside the temporary directory is needed. The `postfix` user and group
// come from the Debian package; local test users are made with `useradd -m` when missing.
//
// The instance is described by an InstanceSpec whose texts say "@DIR@" for the instance's
// directory, so that the mtalab side (pipeline-compare.ts) can lay down the same files with
// its own directory. Modelled on /work/shared/reference/postfix-3.7/scripts/lib.sh (mkinst,
// waitq). Every wait is bounded; stop() verifies that the master pid is gone.

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const HOST_NAME = 'mail.example.test';
export const DOMAIN = 'example.test';
/** The token for the instance directory inside an InstanceSpec's texts. */
export const DIR_TOKEN = '@DIR@';
/** Upper bound on one real command. */
export const COMMAND_TIMEOUT_MS = 30_000;
/** How long to wait for maildrop/incoming/active to empty. */
export const QUEUE_WAIT_MS = 30_000;
/** How long to wait for the master to come up or go away. */
export const MASTER_WAIT_MS = 15_000;
const POLL_MS = 100;
/** The maillog is written by postlogd: it is settled when it has not grown for this long. */
export const MAILLOG_SETTLE_MS = 700;
/** Upper bound on files read back from a directory tree (Maildir). */
export const TREE_FILES_MAX = 1000;

const PATH = '/usr/sbin:/sbin:/usr/bin:/bin';

/** What both sides are made of. Texts use DIR_TOKEN for the instance directory. */
export interface InstanceSpec {
  /** main.cf lines appended to the base main.cf (later settings win). */
  mainCf?: string;
  /** Files by path relative to the instance directory (e.g. etc/aliases). */
  files?: Record<string, string>;
  /** Map specs to build with postmap, e.g. "hash:@DIR@/etc/virtual". */
  postmap?: string[];
  /** Alias databases to build with postalias (the base builds hash:@DIR@/etc/aliases). */
  postalias?: string[];
  /** Directories (relative) made world-writable with the sticky bit, e.g. a virtual base. */
  directories?: string[];
  /** An inet smtpd for this instance, "127.0.0.x:PORT" (loopback only; never port 25):
   *  adds that master.cf line and the anvil service smtpd's client limits talk to. */
  smtpdListen?: string;
  /** master.cf lines appended after the base services (texts may say DIR_TOKEN). */
  masterCf?: string;
}

/** The base main.cf: the reference instances' shape (lib.sh mkinst), no listener. */
export const BASE_MAIN_CF = `compatibility_level = 3.6
queue_directory = ${DIR_TOKEN}/spool
data_directory = ${DIR_TOKEN}/data
syslog_name = postfix-interop
maillog_file = ${DIR_TOKEN}/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp
myhostname = ${HOST_NAME}
mydomain = ${DOMAIN}
myorigin = $mydomain
mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mail_spool_directory = ${DIR_TOKEN}/mail
alias_maps = hash:${DIR_TOKEN}/etc/aliases
alias_database = hash:${DIR_TOKEN}/etc/aliases
biff = no
`;

/** master.cf: the stock internal services with chroot n, no inet smtpd, postlogd on. */
export const BASE_MASTER_CF = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export const BASE_ALIASES = `postmaster: root
MAILER-DAEMON: postmaster
`;

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number;
}

/** Replaces DIR_TOKEN with a directory. */
export function withDirectory(text: string, directory: string): string {
  return text.split(DIR_TOKEN).join(directory);
}

/** The main.cf text of a spec for a directory. */
export function mainCfText(spec: InstanceSpec, directory: string): string {
  return withDirectory(BASE_MAIN_CF + (spec.mainCf ?? ''), directory);
}

/** The master.cf text of a spec: the base services, the inet smtpd and anvil when
 *  spec.smtpdListen names a loopback address, then spec.masterCf. */
export function masterCfText(spec: InstanceSpec, directory: string): string {
  let text = BASE_MASTER_CF;
  if (spec.smtpdListen !== undefined) {
    const match = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}:(\d+)$/.exec(spec.smtpdListen);
    if (match === null || Number(match[1]) === 25) throw new Error(`smtpdListen must be 127.x.x.x:PORT (not 25): ${spec.smtpdListen}`);
    text = `${spec.smtpdListen} inet n - n - - smtpd\n${text}anvil     unix  -       -       n       -       1       anvil\n`;
  }
  return text + withDirectory(spec.masterCf ?? '', directory);
}

/** A TCP port free on a loopback address (bound to port 0, then closed). */
export async function freeLoopbackPort(address = '127.0.0.1'): Promise<number> {
  if (!address.startsWith('127.')) throw new Error(`not a loopback address: ${address}`);
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const bound = server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Writes etc/main.cf, etc/master.cf, etc/aliases and the spec's files; makes the
 *  directories the instance needs (as lib.sh mkinst does). Does not build maps. */
export function layDownInstance(directory: string, spec: InstanceSpec): void {
  for (const name of ['etc', 'spool', 'data', 'mail']) mkdirSync(join(directory, name), { recursive: true });
  chmodSync(directory, 0o755);
  chmodSync(join(directory, 'mail'), 0o1777);
  for (const name of spec.directories ?? []) {
    mkdirSync(join(directory, name), { recursive: true });
    chmodSync(join(directory, name), 0o1777);
  }
  writeFileSync(join(directory, 'etc/main.cf'), mainCfText(spec, directory));
  writeFileSync(join(directory, 'etc/master.cf'), masterCfText(spec, directory));
  writeFileSync(join(directory, 'etc/aliases'), BASE_ALIASES);
  for (const [path, text] of Object.entries(spec.files ?? {})) {
    const full = join(directory, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, withDirectory(text, directory));
  }
}

/** Runs a program (no shell) with a bounded time. */
export function run(argv: readonly string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): RunResult {
  const [program = '', ...rest] = argv;
  const result = spawnSync(program, rest, {
    input: options.input ?? '', encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS,
    env: { PATH, LANG: 'C', LC_ALL: 'C', TZ: 'UTC', ...options.env },
  });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? 1 };
}

const sleep = (ms: number) => new Promise<void>((done) => { setTimeout(done, ms); });

/** Polls until predicate() holds or the time is up; returns whether it held. */
export async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += POLL_MS) {
    if (predicate()) return true;
    await sleep(POLL_MS);
  }
  return predicate();
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the local users (useradd -m) that do not exist yet. Needs root. */
export function ensureLocalUsers(names: readonly string[]): void {
  for (const name of names) {
    if (run(['getent', 'passwd', name]).status === 0) continue;
    const made = run(['useradd', '-m', '-s', '/bin/sh', name]);
    if (made.status !== 0) throw new Error(`useradd ${name}: ${made.stderr}`);
  }
}

/** A user's home directory from the real passwd database. */
export function homeOf(name: string): string {
  const entry = run(['getent', 'passwd', name]);
  if (entry.status !== 0) throw new Error(`no user ${name}`);
  return entry.stdout.trim().split(':')[5] ?? '';
}

/** Files under a directory (relative paths, sorted), bounded; [] when it is missing. */
export function listTree(directory: string): string[] {
  const found: string[] = [];
  const walk = (relative: string, depth: number): void => {
    if (depth > 8 || found.length >= TREE_FILES_MAX) return;
    let names: string[];
    try {
      names = readdirSync(join(directory, relative)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const stat = statSync(join(directory, path), { throwIfNoEntry: false });
      if (stat === undefined) continue; // gone meanwhile: a queue file moved on
      if (stat.isDirectory()) walk(path, depth + 1);
      else found.push(path);
    }
  };
  walk('', 0);
  return found;
}

/** Number of files in the queues that must drain (lib.sh waitq). */
export function pendingQueueFiles(queueDirectory: string): number {
  return ['maildrop', 'incoming', 'active'].reduce((sum, queue) => sum + listTree(join(queueDirectory, queue)).length, 0);
}

/** Waits until the maillog has not grown for MAILLOG_SETTLE_MS (bounded). */
export async function settleFile(path: string, timeoutMs = 10_000): Promise<void> {
  const size = (): number => (existsSync(path) ? statSync(path).size : 0);
  let last = size();
  let stableMs = 0;
  for (let waited = 0; waited < timeoutMs && stableMs < MAILLOG_SETTLE_MS; waited += POLL_MS) {
    await sleep(POLL_MS);
    const now = size();
    stableMs = now === last ? stableMs + POLL_MS : 0;
    last = now;
  }
}

/** One private real Postfix instance. */
export class RealPostfixInstance {
  readonly directory: string;
  readonly configDirectory: string;
  readonly queueDirectory: string;
  readonly mailDirectory: string;
  readonly maillogPath: string;
  private masterPid: number | undefined;

  private constructor(directory: string) {
    this.directory = directory;
    this.configDirectory = join(directory, 'etc');
    this.queueDirectory = join(directory, 'spool');
    this.mailDirectory = join(directory, 'mail');
    this.maillogPath = join(directory, 'maillog');
  }

  /** Makes the directory, files and maps; does not start. */
  static create(spec: InstanceSpec): RealPostfixInstance {
    const directory = mkdtempSync(join(tmpdir(), 'mtalab-real-'));
    const instance = new RealPostfixInstance(directory);
    layDownInstance(directory, spec);
    const postfixUser = run(['getent', 'passwd', 'postfix']);
    if (postfixUser.status !== 0) throw new Error('the postfix user is missing (the Debian package creates it)');
    const [, , uid = '0', gid = '0'] = postfixUser.stdout.split(':');
    chownSync(join(directory, 'data'), Number(uid), Number(gid));
    for (const map of [`hash:${directory}/etc/aliases`, ...(spec.postalias ?? []).map((m) => withDirectory(m, directory))]) {
      instance.check(['postalias', '-c', instance.configDirectory, map]);
    }
    for (const map of spec.postmap ?? []) instance.check(['postmap', '-c', instance.configDirectory, withDirectory(map, directory)]);
    return instance;
  }

  private env(): Record<string, string> {
    return { MAIL_CONFIG: this.configDirectory };
  }

  /** A real command with this instance's MAIL_CONFIG. */
  command(argv: readonly string[], input?: string | Buffer): RunResult {
    return run(argv, { input, env: this.env() });
  }

  private check(argv: readonly string[]): RunResult {
    const result = this.command(argv);
    if (result.status !== 0) throw new Error(`${argv.join(' ')}: exit ${result.status}: ${result.stderr}`);
    return result;
  }

  private readMasterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.queueDirectory, 'pid/master.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async start(): Promise<void> {
    this.check(['postfix', '-c', this.configDirectory, 'start']);
    const up = await waitFor(() => {
      const pid = this.readMasterPid();
      return pid !== undefined && isAlive(pid);
    }, MASTER_WAIT_MS);
    if (!up) throw new Error(`real postfix master did not come up in ${this.directory}`);
    this.masterPid = this.readMasterPid();
  }

  /** Stops the master (postfix stop, then SIGKILL by pid if it lingers); verifies it is gone. */
  async stop(): Promise<void> {
    const pid = this.masterPid ?? this.readMasterPid();
    if (pid === undefined || !isAlive(pid)) return;
    this.command(['postfix', '-c', this.configDirectory, 'stop']);
    if (!(await waitFor(() => !isAlive(pid), MASTER_WAIT_MS))) {
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), MASTER_WAIT_MS);
    }
    if (isAlive(pid)) throw new Error(`real postfix master ${pid} is still running`);
    this.masterPid = undefined;
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** sendmail -C DIR ARGS < message (as root). */
  sendmail(argv: readonly string[], message: string): RunResult {
    return this.command(['sendmail', '-C', this.configDirectory, ...argv], message);
  }

  /** Waits until maildrop, incoming and active are empty and the maillog is quiet. */
  async waitForQueue(timeoutMs = QUEUE_WAIT_MS): Promise<boolean> {
    const drained = await waitFor(() => pendingQueueFiles(this.queueDirectory) === 0, timeoutMs);
    await settleFile(this.maillogPath);
    return drained;
  }

  maillog(): string[] {
    if (!existsSync(this.maillogPath)) return [];
    return readFileSync(this.maillogPath, 'utf8').split('\n').filter((line) => line !== '');
  }

  postqueue(argv: readonly string[]): RunResult {
    return this.command(['postqueue', '-c', this.configDirectory, ...argv]);
  }

  postsuper(argv: readonly string[]): RunResult {
    return this.command(['postsuper', '-c', this.configDirectory, ...argv]);
  }

  postcat(argv: readonly string[]): RunResult {
    return this.command(['postcat', '-c', this.configDirectory, ...argv]);
  }

  qshape(argv: readonly string[]): RunResult {
    return this.command(['qshape', '-c', this.configDirectory, ...argv]);
  }

  /** Queue ids in a queue (hash subdirectories walked). */
  queueIds(queue: string): string[] {
    return listTree(join(this.queueDirectory, queue)).map((path) => path.slice(path.lastIndexOf('/') + 1)).sort();
  }
}

/** Runs body with a started instance; always stops it and removes its directory. */
export async function withRealInstance<T>(spec: InstanceSpec, body: (instance: RealPostfixInstance) => Promise<T>): Promise<T> {
  const instance = RealPostfixInstance.create(spec);
  try {
    await instance.start();
    return await body(instance);
  } finally {
    try {
      await instance.stop();
    } finally {
      if (process.env.MTALAB_INTEROP_KEEP !== '1') instance.remove();
    }
  }
}
