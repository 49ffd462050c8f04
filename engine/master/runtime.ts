// The master of one host: reads main.cf and master.cf, creates the queue directories,
// starts one instance of every service whose program mtalab implements (programs.ts),
// delivers triggers and master.cf wakeups, reloads and stops. It is also the HostRuntime
// the services reach each other through (contracts.ts): cleanup(), rewrite(), bounce(),
// deliveryAgent(transport) find the running service by its master.cf name.
// Called by the per-host registry (registry.ts): `postfix start` in the shell, the
// real-mode daemon (engine/cli) and the pipeline test harness. Trusts the config readers
// for diagnostics (a broken main.cf/master.cf is fatal before anything starts). Waits only
// through platform.timers. Models src/master/master.c, master_ent.c, master_wakeup.c and
// master_sig.c (reload on SIGHUP, "terminating on signal 15"). In real mode with smtpd
// worker processes the same runtime also runs inside each worker (role 'worker', a subset
// of master.cf chosen by selectEntries, triggers for master's services sent out).

import type { OutputStream } from '../admin/command.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { readMainConfig } from '../global/config/main-cf.ts';
import { readMasterConfig, type MasterEntry } from '../global/config/master-cf.ts';
import type { Host } from '../global/host.ts';
import { createReporter, FatalExit, type Reporter } from '../global/msg.ts';
import { mailQueue, type MailQueue } from '../global/queue/mail-queue.ts';
import { hashingFromConfig } from './queue-hashing.ts';
import { createMaillogWriter, type MaillogSettings, type MaillogWriter } from '../global/maillog/index.ts';
import type { TraceEvent } from '../global/trace.ts';
import { ensureMaillogDirectory, maillogPath, maillogSettings } from './host-maillog.ts';
import type {
  BounceEndpoint, CleanupEndpoint, DeliveryAgentEndpoint, HostRuntime, RewriteEndpoint, RunningService,
  ServiceProgram, TriggerReason,
} from './contracts.ts';
import { programs as defaultPrograms, lookupProgram } from './programs.ts';
import { createQueueDirectories, masterPidPath, masterPidText } from './queue-directories.ts';
import { makeServiceSockets, serviceSocketPaths } from './service-sockets.ts';
import { heldStartupLines, nullOutput, readServiceConfig, ServiceInstance, showHeldLines } from './service-instance.ts';
import { bounceUses, cleanupUses, deliveryUses, rewriteUses } from './service-uses.ts';

/** How many master.cf entries one host runs at most. */
export const SERVICES_MAX = 1000;

/** Whether master starts the service's process at once: a wakeup timer that is not
 *  conditional ("1000?" waits until the service has been used). */
function startsAtOnce(entry: MasterEntry): boolean {
  return wakeupSeconds(entry) > 0 && !entry.wakeup.endsWith('?');
}

/** master.cf's wakeup column in seconds (0 for none, "-" or unusable). */
function wakeupSeconds(entry: MasterEntry): number {
  const seconds = Number.parseInt(entry.wakeup.replace('?', ''), 10);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}

/** A service the caller needs is not in master.cf (or its program is not implemented). */
export class ServiceUnavailableError extends Error {
  readonly serviceName: string;
  constructor(serviceName: string) {
    super(`connect to private/${serviceName}: No such file or directory`);
    this.name = 'ServiceUnavailableError';
    this.serviceName = serviceName;
  }
}

export interface StartHostOptions {
  host: Host;
  /** Where main.cf and master.cf are; default: host.defaultConfigDirectory. */
  configDirectory?: string;
  /** The program table; default: programs.ts. Tests pass their own. */
  programs?: Readonly<Record<string, ServiceProgram>>;
  /** Where master's own fatal/warning text goes besides the maillog (real mode: stderr). */
  stderr?: OutputStream;
  /** The master.cf entries this process runs, from all of them (real mode with smtpd worker
   *  processes: master leaves the inet smtpd entries to the workers, a worker runs only
   *  those and what they call). Default: every entry. */
  selectEntries?: (entries: readonly MasterEntry[], config: MainConfig) => MasterEntry[];
  /** 'worker': a process that serves some of master's services (engine/cli/smtpd-worker.ts):
   *  it writes no pid file, logs no master lines and leaves the queue directories to master. */
  role?: 'master' | 'worker';
  /** Where a trigger goes whose service does not run in this process (a worker's cleanup
   *  waking qmgr in master's process). */
  remoteTrigger?: (serviceName: string, reason: TriggerReason) => void;
  /** The pid of a service, when it is a real process's (a worker's smtpd); default: the
   *  host's next pid. */
  pidFor?: (entry: MasterEntry) => number | undefined;
}

