// Crash-test hosts: one simulated disk (a memfs volume) booted again and again, each boot a
// fresh "machine" -- its own scheduler (the clock goes on from the last boot), its own
// platform wrapping the same volume, its own Host and master -- so that nothing in memory
// survives a crash, only what the disk kept. A crash is armed on the running boot's disk
// with faults.crashAfterOperations(n): right after the nth operation that changes the disk,
// unsynced content is dropped and that boot's file system answers only EIO from then on;
// the boot is then abandoned (its scheduler is never run again) and the next boot starts
// on the volume. Used by test/crash/sim-crash.test.ts. Trusts the pipeline harness for the
// initial layout (main.cf, master.cf, passwd, aliases.db) and the master runtime.

import { setImmediate as macrotask } from 'node:timers/promises';
import type { Volume } from 'memfs';
import { createSimPlatform, Scheduler, type SimPlatform } from '../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../engine/global/host.ts';
import type { TraceEvent } from '../../engine/global/trace.ts';
import { BufferedInput, CapturedOutput } from '../../engine/admin/stdio.ts';
import { runCommand } from '../../engine/admin/run.ts';
import { startRegisteredHost, type RunningHost } from '../../engine/master/index.ts';
import {
  CONFIG_DIRECTORY, DEFAULT_USERS, FIRST_USER_ID, HOST_NAME, createPipelineHost, type CommandResult, type PipelineHostOptions,
} from '../pipeline/harness.ts';

/** Events one run of a boot may fire. */
export const BOOT_RUN_EVENTS_MAX = 20_000;
/** Virtual quiet time after which a run stops. */
export const QUIET_MS = 10_000;
/** How long a machine takes to come back after a crash (virtual). */
export const REBOOT_MS = 5_000;
/** Pids of boot k start at FIRST_PID + k * PIDS_PER_BOOT, so each boot's log tags differ. */
const FIRST_PID = 1000;
const PIDS_PER_BOOT = 1000;
/** Depth of the directory walks below. */
const WALK_DEPTH_MAX = 12;
/** Files a walk lists at most. */
const WALK_FILES_MAX = 10_000;

export const QUEUE_DIRECTORY = '/var/spool/postfix';
export const MAILLOG = '/var/log/maillog';

export interface Boot {
  readonly index: number;
  readonly platform: SimPlatform;
  readonly scheduler: Scheduler;
  readonly host: Host;
  /** Undefined when the master failed to start (the test reports it). */
  readonly runtime: RunningHost | undefined;
  readonly startError: unknown;
  /** This boot's trace events. */
  readonly events: TraceEvent[];
  /** Runs the scheduler until quiet (or `forMs` of virtual time), or until the disk halts. */
  run(options?: { forMs?: number }): Promise<void>;
  /** An admin command (sendmail...) on this boot, as `user`. A command whose disk halts
   *  under it may also throw; that is returned as exit status undefined. */
  command(argv: string[], options?: { stdin?: string; user?: string }): Promise<CommandResult>;
}

/** Lays down a fresh host's files with the pipeline harness (not started), gives each
 *  user their home directory as useradd does (local writes a Maildir there as the user),
 *  and returns its volume and the virtual time it got to. */
export async function installHost(options: PipelineHostOptions): Promise<{ volume: Volume; nowMs: number }> {
  const installer = await createPipelineHost({ ...options, start: false });
  const users = options.users ?? DEFAULT_USERS;
  for (const [index, name] of users.entries()) {
    await installer.platform.fs.chown?.(`/home/${name}`, FIRST_USER_ID + index, FIRST_USER_ID + index);
  }
  return { volume: installer.platform.fs.volume, nowMs: installer.scheduler.nowMs() };
}

export interface BootOptions {
  seed?: number;
  /** Arms the crash before master starts: a crash during start-up and recovery. */
  crashAfterOperations?: number;
}

