// postsuper(1): the superuser's queue maintenance. -d delete, -h put on hold, -H release
// from hold (to deferred), -r requeue (to maildrop, where pickup gives the message a new
// queue id and cleanup rewrites it again), -e force expiry, -f expire and release; each
// takes a queue id, ALL, or "-" (ids on stdin, one a line), and acts on the queues named
// after the options (default: all of them). -s puts files at the hashed depth main.cf
// asks for; -p removes non-file objects and stale temporary files. Actions run in the
// order given; then one summary line per kind ("Deleted: 1 message"). Per-message lines
// ("ID: removed") are trace events of kind postsuper.action, so they reach the maillog.
// Called through the command table (engine/admin/index.ts). Trusts nothing in the queue.
// Models src/postsuper/postsuper.c (without the inode-number renaming of -s/-S, which has
// no meaning for the simulation's files).

import type { CommandContext, CommandMain } from './command.ts';
import { forEachOption } from './getopt.ts';
import { readMainConfig, type MainConfig } from '../global/config/main-cf.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import { PlatformError, describeCode, type FileSystem } from '../platform/types.ts';
import { isQueueIdSyntaxOk, queuePathOf } from '../global/queue/queue-id.ts';
import { mailQueue, queueFilePath, type MailQueue } from '../global/queue/mail-queue.ts';
import { hashingFromConfig } from '../master/queue-hashing.ts';
import { withHostMaillog } from '../master/host-maillog.ts';
import {
  walkQueue, checkQueueFileOpenable, statOrMissing, isRegularFile, isReadyMessage, QUEUE_STAT_EXPIRE,
} from '../global/queue/scan-dir.ts';

const USAGE = 'usage: postsuper [-c config_dir] [-d queue_id (delete)] [-e queue_id (expire)] '
  + '[-f queue_id (expire and/or un-hold)] [-h queue_id (hold)] [-H queue_id (un-hold)] '
  + '[-p (purge temporary files)] [-r queue_id (requeue)] [-s (structure fix)] '
  + '[-S (redundant structure fix)][-v (verbose)] [queue...]';
const OPTION_LETTERS = 'c:d:e:f:h:H:pr:sSv';

/** Postfix's default queue list: log directories before the message queues. */
const DEFAULT_QUEUES = ['defer', 'bounce', 'maildrop', 'incoming', 'active', 'deferred', 'hold', 'flush'];
/** Queues postsuper knows, and whether they hold messages (MAIL_QUEUE_STAT_READY files). */
const MESSAGE_QUEUES = new Set(['maildrop', 'incoming', 'active', 'deferred', 'hold']);
const KNOWN_QUEUES = new Set([...MESSAGE_QUEUES, 'trace', 'defer', 'bounce', 'flush']);
/** The per-message logs deleted with their message. */
const LOG_QUEUES = ['bounce', 'defer', 'trace'];
/** Each by-id action looks twice: a file may move between queues meanwhile. */
const SEARCH_TRIES = 2;
/** MAX_TEMP_AGE: a temporary file older than this is stale (seconds). */
export const TEMPORARY_FILE_AGE_MAX_SECONDS = 7 * 24 * 60 * 60;
/** Queue ids read from stdin ("-") at most. */
export const STDIN_IDS_MAX = 1_000_000;

type Kind = 'delete' | 'expire' | 'expireRelease' | 'hold' | 'release' | 'requeue';
const KIND_OF: Record<string, Kind> = { d: 'delete', e: 'expire', f: 'expireRelease', h: 'hold', H: 'release', r: 'requeue' };

interface Action { kind: Kind; target: string }

interface Counters { requeued: number; deleted: number; expired: number; held: number; released: number }

interface Session {
  context: CommandContext;
  reporter: Reporter;
  queue: MailQueue;
  pid: number;
  queues: string[];
  counters: Counters;
}

interface Parsed { actions: Action[]; repair: { structure: boolean; purge: boolean }; configDirectory?: string; operands: string[] }

/** getopt with Postfix's "+" (stop at the first operand), keeping the options' order. */
function parseArguments(context: CommandContext, program: string, reporter: Reporter): Parsed {
  const usage = (): never => reporter.fatal(USAGE.replace('postsuper', program));
  const parsed: Parsed = { actions: [], repair: { structure: false, purge: false }, operands: [] };
  const output = { program, complain: (text: string) => context.stderr.write(text), usage };
  parsed.operands = forEachOption(context.argv, OPTION_LETTERS, output, (letter, value) => {
    if (letter === 'p') parsed.repair.purge = true;
    else if (letter === 's' || letter === 'S') parsed.repair.structure = true;
    else if (letter === 'v') return;
    else if (letter === 'c') {
      if (!value.startsWith('/')) reporter.fatal('-c requires absolute pathname');
      parsed.configDirectory = value;
    } else {
      parsed.actions.push({ kind: KIND_OF[letter]!, target: value });
    }
  });
  return parsed;
}

