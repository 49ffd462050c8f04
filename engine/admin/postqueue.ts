// postqueue(1): the user's view of the mail queue. -p lists it as mailq does, -j as JSON
// lines, -f asks qmgr to retry every deferred message now (and pickup to look at
// maildrop), -s SITE retries the deferred mail for one destination, -i ID one message.
// The listing comes from the showq service while the mail system runs; when it is down,
// the superuser reads the queue directly (with Postfix's warning) and anybody else is
// refused. Every fatal error exits 69 (EX_UNAVAILABLE), as postqueue's msg_cleanup does.
// Also mailq(1) and sendmail -bp: both are postqueue -p underneath (printQueueListing).
// What "the mail system" is comes from a MailSystemLink: the Host's own (host.mailSystem,
// real mode's sockets, engine/cli/mail-system-link.ts) when it has one, else the
// simulation's per-host master registry.
// Called through the command table (engine/admin/index.ts) and by sendmail -bp.
// -s and -i ask the flush service (engine/flush/) through the link: the simulation's
// in-process service, or real mode's public/flush socket (engine/flush/protocol.ts), so
// that the site's per-site log in flush/ is read and its messages moved as Postfix does.
// Models src/postqueue/postqueue.c and the flush client (src/global/flush_clnt.c).

import type { CommandContext, CommandMain } from './command.ts';
import { readMainConfig, type MainConfig } from '../global/config/main-cf.ts';
import type { Host } from '../global/host.ts';
import type { MailSystemLink } from '../global/mail-system.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import { parseOptions } from '../global/maps/command-support.ts';
import { PlatformError, describeCode, type PlatformErrorCode } from '../platform/types.ts';
import { isQueueIdSyntaxOk } from '../global/queue/queue-id.ts';
import { mailQueue, type MailQueue } from '../global/queue/mail-queue.ts';
import { checkHostname, checkMailhostLiteral } from '../global/address/index.ts';
import { hashingFromConfig } from '../master/queue-hashing.ts';
import { withHostMaillog } from '../master/host-maillog.ts';
import { runningHost } from '../master/registry.ts';
import type { RunningHost } from '../master/runtime.ts';
import { connectErrorAt, hasSocketFile, publicSocketPath } from '../master/service-sockets.ts';
import { showQueue, type ShowqEndpoint } from '../showq/api.ts';
import { isFlushEndpoint, type FlushEndpoint, type FlushStatus } from '../flush/api.ts';
import { flushSendFile, flushSendSite } from '../flush/client.ts';
import { showqSettings } from '../showq/service.ts';
import { formatJson, formatMailq } from '../showq/format.ts';

/** EX_UNAVAILABLE: postqueue's exit status for every fatal error. */
export const POSTQUEUE_EXIT_UNAVAILABLE = 69;
/** EX_TEMPFAIL: sendmail's (mailq's) exit status for a fatal error. */
const SENDMAIL_EXIT_TEMPFAIL = 75;
/** EX_USAGE: a request the flush server called bad. EX_SOFTWARE: a status it should not give. */
const POSTQUEUE_EXIT_USAGE = 64;
const POSTQUEUE_EXIT_SOFTWARE = 70;
const USAGE = 'usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | postqueue -s site';
/** What %.100s keeps of a bad site or id in postqueue's complaint. */
const ECHO_LENGTH_MAX = 100;

export type { MailSystemLink } from '../global/mail-system.ts';

/** The simulation: the per-host registry of running masters (engine/master/registry.ts),
 *  reached through the socket files the simulated master makes (master/service-sockets.ts):
 *  a missing file answers ENOENT, a file nobody listens on (master stopped) ECONNREFUSED. */
