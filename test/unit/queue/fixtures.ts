// Queue file fixtures: the three messages whose queue files the real Postfix 3.7.11 showed
// with postcat in shared/reference/postfix-3.7/commands/postcat-q-*.txt, rebuilt as
// writer input (envelope order, attributes, content lines), plus helpers to write them
// into a queue directory and to read the reference outputs.
// Used by test/unit/queue/*.test.ts and test/interop/queue-file.test.ts.

import { readFileSync } from 'node:fs';
import type { FileSystem } from '../../../engine/platform/types.ts';
import {
  writeQueueFile, commitQueueFile, splitContentLines, type QueueFileInput, type EnvelopeEntry,
} from '../../../engine/global/queue/queue-file.ts';

export const REFERENCE_DIRECTORY = '/work/shared/reference/postfix-3.7';

const encoder = new TextEncoder();

function lines(text: string): Uint8Array[] {
  return splitContentLines(encoder.encode(text));
}

const attribute = (name: string, value: string): EnvelopeEntry => ({ kind: 'attribute', name, value });

/** 2026-11-22 09:28:08 UTC, the reference scenario's clock. */
export const REFERENCE_SECONDS = 1_795_339_688;

export interface ReferenceMessage {
  id: string;
  queueName: string;
  /** The file under commands/ that shows `postcat -q ID`. */
  referenceFile: string;
  input: QueueFileInput;
}

const swaksClient: EnvelopeEntry[] = [
  attribute('log_client_name', 'localhost'),
  attribute('log_client_address', '127.0.0.1'),
  attribute('log_client_port', '57268'),
  attribute('log_message_origin', 'localhost[127.0.0.1]'),
  attribute('log_helo_name', 'client.remote.test'),
  attribute('log_protocol_name', 'ESMTP'),
  attribute('client_name', 'localhost'),
  attribute('reverse_client_name', 'localhost'),
  attribute('client_address', '127.0.0.1'),
  attribute('client_port', '57268'),
  attribute('server_address', '127.0.0.1'),
  attribute('server_port', '10025'),
  attribute('helo_name', 'client.remote.test'),
  attribute('protocol_name', 'ESMTP'),
  attribute('client_address_type', '2'),
];

const rfc822 = (address: string) => ({ address, dsnOriginalRecipient: `rfc822;${address}` });

export const referenceMessages: ReferenceMessage[] = [
  {
    id: '7E5F61681FF', queueName: 'deferred', referenceFile: 'postcat-q-deferred.txt',
    input: {
      arrivalTime: { seconds: REFERENCE_SECONDS, microseconds: 516_000 },
      createTimeSeconds: REFERENCE_SECONDS,
      envelope: [
        attribute('log_ident', '7E5F61681FF'), attribute('rewrite_context', 'local'),
        { kind: 'sender', address: 'carol@example.com' }, ...swaksClient,
      ],
      recipients: [rfc822('friend@other.test'), rfc822('friend2@other.test')],
      contentLines: lines([
        'Received: from client.remote.test (localhost [127.0.0.1])',
        '\tby mail.example.com (Postfix) with ESMTP id 7E5F61681FF;',
        '\tSun, 22 Nov 2026 09:28:08 +0000 (UTC)',
        'Date: Sun, 22 Nov 2026 09:28:08 +0000',
        'To: friend@other.test,friend2@other.test',
        'From: carol@example.com',
        'Subject: test Sun, 22 Nov 2026 09:28:08 +0000',
        'Message-Id: <20261122092808.011721@vm>',
        'X-Mailer: swaks v20201014.0 jetmore.org/john/code/swaks/',
        '', 'This is a test mailing', '', '', '',
      ].join('\n')),
    },
  },
  {
    id: '6DDE51682F3', queueName: 'active', referenceFile: 'postcat-q-active.txt',
    input: {
      arrivalTime: { seconds: REFERENCE_SECONDS + 21, microseconds: 450_003 },
      createTimeSeconds: REFERENCE_SECONDS + 21,
      envelope: [attribute('rewrite_context', 'local'), { kind: 'fullName', value: 'root' }, { kind: 'sender', address: 'bob@example.com' }],
      recipients: [rfc822('user1@slow.test'), rfc822('user2@slow.test')],
      contentLines: lines([
        'Received: by mail.example.com (Postfix, from userid 0)',
        '\tid 6DDE51682F3; Sun, 22 Nov 2026 09:28:29 +0000 (UTC)',
        'Subject: slow',
        'Message-Id: <20261122092829.6DDE51682F3@mail.example.com>',
        'Date: Sun, 22 Nov 2026 09:28:29 +0000 (UTC)',
        'From: root <bob@example.com>',
        '', 'this one sits in the active queue', '',
      ].join('\n')),
    },
  },
  {
    id: '65E6116819D', queueName: 'hold', referenceFile: 'postcat-q-hold.txt',
    input: {
      arrivalTime: { seconds: REFERENCE_SECONDS, microseconds: 417_305 },
      createTimeSeconds: REFERENCE_SECONDS,
      envelope: [attribute('rewrite_context', 'local'), { kind: 'fullName', value: 'root' }, { kind: 'sender', address: 'alice@example.com' }],
      recipients: [rfc822('someone@remote.test')],
      contentLines: lines([
        'Received: by mail.example.com (Postfix, from userid 0)',
        '\tid 65E6116819D; Sun, 22 Nov 2026 09:28:08 +0000 (UTC)',
        'Subject: test (i) deferred',
        'Message-Id: <20261122092808.65E6116819D@mail.example.com>',
        'Date: Sun, 22 Nov 2026 09:28:08 +0000 (UTC)',
        'From: root <alice@example.com>',
        '', 'scenario i', '',
      ].join('\n')),
    },
  },
];

/** Writes a complete, ready queue file at `path` (the parent directory must exist). */
export async function writeFixture(fs: FileSystem, path: string, input: QueueFileInput): Promise<void> {
  const handle = await fs.open(path, 'wx', 0o600);
  try {
    await writeQueueFile(handle, input);
    await commitQueueFile(fs, path, handle);
  } finally {
    await handle.close();
  }
}

/** A reference command file split into its command sections: the output between one
 *  "$ " line (or "=== " separator) and the next, without the "[exit status N]" line. */
export function referenceSections(name: string): { output: string[]; exitStatus: number } {
  const text = readFileSync(`${REFERENCE_DIRECTORY}/commands/${name}`, 'utf8');
  const body = text.split('\n').filter((line) => !line.startsWith('$ ') && !line.startsWith('#'));
  const statusLine = body.findIndex((line) => line.startsWith('[exit status '));
  const exitStatus = statusLine < 0 ? 0 : Number(/\d+/.exec(body[statusLine] ?? '')?.[0] ?? 0);
  const kept = statusLine < 0 ? body : body.slice(0, statusLine);
  const output: string[] = [];
  let current: string[] = [];
  for (const line of kept) {
    if (line.startsWith('=== ')) { output.push(current.map((entry) => `${entry}\n`).join('')); current = []; continue; }
    current.push(line);
  }
  output.push(current.map((entry) => `${entry}\n`).join(''));
  return { output, exitStatus };
}
