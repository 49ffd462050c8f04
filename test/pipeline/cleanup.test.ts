// cleanup as a service of a running host (P1's harness and master runtime): the runtime
// finds it through HostRuntime.cleanup(), it rewrites through the host's trivial-rewrite
// service, its events reach the maillog in Postfix's shapes, a queued message triggers
// qmgr, and a reload re-reads its tables. Submission through sendmail/pickup (P2) and
// delivery (qmgr, local) join these tests as those services land.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF } from './harness.ts';
import { programs } from '../../engine/master/programs.ts';
import { cleanupProgram } from '../../engine/cleanup/service.ts';

// Without qmgr, so that a queued message stays in incoming/ for the test to inspect.
const { qmgr: _qmgr, ...programsWithoutQmgr } = programs;
const PROGRAMS = { ...programsWithoutQmgr, cleanup: cleanupProgram };

async function submit(runtime: NonNullable<Awaited<ReturnType<typeof createPipelineHost>>['runtime']>, content: string) {
  const stream = await runtime.cleanup().open({ service: 'pickup', rewriteContext: 'local', uid: 1002 });
  stream.setSender('bob');
  stream.addRecipient({ address: 'alice' });
  stream.addContent(new TextEncoder().encode(content));
  return stream.finish();
}

test('a submission through the running cleanup service is queued in incoming/ and logged', async () => {
  const host = await createPipelineHost({ programs: PROGRAMS });
  const runtime = host.runtime;
  assert.ok(runtime !== undefined);
  const result = await submit(runtime, 'Subject: pipeline\n\nhello\n');
  assert.equal(result.status, 0);
  await host.run();
  assert.deepEqual(await host.queueFiles('incoming'), [result.queueId]);
  const log = await host.maillog();
  const line = log.find((entry) => entry.includes(`${result.queueId}: message-id=`));
  assert.ok(line !== undefined, log.join('\n'));
  assert.match(line, new RegExp(`postfix/cleanup\\[\\d+\\]: ${result.queueId}: message-id=<\\d{14}\\.${result.queueId}@mail\\.example\\.test>$`));
  await host.stop();
});

test('a reload re-reads header_checks', async () => {
  const host = await createPipelineHost({ programs: PROGRAMS, files: { '/etc/postfix/header_checks': '/^Subject: no/ REJECT not today\n' } });
  const runtime = host.runtime;
  assert.ok(runtime !== undefined);
  assert.equal((await submit(runtime, 'Subject: no\n\nx\n')).status, 0);
  await host.writeFile('/etc/postfix/main.cf', `${DEFAULT_MAIN_CF}header_checks = regexp:/etc/postfix/header_checks\n`);
  await runtime.reload();
  const rejected = await submit(runtime, 'Subject: no\n\nx\n');
  assert.equal(rejected.status, 1 << 3);
  assert.equal(rejected.reason, '5.7.1 not today');
  await host.run();
  const log = await host.maillog();
  assert.ok(log.some((entry) => entry.endsWith(`${rejected.queueId}: reject: header Subject: no from local; from=<bob@example.test> to=<alice@example.test>: 5.7.1 not today`)), log.join('\n'));
  await host.stop();
});