function isSuperuser(context: CommandContext): boolean {
  const user = context.env.get('USER');
  return user === undefined || user === 'root';
}

export const postsuperMain: CommandMain = async (context) => {
  const host = context.host;
  const program = (context.argv[0] ?? 'postsuper').split('/').pop() || 'postsuper';
  const pid = host.nextPid();
  const reporter = createReporter({ program, host, pid, stderr: context.stderr });
  if (!isSuperuser(context)) reporter.fatal('use of this command is reserved for the superuser');
  const parsed = parseArguments(context, program, reporter);
  const explicit = parsed.configDirectory ?? context.env.get('MAIL_CONFIG');
  const config = await readMainConfig({
    fs: host.platform.fs, directory: explicit ?? host.defaultConfigDirectory, reporter, host, directoryIsExplicit: explicit !== undefined,
  });
  return withHostMaillog(host, config, async () => {
    const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
    await changeDirectory(host.platform.fs, queueDirectory, reporter);
    const session: Session = {
      context, reporter, pid,
      queue: mailQueue(host.platform.fs, queueDirectory, hashingFromConfig(config)),
      queues: parsed.operands.length > 0 ? parsed.operands : DEFAULT_QUEUES,
      counters: { requeued: 0, deleted: 0, expired: 0, held: 0, released: 0 },
    };
    const repairOnly = parsed.actions.length === 0 && !parsed.repair.structure && !parsed.repair.purge;
    const repair = repairOnly ? { structure: true, purge: true } : parsed.repair;
    if (repair.structure || repair.purge) await repairQueues(session, config, repair);
    for (const action of parsed.actions) await perform(session, action);
    summarize(session, new Set(parsed.actions.map((action) => action.kind)));
    return 0;
  });
};

async function changeDirectory(fs: FileSystem, directory: string, reporter: Reporter): Promise<void> {
  try {
    if (!(await fs.stat(directory)).isDirectory) reporter.fatal(`chdir ${directory}: ${describeCode('ENOTDIR')}`);
  } catch (error) {
    if (error instanceof PlatformError) reporter.fatal(`chdir ${directory}: ${describeCode(error.code)}`);
    throw error;
  }
}

/** find_queue_info(): an unknown queue name is fatal when an action reaches it. */
function isMessageQueue(session: Session, queueName: string): boolean {
  if (!KNOWN_QUEUES.has(queueName)) session.reporter.fatal(`invalid directory name: ${queueName}`);
  return MESSAGE_QUEUES.has(queueName);
}

const plural = (count: number): string => `${count} message${count === 1 ? '' : 's'}`;

function summarize(session: Session, kinds: Set<Kind>): void {
  const { reporter, counters } = session;
  if (kinds.has('requeue')) reporter.info(`Requeued: ${plural(counters.requeued)}`);
  if (kinds.has('delete')) reporter.info(`Deleted: ${plural(counters.deleted)}`);
  if (kinds.has('expire') || kinds.has('expireRelease')) reporter.info(`Force-expired: ${plural(counters.expired)}`);
  if (kinds.has('hold')) reporter.info(`Placed on hold: ${plural(counters.held)}`);
  if (kinds.has('release') || kinds.has('expireRelease')) reporter.info(`Released from hold: ${plural(counters.released)}`);
}

/** "ID: removed" on stderr and in the maillog (trace kind postsuper.action). */
function announce(session: Session, queueId: string, action: 'removed' | 'placed on hold' | 'released from hold' | 'requeued' | 'expired'): void {
  const { context, reporter } = session;
  context.stderr.write(`${reporter.program}: ${queueId}: ${action}\n`);
  const host = context.host;
  if (action === 'expired') {
    host.platform.trace.emit({ kind: 'log.text', text: `${queueId}: expired`, host: host.name, service: reporter.program, pid: session.pid, queueId });
    return;
  }
  host.platform.trace.emit({ kind: 'postsuper.action', action, host: host.name, service: reporter.program, pid: session.pid, queueId });
}

async function perform(session: Session, action: Action): Promise<void> {
  if (action.target === 'ALL') return massAction(session, action.kind);
  const one = async (id: string): Promise<void> => {
    if (!isQueueIdSyntaxOk(id)) {
      session.reporter.warn(`invalid mail queue id: ${id}`);
      return;
    }
    if (action.kind === 'expireRelease') {
      await expireOne(session, id);
      await releaseOne(session, id);
      return;
    }
    const byKind: Record<Exclude<Kind, 'expireRelease'>, (session: Session, id: string) => Promise<void>> = {
      delete: deleteOne, expire: expireOne, hold: holdOne, release: releaseOne, requeue: requeueOne,
    };
    await byKind[action.kind](session, id);
  };
  if (action.target !== '-') return one(action.target);
  for (let count = 0; count < STDIN_IDS_MAX; count++) {
    const line = await session.context.stdin.readLine();
    if (line === null) return;
    await one(line);
  }
}

