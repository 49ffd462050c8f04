// anvil's counters directly (a fake clock) and through smtpd on a sim host: connection
// count and rate limits (421 before the greeting, with Postfix's warnings), message and
// recipient rate limits (450), the time unit resetting rates, exemption through
// smtpd_client_event_limit_exceptions ($mynetworks by default), and the statistics lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Anvil } from '../../../engine/anvil/api.ts';
import { SimClient, securityHost, smtpdLines } from '../smtpd-tls/client.ts';

test('Anvil: counts, rates per time unit, forgetting idle clients, statistics', () => {
  let nowMs = 1_700_000_000_000;
  const anvil = new Anvil({ nowMs: () => nowMs }, 60);
  assert.deepEqual(anvil.connect('smtp', '192.0.2.1'), { count: 1, rate: 1 });
  assert.deepEqual(anvil.connect('smtp', '192.0.2.1'), { count: 2, rate: 2 });
  assert.deepEqual(anvil.connect('submission', '192.0.2.1'), { count: 1, rate: 1 });
  assert.equal(anvil.mail('smtp', '192.0.2.1'), 1);
  assert.equal(anvil.mail('smtp', '192.0.2.1'), 2);
  assert.equal(anvil.recipient('smtp', '192.0.2.1'), 1);
  anvil.disconnect('smtp', '192.0.2.1');
  nowMs += 61_000;
  // A new window: rates start again, the count is kept.
  assert.deepEqual(anvil.connect('smtp', '192.0.2.1'), { count: 2, rate: 1 });
  assert.equal(anvil.mail('smtp', '192.0.2.1'), 1);
  const lines = anvil.statistics();
  assert.deepEqual(lines.map((line) => line.replace(/ at .*$/, '')), [
    'statistics: max connection rate 2/60s for (smtp:192.0.2.1)',
    'statistics: max connection count 2 for (smtp:192.0.2.1)',
    'statistics: max message rate 2/60s for (smtp:192.0.2.1)',
    'statistics: max recipient rate 1/60s for (smtp:192.0.2.1)',
    'statistics: max cache size 2',
  ]);
  assert.match(lines[0] ?? '', / at Nov 14 22:13:20$/);
  assert.deepEqual(anvil.statistics(), []);
  anvil.disconnect('smtp', '192.0.2.1');
  anvil.disconnect('smtp', '192.0.2.1');
  nowMs += 60_000;
  assert.deepEqual(anvil.connect('smtp', '192.0.2.1'), { count: 1, rate: 1 });
});

const OUTSIDE = { mynetworks: '192.0.2.0/24' };

test('smtpd_client_connection_count_limit: the second concurrent connection gets 421 before any greeting', async () => {
  const host = await securityHost({ ...OUTSIDE, smtpd_client_connection_count_limit: '1' });
  const first = await SimClient.connect(host);
  assert.match((await first.reply())[0] ?? '', /^220 /);
  const second = await SimClient.connect(host);
  assert.deepEqual(await second.reply(), ['421 4.7.0 mail.example.com Error: too many connections from 127.0.0.1']);
  await first.quit();
  const third = await SimClient.connect(host);
  assert.match((await third.reply())[0] ?? '', /^220 /);
  await third.quit();
  const lines = await smtpdLines(host);
  assert.ok(lines.includes('warning: Connection concurrency limit exceeded: 2 from localhost[127.0.0.1] for service 127.0.0.1:10025'), lines.join('\n'));
  assert.ok(lines.includes('disconnect from localhost[127.0.0.1] commands=0/0'), lines.join('\n'));
  await host.stop();
  const anvil = await smtpdLines(host, 'anvil');
  assert.ok(anvil.some((line) => /^statistics: max connection count 2 for \(127\.0\.0\.1:10025:127\.0\.0\.1\) at \w{3} [ \d]\d \d\d:\d\d:\d\d$/.test(line)), anvil.join('\n'));
});

test('connection rate limit per anvil_rate_time_unit; clients in $mynetworks are exempt', async () => {
  const host = await securityHost({ ...OUTSIDE, smtpd_client_connection_rate_limit: '2', anvil_rate_time_unit: '60s' });
  for (let index = 0; index < 2; index++) {
    const client = await SimClient.connect(host);
    assert.match((await client.reply())[0] ?? '', /^220 /);
    await client.quit();
  }
  const refused = await SimClient.connect(host);
  assert.deepEqual(await refused.reply(), ['421 4.7.0 mail.example.com Error: too many connections from 127.0.0.1']);
  await host.run({ forMs: 61_000 });
  const later = await SimClient.connect(host);
  assert.match((await later.reply())[0] ?? '', /^220 /);
  await later.quit();
  assert.ok((await smtpdLines(host)).includes('warning: Connection rate limit exceeded: 3 from localhost[127.0.0.1] for service 127.0.0.1:10025'));
  await host.stop();

  const inside = await securityHost({ smtpd_client_connection_rate_limit: '1' });
  for (let index = 0; index < 3; index++) {
    const client = await SimClient.connect(inside);
    assert.match((await client.reply())[0] ?? '', /^220 /);
    await client.quit();
  }
  await inside.stop();
});

test('message and recipient rate limits: 450 4.7.1 too much mail / too many recipients', async () => {
  const host = await securityHost({ ...OUTSIDE, smtpd_client_message_rate_limit: '2', smtpd_client_recipient_rate_limit: '3' });
  const client = await SimClient.connect(host);
  await client.reply();
  client.send('EHLO client.example');
  await client.reply();
  assert.equal(await client.command('MAIL FROM:<a@remote.test>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<alice@example.com>'), '250 2.1.5 Ok');
  assert.equal(await client.command('RCPT TO:<bob@example.com>'), '250 2.1.5 Ok');
  assert.equal(await client.command('RCPT TO:<carol@example.com>'), '250 2.1.5 Ok');
  assert.equal(await client.command('RCPT TO:<alice@example.com>'), '450 4.7.1 Error: too many recipients from 127.0.0.1');
  assert.equal(await client.command('RSET'), '250 2.0.0 Ok');
  assert.equal(await client.command('MAIL FROM:<a@remote.test>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RSET'), '250 2.0.0 Ok');
  assert.equal(await client.command('MAIL FROM:<a@remote.test>'), '450 4.7.1 Error: too much mail from 127.0.0.1');
  await client.quit();
  const lines = await smtpdLines(host);
  assert.ok(lines.includes('warning: Recipient address rate limit exceeded: 4 from localhost[127.0.0.1] for service 127.0.0.1:10025'), lines.join('\n'));
  assert.ok(lines.includes('warning: Message delivery request rate limit exceeded: 3 from localhost[127.0.0.1] for service 127.0.0.1:10025'), lines.join('\n'));
  await host.stop();
});
