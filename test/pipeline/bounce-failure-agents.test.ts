// A bounce that cannot be recorded must never lose the mail: with a bounce_template_file
// that does not exist every bounce, defer and trace process dies at start (engine/bounce/
// process-start.ts), so bounce_append(), defer_append() and trace_append() time out after
// ipc_timeout. As Postfix 3.7.11's virtual, error, pipe, discard and local agents do, the
// recipient is then deferred ("dsn=4.3.0, status=deferred (bounce or trace service
// failure)", or "(ID: trace service failed)" for a DSN NOTIFY=SUCCESS delivery), the agent
// reports the request deferred and qmgr keeps the message in deferred/; once the file
// exists the next attempt bounces it and the sender gets the notice.
// Uses the pipeline harness with the registered programs and the four extra agents.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, DEFAULT_MASTER_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { virtualProgram } from '../../engine/virtual/service.ts';
import { errorProgram } from '../../engine/error/service.ts';
import { discardProgram } from '../../engine/discard/service.ts';
import { pipeProgram } from '../../engine/pipe/service.ts';

const programs: Record<string, ServiceProgram> = {
  ...registered, virtual: virtualProgram, error: errorProgram, discard: discardProgram, pipe: pipeProgram,
};
const MISSING = '/etc/postfix/missing.cf';
const TEMPLATE = 'failure_template = <<EOF\nSubject: Returned by the lab\n\nYour mail came back.\nEOF\n';

/** The lines one program logged for one queue id (and the client warnings without one,
 *  while each program has one message), pid and delays left out. */
async function linesOf(host: PipelineHost, program: string, queueId: string): Promise<string[]> {
  return (await host.maillog())
    .map((line) => new RegExp(`postfix/${program}\\[\\d+\\]: (.*)$`).exec(line)?.[1])
    .filter((line): line is string => line !== undefined && (line.includes(queueId) || line.endsWith(' socket: Connection timed out')))
    .map((line) => line.replace(/delay=[\d.]+, delays=[\d./]+, /, ''));
}

/** What each agent logs for a bounce that neither the bounce nor the defer service took:
 *  the two client timeouts ipc_timeout apart, then the deferral. */
function failedBounce(queueId: string, recipient: string, relay: string): string[] {
  return [
    'warning: write private/bounce socket: Connection timed out',
    'warning: write private/defer socket: Connection timed out',
    `warning: ${queueId}: defer service failure`,
    `${queueId}: to=<${recipient}>, relay=${relay}, dsn=4.3.0, status=deferred (bounce or trace service failure)`,
  ];
}

