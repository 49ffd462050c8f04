// postsuper -e / -f (Postfix 3.7's force expiry) as qmgr acts on it in a running sim host:
// postsuper only sets the group execute bit (MAIL_QUEUE_STAT_EXPIRE); at the message's
// next delivery attempt qmgr returns it to the sender. A deferred message with a defer log
// is not tried again: "status=force-expired, returned to sender" and a non-delivery notice
// that gives the logged reason. A held message released by -f has no defer log: its
// recipients go to the retry transport ("4.7.0 message is administratively expired"), then
// the same force-expired return. As qmgr_message_alloc/_resolve and qmgr_active_done_25.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';

/** The registered programs without smtp: mail for remote.test stays deferred ("mail
 *  transport unavailable") however often it is tried. */
const { smtp: _smtpAgent, ...withoutSmtp } = registered as Readonly<Record<string, ServiceProgram>>;
const MAIN_CF = `${DEFAULT_MAIN_CF}relayhost = [127.0.0.1]:10099\n`;
/** Past the first retry: minimal_backoff_time and queue_run_delay are 300 s. */
const RETRY_MS = 700_000;

async function shapes(host: PipelineHost): Promise<string[]> {
  return (await host.maillog()).map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, '').replace(/\[\d+\]/, '[PID]'));
}

/** The non-delivery notice in alice's mailbox. */
async function noticeText(host: PipelineHost): Promise<string> {
  return host.readFile('/var/mail/alice');
}

test('postsuper -e on a deferred message: the next attempt returns it to the sender from its defer log, no delivery', async () => {
  const host = await createPipelineHost({ programs: withoutSmtp, mainCf: MAIN_CF });
  const id = await submitToCleanup(host, 'alice@example.test', ['late@remote.test'], 'Subject: stuck\n\nstuck body\n', 1001);
  await host.run();
  assert.deepEqual(await host.queueFiles('deferred'), [id]);
  const expire = await host.command(['postsuper', '-e', id]);
  assert.equal(expire.exitCode, 0, expire.stderr);
  assert.equal(expire.stderr, `postsuper: ${id}: expired\npostsuper: Force-expired: 1 message\n`);
  // Still deferred until its next attempt time: postsuper only marks the file.
  await host.run();
  assert.deepEqual(await host.queueFiles('deferred'), [id]);
  const before = (await shapes(host)).length;
  await host.run({ forMs: RETRY_MS });
  const lines = (await shapes(host)).slice(before).filter((line) => line.includes(`${id}:`));
  assert.equal(lines.length, 4, lines.join('\n'));
  assert.match(lines[0] ?? '', new RegExp(`^postfix/qmgr\\[PID\\]: ${id}: from=<alice@example.test>, size=\\d+, nrcpt=1 \\(queue active\\)$`));
  assert.equal(lines[1], `postfix/qmgr[PID]: ${id}: from=<alice@example.test>, status=force-expired, returned to sender`);
  assert.match(lines[2] ?? '', new RegExp(`^postfix/bounce\\[PID\\]: ${id}: sender non-delivery notification: \\w+$`));
  assert.equal(lines[3], `postfix/qmgr[PID]: ${id}: removed`);
  for (const queue of ['deferred', 'active', 'defer']) assert.deepEqual(await host.queueFiles(queue), [], queue);
  const notice = await noticeText(host);
  assert.match(notice, /Subject: Undelivered Mail Returned to Sender/);
  assert.match(notice, /<late@remote\.test>: mail transport unavailable/);
  assert.match(notice, /Action: failed/);
  await host.stop();
});

test('postsuper -f on a held message: released, tried through the retry transport as "administratively expired", returned', async () => {
  const host = await createPipelineHost({ programs: withoutSmtp, mainCf: MAIN_CF });
  const runtime = host.runtime;
  assert.ok(runtime);
  const stream = await runtime.cleanup().open({ service: 'pickup', rewriteContext: 'local', uid: 1001 });
  stream.setSender('alice@example.test');
  stream.addRecipient({ address: 'late@remote.test' });
  stream.setActions?.({ hold: true });
  stream.addContent(new TextEncoder().encode('Subject: held\n\nheld body\n'));
  const { queueId: id, status } = await stream.finish();
  assert.equal(status, 0);
  await host.run();
  assert.deepEqual(await host.queueFiles('hold'), [id]);
  const release = await host.command(['postsuper', '-f', id]);
  assert.equal(release.exitCode, 0, release.stderr);
  assert.equal(release.stderr, `postsuper: ${id}: expired\npostsuper: ${id}: released from hold\npostsuper: Force-expired: 1 message\npostsuper: Released from hold: 1 message\n`);
  assert.deepEqual(await host.queueFiles('deferred'), [id]);
  const before = (await shapes(host)).length;
  await host.run({ forMs: RETRY_MS });
  const lines = (await shapes(host)).slice(before).filter((line) => line.includes(`${id}:`));
  assert.equal(lines.length, 5, lines.join('\n'));
  assert.match(lines[0] ?? '', /\(queue active\)$/);
  assert.match(lines[1] ?? '', new RegExp(`^postfix/error\\[PID\\]: ${id}: to=<late@remote.test>, relay=none, delay=[\\d.]+, delays=[\\d./]+, dsn=4\\.7\\.0, status=deferred \\(message is administratively expired\\)$`));
  assert.equal(lines[2], `postfix/qmgr[PID]: ${id}: from=<alice@example.test>, status=force-expired, returned to sender`);
  assert.match(lines[3] ?? '', /sender non-delivery notification: \w+$/);
  assert.equal(lines[4], `postfix/qmgr[PID]: ${id}: removed`);
  assert.deepEqual(await host.queueFiles('deferred'), []);
  const notice = await noticeText(host);
  assert.match(notice, /<late@remote\.test>: message is administratively expired/);
  assert.match(notice, /Status: 4\.7\.0/);
  await host.stop();
});