/** The queues a by-id action may find `id` in, with the path of the ready file there. */
async function findMessage(session: Session, id: string, skip: (queueName: string) => boolean): Promise<{ queueName: string; path: string } | undefined> {
  for (const queueName of session.queues) {
    if (skip(queueName) || !isMessageQueue(session, queueName)) continue;
    const path = queueFilePath(session.queue, queueName, id);
    const verdict = await checkQueueFileOpenable(session.queue.fs, path, queuePathOf(queueName, id, session.queue.hashing));
    if (verdict.ok) return { queueName, path };
    if (verdict.warning !== undefined) session.reporter.warn(verdict.warning);
  }
  return undefined;
}

/** remove(), where a file that is already gone counts as a lost race. */
async function removeFile(fs: FileSystem, path: string, reporter: Reporter): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (error) {
    if (error instanceof PlatformError && error.code === 'ENOENT') return false;
    if (error instanceof PlatformError) reporter.fatal(`remove file ${path}: ${describeCode(error.code)}`);
    throw error;
  }
}

/** rename(), making a missing hash subdirectory; a vanished source is a lost race. */
async function renameFile(fs: FileSystem, from: string, to: string, reporter: Reporter): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.rename(from, to);
      return true;
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      if (error.code !== 'ENOENT') reporter.fatal(`rename file ${from} as ${to}: ${describeCode(error.code)}`);
      if (attempt > 0 || (await statOrMissing(fs, from)) === undefined) return false;
      await fs.mkdir(to.slice(0, to.lastIndexOf('/')), { recursive: true, mode: 0o700 });
    }
  }
  return false;
}

async function deleteOne(session: Session, id: string): Promise<void> {
  const { fs } = session.queue;
  for (let tries = 0; tries < SEARCH_TRIES; tries++) {
    const found = await findMessage(session, id, () => false);
    if (found === undefined) continue;
    for (const logName of LOG_QUEUES) await removeFile(fs, queueFilePath(session.queue, logName, id), session.reporter);
    if (await removeFile(fs, found.path, session.reporter)) {
      announce(session, id, 'removed');
      session.counters.deleted++;
      return;
    }
  }
}

async function requeueOne(session: Session, id: string): Promise<void> {
  const { fs } = session.queue;
  for (let tries = 0; tries < SEARCH_TRIES; tries++) {
    const found = await findMessage(session, id, (name) => name === 'maildrop');
    if (found === undefined) continue;
    const target = queueFilePath(session.queue, 'maildrop', id);
    if (await renameFile(fs, found.path, target, session.reporter)) {
      const nowMs = session.context.host.platform.clock.nowMs();
      try {
        await fs.utimes(target, nowMs, nowMs);
      } catch (error) {
        if (!(error instanceof PlatformError)) throw error;
        session.reporter.warn(`${target}: reset time stamps: ${describeCode(error.code)}`);
      }
      announce(session, id, 'requeued');
      session.counters.requeued++;
      return;
    }
  }
}

async function holdOne(session: Session, id: string): Promise<void> {
  for (let tries = 0; tries < SEARCH_TRIES; tries++) {
    // Maildrop mail has not been through cleanup yet: it must not be mixed with held mail.
    const found = await findMessage(session, id, (name) => name === 'maildrop' || name === 'hold');
    if (found === undefined) continue;
    if (await renameFile(session.queue.fs, found.path, queueFilePath(session.queue, 'hold', id), session.reporter)) {
      announce(session, id, 'placed on hold');
      session.counters.held++;
      return;
    }
  }
}

async function releaseOne(session: Session, id: string): Promise<void> {
  if (!session.queues.includes('hold')) return;
  const path = queueFilePath(session.queue, 'hold', id);
  const verdict = await checkQueueFileOpenable(session.queue.fs, path, queuePathOf('hold', id, session.queue.hashing));
  if (!verdict.ok) {
    if (verdict.warning !== undefined) session.reporter.warn(verdict.warning);
    return;
  }
  if (await renameFile(session.queue.fs, path, queueFilePath(session.queue, 'deferred', id), session.reporter)) {
    announce(session, id, 'released from hold');
    session.counters.released++;
  }
}