test('virtual, error, pipe, discard and local keep the mail when the bounce or trace service fails, and bounce it once the template is fixed', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = ${MISSING}\nipc_timeout = 15s\nservice_throttle_time = 5s
transport_maps = texthash:/etc/postfix/transport
virtual_mailbox_maps = texthash:/etc/postfix/vmailbox
virtual_mailbox_domains = example.org
virtual_gid_maps = static:5000
virtual_mailbox_base = /vmail
virtual_uid_maps = static:5000
`,
    masterCf: `${DEFAULT_MASTER_CF}failing   unix  -       n       n       -       -       pipe
  user=alice argv=/bin/sh -c { echo 5.1.1 no mailbox here for $$1 ; exit 67 } sh \${recipient}
`,
    files: {
      '/etc/postfix/transport': 'refused.test failing:\nblocked.test error:5.7.1 mail to blocked.test is not accepted\nsink.test discard:\n',
      '/etc/postfix/vmailbox': 'dave@example.org   example.org/dave/\n',
    },
  });
  const virtualId = await submitToCleanup(host, 'bob@example.test', ['nobody@example.org'], 'Subject: v\n\nbody\n', 0);
  const pipeId = await submitToCleanup(host, 'bob@example.test', ['x@refused.test'], 'Subject: p\n\nbody\n', 0);
  const errorId = await submitToCleanup(host, 'bob@example.test', ['a@blocked.test'], 'Subject: e\n\nbody\n', 0);
  for (const argv of [['-N', 'success', 'b@sink.test'], ['-bv', 'bob@example.test']]) {
    const result = await host.sendmail(['-f', 'bob@example.test', ...argv], 'Subject: s\n\nbody\n', { run: false });
    assert.equal(result.exitCode, 0, result.stderr);
  }
  await host.run({ forMs: 40_000 });
  const deferred = await host.queueFiles('deferred');
  assert.equal(deferred.length, 5, (await host.maillog()).join('\n'));
  for (const queue of ['active', 'bounce', 'defer', 'trace']) assert.deepEqual(await host.queueFiles(queue), [], queue);
  assert.deepEqual(await linesOf(host, 'virtual', virtualId), failedBounce(virtualId, 'nobody@example.org', 'virtual'));
  assert.deepEqual(await linesOf(host, 'pipe', pipeId), failedBounce(pipeId, 'x@refused.test', 'failing'));
  assert.deepEqual(await linesOf(host, 'error', errorId), failedBounce(errorId, 'a@blocked.test', 'none'));
  const log = (await host.maillog()).join('\n');
  const discardQueueId = /postfix\/discard\[\d+\]: ([0-9A-F]+): to=<b@sink\.test>/.exec(log)?.[1] ?? '?';
  const localQueueId = deferred.find((id) => ![virtualId, pipeId, errorId, discardQueueId].includes(id)) ?? '?';
  // sent() with NOTIFY=SUCCESS: trace_append fails, then defer_append does too.
  assert.deepEqual(await linesOf(host, 'discard', discardQueueId), [
    'warning: write private/trace socket: Connection timed out',
    `warning: ${discardQueueId}: trace service failure`,
    'warning: write private/defer socket: Connection timed out',
    `warning: ${discardQueueId}: defer service failure`,
    `${discardQueueId}: to=<b@sink.test>, relay=none, dsn=4.3.0, status=deferred (${discardQueueId}: trace service failed)`,
  ]);
  // sendmail -bv: only trace_append's warning, and the request stays queued.
  assert.deepEqual(await linesOf(host, 'local', localQueueId),
    ['warning: write private/trace socket: Connection timed out', `warning: ${localQueueId}: trace service failure`]);
  const before = (await host.exists('/var/mail/bob')) ? await host.readFile('/var/mail/bob') : '';
  assert.doesNotMatch(before, /MAILER-DAEMON/);

  await host.writeFile(MISSING, TEMPLATE);
  await host.run({ forMs: 2_000_000 });
  for (const queue of ['active', 'deferred', 'bounce', 'defer', 'trace']) assert.deepEqual(await host.queueFiles(queue), [], queue);
  const after = await host.maillog();
  for (const [program, id, recipient] of [['virtual', virtualId, 'nobody@example.org'], ['pipe', pipeId, 'x@refused.test'], ['error', errorId, 'a@blocked.test']] as const) {
    assert.ok((await linesOf(host, program, id)).some((line) => line.startsWith(`${id}: to=<${recipient}>`) && line.includes('status=bounced')), after.join('\n'));
    assert.ok(after.some((line) => line.includes(`bounce[`) && line.includes(`${id}: sender non-delivery notification: `)), id);
  }
  assert.ok((await linesOf(host, 'discard', discardQueueId)).some((line) => /to=<b@sink\.test>, relay=none, dsn=2\.0\.0, status=sent/.test(line)));
  assert.ok(after.some((line) => line.includes(`${discardQueueId}: sender delivery status notification: `)), after.join('\n'));
  assert.ok((await linesOf(host, 'local', localQueueId)).some((line) => /to=<bob@example\.test>, .*status=deliverable/.test(line)));
  assert.ok(after.some((line) => line.includes(`${localQueueId}: sender delivery status notification: `)), after.join('\n'));
  const mailbox = await host.readFile('/var/mail/bob');
  assert.equal(mailbox.split('\nSubject: Returned by the lab\n').length - 1, 3, mailbox);
  await host.stop();
});
