// The maillog settings of a host's configuration, and a way for a command to log while the
// host's master is not running (postfix status/stop on a stopped host, postsuper on a
// stopped host): a writer attached for the duration of the command. While master runs, its
// own writer already logs every event of the host, so nothing extra is attached; in real
// mode master runs in another process, and a command's own writer appends its lines.
// Called by the runtime (settings) and admin commands (withHostMaillog). Trusts MainConfig.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Host } from '../global/host.ts';
import type { TraceEvent } from '../global/trace.ts';
import { createMaillogWriter, SIM_DEFAULT_MAILLOG_FILE, type MaillogSettings, type MaillogWriter } from '../global/maillog/index.ts';
import { registeredHost, runningHost } from './registry.ts';

/** maillog_file, or the sim's stand-in for syslog when it is empty (see writer.ts). */
export function maillogPath(host: Host, config: MainConfig): string | undefined {
  const path = config.get('maillog_file') ?? '';
  if (path !== '') return path;
  return host.platform.kind === 'sim' ? SIM_DEFAULT_MAILLOG_FILE : undefined;
}

/** What maillogSettings reads from one configuration (a MainConfig never changes; a
 *  reload makes a new one), kept so that a log line costs no parameter lookups. */
interface ConfigMaillog { host: Host; path: string | undefined; myhostname: string; delayResolutionDigits: number; syslogName: string }

const configMaillogs = new WeakMap<MainConfig, ConfigMaillog>();

/** The settings for one line; its syslogNameFor asks `serviceSyslogName` first. */
class LineSettings implements MaillogSettings {
  readonly path: string | undefined;
  readonly myhostname: string;
  readonly delayResolutionDigits: number;

  constructor(private readonly base: ConfigMaillog,
    private readonly serviceSyslogName: ((event: TraceEvent) => string | undefined) | undefined) {
    this.path = base.path;
    this.myhostname = base.myhostname;
    this.delayResolutionDigits = base.delayResolutionDigits;
  }

  syslogNameFor(event: TraceEvent): string {
    return this.serviceSyslogName?.(event) ?? this.base.syslogName;
  }
}

export function maillogSettings(host: Host, config: MainConfig,
  syslogNameFor?: (event: TraceEvent) => string | undefined): MaillogSettings {
  let base = configMaillogs.get(config);
  if (base === undefined || base.host !== host) {
    base = {
      host,
      path: maillogPath(host, config),
      myhostname: config.get('myhostname') ?? host.name,
      delayResolutionDigits: Number.parseInt(config.get('delay_logging_resolution_limit') ?? '2', 10) || 0,
      syslogName: config.get('syslog_name') ?? 'postfix',
    };
    configMaillogs.set(config, base);
  }
  return new LineSettings(base, syslogNameFor);
}

/** Makes the maillog file's directory, as the package that installs Postfix does. */
export async function ensureMaillogDirectory(host: Host, path: string | undefined): Promise<void> {
  if (path === undefined) return;
  const parent = path.slice(0, path.lastIndexOf('/'));
  if (parent === '') return;
  try {
    await host.platform.fs.mkdir(parent, { recursive: true, mode: 0o755 });
  } catch {
    // The append reports the problem (as postlogd would); the command goes on.
  }
}

/** A writer attached for commands of one host, shared while any of them runs. */
interface CommandWriter {
  writer: MaillogWriter;
  /** Settles when the maillog file's directory exists. */
  ready: Promise<void>;
  users: number;
}

/** One command writer per host: the writer takes all of a host's events, so a command run
 *  by another (sendmail -bp runs postqueue) or beside it must not attach a second one. */
const commandWriters = new WeakMap<Host, CommandWriter>();

/** Runs `body` with this host's events logged to maillog_file even when master is down, or
 *  runs in another process (real mode: the CLI's commands append to the file themselves,
 *  as every Postfix program logs through postlogd whether or not master runs). */
export async function withHostMaillog<T>(host: Host, config: MainConfig, body: () => Promise<T>): Promise<T> {
  if (runningHost(host, config.configDirectory) !== undefined) return body();
  let shared = commandWriters.get(host);
  if (shared === undefined) {
    const settings = maillogSettings(host, config);
    // Once a master runs in this process (postfix start), its writer takes over: no line
    // is written twice.
    const whileStopped: MaillogSettings = {
      path: undefined, myhostname: settings.myhostname, delayResolutionDigits: settings.delayResolutionDigits,
      syslogNameFor: (event) => settings.syslogNameFor(event),
    };
    const writer = createMaillogWriter({
      fs: host.platform.fs, trace: host.platform.trace, hostName: host.name,
      settings: () => (registeredHost(host, config.configDirectory) === undefined ? settings : whileStopped),
    });
    shared = { writer, ready: ensureMaillogDirectory(host, settings.path), users: 0 };
    commandWriters.set(host, shared);
  }
  shared.users += 1;
  try {
    await shared.ready;
    return await body();
  } finally {
    shared.users -= 1;
    if (shared.users === 0) {
      if (commandWriters.get(host) === shared) commandWriters.delete(host);
      shared.writer.stop();
    }
    await shared.writer.flush();
  }
}
