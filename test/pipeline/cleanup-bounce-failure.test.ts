// A message that cleanup rejects itself (here header_checks REJECT) for a client that asked
// it to bounce (pickup) is bounced by cleanup with BOUNCE_FLAG_CLEAN (Postfix 3.7.11
// cleanup_bounce.c, global/bounce.c). When the bounce service cannot take the record (a
// bounce_template_file that does not exist kills every bounce process, engine/bounce/
// process-start.ts) bounce_append() returns -1 with no deferral and no "status=bounced"
// line, cleanup asks for no notice, answers CLEANUP_STAT_WRITE with its reject reason and
// removes its queue file; pickup, given a reason, logs nothing and keeps the maildrop file,
// so the mail is retried at its next scan and bounced once the template exists. With
// soft_bounce = yes bounce_append() returns -1 at once: nothing but the reject is logged
// and the maildrop file stays.
// Uses the pipeline harness with the registered programs (pickup, cleanup, qmgr, local, bounce).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, type PipelineHost } from './harness.ts';
import { programs } from '../../engine/master/programs.ts';

const MISSING = '/etc/postfix/missing.cf';
const TEMPLATE = 'failure_template = <<EOF\nSubject: Returned by the lab\n\nYour mail came back.\nEOF\n';
const CHECKS = 'header_checks = regexp:/etc/postfix/header_checks\n';
const FILES = { '/etc/postfix/header_checks': '/^Subject: spam/ REJECT no spam here\n' };
const MESSAGE = 'Subject: spam please\n\nbody\n';
const QUEUES = ['incoming', 'active', 'deferred', 'bounce', 'defer', 'trace'];

/** Program and text of every cleanup and pickup line, and of the warnings, bounces and
 *  notices, each distinct line once with its queue ids as ID (pickup may try the file
 *  more than once within the run), the delays left out. */
async function cleanupStory(host: PipelineHost): Promise<string[]> {
  const lines = (await host.maillog())
    .map((line) => /postfix\/(cleanup|pickup|bounce|local|qmgr)\[\d+\]: (.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .filter((match) => match[1] === 'cleanup' || match[1] === 'pickup' || match[2]?.includes('warning') === true
      || match[2]?.includes('status=bounced') === true || match[2]?.includes('non-delivery') === true)
    .map((match) => `${match[1]}: ${(match[2] ?? '').replace(/\b[0-9A-F]{7,}\b/g, 'ID').replace(/delay=[\d.]+, delays=[\d./]+, /, '')}`)
    .filter((line) => !/: message-id=|: uid=0 from=|: from=<[^>]*>, size=/.test(line));
  return [...new Set(lines)];
}

async function emptyQueues(host: PipelineHost): Promise<void> {
  for (const queue of QUEUES) assert.deepEqual(await host.queueFiles(queue), [], queue);
}

test('a cleanup bounce the bounce service cannot take loses nothing: no deferral, WRITE to pickup, the maildrop file kept and bounced later', async () => {
  const host = await createPipelineHost({
    programs, files: FILES,
    mainCf: `${DEFAULT_MAIN_CF}${CHECKS}bounce_template_file = ${MISSING}\nipc_timeout = 15s\nservice_throttle_time = 5s\n`,
  });
  const result = await host.sendmail(['-f', 'bob@example.test', 'alice@example.test'], MESSAGE, { run: false });
  assert.equal(result.exitCode, 0, result.stderr);
  await host.run({ forMs: 30_000 });
  assert.equal((await host.queueFiles('maildrop')).length, 1, 'pickup keeps the file');
  await emptyQueues(host);
  const story = await cleanupStory(host);
  assert.deepEqual(story.filter((line) => line.startsWith('cleanup: ') || line.startsWith('pickup: ')), [
    'cleanup: ID: reject: header Subject: spam please from local; from=<bob@example.test> to=<alice@example.test>: 5.7.1 no spam here',
    'cleanup: warning: write private/bounce socket: Connection timed out',
  ], story.join('\n'));
  assert.ok(!(await host.exists('/var/mail/bob')), 'no notice yet');

  await host.writeFile(MISSING, TEMPLATE);
  await host.run({ forMs: 300_000 });
  assert.deepEqual(await host.queueFiles('maildrop'), []);
  await emptyQueues(host);
  const after = await cleanupStory(host);
  const bounced = after.findIndex((line) => /^cleanup: ID: to=<alice@example\.test>, relay=none, dsn=5\.7\.1, status=bounced \(no spam here\)$/.test(line));
  assert.ok(bounced > 0, after.join('\n'));
  assert.ok(after.some((line) => /^bounce: ID: sender non-delivery notification: ID$/.test(line)), after.join('\n'));
  assert.ok(!after.some((line) => /status=deferred|bounce message failure|pickup: warning/.test(line)), after.join('\n'));
  const mailbox = await host.readFile('/var/mail/bob');
  assert.equal(mailbox.split('\nSubject: Returned by the lab\n').length - 1, 1, mailbox);
  await host.stop();
});

test('with soft_bounce = yes a cleanup bounce is not made: only the reject is logged and the maildrop file stays', async () => {
  const host = await createPipelineHost({ programs, files: FILES, mainCf: `${DEFAULT_MAIN_CF}${CHECKS}soft_bounce = yes\n` });
  const result = await host.sendmail(['-f', 'bob@example.test', 'alice@example.test'], MESSAGE, { run: false });
  assert.equal(result.exitCode, 0, result.stderr);
  await host.run({ forMs: 30_000 });
  assert.equal((await host.queueFiles('maildrop')).length, 1, 'pickup keeps the file');
  await emptyQueues(host);
  const story = await cleanupStory(host);
  assert.deepEqual(story, [
    'cleanup: ID: reject: header Subject: spam please from local; from=<bob@example.test> to=<alice@example.test>: 5.7.1 no spam here',
  ], story.join('\n'));
  assert.ok(!(await host.exists('/var/mail/bob')));
  await host.stop();
});
