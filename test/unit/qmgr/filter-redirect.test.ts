// qmgr with fake agents: a content_filter record (REC_TYPE_FILT) sends every recipient to
// the filter's transport:nexthop without resolving it (default_filter_nexthop, the
// recipient's domain, myhostname when the filter has no nexthop); a redirect_to record
// (REC_TYPE_RDR) delivers to the redirect address once, in place of the first recipient in
// sorted order, and drops the rest; redirect wins over a filter; verification probes
// (sendmail -bv) bypass the filter. As qmgr_message_resolve in Postfix 3.7.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestHost, queueMessage, messageInput, exists, START_SECONDS, type TestHost } from './fakes.ts';
import { RecordType } from '../../../engine/global/queue/record.ts';
import type { EnvelopeEntry, QueueFileInput } from '../../../engine/global/queue/queue-file.ts';
import { filterRoute } from '../../../engine/qmgr/assign.ts';
import { defaultQmgrSettings } from '../../../engine/qmgr/settings.ts';
import { TraceFlag } from '../../../engine/qmgr/message.ts';

function withRecords(input: QueueFileInput, records: { filter?: string[]; redirect?: string[] }, envelope: EnvelopeEntry[] = []): QueueFileInput {
  const extracted: EnvelopeEntry[] = [];
  for (const value of records.filter ?? []) extracted.push({ kind: 'record', type: RecordType.contentFilter, value });
  for (const value of records.redirect ?? []) extracted.push({ kind: 'record', type: RecordType.redirect, value });
  return { ...input, envelope: [...input.envelope, ...envelope], extracted };
}

/** transport:nexthop recipients, per request, over all agents. */
function requests(host: TestHost): string[] {
  const lines: string[] = [];
  for (const [transport, agent] of host.agents) {
    for (const request of agent.requests) {
      lines.push(`${transport}:${request.nexthop} ${request.recipients.map((recipient) => `${recipient.address}<${recipient.originalRecipient}`).join(',')}`);
    }
  }
  return lines.sort();
}

async function deliverOne(host: TestHost, id: string, input: QueueFileInput): Promise<void> {
  await queueMessage(host, 'incoming', id, input);
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
}

test('filterRoute: transport:nexthop; no nexthop -> default_filter_nexthop, else the domain, else myhostname', () => {
  const settings = defaultQmgrSettings({ myHostname: 'mail.example.com' });
  assert.deepEqual(filterRoute('smtp:[127.0.0.1]:10025', 'bob@b.test', settings),
    { transport: 'smtp', nexthop: '[127.0.0.1]:10025', address: 'bob@b.test', addressClass: 'default' });
  assert.equal(filterRoute('scan', 'bob@b.test', settings).nexthop, 'b.test');
  assert.equal(filterRoute('scan:', 'bob@b.test', settings).nexthop, 'b.test');
  assert.equal(filterRoute('scan', 'bob', settings).nexthop, 'mail.example.com');
  assert.equal(filterRoute('scan', 'bob@', settings).nexthop, 'mail.example.com');
  assert.equal(filterRoute('scan', 'bob@b.test', { ...settings, defaultFilterNexthop: '[10.0.0.9]:10024' }).nexthop, '[10.0.0.9]:10024');
  assert.equal(filterRoute('scan:x:1', 'bob@b.test', settings).transport, 'scan');
  assert.equal(filterRoute('scan:x:1', 'bob@b.test', settings).nexthop, 'x:1');
});

test('a content filter takes every recipient, local and remote, unresolved, in one request', async () => {
  const host = await createTestHost();
  await deliverOne(host, 'F1', withRecords(messageInput({ recipients: ['bob@example.com', 'x@b.test', 'y@a.test'] }),
    { filter: ['smtp:[127.0.0.1]:10025'] }));
  assert.deepEqual(requests(host), ['smtp:[127.0.0.1]:10025 y@a.test<y@a.test,x@b.test<x@b.test,bob@example.com<bob@example.com']);
  assert.ok(host.log().includes('F1: removed'));
  assert.equal(host.events.filter((event) => event.kind === 'delivery.request').length, 1);
});