/** Boots a machine on `volume` at virtual time `startMs` and starts Postfix on it. */
export async function bootHost(volume: Volume, startMs: number, index: number, options: BootOptions = {}): Promise<Boot> {
  const scheduler = new Scheduler({ startMs, settle: () => macrotask() });
  const platform = createSimPlatform({ hostName: HOST_NAME, seed: (options.seed ?? 1) + index, scheduler, volume });
  if (options.crashAfterOperations !== undefined) platform.fs.faults.crashAfterOperations(options.crashAfterOperations);
  const host = createHost({
    name: HOST_NAME, platform, defaultConfigDirectory: CONFIG_DIRECTORY, firstPid: FIRST_PID + index * PIDS_PER_BOOT,
  });
  const events: TraceEvent[] = [];
  let lastActivityMs = scheduler.nowMs();
  platform.trace.subscribe((event) => {
    events.push(event);
    lastActivityMs = event.atMs;
  });
  let runtime: RunningHost | undefined;
  let startError: unknown;
  try {
    runtime = await startRegisteredHost({ host, configDirectory: CONFIG_DIRECTORY });
  } catch (error) {
    startError = error;
  }
  const halted = (): boolean => platform.fs.faults.halted;
  return {
    index, platform, scheduler, host, runtime, startError, events,
    async run(runOptions = {}) {
      await macrotask();
      if (runOptions.forMs !== undefined) {
        const until = scheduler.nowMs() + runOptions.forMs;
        await scheduler.runUntil(() => halted() || scheduler.nowMs() >= until || (scheduler.peek()?.atMs ?? Infinity) > until,
          { eventsMax: BOOT_RUN_EVENTS_MAX });
      } else {
        await scheduler.runUntil(() => halted() || (scheduler.peek()?.atMs ?? Infinity) > lastActivityMs + QUIET_MS,
          { eventsMax: BOOT_RUN_EVENTS_MAX });
      }
      if (!halted()) await runtime?.flushLog();
    },
    async command(argv, commandOptions = {}) {
      const stdout = new CapturedOutput();
      const stderr = new CapturedOutput();
      const user = commandOptions.user ?? 'root';
      const env = new Map([['USER', user], ['LOGNAME', user], ['HOME', user === 'root' ? '/root' : `/home/${user}`]]);
      let exitCode: number | undefined;
      try {
        exitCode = await runCommand({ argv, stdin: new BufferedInput(commandOptions.stdin ?? ''), stdout, stderr, env, cwd: '/', host });
      } catch (error) {
        stderr.write(`(command threw: ${error instanceof Error ? error.message : String(error)})\n`);
      }
      return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
    },
  };
}

const decoder = new TextDecoder();

/** A file's text straight from the volume, or undefined when it is not there. */
export function readVolumeFile(volume: Volume, path: string): string | undefined {
  try {
    return decoder.decode(volume.readFileSync(path) as Uint8Array);
  } catch {
    return undefined;
  }
}

/** Regular files under a directory of the volume (recursively), sorted; [] when missing. */
export function listVolumeFiles(volume: Volume, directory: string, depth = 0): string[] {
  let names: string[];
  try {
    names = (volume.readdirSync(directory) as string[]).slice().sort();
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of names) {
    if (found.length >= WALK_FILES_MAX) break;
    const path = `${directory}/${name}`;
    const stat = volume.lstatSync(path);
    if (stat.isDirectory() && depth < WALK_DEPTH_MAX) found.push(...listVolumeFiles(volume, path, depth + 1));
    else if (stat.isFile()) found.push(path);
  }
  return found;
}

/** Whether a queue file is complete in cleanup's sense: owner rwx (MAIL_QUEUE_STAT_READY). */
export function isReadyQueueFile(volume: Volume, path: string): boolean {
  return (Number(volume.lstatSync(path).mode) & 0o700) === 0o700;
}

/** Queue ids (file names) in a queue of the volume. */
export function queueIds(volume: Volume, queueName: string): string[] {
  return listVolumeFiles(volume, `${QUEUE_DIRECTORY}/${queueName}`).map((path) => path.slice(path.lastIndexOf('/') + 1));
}
