// anvil's process on a sim host, as Postfix 3.7.11's (checked on a private instance with
// mynetworks = 127.0.0.1/32, clients from 127.0.0.2, max_idle = 2s, anvil_rate_time_unit
// = 4s, ipc_idle = 1s): with smtpd_client_connection_rate_limit = 2 three quick sessions
// got 220, 220, 421; anvil logged "statistics: max connection rate 3/4s ...", "max
// connection count 1", "max cache size 1" about 5-6 s after the last session (ipc_idle,
// then max(max_idle, anvil_rate_time_unit) without clients) and exited; 8 s later two
// sessions got 220 from a new anvil (new pid, its main.cf warning logged again). With
// anvil_status_update_time = 3s and a session every 2 s, one anvil pid logged three
// periodic dumps (3, 6 and 9 s after its start) and nothing at its exit (nothing new).
// Simulated time here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, type PipelineHost } from './harness.ts';
import { ChatClient } from '../unit/smtpd/chat.ts';

const LIMITS = 'mynetworks = 127.0.0.1/32\nmax_idle = 2s\nanvil_rate_time_unit = 4s\nipc_idle = 1s\n';

async function session(host: PipelineHost): Promise<string> {
  const client = await ChatClient.connect(host, '127.0.0.2', 25);
  const [first = ''] = await client.reply();
  if (first.startsWith('220')) {
    client.send(new TextEncoder().encode('QUIT\r\n'));
    await client.reply();
  }
  client.close();
  // Not host.run(): that would go on through anvil's timers until all is quiet.
  await host.run({ forMs: 50 });
  return first.replace(/^(\d{3}) (\d\.\d\.\d )?\S+ /, '$1 $2HOST ');
}

/** A maillog line's time of day in seconds ("Dec 01 04:32:17 ..."). */
function logSeconds(line: string): number {
  const [hours = 0, minutes = 0, seconds = 0] = line.slice(7, 15).split(':').map(Number);
  return hours * 3600 + minutes * 60 + seconds;
}

function anvilLines(lines: readonly string[]): { pid: string; text: string }[] {
  return lines.flatMap((line) => {
    const found = /\/anvil\[(\d+)\]: (.*)$/.exec(line);
    return found === null ? [] : [{ pid: found[1]!, text: found[2]! }];
  });
}

test('anvil exits after max(max_idle, anvil_rate_time_unit) without clients, logs its statistics, and the next one starts empty', async () => {
  const host = await createPipelineHost({ mainCf: `${DEFAULT_MAIN_CF}${LIMITS}smtpd_client_connection_rate_limit = 2\n` });
  const replies = [await session(host), await session(host), await session(host)];
  await host.run({ forMs: 8000 });
  replies.push(await session(host), await session(host));
  await host.run({ forMs: 1000 });
  assert.deepEqual(replies, ['220 HOST ESMTP Postfix', '220 HOST ESMTP Postfix', '421 4.7.0 HOST Error: too many connections from 127.0.0.2',
    '220 HOST ESMTP Postfix', '220 HOST ESMTP Postfix']);
  const lines = await host.maillog();
  const anvil = anvilLines(lines);
  const statistics = anvil.filter((line) => line.text.startsWith('statistics:'));
  assert.deepEqual(statistics.map((line) => line.text.replace(/ at .*$/, '')), [
    'statistics: max connection rate 3/4s for (smtp:127.0.0.2)',
    'statistics: max connection count 1 for (smtp:127.0.0.2)',
    'statistics: max cache size 1',
  ], lines.join('\n'));
  // Logged when the process exited: ipc_idle (1s) after the last disconnect, then 4s.
  const exitLine = lines.find((line) => line.includes('statistics: max cache size'))!;
  const lastDisconnect = lines.filter((line) => line.includes('smtpd[') && line.includes('disconnect from'))[2]!;
  const secondsAfter = (logSeconds(exitLine) - logSeconds(lastDisconnect));
  assert.ok(secondsAfter >= 5 && secondsAfter <= 6, `exit dump ${secondsAfter}s after the last session`);
  const warnings = anvil.filter((line) => line.text.includes('overriding earlier entry: mynetworks'));
  assert.equal(warnings.length, 2, 'each anvil process reads main.cf');
  assert.equal(warnings[0]!.pid, statistics[0]!.pid);
  assert.notEqual(warnings[1]!.pid, warnings[0]!.pid, 'the next client gets a new anvil process');
  assert.ok(lines.indexOf(lines.find((line) => line.includes(`anvil[${warnings[1]!.pid}]`))!) > lines.indexOf(exitLine));
  await host.stop();
});

test('anvil_status_update_time dumps belong to the process: from its start, none after it exits', async () => {
  const host = await createPipelineHost({ mainCf: `${DEFAULT_MAIN_CF}${LIMITS}anvil_status_update_time = 3s\nsmtpd_client_connection_rate_limit = 100\n` });
  const startMs = host.platform.clock.nowMs();
  for (let round = 0; round < 5; round += 1) {
    await host.run({ forMs: startMs + round * 2000 - host.platform.clock.nowMs() });
    assert.equal(await session(host), '220 HOST ESMTP Postfix');
  }
  await host.run({ forMs: 20_000 });
  const anvil = anvilLines(await host.maillog());
  const rates = anvil.filter((line) => line.text.startsWith('statistics: max connection rate'));
  assert.deepEqual(rates.map((line) => line.text.replace(/ for .*$/, '')), [
    'statistics: max connection rate 2/4s', 'statistics: max connection rate 3/4s', 'statistics: max connection rate 2/4s',
  ]);
  assert.equal(new Set(anvil.map((line) => line.pid)).size, 1, 'one anvil process throughout');
  assert.equal(anvil.filter((line) => line.text.startsWith('statistics: max cache size')).length, 1);
  await host.stop();
});