test('the last content_filter record wins; without a nexthop each recipient domain is its own destination', async () => {
  const host = await createTestHost();
  await deliverOne(host, 'F2', withRecords(messageInput({ recipients: ['bob@example.com', 'x@b.test'] }),
    { filter: ['local:ignored', 'smtp'] }));
  assert.deepEqual(requests(host), ['smtp:b.test x@b.test<x@b.test', 'smtp:example.com bob@example.com<bob@example.com']);
});

test('default_filter_nexthop is the nexthop of a filter given without one', async () => {
  const host = await createTestHost({ settings: { defaultFilterNexthop: '[127.0.0.1]:10024' } });
  await deliverOne(host, 'F3', withRecords(messageInput({ recipients: ['bob@example.com', 'x@b.test'] }), { filter: ['smtp'] }));
  assert.deepEqual(requests(host), ['smtp:[127.0.0.1]:10024 x@b.test<x@b.test,bob@example.com<bob@example.com']);
});

test('a filter transport in defer_transports is deferred like any other', async () => {
  const host = await createTestHost({ settings: { deferTransports: ['smtp'] } });
  await deliverOne(host, 'F4', withRecords(messageInput({ recipients: ['bob@example.com'] }), { filter: ['smtp:[127.0.0.1]:10025'] }));
  assert.deepEqual(requests(host), []);
  assert.deepEqual(host.outcomes.map((outcome) => `${outcome.kind} ${outcome.dsn} ${outcome.reason}`), ['deferred 4.3.2 deferred transport']);
  assert.equal(await exists(host, 'deferred', 'F4'), true);
});

test('a verification probe (sendmail -bv) bypasses the content filter', async () => {
  const host = await createTestHost();
  await deliverOne(host, 'F5', withRecords(messageInput({ recipients: ['bob@example.com'] }), { filter: ['smtp:[127.0.0.1]:10025'] },
    [{ kind: 'attribute', name: 'trace_flags', value: String(TraceFlag.userVerify) }]));
  assert.deepEqual(requests(host), ['local:example.com bob@example.com<bob@example.com']);
});

test('redirect_to: the first recipient in sorted order goes to the canonical redirect address, the others are dropped', async () => {
  const host = await createTestHost();
  await deliverOne(host, 'R1', withRecords(messageInput({ recipients: ['zed@b.test', 'amy@a.test', 'bob@example.com'] }), { redirect: ['carol'] }));
  assert.deepEqual(requests(host), ['local:example.com carol@example.com<amy@a.test']);
  assert.deepEqual(host.outcomes.map((outcome) => `${outcome.kind} ${outcome.recipient}`), ['sent carol@example.com']);
  assert.ok(host.log().includes('R1: removed'));
  assert.equal(await exists(host, 'active', 'R1'), false);
});

test('redirect_to overrides a content filter; a deferred redirect is retried to the same address', async () => {
  const host = await createTestHost({
    behaviour: (request) => (request.transport === 'smtp' ? { kind: 'deferred', dsn: '4.4.1', reason: 'connection refused' } : { kind: 'sent' }),
  });
  await deliverOne(host, 'R2', withRecords(messageInput({ recipients: ['bob@example.com', 'x@b.test'] }),
    { filter: ['local:example.com'], redirect: ['other@c.test'] }));
  assert.deepEqual(requests(host), ['smtp:c.test other@c.test<x@b.test']);
  assert.equal(await exists(host, 'deferred', 'R2'), true);
  await host.runUntil(START_SECONDS * 1000 + 700_000);
  const again = host.agents.get('smtp')?.requests.map((request) => request.recipients.map((recipient) => recipient.address).join(','));
  assert.ok((again?.length ?? 0) >= 2, String(again));
  assert.ok(again?.every((addresses) => addresses === 'other@c.test'), String(again));
});
