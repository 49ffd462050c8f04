// qmgr in a running host (P1's harness): mail queued through cleanup is moved to active,
// delivered by the real local/error agents and removed; mail to a transport that has no
// agent is deferred, retried on the deferred scans as virtual time runs, and expires with
// a non-delivery notice from the bounce service. The maillog lines are compared in
// Postfix's shapes (logs/a and logs/j of the reference).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';

/** The registered program table (engine/master/programs.ts): cleanup, qmgr, local, bounce, error, discard... */
const programs: Readonly<Record<string, ServiceProgram>> = registered;
/** A host without the smtp agent (master.cf still names it): qmgr's own deferral. */
const { smtp: _smtpAgent, ...withoutSmtp } = programs;

/** Queues a message as pickup would (uid 1001): through cleanup, which triggers qmgr. */
const submit = (host: PipelineHost, sender: string, recipients: string[], text: string): Promise<string> =>
  submitToCleanup(host, sender, recipients, text, 1001);

/** Maillog lines without the "Mon DD HH:MM:SS host " prefix and with pids as [PID]. */
function shapes(lines: string[]): string[] {
  return lines.map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, '').replace(/\[\d+\]/, '[PID]'));
}

test('a local message: (queue active), delivered by local, removed', async () => {
  const host = await createPipelineHost({ programs });
  const id = await submit(host, 'bob@example.test', ['alice@example.test'], 'Subject: hello\n\nbody\n');
  await host.run();
  const lines = shapes(await host.maillog()).filter((line) => line.includes(id));
  const qmgr = lines.filter((line) => line.startsWith('postfix/qmgr'));
  assert.match(qmgr[0] ?? '', new RegExp(`^postfix/qmgr\\[PID\\]: ${id}: from=<bob@example.test>, size=\\d+, nrcpt=1 \\(queue active\\)$`));
  assert.equal(qmgr.at(-1), `postfix/qmgr[PID]: ${id}: removed`);
  assert.ok(lines.some((line) => /postfix\/local\[PID\]: .*to=<alice@example.test>, relay=local, .*status=sent \(delivered to mailbox\)/.test(line)), lines.join('\n'));
  assert.deepEqual(await host.queueFiles('active'), []);
  assert.deepEqual(await host.queueFiles('incoming'), []);
  await host.stop();
});

test('no agent for the transport: deferred, retried every scan, expired and returned to sender', async () => {
  const mainCf = `${DEFAULT_MAIN_CF}relayhost = [127.0.0.1]:10099
queue_run_delay = 15s
minimal_backoff_time = 15s
maximal_backoff_time = 30s
maximal_queue_lifetime = 90s
bounce_queue_lifetime = 90s
`;
  const host = await createPipelineHost({ programs: withoutSmtp, mainCf });
  const id = await submit(host, 'alice@example.test', ['late@remote.test'], 'Subject: test (j)\n\nscenario j\n');
  await host.run();
  assert.deepEqual(await host.queueFiles('deferred'), [id]);
  let lines = shapes(await host.maillog()).filter((line) => line.includes(`${id}:`));
  assert.ok(lines.some((line) => /^postfix\/qmgr\[PID\]: \w+: to=<late@remote.test>, relay=none, delay=[\d.]+, delays=[\d.\/]+, dsn=4\.3\.0, status=deferred \(mail transport unavailable\)$/.test(line)), lines.join('\n'));
  await host.run({ forMs: 200_000 });
  lines = shapes(await host.maillog()).filter((line) => line.includes(`${id}:`));
  const attempts = lines.filter((line) => line.endsWith('(queue active)')).length;
  assert.ok(attempts >= 4 && attempts <= 6, `attempts ${attempts}`);
  assert.ok(lines.includes(`postfix/qmgr[PID]: ${id}: from=<alice@example.test>, status=expired, returned to sender`), lines.join('\n'));
  assert.ok(lines.some((line) => /^postfix\/bounce\[PID\]: \w+: sender non-delivery notification: \w+$/.test(line)), lines.join('\n'));
  assert.equal(lines.at(-1), `postfix/qmgr[PID]: ${id}: removed`);
  assert.deepEqual(await host.queueFiles('deferred'), []);
  if (process.env.SHOW_MAILLOG) console.log((await host.maillog()).join('\n'));
  const all = shapes(await host.maillog());
  const notice = /sender non-delivery notification: (\w+)$/.exec(all.find((line) => line.includes('non-delivery notification')) ?? '')?.[1];
  assert.ok(all.some((line) => line.includes(`${notice}: to=<alice@example.test>, relay=local`) && line.includes('status=sent')), all.join('\n'));
  await host.stop();
});

test('a crash leaves a file in active/: the restarted qmgr puts it back through incoming and delivers it', async () => {
  const host = await createPipelineHost({ programs });
  const queueDirectory = '/var/spool/postfix';
  // A message cleanup finished, caught in active/ by a crash.
  const id = await submit(host, 'bob@example.test', ['carol@example.test'], 'Subject: crash\n\nbody\n');
  await host.stop();
  const incoming = await host.queueFiles('incoming');
  assert.deepEqual(incoming, [id], 'the trigger did not fire before the stop');
  await host.platform.fs.rename(`${queueDirectory}/incoming/${id}`, `${queueDirectory}/active/${id}`);
  await host.start();
  await host.run();
  assert.deepEqual(await host.queueFiles('active'), []);
  const lines = shapes(await host.maillog()).filter((line) => line.includes(`${id}:`));
  assert.ok(lines.some((line) => line.startsWith('postfix/local[PID]') && line.includes('to=<carol@example.test>') && line.includes('status=sent')), lines.join('\n'));
  assert.equal(lines.at(-1), `postfix/qmgr[PID]: ${id}: removed`);
  await host.stop();
});
