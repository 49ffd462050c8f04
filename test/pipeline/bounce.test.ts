// Bounces in a running host (P1's harness with the real cleanup, qmgr, local and bounce
// services): mail to an unknown local user is bounced by local(8), and the bounce service
// returns it to the sender as a multipart/report that local delivers to the sender's
// mailbox; the maillog follows the shape of logs/h-unknown-local-user.log. A bounce of
// a bounce is never sent back to the null sender.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { parseNotice, header } from '../unit/bounce/helpers.ts';

/** The registered program table (engine/master/programs.ts): cleanup, qmgr, local, bounce, error, discard... */
const programs: Readonly<Record<string, ServiceProgram>> = registered;

/** Queues a message as pickup would (uid 0): through cleanup, which triggers qmgr. */
const submit = (host: PipelineHost, sender: string, recipients: string[], text: string): Promise<string> =>
  submitToCleanup(host, sender, recipients, text, 0);

/** A maillog line reduced to its shape: no date/host prefix, pids as [PID], queue ids
 *  named by their first appearance (ID1, ID2...), delays as numbers N. */
function shapes(lines: string[], mailNames: Map<string, string> = new Map()): string[] {
  return lines.map((line) => {
    let shaped = line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, '').replace(/^postfix(-ref1)?\//, 'postfix/').replace(/\[\d+\]/, '[PID]');
    shaped = shaped.replace(/\b[0-9A-F]{6,12}\b/g, (id) => {
      if (!mailNames.has(id)) mailNames.set(id, `ID${mailNames.size + 1}`);
      return mailNames.get(id) ?? id;
    });
    return shaped
      .replace(/delay=[\d.]+, delays=[\d.]+\/[\d.]+\/[\d.]+\/[\d.]+/, 'delay=N, delays=N/N/N/N')
      .replace(/size=\d+/, 'size=N')
      .replace(/message-id=<[^>]*>/, 'message-id=<M>');
  });
}

/** The harness reads as the sim's root, which memfs checks like any other user; lend
 *  the 0600 mailbox to root for the read. */
async function readMailbox(host: PipelineHost, path: string): Promise<string> {
  const volume = (host.platform.fs as { volume?: { chownSync(path: string, uid: number, gid: number): void; statSync(path: string): { uid: number | bigint; gid: number | bigint } } }).volume;
  const stat = volume?.statSync(path);
  volume?.chownSync(path, 0, 0);
  try {
    return await host.readFile(path);
  } finally {
    if (stat !== undefined) volume?.chownSync(path, Number(stat.uid), Number(stat.gid));
  }
}

test('unknown local user: bounced by local, returned to the sender as logs/h shows', async () => {
  const host = await createPipelineHost({ programs });
  const id = await submit(host, 'bob@example.test', ['nosuchuser@example.test'], 'Subject: to unknown local user\n\nbody\n');
  await host.run();
  const ours = shapes((await host.maillog()).filter((line) => !/ (pickup|postfix\/master|master)\[/.test(line)));
  // The reference: the sendmail half of logs/h, without pickup and the forward of the
  // notice that ref1's aliases made (bob -> carol), and with our domain.
  const reference = readFileSync('/work/shared/reference/postfix-3.7/logs/h-unknown-local-user.log', 'utf8').split('\n')
    .filter((line) => /^Nov 22 /.test(line) && !/smtpd|pickup/.test(line))
    .map((line) => line.replaceAll('example.com', 'example.test'));
  const expected = shapes(reference).filter((line) => !/ID3|forwarded as/.test(line));
  const relevant = ours.filter((line) => !/ID3/.test(line));
  // The same lines; qmgr's "removed" of the original and "(queue active)" of the notice
  // race in Postfix (two processes), so the order is compared only where it is causal.
  assert.deepEqual([...relevant].sort(), [...expected].sort(), `ours:\n${ours.join('\n')}`);
  const position = (pattern: RegExp): number => relevant.findIndex((line) => pattern.test(line));
  assert.ok(position(/local.*ID1: .*status=bounced/) < position(/cleanup.*ID2: message-id/));
  assert.ok(position(/cleanup.*ID2: message-id/) < position(/bounce.*ID1: sender non-delivery notification: ID2/));
  assert.ok(position(/bounce.*ID1: sender non-delivery/) < position(/local.*ID2: .*status=sent/));
  assert.ok(id);

  const mailbox = await readMailbox(host, '/var/mail/bob');
  assert.match(mailbox, /^From MAILER-DAEMON /);
  const message = mailbox.slice(mailbox.indexOf('\n') + 1);
  const notice = parseNotice(message);
  assert.equal(header(notice.headers, 'Subject'), 'Undelivered Mail Returned to Sender');
  assert.equal(header(notice.headers, 'From'), 'Mail Delivery System <MAILER-DAEMON@example.test>');
  assert.equal(header(notice.headers, 'Return-Path'), '<>');
  assert.equal(header(notice.headers, 'Auto-Submitted'), 'auto-replied');
  assert.equal(notice.boundary.startsWith(`${id}.`), true);
  assert.equal(notice.parts.length, 3);
  const report = notice.parts[1]?.body ?? [];
  assert.ok(report.includes('Final-Recipient: rfc822; nosuchuser@example.test'), report.join('\n'));
  assert.ok(report.includes('Status: 5.1.1'));
  assert.ok(report.includes('Diagnostic-Code: X-Postfix; unknown user: "nosuchuser"'));
  assert.ok(notice.parts[2]?.body.includes('Subject: to unknown local user'));
  assert.deepEqual(await host.queueFiles('bounce'), []);
  assert.deepEqual(await host.queueFiles('active'), []);
  await host.stop();
});

test('a bounce that cannot be delivered is dropped, never sent to the null sender', async () => {
  const host = await createPipelineHost({ programs, mainCf: DEFAULT_MAIN_CF });
  const id = await submit(host, 'nobody-here@example.test', ['nosuchuser@example.test'], 'Subject: twice\n\nbody\n');
  await host.run();
  const lines = await host.maillog();
  const notices = lines.filter((line) => /non-delivery notification/.test(line));
  assert.equal(notices.length, 1, lines.join('\n'));
  // The first notice (to nobody-here, unknown too) bounced in turn: no third message.
  assert.ok(lines.some((line) => /to=<nobody-here@example.test>.*status=bounced/.test(line)), lines.join('\n'));
  assert.ok(id);
  assert.deepEqual(await host.queueFiles('bounce'), []);
  assert.deepEqual(await host.queueFiles('deferred'), []);
  await host.stop();
});
