// qmgr with fake agents: incoming -> active -> delivered -> removed, the log shapes,
// recipient limits, concurrency windows, the active limit, defer_transports, missing
// agents, resolver failures, double-bounce discards and bounce flushes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestHost, queueMessage, messageInput, exists, START_SECONDS } from './fakes.ts';

test('a message in incoming is moved to active, delivered and removed, with Postfix log order', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'A1B2C3D4E5', messageInput({ recipients: ['bob@example.com'] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.deepEqual(host.log(), [
    'A1B2C3D4E5: incoming -> active',
    'A1B2C3D4E5: from=<alice@example.com>, size=23, nrcpt=1 (queue active)',
    'A1B2C3D4E5: local:example.com bob@example.com',
    'A1B2C3D4E5: removed',
  ]);
  assert.equal(await exists(host, 'active', 'A1B2C3D4E5'), false);
  assert.equal(host.warnings.length, 0);
  const request = host.agents.get('local')?.requests[0];
  assert.equal(request?.queuePath, 'active/A1B2C3D4E5');
  assert.equal(request?.activeSinceMs, START_SECONDS * 1000);
  assert.deepEqual(request?.arrivalTime, { seconds: START_SECONDS, microseconds: 5 });
  assert.equal(request?.messageSize, 23);
  assert.ok((request?.contentOffset ?? 0) > 0);
  assert.equal(request?.recipients[0]?.originalRecipient, 'bob@example.com');
});

test('a wake-up trigger feeds a message that arrives later', async () => {
  const host = await createTestHost();
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000 + 10);
  await queueMessage(host, 'incoming', 'B1', messageInput({ recipients: ['bob@example.com'] }));
  host.manager.wake('scan-incoming');
  await host.manager.whenIdle();
  assert.ok(host.log().includes('B1: removed'));
});

test('a file still being written (no owner execute bit) is left alone', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'C1', messageInput({ recipients: ['bob@example.com'] }), 0o600);
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.equal(await exists(host, 'incoming', 'C1'), true);
  assert.deepEqual(host.log(), []);
});

