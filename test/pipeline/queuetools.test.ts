// The queue tools on a running host (P1's harness): a message deferred by qmgr (no agent
// for the relayhost's transport) is listed by postqueue -p through the showq service with
// qmgr's reason, put on hold and released by postsuper, retried by postqueue -f and -i,
// requeued to maildrop, and deleted; postqueue -s retries one destination. The postsuper
// lines reach the maillog through the running master's writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { showqProgram } from '../../engine/showq/service.ts';

// Without the smtp agent, so that the deferred message keeps qmgr's "mail transport unavailable".
const { smtp: _smtpAgent, ...withoutSmtp } = registered;
const programs: Record<string, ServiceProgram> = { ...withoutSmtp, showq: showqProgram };

const MAIN_CF = `${DEFAULT_MAIN_CF}relayhost = [127.0.0.1]:10099
fast_flush_domains = remote.test
`;

/** Queues a message as pickup would (uid 1001): through cleanup, which triggers qmgr. */
const submit = (host: PipelineHost, sender: string, recipients: string[], text: string): Promise<string> =>
  submitToCleanup(host, sender, recipients, text, 1001);

const activeLines = async (host: PipelineHost, id: string): Promise<number> =>
  (await host.maillog()).filter((line) => line.includes(`${id}: from=<`) && line.endsWith('(queue active)')).length;

test('defer, list, hold, release, flush, requeue and delete on a running host', async () => {
  const host = await createPipelineHost({ programs, mainCf: MAIN_CF });
  const id = await submit(host, 'alice@example.test', ['someone@remote.test', 'other@elsewhere.test'], 'Subject: queue tools\n\nbody\n');
  await host.run();
  assert.deepEqual(await host.queueFiles('deferred'), [id]);

  const listing = await host.command(['postqueue', '-p']);
  assert.equal(listing.stderr, '', 'listed by the running showq service, no "mail system is down"');
  const lines = listing.stdout.split('\n');
  assert.equal(lines[0], '-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------');
  assert.match(lines[1] ?? '', new RegExp(`^${id} +\\d+ \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d  alice@example.test$`));
  assert.equal(lines[2], `${' '.repeat(76 - 'mail transport unavailable'.length)}(mail transport unavailable)`);
  assert.deepEqual(lines.slice(3, 5).map((line) => line.trim()).sort(), ['other@elsewhere.test', 'someone@remote.test']);
  assert.match(listing.stdout, /\n-- 0 Kbytes in 1 Request\.\n$/);
  const json = await host.command(['postqueue', '-j']);
  assert.match(json.stdout, new RegExp(`^\\{"queue_name": "deferred", "queue_id": "${id}", .*"delay_reason": "mail transport unavailable"`));

  const hold = await host.command(['postsuper', '-h', id]);
  assert.equal(hold.stderr, `postsuper: ${id}: placed on hold\npostsuper: Placed on hold: 1 message\n`);
  assert.match((await host.command(['mailq'])).stdout, new RegExp(`^${id}! `, 'm'));
  const before = await activeLines(host, id);
  await host.command(['postqueue', '-f']);
  await host.run({ forMs: 20 * 60_000 });
  assert.equal(await activeLines(host, id), before, 'held mail stays put');
  assert.deepEqual(await host.queueFiles('hold'), [id]);

  const release = await host.command(['postsuper', '-H', id]);
  assert.equal(release.stderr, `postsuper: ${id}: released from hold\npostsuper: Released from hold: 1 message\n`);
  const flush = await host.command(['postqueue', '-f']);
  assert.equal(flush.exitCode, 0);
  assert.equal(flush.stderr, '');
  await host.run();
  assert.equal(await activeLines(host, id), before + 1, 'postqueue -f retries it at once');
  assert.deepEqual(await host.queueFiles('deferred'), [id]);

  assert.equal((await host.command(['postqueue', '-i', id])).exitCode, 0);
  await host.run();
  assert.equal(await activeLines(host, id), before + 2, 'postqueue -i retries the one message');

  const site = await host.command(['postqueue', '-s', 'remote.test']);
  assert.equal(site.exitCode, 0, site.stderr);
  await host.run();
  assert.equal(await activeLines(host, id), before + 3, 'postqueue -s retries the destination');
  const refused = await host.command(['postqueue', '-s', 'elsewhere.test']);
  assert.equal(refused.stderr, 'postqueue: fatal: Flush service is not configured for destination "elsewhere.test"\n');
  assert.equal(refused.exitCode, 69);

  const requeue = await host.command(['postsuper', '-r', id]);
  assert.equal(requeue.stderr, `postsuper: ${id}: requeued\npostsuper: Requeued: 1 message\n`);
  assert.deepEqual(await host.queueFiles('maildrop'), [id]);
  // A maildrop file still lists, first, with the reasons its defer log kept.
  const inMaildrop = (await host.command(['postqueue', '-p'])).stdout.split('\n');
  assert.match(inMaildrop[1] ?? '', new RegExp(`^${id} `));

  const removed = await host.command(['postsuper', '-d', 'ALL']);
  assert.equal(removed.stderr, 'postsuper: Deleted: 1 message\n');
  assert.equal((await host.command(['postqueue', '-p'])).stdout, 'Mail queue is empty\n');

  const log = (await host.maillog()).map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, '').replace(/\[\d+\]/, '[PID]'));
  for (const expected of [`${id}: placed on hold`, 'Placed on hold: 1 message', `${id}: released from hold`, `${id}: requeued`, 'Deleted: 1 message']) {
    assert.ok(log.some((line) => line.startsWith('postfix/postsuper[PID]: ') && line.endsWith(expected)), `${expected}\n${log.join('\n')}`);
  }
  await host.stop();
});

test('with the mail system stopped: listing for root with a warning, flush refused (its sockets left: Connection refused)', async () => {
  const host = await createPipelineHost({ programs, mainCf: MAIN_CF });
  await submit(host, 'alice@example.test', ['someone@remote.test'], 'Subject: x\n\nbody\n');
  await host.run();
  await host.stop();
  const listing = await host.command(['postqueue', '-p']);
  // Postfix 3.7.11 after `postfix stop`: the socket is still there, nobody listens.
  assert.equal(listing.stderr, 'postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: Connection refused)\n');
  assert.match(listing.stdout, /\(mail transport unavailable\)/);
  const user = await host.command(['postqueue', '-p'], { user: 'alice' });
  assert.equal(user.exitCode, 69);
  const flush = await host.command(['postqueue', '-f']);
  // unix_trigger() fails quietly on a refused connect: only the fatal line, as Postfix's.
  assert.equal(flush.stderr, 'postqueue: fatal: Cannot flush mail queue - mail system is down\n');
  assert.equal(flush.exitCode, 69);
});
