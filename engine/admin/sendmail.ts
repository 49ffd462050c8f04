// sendmail(1), Postfix's Sendmail-compatible front end. In delivery mode it reads the message
// from standard input and hands it to postdrop, which drops it into maildrop/ and wakes
// pickup; the other modes run another Postfix command as Postfix's sendmail execs it:
// -bp → postqueue -p, -q → postqueue -f, -qR → postqueue -s, -qI → postqueue -i,
// -bi → postalias, -bd → postfix start, -bs → smtpd -S (an SMTP dialog on stdin/stdout that
// submits through postdrop: engine/smtpd/standalone.ts), -bh/-bH nothing.
// The submitting user is the shell's user ($USER in the host's /etc/passwd, root = 0), or
// $MTALAB_UID when a caller states the uid outright. Every fatal error exits 75, as the real
// sendmail's run-time error handler makes it.
// Called through the command table (engine/admin/index.ts) by the shell, the CLI and tests.
// Trusts the config reader and the queue library. Models src/sendmail/sendmail.c.

import type { CommandContext } from './command.ts';
import type { Host } from '../global/host.ts';
import type { TraceEvent, TraceSink } from '../global/trace.ts';
import { lookupCommand } from './run.ts';
import { printQueueListing } from './postqueue.ts';
import { parseSendmailOptions, prescanConfigDirectory, type SendmailOptions } from './sendmail-options.ts';
import { readMainConfig, type MainConfig } from '../global/config/main-cf.ts';
import { createReporter, FatalExit, terminalOnlyWhile, type Reporter } from '../global/msg.ts';
import { lookupGroup, lookupUid, lookupUser } from '../global/passwd.ts';
import { parseAddressListInternal } from '../global/address/index.ts';
import { mailQueue } from '../global/queue/mail-queue.ts';
import { hashingFromConfig } from '../master/queue-hashing.ts';
import { runningHost } from '../master/registry.ts';
import { withHostMaillog } from '../master/host-maillog.ts';
import { cleanupStatusDetail } from '../cleanup/state.ts';
import { CleanupStatus } from '../master/contracts.ts';
import { postdrop } from '../postdrop/api.ts';
import { buildSubmission, inputRecords, type FixLineEndings, type InputRecord } from '../postdrop/submission.ts';
import { TraceFlag } from '../postdrop/stream.ts';
import { RecordType } from '../global/queue/record.ts';
import { runStandaloneSmtpd } from '../smtpd/standalone.ts';
import { PlatformError, describeCode } from '../platform/types.ts';

/** EX_TEMPFAIL: sendmail's exit status after any fatal error. */
export const SENDMAIL_EXIT_TEMPFAIL = 75;

/** Standard input read at most when it is not a terminal (message_size_limit bounds the
 *  file postdrop writes; this bounds the memory before it). */
export const SENDMAIL_INPUT_BYTES_MAX = 512 * 1024 * 1024;

/** Lines read from a terminal before sendmail gives up waiting for "." or end of input. */
export const TERMINAL_LINES_MAX = 1_000_000;

export async function sendmailMain(context: CommandContext): Promise<number> {
  const program = (context.argv[0] ?? 'sendmail').split('/').pop() || 'sendmail';
  const pid = context.host.nextPid();
  const uid = await submittingUid(context);
  const reporter = tempfailReporter(createReporter({ program, host: loggingHost(context.host, uid), pid, stderr: context.stderr }));
  const explicitDirectory = prescanConfigDirectory(context.argv, program, context.stderr);
  let reading = true;
  const directory = absolute(context.cwd, explicitDirectory ?? context.env.get('MAIL_CONFIG') ?? context.host.defaultConfigDirectory);
  const config = await readMainConfig({
    fs: context.host.platform.fs, directory, reporter: terminalOnlyWhile(reporter, context.stderr, () => reading), host: context.host,
    directoryIsExplicit: explicitDirectory !== undefined || context.env.has('MAIL_CONFIG'),
    machine: { pid, processName: program },
  });
  reading = false;
  // Its diagnostics (and postdrop's) reach maillog_file whether or not master runs here.
  return withHostMaillog(context.host, config, () => sendmailMode({ context, reporter, config, directory, explicitDirectory, uid }, program));
}

