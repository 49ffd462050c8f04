// The smtp client when the bounce, defer and trace services cannot be reached (a
// bounce_template_file that does not exist kills each of their processes at start): as
// Postfix 3.7.11's smtp_trouble.c and smtp_rcpt.c do, a recipient whose bounce_append()
// or sent() failed is not marked done and makes the request's status non-zero, so qmgr
// keeps the message in deferred/ -- a RCPT 5xx ("status=deferred (bounce or trace service
// failure)"), a NOTIFY=SUCCESS delivery to a server without DSN ("(ID: trace service
// failed)") and sendmail -bv probes (only trace_append's warning). Once the file exists the
// next attempt bounces, notifies and reports, and the queue empties.
// Uses the pipeline harness with smtp and the fake servers of test/unit/smtp/fixture.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { smtpProgram } from '../../engine/smtp/service.ts';
import { startFakeServer } from '../unit/smtp/fixture.ts';

const programs: Record<string, ServiceProgram> = { ...registered, smtp: smtpProgram };
const MISSING = '/etc/postfix/missing.cf';
const TEMPLATE = 'failure_template = <<EOF\nSubject: Returned by the lab\n\nYour mail came back.\nEOF\n';

/** smtp's lines for one queue id, delays left out. */
async function smtpLines(host: PipelineHost, queueId: string): Promise<string[]> {
  return (await host.maillog())
    .map((line) => /postfix\/smtp\[\d+\]: (.*)$/.exec(line)?.[1])
    .filter((line): line is string => line !== undefined && line.includes(queueId))
    .map((line) => line.replace(/delay=[\d.]+, delays=[\d./]+, /, ''));
}

test('smtp keeps the mail when bounce_append, sent or a -bv report cannot be recorded, and finishes it once the template is fixed', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = ${MISSING}\nipc_timeout = 15s\nservice_throttle_time = 5s
transport_maps = texthash:/etc/postfix/transport\n`,
    files: { '/etc/postfix/transport': 'hard.test smtp:[127.0.0.1]:10031\nok.test smtp:[127.0.0.1]:10033\nnodsn.test smtp:[127.0.0.1]:10034\n' },
  });
  await startFakeServer(host.platform, '127.0.0.1', 10031, { rcpt: '500 5.3.0 Error: command failed', dot: '250 2.0.0 Ok' });
  await startFakeServer(host.platform, '127.0.0.1', 10033, { dot: '250 2.0.0 Ok' });
  const noDsn = await startFakeServer(host.platform, '127.0.0.1', 10034, { dot: '250 2.0.0 Ok', ehlo: ['250-fake.example.net', '250 PIPELINING'] });
  const hardId = await submitToCleanup(host, 'bob@example.test', ['user@hard.test'], 'Subject: s\n\nbody\n', 0);
  for (const argv of [['-N', 'success', 'user@nodsn.test'], ['-bv', 'user@ok.test'], ['-bv', 'user@hard.test']]) {
    const result = await host.sendmail(['-f', 'bob@example.test', ...argv], 'Subject: n\n\nbody\n', { run: false });
    assert.equal(result.exitCode, 0, result.stderr);
  }
  await host.run({ forMs: 40_000 });
  const deferred = await host.queueFiles('deferred');
  assert.equal(deferred.length, 4, (await host.maillog()).join('\n'));
  for (const queue of ['active', 'bounce', 'defer', 'trace']) assert.deepEqual(await host.queueFiles(queue), [], queue);
  assert.deepEqual(await smtpLines(host, hardId), [
    `warning: ${hardId}: defer service failure`,
    `${hardId}: to=<user@hard.test>, relay=127.0.0.1[127.0.0.1]:10031, dsn=4.3.0, status=deferred (bounce or trace service failure)`,
  ]);
  const log = (await host.maillog()).join('\n');
  const notifyId = /postfix\/smtp\[\d+\]: ([0-9A-F]+): to=<user@nodsn\.test>/.exec(log)?.[1] ?? '?';
  assert.deepEqual(await smtpLines(host, notifyId), [
    `warning: ${notifyId}: trace service failure`,
    `warning: ${notifyId}: defer service failure`,
    `${notifyId}: to=<user@nodsn.test>, relay=127.0.0.1[127.0.0.1]:10034, dsn=4.3.0, status=deferred (${notifyId}: trace service failed)`,
  ]);
  assert.equal(noDsn.messages.length, 1, 'the server got the message once');
  const probes = deferred.filter((id) => id !== hardId && id !== notifyId);
  for (const id of probes) assert.deepEqual(await smtpLines(host, id), [`warning: ${id}: trace service failure`]);
  const timeouts = (await host.maillog()).filter((line) => /postfix\/smtp\[\d+\]: warning: write private\/\w+ socket: Connection timed out$/.test(line))
    .map((line) => /private\/(\w+)/.exec(line)?.[1]).sort();
  assert.deepEqual(timeouts, ['bounce', 'defer', 'defer', 'trace', 'trace', 'trace']);

  await host.writeFile(MISSING, TEMPLATE);
  await host.run({ forMs: 2_000_000 });
  for (const queue of ['active', 'deferred', 'bounce', 'defer', 'trace']) assert.deepEqual(await host.queueFiles(queue), [], queue);
  const after = await host.maillog();
  assert.ok((await smtpLines(host, hardId)).some((line) => /to=<user@hard\.test>, .*dsn=5\.3\.0, status=bounced/.test(line)), after.join('\n'));
  assert.ok((await smtpLines(host, notifyId)).some((line) => /to=<user@nodsn\.test>, .*status=sent/.test(line)), after.join('\n'));
  assert.ok((await smtpLines(host, probes[0]!)).some((line) => /status=(deliverable|undeliverable)/.test(line)), after.join('\n'));
  for (const id of [hardId, notifyId, ...probes]) {
    assert.ok(after.some((line) => /postfix\/bounce\[\d+\]: /.test(line) && line.includes(`${id}: sender `)), `${id}\n${after.join('\n')}`);
  }
  const mailbox = await host.readFile('/var/mail/bob');
  assert.equal(mailbox.split('\nSubject: Returned by the lab\n').length - 1, 1, mailbox);
  await host.stop();
});