async function expireOne(session: Session, id: string): Promise<void> {
  for (let tries = 0; tries < SEARCH_TRIES; tries++) {
    const found = await findMessage(session, id, (name) => name === 'maildrop');
    if (found === undefined) continue;
    if (await markExpired(session, found.path)) {
      announce(session, id, 'expired');
      session.counters.expired++;
    }
    return;
  }
}

/** postexpire(): the group execute bit on a ready file that does not have it yet. */
async function markExpired(session: Session, path: string): Promise<boolean> {
  const stat = await statOrMissing(session.queue.fs, path);
  if (stat === undefined || !isRegularFile(stat) || !isReadyMessage(stat) || (stat.mode & QUEUE_STAT_EXPIRE) !== 0) return false;
  try {
    await session.queue.fs.chmod(path, (stat.mode | QUEUE_STAT_EXPIRE) & 0o7777);
    return true;
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    session.reporter.warn(`expire file ${path}: cannot set permission: ${describeCode(error.code)}`);
    return false;
  }
}

/** super() for one mass action: every object in every named queue. */
async function massAction(session: Session, kind: Kind): Promise<void> {
  const { fs, queueDirectory } = session.queue;
  for (const queueName of session.queues) {
    const messageQueue = isMessageQueue(session, queueName);
    const entries = await walkQueue(fs, queueDirectory, queueName, { recurse: queueName !== 'maildrop' });
    for (const entry of entries) {
      const stat = await statOrMissing(fs, entry.path);
      if (stat === undefined || stat.isDirectory) continue;
      if (kind === 'delete') {
        if (await removeFile(fs, entry.path, session.reporter) && messageQueue && isReadyMessage(stat)) session.counters.deleted++;
        continue;
      }
      if (!isRegularFile(stat)) {
        await removeFile(fs, entry.path, session.reporter);
        continue;
      }
      if (!isQueueIdSyntaxOk(entry.name)) {
        session.reporter.warn(`bogus file name: ${entry.path.slice(queueDirectory.length + 1)}`);
        continue;
      }
      await massOne(session, kind, queueName, messageQueue, entry.name, entry.path);
    }
  }
}

async function massOne(session: Session, kind: Kind, queueName: string, messageQueue: boolean, id: string, path: string): Promise<void> {
  const { fs } = session.queue;
  const { counters, reporter } = session;
  if (kind === 'requeue') {
    if (messageQueue && queueName !== 'maildrop' && await renameFile(fs, path, queueFilePath(session.queue, 'maildrop', id), reporter)) counters.requeued++;
    return;
  }
  if ((kind === 'expire' || kind === 'expireRelease') && messageQueue && queueName !== 'maildrop' && await markExpired(session, path)) counters.expired++;
  if (kind === 'hold') {
    if (messageQueue && queueName !== 'maildrop' && queueName !== 'hold' && await renameFile(fs, path, queueFilePath(session.queue, 'hold', id), reporter)) counters.held++;
    return;
  }
  if ((kind === 'release' || kind === 'expireRelease') && queueName === 'hold') {
    if (await renameFile(fs, path, queueFilePath(session.queue, 'deferred', id), reporter)) counters.released++;
  }
}

/** -s and -p: files at the hashed depth main.cf asks for; non-files and stale temporary
 *  files removed. "Stale" needs a file time: the only decision postsuper takes from one. */
async function repairQueues(session: Session, config: MainConfig, repair: { structure: boolean; purge: boolean }): Promise<void> {
  const { fs, queueDirectory } = session.queue;
  const hashed = new Set(config.getList('hash_queue_names').map((name) => name.toLowerCase()));
  const nowSeconds = Math.floor(session.context.host.platform.clock.nowMs() / 1000);
  for (const queueName of session.queues) {
    const messageQueue = isMessageQueue(session, queueName);
    if (queueName === 'maildrop' && hashed.has(queueName)) session.reporter.fatal(`${queueName} queue must not be hashed`);
    for (const entry of await walkQueue(fs, queueDirectory, queueName, { recurse: queueName !== 'maildrop' })) {
      const stat = await statOrMissing(fs, entry.path);
      if (stat === undefined || stat.isDirectory) continue;
      const stale = repair.purge && messageQueue && !isReadyMessage(stat) && nowSeconds > stat.mtimeMs / 1000 + TEMPORARY_FILE_AGE_MAX_SECONDS;
      if (!isRegularFile(stat) || stale) {
        await removeFile(fs, entry.path, session.reporter);
        continue;
      }
      if (!isQueueIdSyntaxOk(entry.name)) {
        session.reporter.warn(`bogus file name: ${entry.path.slice(queueDirectory.length + 1)}`);
        continue;
      }
      const wanted = queueFilePath(session.queue, queueName, entry.name);
      if (repair.structure && wanted !== entry.path) await renameFile(fs, entry.path, wanted, session.reporter);
    }
  }
}
