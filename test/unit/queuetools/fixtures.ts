// A simulated host for the queue tools' unit tests: main.cf, the queue directories, and
// queue files written with the queue library's writer (writeQueueFile) at chosen arrival
// times, plus defer logs written with the bounce service's formatter, so that postqueue,
// postsuper and qshape see what Postfix's would. The clock starts at the reference
// scenario's time (2026-11-22 09:28:08 UTC + a chosen offset), so output compares with
// shared/reference/postfix-3.7/commands without normalising times.
// Used by test/unit/queuetools/*.test.ts.

import { readFileSync } from 'node:fs';
import { createSimPlatform, Scheduler, type SimPlatform } from '../../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { BufferedInput, CapturedOutput } from '../../../engine/admin/stdio.ts';
import { runCommand } from '../../../engine/admin/run.ts';
import { queuePathOf, DEFAULT_QUEUE_HASHING } from '../../../engine/global/queue/queue-id.ts';
import type { QueueFileInput } from '../../../engine/global/queue/queue-file.ts';
import { formatRecipientLogEntry } from '../../../engine/global/dsn/recipient-log.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import { writeFixture, referenceMessages, REFERENCE_SECONDS, REFERENCE_DIRECTORY } from '../queue/fixtures.ts';

export { referenceMessages, REFERENCE_SECONDS, REFERENCE_DIRECTORY };

export const QUEUE_DIRECTORY = '/var/spool/postfix';
export const CONFIG_DIRECTORY = '/etc/postfix';
export const QUEUE_SUBDIRECTORIES = ['maildrop', 'incoming', 'active', 'deferred', 'hold', 'defer', 'bounce', 'trace', 'flush', 'corrupt', 'saved', 'public', 'private', 'pid'];

export const BASE_MAIN_CF = `compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
queue_directory = ${QUEUE_DIRECTORY}
maillog_file = /var/log/maillog
`;

export interface CommandResult { exitCode: number | undefined; stdout: string; stderr: string }

export interface QueueHost {
  host: Host;
  platform: SimPlatform;
  events: TraceEvent[];
  run(argv: string[], options?: { stdin?: string; user?: string; env?: Record<string, string> }): Promise<CommandResult>;
  /** Writes a ready queue file in queueName (hashed as the default hash_queue_names says). */
  writeMessage(queueName: string, id: string, input: QueueFileInput, mode?: number): Promise<string>;
  /** Writes defer/ID with one entry per recipient. */
  writeDeferLog(id: string, entries: Array<{ recipient: string; reason: string }>): Promise<void>;
  exists(path: string): Promise<boolean>;
  path(queueName: string, id: string): string;
}

/** A host whose clock reads REFERENCE_SECONDS + offsetSeconds. */
export async function createQueueHost(options: { mainCf?: string; offsetSeconds?: number } = {}): Promise<QueueHost> {
  const scheduler = new Scheduler({ startMs: (REFERENCE_SECONDS + (options.offsetSeconds ?? 0)) * 1000 });
  const platform = createSimPlatform({ hostName: 'mail.example.com', seed: 1, scheduler });
  const host = createHost({ name: 'mail.example.com', platform, defaultConfigDirectory: CONFIG_DIRECTORY, firstPid: 13592 });
  const fs = platform.fs;
  const events: TraceEvent[] = [];
  platform.trace.subscribe((event) => events.push(event));
  await fs.mkdir(CONFIG_DIRECTORY, { recursive: true });
  await fs.writeFile(`${CONFIG_DIRECTORY}/main.cf`, options.mainCf ?? BASE_MAIN_CF);
  await fs.mkdir('/var/log', { recursive: true });
  for (const name of QUEUE_SUBDIRECTORIES) await fs.mkdir(`${QUEUE_DIRECTORY}/${name}`, { recursive: true, mode: 0o700 });
  const path = (queueName: string, id: string): string => `${QUEUE_DIRECTORY}/${queuePathOf(queueName, id, DEFAULT_QUEUE_HASHING)}`;
  return {
    host, platform, events, path,
    async run(argv, runOptions = {}) {
      const stdout = new CapturedOutput();
      const stderr = new CapturedOutput();
      const env = new Map(Object.entries(runOptions.env ?? {}));
      if (runOptions.user !== undefined) env.set('USER', runOptions.user);
      const exitCode = await runCommand({ argv, stdin: new BufferedInput(runOptions.stdin ?? ''), stdout, stderr, env, cwd: '/', host });
      return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
    },
    async writeMessage(queueName, id, input, mode) {
      const file = path(queueName, id);
      await fs.mkdir(file.slice(0, file.lastIndexOf('/')), { recursive: true, mode: 0o700 });
      await writeFixture(fs, file, input);
      if (mode !== undefined) await fs.chmod(file, mode);
      return file;
    },
    async writeDeferLog(id, entries) {
      const file = path('defer', id);
      await fs.mkdir(file.slice(0, file.lastIndexOf('/')), { recursive: true, mode: 0o700 });
      const text = entries.map((entry) => formatRecipientLogEntry({
        recipient: entry.recipient, offset: 0, dsnNotify: 0, status: '4.4.1', action: 'delayed', reason: entry.reason,
      })).join('');
      await fs.writeFile(file, text);
    },
    async exists(file) {
      try {
        await fs.stat(file);
        return true;
      } catch {
        return false;
      }
    },
  };
}

export const CONNECTION_REFUSED = 'connect to 127.0.0.1[127.0.0.1]:10099: Connection refused';

/** The reference queue of logs/l and commands/postqueue-p-mixed.txt: 6DDE51682F3 active,
 *  7E5F61681FF deferred and 65E6116819D on hold, both with a defer log. */
export async function writeMixedQueue(queue: QueueHost, holdQueue = 'hold'): Promise<void> {
  const [deferred, active, hold] = referenceMessages;
  await queue.writeMessage('active', active!.id, active!.input);
  await queue.writeMessage('deferred', deferred!.id, deferred!.input);
  await queue.writeMessage(holdQueue, hold!.id, hold!.input);
  await queue.writeDeferLog(deferred!.id, [
    { recipient: 'friend2@other.test', reason: CONNECTION_REFUSED },
    { recipient: 'friend@other.test', reason: CONNECTION_REFUSED },
  ]);
  await queue.writeDeferLog(hold!.id, [{ recipient: 'someone@remote.test', reason: CONNECTION_REFUSED }]);
}

/** A reference command file's output: the lines after its "$ " command line, up to the
 *  "[exit status N]" line, each with its newline. */
export function referenceOutput(name: string, section = 0): string {
  const text = readFileSync(`${REFERENCE_DIRECTORY}/commands/${name}`, 'utf8');
  const sections: string[][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) { sections.push([]); continue; }
    if (line.startsWith('[exit ') || line.startsWith('#') || line.startsWith('### ')) continue;
    sections.at(-1)?.push(line);
  }
  const lines = sections[section] ?? [];
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines.map((line) => `${line}\n`).join('');
}
