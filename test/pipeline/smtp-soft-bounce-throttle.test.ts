// smtp with soft_bounce = yes: a whole-session 5xx at the final server (here a 554 greeting
// with smtp_skip_5xx_greeting = no) is logged SOFTBOUNCE and, as in Postfix 3.7.11's
// smtp_trouble.c (smtp_bulk_fail), throttles the destination as a 4xx would: bounce_append()
// answers -1 under soft_bounce (global/bounce.c), the aggregate status is non-zero, so the
// request carries the hop status and qmgr suspends the destination. The next message for it
// is deferred by qmgr without a connection ("delivery temporarily suspended: ..."), with
// defer_append()'s warning about the 5.7.1 code it is handed (qmgr_deliver.c ->
// qmgr_defer_todo -> defer_append). With soft_bounce = no the same greeting bounces each
// message and suspends nothing.
// Uses the pipeline harness with smtp and the fake servers of test/unit/smtp/fixture.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { smtpProgram } from '../../engine/smtp/service.ts';
import { startFakeServer, type FakeServer } from '../unit/smtp/fixture.ts';

const programs: Record<string, ServiceProgram> = { ...registered, smtp: smtpProgram };
const REFUSED = 'host 127.0.0.1[127.0.0.1] refused to talk to me: 554 5.7.1 go away';
const RELAY = 'relay=127.0.0.1[127.0.0.1]:10041';

/** smtp and qmgr lines about delivery (and their warnings), the delays left out. */
async function deliveryLines(host: PipelineHost): Promise<string[]> {
  return (await host.maillog())
    .map((line) => /postfix\/(smtp|qmgr)\[\d+\]: (.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && /to=<|warning: /.test(match[2] ?? ''))
    .map((match) => `${match[1]}: ${(match[2] ?? '').replace(/delay=[\d.]+, delays=[\d./]+, /, '')}`);
}

/** Two messages for one destination, one at a time (initial_destination_concurrency = 1),
 *  to a server that greets with 554. */
async function twoMessages(softBounce: boolean): Promise<{ host: PipelineHost; server: FakeServer; first: string; second: string }> {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}soft_bounce = ${softBounce ? 'yes' : 'no'}\nsmtp_skip_5xx_greeting = no
initial_destination_concurrency = 1\ntransport_maps = texthash:/etc/postfix/transport\n`,
    files: { '/etc/postfix/transport': 'a.test smtp:[127.0.0.1]:10041\nb.test smtp:[127.0.0.1]:10041\n' },
  });
  const server = await startFakeServer(host.platform, '127.0.0.1', 10041, { greeting: '554 5.7.1 go away' });
  const first = await submitToCleanup(host, 'bob@example.test', ['user@a.test'], 'Subject: one\n\nbody\n', 0);
  const second = await submitToCleanup(host, 'bob@example.test', ['user@b.test'], 'Subject: two\n\nbody\n', 0);
  await host.run({ forMs: 20_000 });
  return { host, server, first, second };
}

test('soft_bounce = yes: a 554 greeting at the final server is SOFTBOUNCE and suspends the destination for the next message', async () => {
  const { host, server, first, second } = await twoMessages(true);
  const lines = await deliveryLines(host);
  const smtpLine = lines.find((line) => line.startsWith('smtp: '));
  assert.ok(smtpLine !== undefined, lines.join('\n'));
  const tried = smtpLine.includes(`${first}: `) ? first : second;
  const suspended = tried === first ? second : first;
  const address = (id: string): string => (id === first ? 'user@a.test' : 'user@b.test');
  assert.deepEqual(lines, [
    `smtp: ${tried}: to=<${address(tried)}>, ${RELAY}, dsn=4.7.1, status=SOFTBOUNCE (${REFUSED})`,
    'qmgr: warning: defer_append: ignoring dsn code "5.7.1"',
    `qmgr: ${suspended}: to=<${address(suspended)}>, relay=none, dsn=4.0.0, status=deferred (delivery temporarily suspended: ${REFUSED})`,
  ]);
  assert.equal(server.sessions.length, 1, 'one connection: the second message was not tried');
  assert.deepEqual((await host.queueFiles('deferred')).sort(), [first, second].sort());
  for (const queue of ['incoming', 'active', 'bounce']) assert.deepEqual(await host.queueFiles(queue), [], queue);
  await host.stop();
});

test('soft_bounce = no: the same greeting bounces each message and suspends nothing', async () => {
  const { host, server, first, second } = await twoMessages(false);
  const lines = (await deliveryLines(host)).sort();
  assert.deepEqual(lines, [
    `smtp: ${first}: to=<user@a.test>, ${RELAY}, dsn=5.7.1, status=bounced (${REFUSED})`,
    `smtp: ${second}: to=<user@b.test>, ${RELAY}, dsn=5.7.1, status=bounced (${REFUSED})`,
  ].sort());
  assert.equal(server.sessions.length, 2);
  assert.deepEqual(await host.queueFiles('deferred'), []);
  await host.stop();
});