export const simMailSystemLink: MailSystemLink = {
  async showq(host, config) {
    const name = config.get('showq_service_name') ?? 'showq';
    const down = await unreachable(host, config, name);
    if (down !== undefined) return { down };
    const service = runningHost(host, config.configDirectory)?.service(name);
    const endpoint = service as (typeof service & Partial<ShowqEndpoint>) | undefined;
    // A showq entry whose program does not run has its socket, but no server answers it.
    return typeof endpoint?.showQueue === 'function' ? endpoint as ShowqEndpoint : { down: 'ECONNREFUSED' };
  },
  async trigger(host, config, service, reason) {
    const down = await unreachable(host, config, service);
    // unix_trigger(): a missing socket is a lookup error; a refused connect fails quietly.
    if (down !== undefined) return down === 'ECONNREFUSED' ? {} : { lookupError: down };
    const running = runningHost(host, config.configDirectory) as RunningHost;
    // A master.cf service whose program mtalab lacks (skipped at start) still has its
    // socket in Postfix: the write succeeds and nobody reads it.
    if (running.service(service) !== undefined) running.trigger(service, reason);
    return true;
  },
  async running(host, config) {
    return runningHost(host, config.configDirectory) !== undefined;
  },
  async flush(host, config) {
    const service = runningHost(host, config.configDirectory)?.service(config.get('flush_service_name') ?? 'flush');
    return isFlushEndpoint(service) ? service : undefined;
  },
};

type Mode = 'list' | 'json' | 'flush' | 'site' | 'file';

interface Invocation {
  context: CommandContext;
  config: MainConfig;
  reporter: Reporter;
  /** The reporter whose fatal() takes its own exit status. */
  base: Reporter;
  link: MailSystemLink;
}

/** A reporter whose fatal() always exits with `exitCode`, as msg_cleanup(unavailable). */
function reporterExiting(base: Reporter, exitCode: number): Reporter {
  return {
    program: base.program,
    info: (text) => base.info(text),
    warn: (text) => base.warn(text),
    error: (text) => base.error(text),
    fatal: (text) => base.fatal(text, exitCode),
    get warnings() { return base.warnings; },
  };
}

/** Whether the user may read the queue without showq (postqueue runs `showq -S` as root). */
function isSuperuser(context: CommandContext): boolean {
  const user = context.env.get('USER');
  return user === undefined || user === 'root';
}

function parseMode(context: CommandContext, reporter: Reporter): { mode: Mode; value: string; configDirectory?: string } {
  const usage = (): never => reporter.fatal(USAGE);
  const { flags, operands } = parseOptions(context.argv, 'c:fi:jps:v', 'postqueue', context.stderr, usage);
  if (operands.length > 0) usage();
  const letters: Record<string, Mode> = { f: 'flush', i: 'file', j: 'json', p: 'list', s: 'site' };
  let found: { mode: Mode; value: string } | undefined;
  for (const [letter, values] of flags) {
    const mode = letters[letter];
    if (mode === undefined) continue;
    if (found !== undefined || values.length > 1) usage();
    found = { mode, value: values[0] ?? '' };
  }
  if (found === undefined) return usage();
  return { ...found, configDirectory: flags.get('c')?.at(-1) };
}

/** Postfix's "%.100s%s" echo of user input. */
const echo = (text: string): string => text.length > ECHO_LENGTH_MAX ? `${text.slice(0, ECHO_LENGTH_MAX)}...` : text;

function queueOf(context: CommandContext, config: MainConfig): MailQueue {
  return mailQueue(context.host.platform.fs, config.get('queue_directory') ?? '/var/spool/postfix', hashingFromConfig(config));
}

/** Why public/NAME cannot be reached (connect's errno), or undefined when a running master
 *  listens there. */
async function unreachable(host: Host, config: MainConfig, service: string): Promise<PlatformErrorCode | undefined> {
  const path = publicSocketPath(config.get('queue_directory') ?? '/var/spool/postfix', service);
  const running = runningHost(host, config.configDirectory);
  if (running === undefined) return connectErrorAt(host.platform.fs, path);
  // A fifo entry's FIFO is not made in the simulation (only sockets are): it is reached.
  const entry = running.services().get(service)?.entry ?? running.skipped.find((skipped) => skipped.service === service);
  if (entry !== undefined && !hasSocketFile(entry)) return undefined;
  const missing = await connectErrorAt(host.platform.fs, path);
  // Removed by hand while master runs: the name is gone, as for a real socket.
  return missing === 'ECONNREFUSED' ? undefined : missing;
}

