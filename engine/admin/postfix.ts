// postfix(1): the Postfix control program -- start, stop, abort, reload, status, flush,
// check, set-permissions -- with Postfix's terminal output and exit statuses. Like the real
// program it prints only when stderr is a terminal and logs every message to the maillog:
// its own as "postfix[PID]", the postfix-script's as "syslog_name/postfix-script[PID]"
// ("starting the Postfix mail system", "fatal: the Postfix mail system is not running").
// What start/stop/reload act on is a MasterController: in the simulation (the shell, the
// UI) the per-host registry of running masters; in real mode engine/cli passes one that
// spawns and signals a background Node process through queue_directory/pid/master.pid.
// Called through the command table (sim) and by engine/cli (real mode). Trusts the config
// readers for main.cf/master.cf diagnostics. Models src/postfix/postfix.c and
// conf/postfix-script (start, stop, abort, reload, flush, check, status).

import type { CommandContext, CommandMain, OutputStream } from './command.ts';
import { readMainConfig, type MainConfig } from '../global/config/main-cf.ts';
import { readMasterConfig } from '../global/config/master-cf.ts';
import type { Host } from '../global/host.ts';
import { createReporter, FatalExit, terminalOnlyWhile, type Reporter } from '../global/msg.ts';
import { parseOptions } from '../global/maps/command-support.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import { createQueueDirectories } from '../master/queue-directories.ts';
import { checkMailParameters } from '../master/mail-params-check.ts';
import { withHostMaillog } from '../master/host-maillog.ts';
import { simMasterController } from '../master/controller.ts';
import { postqueueMain } from './postqueue.ts';
import { nullOutput } from '../master/service-instance.ts';
import type { MasterController } from '../master/controller.ts';

export type { MasterController } from '../master/controller.ts';

const USAGE = 'usage: postfix [-c config_dir] [-Dv] command';
const SCRIPT_USAGE = 'Usage: postfix start (or stop, reload, abort, flush, check, status, set-permissions, upgrade-configuration, logrotate)';

/** What postfix-script says: "syslog_name/postfix-script: text" on a terminal, and a
 *  maillog line tagged syslog_name/postfix-script[PID]. */
interface ScriptReporter {
  /** The pid of the postlog process that logs the script's lines. */
  readonly pid: number;
  info(text: string): void;
  fatal(text: string): never;
}

function scriptReporter(host: Host, config: MainConfig, stderr: OutputStream): ScriptReporter {
  const pid = host.nextPid();
  const tag = `${config.get('syslog_name') ?? 'postfix'}/postfix-script`;
  const say = (severity: 'info' | 'fatal', text: string): void => {
    if (stderr.isTty) stderr.write(severity === 'info' ? `${tag}: ${text}\n` : `${tag}: ${severity}: ${text}\n`);
    host.platform.trace.emit({ kind: 'diagnostic', severity, text, host: host.name, service: 'postfix-script', pid });
  };
  return {
    pid,
    info: (text) => say('info', text),
    fatal: (text) => {
      say('fatal', text);
      throw new FatalExit(text, 1);
    },
  };
}

/** What a program that reads main.cf says about it (an entry that overrides an earlier
 *  one, say) when postfix-script runs it: each of master -t, postlog and postsuper reads
 *  main.cf anew and warns under its own name and pid. With the mail system up, postlogd
 *  takes those lines into the maillog; before start they are lost. Only postsuper's stderr
 *  reaches the terminal (master -t runs with 2>/dev/null). */
function helperWarns(host: Host, warnings: readonly string[], program: string, pid?: number, stderr: OutputStream = nullOutput): void {
  // A pid is taken only for a helper that has something to say: the simulation's pids
  // (and so its traces) stay as they were for a clean main.cf.
  if (warnings.length === 0) return;
  const helper = createReporter({ program, host, pid: pid ?? host.nextPid(), stderr });
  for (const text of warnings) helper.warn(text);
}



/** Postfix 3.7's compatibility notice when compatibility_level is below 3.6 (unset). */
function compatibilityNotice(config: MainConfig, reporter: Reporter): void {
  if (config.isSet('compatibility_level')) return;
  reporter.info('Postfix is using backwards-compatible default settings');
  reporter.info('See http://www.postfix.org/COMPATIBILITY_README.html for details');
  reporter.info('To disable backwards compatibility use "postconf compatibility_level=3.6" and "postfix reload"');
}

/** postfix.c changes to queue_directory before it runs the script: a missing one is fatal. */
async function checkQueueDirectory(host: Host, config: MainConfig, reporter: Reporter): Promise<string> {
  const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
  try {
    const stat = await host.platform.fs.stat(queueDirectory);
    if (!stat.isDirectory) reporter.fatal(`chdir(${queueDirectory}): ${describeCode('ENOTDIR')}`);
  } catch (error) {
    if (error instanceof PlatformError) reporter.fatal(`chdir(${queueDirectory}): ${describeCode(error.code)}`);
    throw error;
  }
  return queueDirectory;
}

/** postfix-script check-fatal: missing queue directories are made, master.cf must parse
 *  (postconf reports, then the script gives up on it). */