/** What sendmail does once its configuration is read: the mode its options ask for. */
async function sendmailMode(setup: Omit<SendmailRun, 'options'>, program: string): Promise<number> {
  const { context, reporter, config } = setup;
  const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
  await changeDirectory(context, queueDirectory, reporter);
  const options = parseSendmailOptions(context.argv, program, reporter, context.stderr, config.get('verp_filter') ?? undefined);
  // -v once asks for a delivery record (sendmail -v); more is verbose logging.
  const traceFlags = (options.userVerify ? TraceFlag.userVerify : 0)
    | (options.verbose === 1 && options.mode === 'enqueue' ? TraceFlag.record : 0);
  if (options.queueTime !== undefined && options.mode !== 'daemon') return 0;
  const run: SendmailRun = { ...setup, options };
  const { explicitDirectory, directory } = run;
  switch (options.mode) {
    case 'enqueue': return enqueueMode(run, traceFlags);
    case 'mailq':
      requireNoRecipient(options, reporter, 'display queue mode requires no recipient');
      return printQueueListing(childContext(run), explicitDirectory === undefined ? undefined : directory);
    case 'flush':
      requireNoRecipient(options, reporter, 'flush queue mode requires no recipient');
      return runChild(run, ['postqueue', '-f']);
    case 'daemon':
      requireNoRecipient(options, reporter, 'daemon mode requires no recipient');
      // mail_run_background: sendmail's status says only whether the start could be run.
      await runChild(run, ['postfix', 'start']);
      return 0;
    case 'newaliases': return newaliasesMode(run);
    case 'user':
      requireNoRecipient(options, reporter, 'stand-alone mode requires no recipient');
      return standaloneMode(run);
    case 'ignore': return 0;
  }
}

/** -bs: smtpd -S, with the invoking user's rights; its log lines go where sendmail's do,
 *  nothing to stderr (smtpd's diagnostics are the maillog's). */
async function standaloneMode(run: SendmailRun): Promise<number> {
  const { context, config } = run;
  const fs = context.host.platform.fs;
  const host = loggingHost(context.host, run.uid);
  const pid = context.host.nextPid();
  const silent = { write: () => undefined, isTty: false };
  const gid = (await lookupGroup(fs, config.get('setgid_group') ?? 'postdrop'))?.gid;
  return runStandaloneSmtpd({
    host, config, pid, uid: run.uid, ...(gid === undefined ? {} : { gid }),
    stdin: context.stdin, stdout: context.stdout,
    log: createReporter({ program: 'smtpd', host, pid, stderr: silent }),
    postdropLog: (postdropPid) => createReporter({ program: 'postdrop', host: context.host, pid: postdropPid, stderr: context.stderr }),
    postdropPid: () => context.host.nextPid(),
    trigger: () => wakePickup(context, config, run.directory),
  });
}

interface SendmailRun {
  context: CommandContext;
  reporter: Reporter;
  config: MainConfig;
  options: SendmailOptions;
  directory: string;
  explicitDirectory: string | undefined;
  uid: number;
}

/** A trace sink that drops everything, for diagnostics that never reach the maillog. */
const unlogged: TraceSink = {
  emit: (input) => ({ ...input, seq: 0, atMs: 0 }) as TraceEvent,
  subscribe: () => () => undefined,
};

/** Whose diagnostics reach maillog_file: postlogd's socket is in public/, which only root
 *  and the postdrop group may enter, so an ordinary user's sendmail logs to syslog instead
 *  (logs/n2 has postdrop's warning for bob but not sendmail's lines; sendmail-modes.txt
 *  has root's). */
function loggingHost(host: Host, uid: number): Host {
  if (uid === 0) return host;
  return { name: host.name, defaultConfigDirectory: host.defaultConfigDirectory, nextPid: () => host.nextPid(),
    platform: { ...host.platform, trace: unlogged } };
}

/** sendmail's msg_cleanup(tempfail): whatever status a fatal asks for, the process exits 75. */
function tempfailReporter(base: Reporter): Reporter {
  return {
    get program() { return base.program; },
    get warnings() { return base.warnings; },
    info: (text) => base.info(text),
    warn: (text) => base.warn(text),
    error: (text) => base.error(text),
    fatal: (text) => base.fatal(text, SENDMAIL_EXIT_TEMPFAIL),
  };
}

function absolute(cwd: string, path: string): string {
  return path.startsWith('/') ? path : `${cwd.replace(/\/+$/, '')}/${path}`;
}

async function changeDirectory(context: CommandContext, directory: string, reporter: Reporter): Promise<void> {
  try {
    const stat = await context.host.platform.fs.stat(directory);
    if (!stat.isDirectory) reporter.fatal(`chdir ${directory}: Not a directory`);
  } catch (error) {
    if (error instanceof FatalExit) throw error;
    reporter.fatal(`chdir ${directory}: ${error instanceof PlatformError ? describeCode(error.code) : String(error)}`);
  }
}