test('local takes one recipient per delivery, smtp up to its recipient limit, sorted by domain', async () => {
  const host = await createTestHost({ settings: { recipientLimit: (transport) => (transport === 'local' ? 1 : 2) } });
  await queueMessage(host, 'incoming', 'D1', messageInput({
    recipients: ['carol@example.com', 'x@b.test', 'bob@example.com', 'y@a.test', 'z@b.test', 'w@b.test'],
  }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  const local = host.agents.get('local')?.requests.map((request) => request.recipients.map((r) => r.address).join(','));
  const smtp = host.agents.get('smtp')?.requests.map((request) => `${request.nexthop}:${request.recipients.map((r) => r.address).join(',')}`);
  assert.deepEqual(local, ['bob@example.com', 'carol@example.com']);
  assert.deepEqual(smtp, ['a.test:y@a.test', 'b.test:w@b.test,x@b.test', 'b.test:z@b.test']);
  assert.ok(host.log().includes('D1: removed'));
});

test('the concurrency window starts at initial_destination_concurrency and stays under the limit', async () => {
  const host = await createTestHost({ deliveryMs: 1000, settings: { initialConcurrency: 3, concurrencyLimit: () => 20 } });
  for (let index = 0; index < 12; index++) await queueMessage(host, 'incoming', `E${index}`, messageInput({ recipients: [`u${index}@remote.test`] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000 + 500);
  const smtp = host.agents.get('smtp');
  assert.equal(smtp?.concurrentMax, 3, 'the first cohort is initial_destination_concurrency wide');
  await host.runUntil(START_SECONDS * 1000 + 60_000);
  assert.equal(smtp?.requests.length, 12);
  assert.equal(smtp?.concurrentMax, 5, 'each cohort of successes widens the window by one: 3, 4, then 5');
  assert.equal(host.log().filter((line) => line.endsWith('removed')).length, 12);

  const limited = await createTestHost({ deliveryMs: 1000, settings: { initialConcurrency: 5, concurrencyLimit: () => 2 } });
  for (let index = 0; index < 6; index++) await queueMessage(limited, 'incoming', `F${index}`, messageInput({ recipients: [`u${index}@remote.test`] }));
  await limited.manager.start();
  await limited.runUntil(START_SECONDS * 1000 + 60_000);
  assert.equal(limited.agents.get('smtp')?.requests.length, 6);
  assert.equal(limited.agents.get('smtp')?.concurrentMax, 2, 'the initial window is cut to the limit, and feedback never grows it past');
});

test('different destinations each get their own window', async () => {
  const host = await createTestHost({ deliveryMs: 1000, settings: { initialConcurrency: 1 } });
  for (let index = 0; index < 4; index++) await queueMessage(host, 'incoming', `G${index}`, messageInput({ recipients: [`u@d${index % 2}.test`] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000 + 500);
  assert.equal(host.agents.get('smtp')?.concurrentMax, 2);
  await host.runUntil(START_SECONDS * 1000 + 60_000);
  assert.equal(host.agents.get('smtp')?.requests.length, 4);
});

test('qmgr_message_active_limit bounds the messages in the active queue', async () => {
  const host = await createTestHost({ deliveryMs: 1000, settings: { activeMessagesMax: 2 } });
  for (let index = 0; index < 5; index++) await queueMessage(host, 'incoming', `H${index}`, messageInput({ recipients: [`u${index}@remote.test`] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000 + 500);
  assert.equal(host.manager.activeCount, 2);
  assert.equal(host.log().filter((line) => line.endsWith('(queue active)')).length, 2);
  await host.runUntil(START_SECONDS * 1000 + 60_000);
  assert.equal(host.log().filter((line) => line.endsWith('removed')).length, 5);
});

test('defer_transports defers with "deferred transport"; a flush delivers it', async () => {
  const host = await createTestHost({ settings: { deferTransports: ['smtp'] } });
  await queueMessage(host, 'incoming', 'J1', messageInput({ recipients: ['far@remote.test'] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.deepEqual(host.outcomes.map((o) => `${o.kind} ${o.dsn} ${o.reason} ${o.transport}`), ['deferred 4.3.2 deferred transport retry']);
  assert.equal(await exists(host, 'deferred', 'J1'), true);
  assert.equal(host.agents.get('smtp')?.requests.length, 0);
  host.manager.wake('flush-deferred');
  await host.manager.whenIdle();
  assert.equal(host.agents.get('smtp')?.requests.length, 1);
  assert.equal(await exists(host, 'deferred', 'J1'), false);
  assert.ok(host.log().includes('J1: removed'));
});

test('a transport without an agent defers with "mail transport unavailable"', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'K1', messageInput({ recipients: ['who@nowhere.test', 'bob@example.com'] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.deepEqual(host.outcomes.map((o) => `${o.recipient} ${o.kind} ${o.dsn} ${o.reason}`), [
    'bob@example.com sent 2.0.0 sent',
    'who@nowhere.test deferred 4.3.0 mail transport unavailable',
  ]);
  assert.equal(await exists(host, 'deferred', 'K1'), true);
});

test('a resolver failure defers with "address resolver failure"', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'L1', messageInput({ recipients: ['resolverfail@remote.test'] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.deepEqual(host.outcomes.map((o) => `${o.kind} ${o.dsn} ${o.reason}`), ['deferred 4.3.0 address resolver failure']);
  assert.equal(await exists(host, 'deferred', 'L1'), true);
});

test('mail to the double-bounce address is discarded as Postfix does', async () => {
  const host = await createTestHost();
  await queueMessage(host, 'incoming', 'M1', messageInput({ sender: '', recipients: ['double-bounce@example.com'] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.deepEqual(host.outcomes.map((o) => `${o.kind} ${o.dsn} ${o.reason}`), ['sent 2.0.0 undeliverable postmaster notification discarded']);
  assert.equal(host.agents.get('local')?.requests.length, 0);
  assert.ok(host.log().includes('M1: removed'));
});

test('a bounced recipient makes qmgr flush the bounce log before removing the file', async () => {
  const host = await createTestHost({ behaviour: (request, recipient) => (recipient.address.startsWith('nosuch') ? { kind: 'bounced', dsn: '5.1.1', reason: 'unknown user' } : { kind: 'sent' }) });
  await queueMessage(host, 'incoming', 'N1', messageInput({ recipients: ['nosuch@example.com', 'bob@example.com'] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.deepEqual(host.bounceCalls, ['bounce N1']);
  assert.ok(host.log().includes('N1: removed'));
  assert.equal(await exists(host, 'bounce', 'N1'), false);
});

test('an agent that throws leaves its recipients for a later attempt', async () => {
  const host = await createTestHost();
  const local = host.agents.get('local');
  if (local) local.deliver = () => Promise.reject(new Error('agent crashed'));
  await queueMessage(host, 'incoming', 'P1', messageInput({ recipients: ['bob@example.com'] }));
  await host.manager.start();
  await host.runUntil(START_SECONDS * 1000);
  assert.equal(await exists(host, 'deferred', 'P1'), true);
  assert.ok(host.warnings.some((warning) => warning.startsWith('transport local failure')));
});