export interface RunningHost extends HostRuntime {
  /** master's process id (the one in pid/master.pid). */
  readonly pid: number;
  /** When master started (the host's clock), for ps. */
  readonly startedMs: number;
  readonly running: boolean;
  /** 'new' until start() has read the configuration, 'stopped' after stop(). */
  readonly state: 'new' | 'running' | 'stopped';
  /** master.cf entries skipped because their program is not implemented. */
  readonly skipped: readonly MasterEntry[];
  /** Running services by master.cf name (inet services as "inet/[host:]port"). */
  services(): ReadonlyMap<string, ServiceInstance>;
  /** SIGHUP: re-read main.cf and master.cf, hand services the new configuration. */
  reload(): Promise<void>;
  /** SIGTERM: stop every service, remove the pid file. */
  stop(signal?: number): Promise<void>;
  /** Resolves when every maillog line so far is in the file. */
  flushLog(): Promise<void>;
}

/** master's warnings go to the maillog only; a fatal error at start-up also reaches the
 *  terminal of `postfix start`, as master -w reports it. */
function fatalOnly(stderr: OutputStream): OutputStream {
  return {
    isTty: stderr.isTty,
    write: (data) => {
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
      if (text.includes(': fatal: ')) stderr.write(text);
    },
  };
}

/** The directory master runs from, as -c gives it. */
function directoryIsExplicit(host: Host, directory: string): boolean {
  return directory !== host.defaultConfigDirectory;
}

/** Services with a wakeup time start last so that the services they call are up. */
function startOrder(entries: readonly MasterEntry[]): MasterEntry[] {
  const plain = entries.filter((entry) => entry.wakeup.replace('?', '') === '-' || entry.wakeup === '0');
  const waking = entries.filter((entry) => !plain.includes(entry));
  return [...plain, ...waking];
}

/** The key a service is found by: its name for unix/fifo/pass services (the socket or FIFO
 *  under private/ or public/), "inet/[host:]port" for network listeners, so that master.cf's
 *  "smtp inet ... smtpd" and "smtp unix ... smtp" are two services, as in Postfix. */
export function serviceKey(entry: MasterEntry): string {
  return entry.type === 'inet' ? `inet/${entry.service}` : entry.service;
}

/** A master that has not started yet: the registry records it before start() so that
 *  nothing else takes its configuration directory meanwhile. */
export interface HostMasterHandle extends RunningHost {
  start(): Promise<void>;
}

export function createHostMaster(options: StartHostOptions): HostMasterHandle {
  return new HostMaster(options);
}

export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  const host = new HostMaster(options);
  await host.start();
  return host;
}