function requireNoRecipient(options: SendmailOptions, reporter: Reporter, text: string): void {
  if (options.operands.length > 0) reporter.fatal(text);
}

/** The environment a child command sees: -C becomes MAIL_CONFIG, as sendmail's setenv. */
function childContext(run: SendmailRun): CommandContext {
  const env = new Map(run.context.env);
  if (run.explicitDirectory !== undefined) env.set('MAIL_CONFIG', run.directory);
  return { ...run.context, env };
}

/** mail_run_replace: the child's exit status becomes sendmail's. */
async function runChild(run: SendmailRun, argv: string[]): Promise<number> {
  const main = lookupCommand(argv[0] ?? '');
  const commandDirectory = run.config.get('command_directory') ?? '/usr/sbin';
  if (main === undefined) return run.reporter.fatal(`execv ${commandDirectory}/${argv[0] ?? ''}: No such file or directory`);
  for (let count = 0; count < run.options.verbose; count++) argv.splice(1, 0, '-v');
  try {
    return await main({ ...childContext(run), argv });
  } catch (error) {
    if (error instanceof FatalExit) return error.exitCode;
    throw error;
  }
}

async function newaliasesMode(run: SendmailRun): Promise<number> {
  requireNoRecipient(run.options, run.reporter, 'alias initialization mode requires no recipient');
  const databases = run.options.aliasMapFromArguments !== undefined
    ? [run.options.aliasMapFromArguments]
    : (run.config.get('alias_database') ?? '').split(/[, \t\r\n]+/).filter((word) => word !== '');
  if (databases.length === 0) return 0;
  return runChild(run, ['postalias', '--', ...databases]);
}

/** postdrop's trigger to pickup: through the Host's link to a mail system in another
 *  process (real mode), else the in-process master. Nobody listening is no error. */
async function wakePickup(context: CommandContext, config: MainConfig, directory: string): Promise<void> {
  const service = config.get('pickup_service_name') ?? 'pickup';
  const link = context.host.mailSystem;
  if (link === undefined) runningHost(context.host, directory)?.trigger(service);
  else await link.trigger(context.host, config, service, 'wakeup');
}

/** The submitting uid: $MTALAB_UID, else the passwd entry of $USER/$LOGNAME, else root. */
export async function submittingUid(context: CommandContext): Promise<number> {
  const stated = context.env.get('MTALAB_UID');
  if (stated !== undefined && /^[0-9]{1,10}$/.test(stated)) return Number(stated);
  const name = context.env.get('USER') ?? context.env.get('LOGNAME');
  if (name === undefined) return 0;
  return (await lookupUser(context.host.platform.fs, name))?.uid ?? 0;
}

/** fullname(): $NAME, else the GECOS field up to ",", ";" or "%", with "&" as the login
 *  name capitalised; undefined without a passwd entry. */
async function defaultFullName(context: CommandContext, uid: number): Promise<string | undefined> {
  const fromEnvironment = context.env.get('NAME');
  if (fromEnvironment !== undefined) return fromEnvironment;
  const entry = await lookupUid(context.host.platform.fs, uid);
  if (entry === undefined) return undefined;
  const gecos = entry.gecos.split(/[,;%]/)[0] ?? '';
  const capitalised = entry.name === '' ? '' : entry.name[0]?.toUpperCase() + entry.name.slice(1);
  return gecos.replaceAll('&', capitalised);
}

/** The -f address in internal form: the first address of the argument ("" for none). */
function parseSender(text: string, reporter: Reporter): string {
  const addresses = parseAddressListInternal(text);
  if (addresses.length > 1) reporter.warn(`-f option specified malformed sender: ${text}`);
  return addresses[0] ?? '';
}

/** Standard input as rec_streamlf_get records: all of it from a pipe or file (read first,
 *  then taken record by record without a turn each), line by line from a terminal so that
 *  a lone "." returns at once. */
async function standardInput(context: CommandContext, lineLengthLimit: number, reporter: Reporter): Promise<Iterable<InputRecord> | AsyncIterable<InputRecord>> {
  if (!context.stdin.isTty) {
    const bytes = await context.stdin.readAll();
    if (bytes.length > SENDMAIL_INPUT_BYTES_MAX) reporter.fatal(`error reading input: input exceeds ${SENDMAIL_INPUT_BYTES_MAX} bytes`);
    return inputRecords(bytes, lineLengthLimit);
  }
  return terminalInput(context, lineLengthLimit);
}

