// Shared pieces of the submission unit tests: a sim host with a queue directory, a Reporter
// that records its lines, and a CleanupEndpoint double that records every call pickup
// makes and answers with a chosen status. Used by test/unit/submission/*.test.ts.

import { createSimPlatform, type SimPlatform } from '../../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { createReporter, type Reporter } from '../../../engine/global/msg.ts';
import { mailQueue, type MailQueue } from '../../../engine/global/queue/mail-queue.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';
import type {
  CleanupClient, CleanupEndpoint, CleanupFlags, CleanupResult, CleanupStream, SubmittedRecipient,
} from '../../../engine/master/contracts.ts';
import type { PreciseTime } from '../../../engine/global/queue/mail-queue.ts';

export const QUEUE_DIRECTORY = '/var/spool/postfix';

export interface SimQueueHost {
  platform: SimPlatform;
  host: Host;
  queue: MailQueue;
}

export async function simQueueHost(passwd?: string): Promise<SimQueueHost> {
  const platform = createSimPlatform({ hostName: 'mail.example.test', seed: 7 });
  const host = createHost({ name: 'mail.example.test', platform });
  for (const name of ['maildrop', 'incoming', 'public']) await platform.fs.mkdir(`${QUEUE_DIRECTORY}/${name}`, { recursive: true });
  await platform.fs.mkdir('/etc', { recursive: true });
  await platform.fs.writeFile('/etc/passwd', passwd ?? 'root:x:0:0:root:/root:/bin/bash\npostfix:x:102:104::/var/spool/postfix:/usr/sbin/nologin\nbob:x:1002:1002::/home/bob:/bin/sh\n');
  return { platform, host, queue: mailQueue(platform.fs, QUEUE_DIRECTORY) };
}

export function recordingReporter(host: Host, program: string): { reporter: Reporter; stderr: CapturedOutput } {
  const stderr = new CapturedOutput();
  return { reporter: createReporter({ program, host, pid: 4242, stderr }), stderr };
}

/** Everything pickup told cleanup about one submission. */
export interface RecordedSubmission {
  queueId: string;
  client: CleanupClient;
  flags: CleanupFlags | undefined;
  calls: string[];
  sender?: string;
  fullName?: string;
  arrivalTime?: PreciseTime;
  attributes: Array<[string, string]>;
  recipients: SubmittedRecipient[];
  content: string;
  outcome?: 'finished' | 'aborted';
}

export class RecordingCleanup implements CleanupEndpoint {
  readonly submissions: RecordedSubmission[] = [];
  private next = 0;
  /** The status finish() answers with (0: queued). */
  status = 0;
  reason: string | undefined;
  /** When set, finish() throws: the host crashed before cleanup answered. */
  crashOnFinish = false;

  async open(client: CleanupClient, flags?: CleanupFlags): Promise<CleanupStream> {
    const record: RecordedSubmission = {
      queueId: `NEW${(this.next += 1)}`, client, flags, calls: [], attributes: [], recipients: [], content: '',
    };
    this.submissions.push(record);
    const decoder = new TextDecoder();
    const endpoint = this;
    return {
      queueId: record.queueId,
      setSender(address) { record.calls.push('sender'); record.sender = address; },
      setFullName(name) { record.calls.push('fullName'); record.fullName = name; },
      addRecipient(recipient) { record.calls.push('recipient'); record.recipients.push(recipient); },
      setAttribute(name, value) { record.calls.push('attribute'); record.attributes.push([name, value]); },
      setArrivalTime(time) { record.calls.push('time'); record.arrivalTime = time; },
      addContent(bytes) { record.calls.push('content'); record.content += decoder.decode(bytes); },
      async finish(): Promise<CleanupResult> {
        if (endpoint.crashOnFinish) throw new Error('host crashed');
        record.outcome = 'finished';
        return { status: endpoint.status, queueId: record.queueId, ...(endpoint.reason === undefined ? {} : { reason: endpoint.reason }) };
      },
      async abort() { record.outcome = 'aborted'; },
    };
  }
}
