// qmgr's own non-deliveries while the bounce service cannot record them (a broken
// bounce_template_file kills every bounce process at start, engine/bounce/process-start.ts):
// Postfix's qmgr_bounce_recipient leaves the recipient in the queue file and defers the
// message when bounce_append fails (bounce_append itself defers the recipient with "4.3.0
// bounce or trace service failure"), and qmgr_active_done_3_defer_flush keeps an expired
// message when the defer flush fails. Once the template file is there, the next attempt
// bounces the mail and the queue empties.
// Uses the pipeline harness (test/pipeline/harness.ts) with the registered programs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, DEFAULT_MASTER_CF, submitToCleanup, type PipelineHost } from '../../pipeline/harness.ts';

const MISSING = '/etc/postfix/missing.cf';
const BROKEN = `bounce_template_file = ${MISSING}\nipc_timeout = 15s\nservice_throttle_time = 5s\n`;
const TEMPLATE = 'failure_template = <<EOF\nSubject: Returned by the lab\n\nYour mail came back.\nEOF\n';
/** Past minimal_backoff_time (300 s) after the deferral and the deferred scan (every
 *  queue_run_delay, 300 s) that comes after it. */
const RETRY_MS = 700_000;

/** qmgr's and the agents' lines (not bounce's fatals or master's throttling warnings),
 *  with the queue id and pids made constant. */
async function deliveryLines(host: PipelineHost, id: string): Promise<string[]> {
  return (await host.maillog())
    .filter((line) => !line.includes(': fatal: ') && !/master\[\d+\]: /.test(line))
    .map((line) => line.replace(/^.*? postfix\//, '').replace(/\[\d+\]/, '[PID]').replaceAll(id, 'ID'));
}

async function queues(host: PipelineHost): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const name of ['incoming', 'active', 'deferred', 'bounce', 'defer']) result[name] = await host.queueFiles(name);
  return result;
}

async function fixTemplateAndRetry(host: PipelineHost): Promise<string> {
  await host.writeFile(MISSING, TEMPLATE);
  await host.run({ forMs: RETRY_MS });
  return host.readFile('/var/mail/bob');
}

test('an error-transport recipient qmgr bounces itself (no error service) while bounce is broken: deferred, not removed; bounced once fixed', async () => {
  const masterCf = DEFAULT_MASTER_CF.split('\n').filter((line) => !/^error\s/.test(line)).join('\n');
  const host = await createPipelineHost({
    masterCf,
    mainCf: `${DEFAULT_MAIN_CF}${BROKEN}default_transport = error:5.1.2 remote mail is not accepted here\n`,
  });
  const id = await submitToCleanup(host, 'bob@example.test', ['someone@remote.test'], 'Subject: one\n\nbody\n', 0);
  await host.run({ forMs: 40_000 });
  assert.deepEqual((await deliveryLines(host, id)).slice(2), [
    'qmgr[PID]: warning: write private/bounce socket: Connection timed out',
    'qmgr[PID]: warning: write private/defer socket: Connection timed out',
    'qmgr[PID]: warning: ID: defer service failure',
    'qmgr[PID]: ID: to=<someone@remote.test>, relay=none, delay=30, delays=0/30/0/0, dsn=4.3.0, status=deferred (bounce or trace service failure)',
  ]);
  assert.deepEqual(await queues(host), { incoming: [], active: [], deferred: [id], bounce: [], defer: [] });

  const mailbox = await fixTemplateAndRetry(host);
  assert.match(mailbox, /^Subject: Returned by the lab$/m);
  const lines = await deliveryLines(host, id);
  assert.ok(lines.some((line) => /^qmgr\[PID\]: ID: to=<someone@remote.test>, relay=none, .*dsn=5\.1\.2, status=bounced \(remote mail is not accepted here\)$/.test(line)), lines.join('\n'));
  assert.deepEqual(lines.filter((line) => line.endsWith('ID: removed')).length, 1);
  assert.deepEqual(await queues(host), { incoming: [], active: [], deferred: [], bounce: [], defer: [] });
});

test('the same with the error agent: its recipient stays unmarked, so the message is deferred', async () => {
  const host = await createPipelineHost({
    mainCf: `${DEFAULT_MAIN_CF}${BROKEN}default_transport = error:5.1.2 remote mail is not accepted here\n`,
  });
  const id = await submitToCleanup(host, 'bob@example.test', ['someone@remote.test'], 'Subject: one\n\nbody\n', 0);
  await host.run({ forMs: 40_000 });
  const lines = await deliveryLines(host, id);
  assert.ok(lines.some((line) => /^error\[PID\]: ID: to=<someone@remote.test>, .*dsn=4\.3\.0, status=deferred \(bounce or trace service failure\)$/.test(line)), lines.join('\n'));
  assert.ok(!lines.some((line) => line.endsWith('ID: removed')), lines.join('\n'));
  assert.deepEqual(await queues(host), { incoming: [], active: [], deferred: [id], bounce: [], defer: [] });
  assert.match(await fixTemplateAndRetry(host), /^Subject: Returned by the lab$/m);
  assert.deepEqual(await queues(host), { incoming: [], active: [], deferred: [], bounce: [], defer: [] });
});

test('an expired message whose defer flush fails stays deferred (qmgr_active_done_3_defer_flush), and is returned once bounce works', async () => {
  const host = await createPipelineHost({
    mainCf: `${DEFAULT_MAIN_CF}${BROKEN}maximal_queue_lifetime = 0\ndefer_transports = smtp\n`,
  });
  const id = await submitToCleanup(host, 'bob@example.test', ['someone@remote.test'], 'Subject: one\n\nbody\n', 0);
  await host.run({ forMs: 60_000 });
  const lines = await deliveryLines(host, id);
  assert.ok(lines.some((line) => line === 'qmgr[PID]: ID: from=<bob@example.test>, status=expired, returned to sender'), lines.join('\n'));
  assert.ok(!lines.some((line) => line.endsWith('ID: removed')), lines.join('\n'));
  assert.deepEqual(await queues(host), { incoming: [], active: [], deferred: [id], bounce: [], defer: [] });
  assert.match(await fixTemplateAndRetry(host), /^Subject: Returned by the lab$/m);
  assert.deepEqual(await queues(host), { incoming: [], active: [], deferred: [], bounce: [], defer: [] });
});