/** postqueue(1) acting on the mail system `link` reaches. */
export function createPostqueueMain(link: MailSystemLink): CommandMain {
  return async (context) => {
    const host = context.host;
    const base = createReporter({ program: 'postqueue', host, pid: host.nextPid(), stderr: context.stderr });
    const reporter = reporterExiting(base, POSTQUEUE_EXIT_UNAVAILABLE);
    const { mode, value, configDirectory } = parseMode(context, reporter);
    const explicit = configDirectory ?? context.env.get('MAIL_CONFIG');
    const given = explicit ?? host.defaultConfigDirectory;
    const directory = given.startsWith('/') ? given : `${context.cwd.replace(/\/+$/, '')}/${given}`;
    const config = await readMainConfig({ fs: host.platform.fs, directory, reporter, host, directoryIsExplicit: explicit !== undefined });
    return withHostMaillog(host, config, async () => {
      await changeToQueueDirectory(context, config, reporter);
      const call: Invocation = { context, config, reporter, base, link };
      switch (mode) {
        case 'list':
        case 'json':
          await listQueue(call, mode);
          return 0;
        case 'flush':
          await flushQueue(call);
          return 0;
        case 'site':
          await flushSite(call, value);
          return 0;
        case 'file':
          await flushFile(call, value);
          return 0;
      }
    });
  };
}

async function changeToQueueDirectory(context: CommandContext, config: MainConfig, reporter: Reporter): Promise<void> {
  const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
  try {
    const stat = await context.host.platform.fs.stat(queueDirectory);
    if (!stat.isDirectory) reporter.fatal(`chdir ${queueDirectory}: ${describeCode('ENOTDIR')}`);
  } catch (error) {
    if (error instanceof PlatformError) reporter.fatal(`chdir ${queueDirectory}: ${describeCode(error.code)}`);
    throw error;
  }
}

/** show_queue(): from the showq service, else directly for the superuser. */
async function listQueue(call: Invocation, mode: 'list' | 'json'): Promise<void> {
  const { context, config, reporter, link } = call;
  const serviceName = config.get('showq_service_name') ?? 'showq';
  const mailName = config.get('mail_name') ?? 'Postfix';
  const endpoint = await link.showq(context.host, config);
  let messages;
  if (!('down' in endpoint)) {
    messages = await endpoint.showQueue();
  } else if (isSuperuser(context)) {
    reporter.warn(`Mail system is down -- accessing queue directly (Connect to the ${mailName} ${serviceName} service: ${describeCode(endpoint.down)})`);
    messages = await showQueue({ ...showqSettings(config), queue: queueOf(context, config), warn: (text) => reporter.warn(text) });
  } else {
    return reporter.fatal(`Queue report unavailable - mail system is down (Connect to the ${mailName} ${serviceName} service: ${describeCode(endpoint.down)})`);
  }
  context.stdout.write(mode === 'json' ? formatJson(messages) : formatMailq(messages, config.getBool('enable_long_queue_ids')));
}

/** flush_queue(): qmgr rescans deferred (and incoming), pickup looks at maildrop. */
async function flushQueue(call: Invocation): Promise<void> {
  const { context, config, reporter, link } = call;
  for (const [parameter, fallback, reason] of [
    ['queue_service_name', 'qmgr', 'flush-deferred'], ['pickup_service_name', 'pickup', 'wakeup'],
  ] as const) {
    const service = config.get(parameter) ?? fallback;
    const outcome = await link.trigger(context.host, config, service, reason);
    if (outcome !== true) {
      if (outcome.lookupError !== undefined) reporter.warn(`unable to look up public/${service}: ${describeCode(outcome.lookupError)}`);
      reporter.fatal('Cannot flush mail queue - mail system is down');
    }
  }
}

/** flush_site(): only for destinations in fast_flush_domains (the flush client screens,
 *  the server reads the site's log); its deferred mail moves and qmgr is told to scan. */
async function flushSite(call: Invocation, site: string): Promise<void> {
  const verdict = site.startsWith('[') ? checkMailhostLiteral(site) : checkHostname(site);
  if (!verdict.ok) call.reporter.fatal(`Cannot flush mail queue - invalid destination: "${echo(site)}"`);
  const warned = call.base.warnings;
  return reportFlushStatus(call, site, await flushSendSite(await flushClientOf(call), site), true, warned);
}

/** flush_file(): one deferred message moves to incoming and qmgr scans it. */
async function flushFile(call: Invocation, id: string): Promise<void> {
  if (!isQueueIdSyntaxOk(id)) call.reporter.fatal(`Cannot flush queue ID - invalid name: "${echo(id)}"`);
  const warned = call.base.warnings;
  return reportFlushStatus(call, id, await flushSendFile(await flushClientOf(call), id), false, warned);
}

