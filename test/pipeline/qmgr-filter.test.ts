// qmgr's content_filter and redirect_to handling in a running sim host: a message whose
// queue file holds a content_filter record goes, all recipients at once and unresolved,
// to the filter's transport:nexthop (here the Postfix "after-queue filter" loop: smtp to a
// second smtpd on 127.0.0.1:10026 that queues it again without the filter, then local
// delivery); a filter without nexthop uses default_filter_nexthop (seen through discard's
// reason text); a redirect_to record delivers the message once, to the redirect address
// with orig_to= the first recipient, and no one else gets it. The FILTER/REDIRECT records
// are written by cleanup as smtpd's access actions ask (CleanupStream.setActions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, DEFAULT_MASTER_CF, type PipelineHost } from './harness.ts';
import type { CleanupActions } from '../../engine/master/contracts.ts';
import type { TraceEvent } from '../../engine/global/trace.ts';

const REINJECT_MASTER_CF = `${DEFAULT_MASTER_CF}127.0.0.1:10026 inet n - n - - smtpd
  -o content_filter=
  -o myhostname=filter.example.test
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
`;

/** Maillog lines without the "Mon DD HH:MM:SS host " prefix and with pids as [PID]. */
async function shapes(host: PipelineHost): Promise<string[]> {
  return (await host.maillog()).map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, '').replace(/\[\d+\]/, '[PID]'));
}

async function submitWithActions(host: PipelineHost, recipients: string[], actions: CleanupActions): Promise<string> {
  const runtime = host.runtime;
  assert.ok(runtime);
  const stream = await runtime.cleanup().open({ service: 'pickup', rewriteContext: 'local', uid: 1001 });
  stream.setSender('bob@example.test');
  for (const address of recipients) stream.addRecipient({ address });
  assert.ok(stream.setActions, 'cleanup takes access actions');
  stream.setActions(actions);
  stream.addContent(new TextEncoder().encode('Subject: filtered\n\nthe body\n'));
  const result = await stream.finish();
  assert.equal(result.status, 0, result.reason);
  return result.queueId;
}

function requestsOf(host: PipelineHost, queueId: string): Array<Extract<TraceEvent, { kind: 'delivery.request' }>> {
  return host.events.filter((event): event is Extract<TraceEvent, { kind: 'delivery.request' }> =>
    event.kind === 'delivery.request' && event.queueId === queueId);
}

test('FILTER smtp:[127.0.0.1]:10026: qmgr hands every recipient to the filter, which queues it again for local delivery', async () => {
  const host = await createPipelineHost({ masterCf: REINJECT_MASTER_CF });
  const id = await submitWithActions(host, ['alice@example.test', 'carol@example.test'], { filter: 'smtp:[127.0.0.1]:10026' });
  await host.run();
  const requests = requestsOf(host, id);
  assert.deepEqual(requests.map((event) => `${event.transport} ${event.nexthop} ${event.recipients.join(',')}`),
    ['smtp [127.0.0.1]:10026 alice@example.test,carol@example.test']);
  const lines = await shapes(host);
  const sent = lines.filter((line) => line.startsWith(`postfix/smtp[PID]: ${id}: to=<`));
  assert.equal(sent.length, 2, lines.join('\n'));
  const requeued = /status=sent \(250 2\.0\.0 Ok: queued as (\w+)\)$/.exec(sent[0] ?? '')?.[1];
  assert.ok(requeued !== undefined, lines.join('\n'));
  assert.match(sent[0] ?? '', /relay=127\.0\.0\.1\[127\.0\.0\.1\]:10026, /);
  assert.ok(lines.includes(`postfix/qmgr[PID]: ${id}: removed`), lines.join('\n'));
  // The re-injected copy has no filter record: it is resolved and delivered locally.
  assert.deepEqual(requestsOf(host, requeued).map((event) => event.transport), ['local', 'local']);
  for (const user of ['alice', 'carol']) {
    assert.ok(lines.some((line) => line.startsWith(`postfix/local[PID]: ${requeued}: to=<${user}@example.test>, relay=local, `)
      && line.endsWith('status=sent (delivered to mailbox)')), lines.join('\n'));
    const mailbox = await host.readFile(`/var/mail/${user}`);
    assert.equal(mailbox.split('\nthe body\n').length - 1, 1, mailbox);
  }
  await host.stop();
});

test('FILTER discard (no nexthop): default_filter_nexthop becomes the nexthop, here discard\'s reason', async () => {
  const host = await createPipelineHost({ mainCf: `${DEFAULT_MAIN_CF}default_filter_nexthop = held for review\n` });
  const id = await submitWithActions(host, ['alice@example.test'], { filter: 'discard' });
  await host.run();
  assert.deepEqual(requestsOf(host, id).map((event) => `${event.transport}:${event.nexthop}`), ['discard:held for review']);
  const lines = await shapes(host);
  assert.ok(lines.some((line) => /^postfix\/discard\[PID\]: \w+: to=<alice@example\.test>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=2\.0\.0, status=sent \(held for review\)$/.test(line)), lines.join('\n'));
  assert.equal(await host.exists('/var/mail/alice'), false);
  await host.stop();
});

test('REDIRECT carol@example.test: one delivery to carol with orig_to=<alice@...>; alice and bob get nothing', async () => {
  const host = await createPipelineHost();
  const id = await submitWithActions(host, ['bob@example.test', 'alice@example.test'], { redirect: 'carol@example.test' });
  await host.run();
  assert.deepEqual(requestsOf(host, id).map((event) => `${event.transport} ${event.recipients.join(',')}`), ['local carol@example.test']);
  const lines = (await shapes(host)).filter((line) => line.includes(`${id}:`));
  const qmgr = lines.filter((line) => line.startsWith('postfix/qmgr'));
  assert.match(qmgr[0] ?? '', /from=<bob@example\.test>, size=\d+, nrcpt=2 \(queue active\)$/);
  assert.ok(lines.some((line) => line.startsWith(`postfix/local[PID]: ${id}: to=<carol@example.test>, orig_to=<alice@example.test>, relay=local, `)
    && line.endsWith('status=sent (delivered to mailbox)')), lines.join('\n'));
  assert.equal(lines.filter((line) => line.includes(' to=<')).length, 1, lines.join('\n'));
  assert.equal(qmgr.at(-1), `postfix/qmgr[PID]: ${id}: removed`);
  assert.match(await host.readFile('/var/mail/carol'), /\nthe body\n/);
  assert.equal(await host.exists('/var/mail/alice'), false);
  assert.equal(await host.exists('/var/mail/bob'), false);
  await host.stop();
});
