// An mtalab host in node real mode laid down from the same InstanceSpec as a private real
// Postfix instance (real-instance.ts): the same main.cf and master.cf texts (an inet smtpd
// on a 127.x.x.x port when spec.smtpdListen says so), its maps built with mtalab's own
// postalias/postmap, run by `node bin/mtalab.mjs postfix -c DIR start` (one background
// Node process: the master with every service in it). Used by the SMTP interop and
// durability tests (test/interop/smtp-*.test.ts) and by the benchmark (bench/). Every wait
// is bounded; stop() and kill() act on the master's pid only.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COMMAND_TIMEOUT_MS, MASTER_WAIT_MS, QUEUE_WAIT_MS, isAlive, layDownInstance, pendingQueueFiles, settleFile, waitFor,
  withDirectory, type InstanceSpec, type RunResult,
} from './real-instance.ts';

/** bin/mtalab.mjs of this tree, or of the checkout MTALAB_ROOT names (to run a snapshot,
 *  e.g. `git archive HEAD`, while the working tree is being edited). */
const binPath = process.env.MTALAB_ROOT !== undefined && process.env.MTALAB_ROOT !== ''
  ? join(process.env.MTALAB_ROOT, 'bin', 'mtalab.mjs')
  : fileURLToPath(new URL('../../bin/mtalab.mjs', import.meta.url));

/** An mtalab CLI command as a child process (bounded time). */
export function mtalabCli(argv: readonly string[], input = ''): RunResult {
  const result = spawnSync(process.execPath, [binPath, ...argv], {
    input, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS * 3, env: { ...process.env, TZ: 'UTC', LANG: 'C' },
  });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? 1 };
}

/** One mtalab host on real files in a temporary directory. */
export class MtalabInstance {
  readonly directory: string;
  readonly configDirectory: string;
  readonly queueDirectory: string;
  readonly mailDirectory: string;
  readonly maillogPath: string;
  private startedPid: number | undefined;

  private constructor(directory: string) {
    this.directory = directory;
    this.configDirectory = join(directory, 'etc');
    this.queueDirectory = join(directory, 'spool');
    this.mailDirectory = join(directory, 'mail');
    this.maillogPath = join(directory, 'maillog');
  }

  /** Lays down the spec's files and builds its maps with mtalab's commands; does not start. */
  static create(spec: InstanceSpec, prefix = 'mtalab-smtp-'): MtalabInstance {
    const instance = new MtalabInstance(mkdtempSync(join(tmpdir(), prefix)));
    try {
      layDownInstance(instance.directory, spec);
      const maps = [`hash:${instance.directory}/etc/aliases`, ...(spec.postalias ?? []).map((map) => withDirectory(map, instance.directory))];
      for (const map of maps) instance.check(['postalias', '-c', instance.configDirectory, map]);
      for (const map of spec.postmap ?? []) instance.check(['postmap', '-c', instance.configDirectory, withDirectory(map, instance.directory)]);
    } catch (error) {
      instance.remove();
      throw error;
    }
    return instance;
  }

  private check(argv: readonly string[]): RunResult {
    const result = mtalabCli(argv);
    if (result.status !== 0) throw new Error(`mtalab ${argv.join(' ')}: exit ${result.status}: ${result.stderr}`);
    return result;
  }

  /** The pid in queue_directory/pid/master.pid (Postfix writes it right-aligned). */
  masterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.queueDirectory, 'pid/master.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** The running master's pid (after start). */
  get pid(): number | undefined {
    return this.startedPid;
  }

  /** `postfix start`; with nodeFlags (e.g. --cpu-prof), the background master is spawned
   *  directly as `node FLAGS bin/mtalab.mjs __master -c DIR`, detached, as start does. */
  async start(nodeFlags: readonly string[] = []): Promise<number> {
    if (nodeFlags.length === 0) this.check(['postfix', '-c', this.configDirectory, 'start']);
    else {
      spawn(process.execPath, [...nodeFlags, binPath, '__master', '-c', this.configDirectory], {
        detached: true, stdio: 'ignore', cwd: '/', env: { ...process.env, TZ: 'UTC', LANG: 'C' },
      }).unref();
    }
    const up = await waitFor(() => {
      const pid = this.masterPid();
      return pid !== undefined && isAlive(pid);
    }, MASTER_WAIT_MS);
    if (!up) throw new Error(`mtalab master did not come up in ${this.directory}`);
    this.startedPid = this.masterPid()!;
    return this.startedPid;
  }

  /** SIGKILL to the master (a crash); waits until it is gone. */
  async kill(): Promise<void> {
    const pid = this.startedPid ?? this.masterPid();
    if (pid === undefined || !isAlive(pid)) return;
    process.kill(pid, 'SIGKILL');
    if (!(await waitFor(() => !isAlive(pid), MASTER_WAIT_MS))) throw new Error(`mtalab master ${pid} survived SIGKILL`);
    this.startedPid = undefined;
  }

  /** postfix stop, then SIGKILL by pid if the master lingers; verifies that it is gone. */
  async stop(): Promise<void> {
    const pid = this.startedPid ?? this.masterPid();
    if (pid === undefined || !isAlive(pid)) return;
    mtalabCli(['postfix', '-c', this.configDirectory, 'stop']);
    if (!(await waitFor(() => !isAlive(pid), MASTER_WAIT_MS))) {
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), MASTER_WAIT_MS);
    }
    if (isAlive(pid)) throw new Error(`mtalab master ${pid} is still running`);
    this.startedPid = undefined;
  }

  remove(): void {
    if (process.env.MTALAB_INTEROP_KEEP !== '1') rmSync(this.directory, { recursive: true, force: true });
  }

  /** mtalab sendmail -C DIR ARGS < message; it reaches the running host over public/pickup. */
  sendmail(argv: readonly string[], message: string): RunResult {
    return mtalabCli(['sendmail', '-C', this.configDirectory, ...argv], message);
  }

  /** The same as a child process that runs while the caller goes on (concurrent
   *  submissions); killed after a bounded time. */
  sendmailChild(argv: readonly string[], message: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [binPath, 'sendmail', '-C', this.configDirectory, ...argv], {
        stdio: ['pipe', 'pipe', 'pipe'], timeout: COMMAND_TIMEOUT_MS * 3, killSignal: 'SIGKILL',
        env: { ...process.env, TZ: 'UTC', LANG: 'C' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
      child.on('error', reject);
      child.on('close', (code) => resolve({ stdout, stderr, status: code ?? 1 }));
      child.stdin.end(message);
    });
  }

  async waitForQueue(timeoutMs = QUEUE_WAIT_MS): Promise<boolean> {
    const drained = await waitFor(() => pendingQueueFiles(this.queueDirectory) === 0, timeoutMs);
    await settleFile(this.maillogPath);
    return drained;
  }

  maillog(): string[] {
    if (!existsSync(this.maillogPath)) return [];
    return readFileSync(this.maillogPath, 'utf8').split('\n').filter((line) => line !== '');
  }
}