/** A flush client over the link's flush service (looked up once per command). */
async function flushClientOf(call: Invocation) {
  const { context, config, reporter, link } = call;
  const endpoint: FlushEndpoint | undefined = await link.flush?.(context.host, config);
  return { config: () => config, fs: context.host.platform.fs, reporter, endpoint: () => endpoint };
}

/** flush_site()/flush_file(): what postqueue says for each flush status. */
async function reportFlushStatus(call: Invocation, name: string, status: FlushStatus, site: boolean, warned: number): Promise<void> {
  const { reporter, base } = call;
  switch (status) {
    case 'ok': return;
    case 'bad': return base.fatal(`Invalid request: "${name}"`, POSTQUEUE_EXIT_USAGE);
    case 'fail':
      // The client has warned about a connection it could not make (real mode's socket);
      // the simulation's in-process service says nothing of its own when master is down.
      if (call.base.warnings === warned && !await call.link.running(call.context.host, call.config)) await requireFlushService(call);
      return reporter.fatal('Cannot flush mail queue - mail system is down');
    case 'deny':
      if (site) return reporter.fatal(`Flush service is not configured for destination "${name}"`);
      return base.fatal(`Unexpected flush server reply status ${flushStatusNumber(status)}`, POSTQUEUE_EXIT_SOFTWARE);
  }
}

/** flush_clnt.h's numbers, for postqueue's "unexpected status" complaint. */
function flushStatusNumber(status: FlushStatus): number {
  return { ok: 0, fail: -1, bad: 3, deny: 4 }[status];
}

/** The flush service runs only with the mail system; its client's complaint otherwise. */
async function requireFlushService(call: Invocation): Promise<void> {
  const { context, config, reporter, link } = call;
  if (await link.running(context.host, config)) return;
  const service = config.get('flush_service_name') ?? 'flush';
  const down = await connectErrorAt(context.host.platform.fs, publicSocketPath(config.get('queue_directory') ?? '/var/spool/postfix', service));
  reporter.warn(`connect to public/${service}: ${describeCode(down)}`);
  reporter.fatal('Cannot flush mail queue - mail system is down');
}

/** The link a command on `host` uses: the Host's own, else the simulation's registry. */
export function mailSystemOf(host: Host): MailSystemLink {
  return host.mailSystem ?? simMailSystemLink;
}

/** postqueue(1) on the Host's mail system (the command table's). */
export const postqueueMain: CommandMain = (context) => createPostqueueMain(mailSystemOf(context.host))(context);

/** What sendmail -bp and mailq run: postqueue -p (with -c DIR when sendmail had -C DIR),
 *  on the caller's terminal. Returns postqueue's exit status. */
export async function printQueueListing(context: CommandContext, configDirectory?: string, link: MailSystemLink = mailSystemOf(context.host)): Promise<number> {
  const argv = ['postqueue', ...(configDirectory === undefined ? [] : ['-c', configDirectory]), '-p'];
  return runWithFatal(() => createPostqueueMain(link)({ ...context, argv }));
}

/** Runs a command main, turning FatalExit into its status as runCommand does. */
async function runWithFatal(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') return error.exitCode;
    throw error;
  }
}

/** sendmail's options that take a value (its getopt string). */
const SENDMAIL_OPTIONS = 'B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx';

/** mailq(1): sendmail in "display the queue" mode. sendmail options are accepted (-C DIR
 *  names the configuration); a recipient is an error. */
export const mailqMain: CommandMain = async (context) => {
  const program = (context.argv[0] ?? 'mailq').split('/').pop() || 'mailq';
  const reporter = createReporter({ program, host: context.host, pid: context.host.nextPid(), stderr: context.stderr });
  const ignore = (): never => reporter.fatal(`usage: ${program} [options]`, SENDMAIL_EXIT_TEMPFAIL);
  const { flags, operands } = parseOptions(context.argv, SENDMAIL_OPTIONS, program, { write: () => undefined }, ignore);
  if (operands.length > 0) reporter.fatal('display queue mode requires no recipient', SENDMAIL_EXIT_TEMPFAIL);
  return printQueueListing(context, flags.get('C')?.at(-1));
};