class HostMaster implements HostMasterHandle {
  readonly host: Host;
  readonly configDirectory: string;
  readonly pid: number;
  readonly startedMs: number;
  private readonly table: Readonly<Record<string, ServiceProgram>>;
  private readonly reporter: Reporter;
  private mainConfig: MainConfig | undefined;
  private mailQueueValue: MailQueue | undefined;
  private readonly instances = new Map<string, ServiceInstance>();
  private readonly skippedEntries: MasterEntry[] = [];
  /** The socket files this master listens on now (they outlive it, as Postfix's do). */
  private readonly socketPaths = new Set<string>();
  private writer: MaillogWriter | undefined;
  private readonly options: StartHostOptions;
  /** Use-counting wrappers by the running service they wrap. */
  private readonly countedEndpoints = new WeakMap<object, object>();
  state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: StartHostOptions) {
    this.options = options;
    this.host = options.host;
    this.configDirectory = options.configDirectory ?? options.host.defaultConfigDirectory;
    this.table = options.programs ?? defaultPrograms;
    this.pid = options.host.nextPid();
    this.startedMs = options.host.platform.clock.nowMs();
    this.reporter = createReporter({ program: 'master', host: this.host, pid: this.pid, stderr: fatalOnly(options.stderr ?? nullOutput) });
  }

  get running(): boolean { return this.state === 'running'; }
  get skipped(): readonly MasterEntry[] { return this.skippedEntries; }
  services(): ReadonlyMap<string, ServiceInstance> { return this.instances; }

  config(): MainConfig {
    if (this.mainConfig === undefined) throw new Error('master: the host has not started');
    return this.mainConfig;
  }

  queue(): MailQueue {
    if (this.mailQueueValue === undefined) throw new Error('master: the host has not started');
    return this.mailQueueValue;
  }

  private get isWorker(): boolean { return this.options.role === 'worker'; }

  /** master.cf's entries as this process runs them (selectEntries). */
  private async readEntries(config: MainConfig): Promise<MasterEntry[]> {
    const entries = await readMasterConfig(this.host.platform.fs, this.configDirectory, this.reporter);
    return this.options.selectEntries === undefined ? entries : this.options.selectEntries(entries, config);
  }

  async start(): Promise<void> {
    const config = await this.readMain();
    const entries = await this.readEntries(config);
    this.applyMain(config);
    await this.startMaillog();
    const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
    if (!this.isWorker) {
      await createQueueDirectories(this.host.platform.fs, queueDirectory, config);
      await this.host.platform.fs.writeFile(masterPidPath(queueDirectory), masterPidText(this.pid), { mode: 0o644 });
      await this.listenOnSockets(config, entries);
    }
    this.state = 'running';
    this.lifecycle('started');
    await this.startServices(entries);
    if (!this.isWorker) this.warnSkipped();
  }

  /** master_listen: a socket file for every unix service of master.cf (implemented or
   *  not: Postfix's master listens before any child runs), made anew for a service it did
   *  not listen for yet; one a reload drops stays where it is. */
  private async listenOnSockets(config: MainConfig, entries: readonly MasterEntry[]): Promise<void> {
    const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
    const wanted = [...serviceSocketPaths(queueDirectory, entries).keys()];
    const fresh = wanted.filter((path) => !this.socketPaths.has(path));
    await makeServiceSockets(this.host.platform.fs, fresh, config.get('mail_owner') ?? 'postfix');
    this.socketPaths.clear();
    for (const path of wanted) this.socketPaths.add(path);
  }

  /** One line for the master.cf entries whose programs mtalab does not have yet. */
  private warnSkipped(): void {
    const commands = [...new Set(this.skippedEntries.map((entry) => entry.command))];
    if (commands.length > 0) this.reporter.warn(`not implemented in mtalab yet, not started: ${commands.join(', ')}`);
  }

  async reload(): Promise<void> {
    if (this.state !== 'running') return;
    // master says "reload" first, then what reading main.cf again made it say.
    const masterLines = heldStartupLines(this.reporter);
    const config = await this.readMain(masterLines.reporter);
    const entries = await this.readEntries(config);
    this.applyMain(config);
    this.lifecycle('reload');
    showHeldLines(masterLines.lines, this.reporter);
    this.skippedEntries.length = 0;
    if (!this.isWorker) await this.listenOnSockets(config, entries);
    const wanted = new Map(entries.slice(0, SERVICES_MAX).map((entry) => [serviceKey(entry), entry]));
    for (const [key, instance] of [...this.instances]) {
      const entry = wanted.get(key);
      if (entry === undefined || entry.command !== instance.entry.command || entry.text !== instance.entry.text) {
        await this.stopInstance(key, instance);
      } else if (instance.inUse && this.options.pidFor?.(entry) === undefined) {
        // A process serving a client finishes it with its old pid and settings; the new
        // process reads main.cf when it starts (its next client).
        instance.retire();
        wanted.delete(key);
      } else {
        // Postfix's reloaded daemons exit and start anew: the wakeup ones (pickup, qmgr) at
        // once, the others when next used, each with a new pid. A service whose pid is a
        // real process's (a real-mode smtpd worker) keeps its own.
        if (this.options.pidFor?.(entry) === undefined) instance.retire();
        if (startsAtOnce(entry)) instance.showStartupLines();
        const held = heldStartupLines(instance.context.log);
        instance.config = await this.readServiceConfig(entry, instance.pid, held.reporter);
        instance.holdStartupLines(held.lines);
        if (startsAtOnce(entry)) instance.showStartupLines();
        wanted.delete(key);
      }
    }
    await this.startServices([...wanted.values()]);
  }

  async stop(signal = 15): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    this.lifecycle('terminating', signal);
    for (const [key, instance] of [...this.instances].reverse()) await this.stopInstance(key, instance);
    try {
      if (!this.isWorker) await this.host.platform.fs.unlink(masterPidPath(this.config().get('queue_directory') ?? '/var/spool/postfix'));
    } catch {
      // Postfix leaves a stale pid file too; status checks the process, not the file.
    }
    await this.flushLog();
    this.writer?.stop();
  }

  async flushLog(): Promise<void> {
    await this.writer?.flush();
  }

  // --- HostRuntime -------------------------------------------------------------------

  trigger(serviceName: string, reason: TriggerReason = 'wakeup'): void {
    const instance = this.instances.get(serviceName);
    if (instance === undefined && this.state === 'running' && this.options.remoteTrigger !== undefined) {
      this.options.remoteTrigger(serviceName, reason);
      return;
    }
    if (instance === undefined || this.state !== 'running') return;
    if (!instance.used) {
      instance.used = true;
      this.scheduleWakeup(instance);
    }
    // Asynchronous, as a write to a FIFO is: the caller's own work finishes first.
    this.host.platform.timers.after(0, () => {
      if (this.state === 'running' && this.instances.get(serviceName) === instance) this.wake(instance, reason);
    });
  }

  /** A trigger is one use of the service's process (trigger_server's use_count); a
   *  process that has exited is replaced first. */
  private wake(instance: ServiceInstance, reason: TriggerReason): void {
    const waiting = instance.triggered();
    if (waiting === undefined) {
      instance.running?.wake?.(reason);
      return;
    }
    void waiting.then(() => {
      if (this.state === 'running' && this.instances.get(serviceKey(instance.entry)) === instance) instance.running?.wake?.(reason);
    });
  }

  cleanup(): CleanupEndpoint {
    return this.endpoint<CleanupEndpoint>(this.config().get('cleanup_service_name') ?? 'cleanup', 'open', cleanupUses);
  }

  rewrite(): RewriteEndpoint {
    return this.endpoint<RewriteEndpoint>(this.config().get('rewrite_service_name') ?? 'rewrite', 'resolve', rewriteUses);
  }

  bounce(): BounceEndpoint {
    return this.endpoint<BounceEndpoint>(this.config().get('bounce_service_name') ?? 'bounce', 'append', bounceUses);
  }

  deliveryAgent(transport: string): DeliveryAgentEndpoint | undefined {
    const instance = this.instances.get(transport);
    if (instance === undefined || instance.entry.type !== 'unix') return undefined;
    const running = instance.running as (RunningService & Partial<DeliveryAgentEndpoint>) | undefined;
    if (running === undefined || typeof running.deliver !== 'function') return undefined;
    return this.counted(instance, running as DeliveryAgentEndpoint, deliveryUses);
  }

  service(name: string): RunningService | undefined {
    return this.instances.get(name)?.running;
  }

  // --- internals ---------------------------------------------------------------------

  private endpoint<T>(name: string, method: string, uses: (instance: ServiceInstance, endpoint: T) => T): T {
    const instance = this.instances.get(name);
    const running = instance?.running as Record<string, unknown> | undefined;
    if (instance === undefined || running === undefined || typeof running[method] !== 'function') throw new ServiceUnavailableError(name);
    return this.counted(instance, running as T, uses);
  }

  /** The endpoint wrapped so that its clients are uses of the instance (service-uses.ts),
   *  made once per running service. */
  private counted<T>(instance: ServiceInstance, endpoint: T, uses: (instance: ServiceInstance, endpoint: T) => T): T {
    const known = this.countedEndpoints.get(endpoint as object);
    if (known !== undefined) return known as T;
    const made = uses(instance, endpoint);
    this.countedEndpoints.set(endpoint as object, made as object);
    return made;
  }

  private readMain(reporter: Reporter = this.reporter): Promise<MainConfig> {
    return readMainConfig({
      fs: this.host.platform.fs, directory: this.configDirectory, reporter, host: this.host,
      directoryIsExplicit: directoryIsExplicit(this.host, this.configDirectory),
      machine: { pid: this.pid, processName: 'master' },
    });
  }

  /** main.cf as the service's own process reads it: its warnings (an entry that overrides
   *  an earlier one, say) are logged under the service's name and pid, as each Postfix
   *  daemon logs them when it starts, not by master. */
  private readServiceConfig(entry: MasterEntry, pid: number, log: Reporter): Promise<MainConfig> {
    return readServiceConfig(this.host, this.configDirectory, directoryIsExplicit(this.host, this.configDirectory),
      entry, log, pid);
  }

  private applyMain(config: MainConfig): void {
    this.mainConfig = config;
    const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
    this.mailQueueValue = mailQueue(this.host.platform.fs, queueDirectory, hashingFromConfig(config));
  }

  private async startMaillog(): Promise<void> {
    if (this.writer !== undefined) return;
    await ensureMaillogDirectory(this.host, maillogPath(this.host, this.config()));
    // The writer asks for its settings on every trace event of the host: they are made once
    // per configuration (the service of a pid is still looked up per line).
    const byPid = (pid: number): ServiceInstance | undefined => {
      for (const instance of this.instances.values()) if (instance.pid === pid) return instance;
      return undefined;
    };
    const syslogNameOf = (event: TraceEvent): string | undefined => byPid(event.pid)?.syslogName;
    let current: { config: MainConfig; settings: MaillogSettings } | undefined;
    this.writer = createMaillogWriter({
      fs: this.host.platform.fs,
      trace: this.host.platform.trace,
      hostName: this.host.name,
      settings: () => {
        const config = this.config();
        if (current === undefined || current.config !== config) current = { config, settings: maillogSettings(this.host, config, syslogNameOf) };
        return current.settings;
      },
    });
  }

  private lifecycle(event: 'started' | 'reload' | 'terminating', signal?: number): void {
    if (this.isWorker) return;
    this.host.platform.trace.emit({
      kind: 'master.lifecycle', event, configDirectory: this.configDirectory,
      ...(signal === undefined ? {} : { signal }),
      host: this.host.name, service: 'master', pid: this.pid,
    });
  }

  private async startServices(entries: readonly MasterEntry[]): Promise<void> {
    for (const entry of startOrder(entries).slice(0, SERVICES_MAX)) {
      if (this.state !== 'running') return;
      const key = serviceKey(entry);
      if (this.instances.has(key)) continue;
      const program = lookupProgram(this.table, entry.command);
      if (program === undefined) {
        this.skippedEntries.push(entry);
        continue;
      }
      const pid = this.options.pidFor?.(entry) ?? this.host.nextPid();
      let config: MainConfig;
      const held = heldStartupLines(createReporter({ program: entry.command, host: this.host, pid, stderr: nullOutput }));
      try {
        config = await this.readServiceConfig(entry, pid, held.reporter);
      } catch (error) {
        // The child dies reading main.cf: its fatal is logged under its name, then master's lines.
        if (!(error instanceof FatalExit)) throw error;
        this.reportExit(entry.command, pid);
        continue;
      }
      const instance = new ServiceInstance({
        host: this.host, runtime: this, entry, program, config, pid, startupLines: held.lines,
        readConfig: (newPid, log) => this.readServiceConfig(entry, newPid, log),
        limitsApply: this.options.pidFor?.(entry) === undefined,
      });
      this.instances.set(key, instance);
      try {
        instance.running = await program.start(instance.context);
      } catch (error) {
        this.instances.delete(key);
        this.reportStartFailure(instance, error);
        continue;
      }
      // A service with a wakeup timer is a process master starts at once (pickup, qmgr);
      // a conditional one ("1000?", flush) only once something has used it.
      if (startsAtOnce(entry)) instance.showStartupLines();
      if (!entry.wakeup.endsWith('?')) this.scheduleWakeup(instance, true);
    }
  }

  /** A service that fails to start (a fatal configuration error, say) is left out until the
   *  next reload, with the lines master logs for a child that exits at once. */
  private reportStartFailure(instance: ServiceInstance, error: unknown): void {
    if (!(error instanceof FatalExit)) {
      instance.context.log.error(`panic: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.reportExit(instance.entry.command, instance.pid);
  }

  /** What master logs for a child that exits at once. */
  private reportExit(command: string, pid: number): void {
    const path = `${this.config().get('daemon_directory') ?? '/usr/libexec/postfix'}/${command}`;
    this.reporter.warn(`process ${path} pid ${pid} exit status 1`);
    this.reporter.warn(`${path}: bad command startup -- throttling`);
  }

  /** master_wakeup: the first wakeup at once (unless conditional), then every N seconds. */
  private scheduleWakeup(instance: ServiceInstance, first = false): void {
    const seconds = wakeupSeconds(instance.entry);
    if (seconds <= 0 || instance.cancelWakeup !== undefined) return;
    const tick = (): void => {
      if (this.state !== 'running' || this.instances.get(serviceKey(instance.entry)) !== instance) return;
      this.wake(instance, 'wakeup');
      instance.cancelWakeup = this.host.platform.timers.after(seconds * 1000, tick);
    };
    instance.cancelWakeup = this.host.platform.timers.after(first ? 0 : seconds * 1000, tick);
  }

  private async stopInstance(key: string, instance: ServiceInstance): Promise<void> {
    instance.cancelWakeup?.();
    instance.cancelWakeup = undefined;
    this.instances.delete(key);
    try {
      await instance.running?.stop();
    } catch (error) {
      this.reporter.warn(`${instance.entry.command}: stop: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
