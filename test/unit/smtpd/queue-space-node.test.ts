// smtpd's queue space check (smtpd_check_queue) in real mode: the node platform's statfs
// of queue_directory decides. A test cannot fill a real disk, so queue_minfree is set above
// the free space the file system reports (MAIL gets "452 4.3.1 Insufficient system storage"
// and the warning with the free bytes) and, as a control, to a few bytes (MAIL gets 250).
// The session runs on the protocol core over the node platform; no message is queued.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodePlatform } from '../../../engine/platform/node/index.ts';
import { readMainConfig } from '../../../engine/global/config/main-cf.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { createSmtpdEnvironment } from '../../../engine/smtpd/environment.ts';
import { openSmtpdSession } from '../../../engine/smtpd/api.ts';
import type { CleanupEndpoint, RewriteEndpoint } from '../../../engine/master/contracts.ts';

/** Real time one dialog may take. */
const DIALOG_MS_MAX = 5000;
const POLL_MS = 10;

async function mailReply(queueMinfree: string): Promise<{ replies: string[]; warnings: string[] }> {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-queue-space-'));
  try {
    writeFileSync(join(directory, 'main.cf'), `myhostname = mail.example.com\nqueue_directory = ${directory}\n`
      + `queue_minfree = ${queueMinfree}\nmessage_size_limit = 1024\nalias_maps =\nlocal_recipient_maps =\n`);
    const platform = createNodePlatform({ seed: 1, dnsOffline: true, hostName: 'mail.example.com' });
    const warnings: string[] = [];
    const log = createReporter({ program: 'smtpd', host: { name: 'mail.example.com', platform, defaultConfigDirectory: directory, nextPid: () => 1 } as never,
      pid: 1, stderr: { write: (text: string) => { warnings.push(text); }, isTty: false } });
    const config = await readMainConfig({ fs: platform.fs, directory, reporter: log });
    const unused = (): never => { throw new Error('not reached before MAIL is accepted'); };
    // MAIL with the null sender needs no address resolution.
    const rewrite: RewriteEndpoint = { rewrite: async (_context, address) => address, resolve: unused };
    const env = await createSmtpdEnvironment({
      config, platform, log, trace: () => undefined,
      cleanup: unused as () => CleanupEndpoint, rewrite: () => rewrite,
    });
    let written = '';
    let closed = false;
    const client = { name: 'localhost', reverseName: 'localhost', address: '127.0.0.1', port: 40000, nameStatus: 'ok' as const, reverseNameStatus: 'ok' as const };
    const session = openSmtpdSession(env, client, 'test/1', {
      write: (bytes) => { written += new TextDecoder().decode(bytes); },
      close: () => { closed = true; },
    });
    session.receive(new TextEncoder().encode('EHLO client.example.com\r\nMAIL FROM:<>\r\nQUIT\r\n'));
    for (let waited = 0; !closed && waited < DIALOG_MS_MAX; waited += POLL_MS) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    await session.finished;
    const replies = written.split('\r\n').filter((line) => /^\d{3} /.test(line));
    return { replies, warnings };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

test('real mode: queue_minfree above the free space of queue_directory -> 452 4.3.1 at MAIL, with the warning', async () => {
  const space = statfsSync(tmpdir());
  const aboveFree = String(space.bavail * space.bsize * 2 + 1024 * 1024 * 1024);
  const { replies, warnings } = await mailReply(aboveFree);
  assert.equal(replies[2], '452 4.3.1 Insufficient system storage', replies.join('\n'));
  assert.match(warnings.join(''), /^smtpd: warning: not enough free space in mail queue: \d+ bytes < 1\.5\*message size limit\n$/);
});

test('real mode: a queue file system with room (queue_minfree a few bytes) accepts MAIL', async () => {
  const { replies, warnings } = await mailReply('1');
  assert.equal(replies[2], '250 2.1.0 Ok', replies.join('\n'));
  assert.equal(warnings.join(''), '');
});