/** A terminal's lines as records, read one at a time. */
async function* terminalInput(context: CommandContext, lineLengthLimit: number): AsyncGenerator<InputRecord> {
  const encoder = new TextEncoder();
  for (let count = 0; count < TERMINAL_LINES_MAX; count++) {
    const line = await context.stdin.readLine();
    if (line === null) return;
    const bytes = encoder.encode(line);
    let start = 0;
    while (bytes.length - start >= lineLengthLimit) {
      yield { type: RecordType.continuedText, payload: bytes.subarray(start, start + lineLengthLimit) };
      start += lineLengthLimit;
    }
    yield { type: RecordType.normalText, payload: bytes.subarray(start) };
  }
}

function fixLineEndings(config: MainConfig, reporter: Reporter): FixLineEndings {
  const value = config.get('sendmail_fix_line_endings') ?? 'always';
  if (value === 'always' || value === 'strict' || value === 'never') return value;
  return reporter.fatal(`invalid sendmail_fix_line_endings value: ${value}`);
}

/** enqueue(): build the stream, hand it to postdrop, report as sendmail does. */
async function enqueueMode(run: SendmailRun, traceFlags: number): Promise<number> {
  const { context, reporter, config, options } = run;
  if (options.siteToFlush !== undefined) {
    if (options.operands.length > 0) reporter.fatal('flush site requires no recipient');
    return runChild(run, ['postqueue', '-s', options.siteToFlush]);
  }
  if (options.idToFlush !== undefined) {
    if (options.operands.length > 0) reporter.fatal('flush queue_id requires no recipient');
    return runChild(run, ['postqueue', '-i', options.idToFlush]);
  }
  const fs = context.host.platform.fs;
  const uid = run.uid;
  let sender: string;
  if (options.sender !== undefined) {
    sender = parseSender(options.sender, reporter);
  } else {
    const entry = await lookupUid(fs, uid);
    if (entry === undefined) return reporter.fatal(`no login name found for user ID ${uid}`);
    sender = entry.name;
  }
  const verpDelimiters = options.verp === true ? (config.get('verp_delimiters') ?? '+=') : options.verp;
  if (verpDelimiters !== undefined && sender === '') reporter.fatal(`${sender}(${uid}): -V option requires non-null sender address`);
  const lineLengthLimit = Math.max(1, config.getInt('line_length_limit'));
  const submission = await buildSubmission({
    sender, fullName: options.fullName ?? await defaultFullName(context, uid),
    recipientArguments: options.operands, extractRecipients: options.extractRecipients,
    archaicEof: options.archaicEof, dsnEnvelopeId: options.dsnEnvelopeId, dsnReturn: options.dsnReturn,
    dsnNotify: options.dsnNotify, encoding: options.encoding, rewriteContext: options.rewriteContext,
    traceFlags, verpDelimiters, lineLengthLimit, fixLineEndings: fixLineEndings(config, reporter),
  }, options.userVerify ? [] : await standardInput(context, lineLengthLimit, reporter));
  if (submission.recipientCount === 0) {
    reporter.fatal(options.extractRecipients
      ? `${sender}(${uid}): No recipient addresses found in message header`
      : `${sender}(${uid}): Recipient addresses must be specified on the command line or via the -t option`);
  }
  const postdropPid = context.host.nextPid();
  const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
  const postdropReporter = createReporter({ program: 'postdrop', host: context.host, pid: postdropPid, stderr: context.stderr });
  // postdrop is a program of its own: it reads main.cf again and says the same about it
  // (on the terminal, as sendmail's own reading does).
  for (const warning of config.parseWarnings ?? []) context.stderr.write(`postdrop: warning: ${warning}\n`);
  const result = await postdrop({
    host: context.host, queue: mailQueue(fs, queueDirectory, hashingFromConfig(config)), uid,
    gid: (await lookupGroup(fs, config.get('setgid_group') ?? 'postdrop'))?.gid,
    reporter: postdropReporter,
    pid: postdropPid, records: submission.records, messageSizeLimit: config.getSize('message_size_limit'),
    longQueueIds: config.getBool('enable_long_queue_ids'),
    trigger: () => wakePickup(context, config, run.directory),
  });
  if (result.status !== CleanupStatus.ok) {
    reporter.warn('mail_stream_cleanup: close error');
    reporter.fatal(`${sender}(${uid}): ${result.reason !== '' ? result.reason : cleanupStatusDetail(result.status).text}`);
  }
  if (traceFlags !== 0) context.stdout.write(`Mail Delivery Status Report will be mailed to <${sender}>.\n`);
  return 0;
}