async function checkFatal(context: CommandContext, config: MainConfig, script: ScriptReporter): Promise<void> {
  const host = context.host;
  const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
  try {
    await createQueueDirectories(host.platform.fs, queueDirectory, config);
  } catch {
    script.fatal('unable to create missing queue directories');
  }
  const postconfPath = `${config.get('command_directory') ?? '/usr/sbin'}/postconf`;
  const postconf = createReporter({ program: postconfPath, host, pid: host.nextPid(), stderr: context.stderr });
  try {
    await readMasterConfig(host.platform.fs, config.configDirectory, postconf);
  } catch (error) {
    if (error instanceof FatalExit) script.fatal(`cannot execute ${postconfPath}!`);
    throw error;
  }
}

interface Invocation {
  context: CommandContext;
  config: MainConfig;
  reporter: Reporter;
  script: ScriptReporter;
  controller: MasterController;
  /** What reading main.cf warned about (each helper program repeats it). */
  configWarnings: readonly string[];
}

async function runScriptCommand(command: string, call: Invocation): Promise<number> {
  const { context, config, script, controller, configWarnings } = call;
  const host = context.host;
  const directory = config.configDirectory;
  const masterCheck = async () => {
    // `master -t`: a master process of its own that reads main.cf, then tells.
    const pid = await controller.runningPid(host, directory, config);
    if (pid !== undefined) helperWarns(host, configWarnings, 'master');
    return pid;
  };
  // postlog logs the script's line: it reads main.cf first (its lines reach the maillog
  // while postlogd runs).
  const postlogWarns = () => helperWarns(host, configWarnings, 'postlog', script.pid);
  const running = masterCheck;
  switch (command) {
    case 'start':
      await checkFatal(context, config, script);
      if (await running() !== undefined) script.fatal('the Postfix mail system is already running');
      script.info('starting the Postfix mail system');
      await controller.start(host, directory, config, context.stderr);
      return 0;
    case 'stop':
    case 'abort':
      if (await running() === undefined) script.fatal('the Postfix mail system is not running');
      postlogWarns();
      script.info(command === 'stop' ? 'stopping the Postfix mail system' : 'aborting the Postfix mail system');
      await controller.stop(host, directory, config);
      return 0;
    case 'reload':
      if (await running() === undefined) script.fatal('the Postfix mail system is not running');
      postlogWarns();
      script.info('refreshing the Postfix mail system');
      // `postsuper active` before the signal, a plain `postsuper &` after it: both read
      // main.cf (and print to the terminal too).
      helperWarns(host, configWarnings, 'postsuper', undefined, context.stderr);
      await controller.reload(host, directory, config);
      helperWarns(host, configWarnings, 'postsuper', undefined, context.stderr);
      return 0;
    case 'status': {
      const pid = await running();
      if (pid === undefined) {
        script.info('the Postfix mail system is not running');
        return 1;
      }
      postlogWarns();
      script.info(`the Postfix mail system is running: PID: ${pid}`);
      return 0;
    }
    case 'flush':
      // postfix-script runs postqueue -f: its triggers to qmgr and pickup, its complaints
      // when they cannot be written (a stopped master's sockets refuse, missing ones are
      // looked up in vain), its exit status.
      return postqueueMain({ ...context, argv: ['postqueue', '-c', directory, '-f'] });
    case 'check':
      await checkFatal(context, config, script);
      return 0;
    case 'set-permissions':
    case 'upgrade-configuration':
    case 'logrotate':
      // Ownership and modes mean nothing on a sim host or to an unprivileged real-mode
      // host; the configuration needs no upgrade. Accepted and done, as the real one is.
      return 0;
    default:
      return script.fatal(`unknown command: '${command}'. ${SCRIPT_USAGE}`);
  }
}

/** postfix(1) acting through `controller`. */
export function createPostfixMain(controller: MasterController): CommandMain {
  return async (context) => {
    const host = context.host;
    const reporter = createReporter({ program: 'postfix', host, pid: host.nextPid(), stderr: context.stderr, stderrOnlyIfTty: true });
    const usage = (): never => reporter.fatal(USAGE);
    const { flags, operands } = parseOptions(context.argv, 'c:Dv', 'postfix', context.stderr, usage);
    const explicit = flags.get('c')?.at(-1) ?? context.env.get('MAIL_CONFIG');
    const given = explicit ?? host.defaultConfigDirectory;
    const directory = given.startsWith('/') ? given : `${context.cwd.replace(/\/+$/, '')}/${given}`;
    // postfix(1) reads main.cf before its logging knows maillog_file: what that says goes to
    // a terminal only (the helpers postfix-script runs repeat it in the maillog).
    let reading = true;
    const config = await readMainConfig({
      fs: host.platform.fs, directory, reporter: terminalOnlyWhile(reporter, context.stderr, () => reading, true),
      host, directoryIsExplicit: explicit !== undefined,
    });
    reading = false;
    return withHostMaillog(host, config, async () => {
      compatibilityNotice(config, reporter);
      checkMailParameters(config, reporter);
      await checkQueueDirectory(host, config, reporter);
      const script = scriptReporter(host, config, context.stderr);
      return runScriptCommand(operands[0] ?? '', { context, config, reporter, script, controller, configWarnings: config.parseWarnings ?? [] });
    });
  };
}

/** The simulation's postfix(1): acts on the host's in-process masters. */
export const postfixMain: CommandMain = createPostfixMain(simMasterController);
