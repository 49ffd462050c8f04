// engine/sim/world.ts: booting the single-host scenario starts Postfix (as `postfix start`
// would, with its maillog lines), and runDue fires only what is due, bounded in events,
// with the clock following the caller's target; a second call waits for the first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as macrotask } from 'node:timers/promises';
import { createScenarioHosts } from '../../../engine/sim/scenario.ts';
import { bootWorld } from '../../../engine/sim/world.ts';
import { runningHost } from '../../../engine/master/index.ts';
import { readScenarioTexts } from '../../../scenarios/load-from-disk.ts';

async function boot() {
  const loaded = await createScenarioHosts('single-host', readScenarioTexts('single-host'), { settle: () => macrotask() });
  return { loaded, world: await bootWorld(loaded) };
}

test('bootWorld runs postfix start on the scenario host; master runs and logs', async () => {
  const { loaded, world } = await boot();
  assert.deepEqual(world.boot.map((report) => [report.host, report.exitCode]), [['mail.example.test', 0]]);
  const host = loaded.hosts[0]!.host;
  assert.ok(runningHost(host) !== undefined, 'a master runs for /etc/postfix');
  await world.runDue(world.nowMs() + 1000);
  const log = new TextDecoder().decode(await host.platform.fs.readFile('/var/log/maillog'));
  assert.match(log, /postfix\/postfix-script\[\d+\]: starting the Postfix mail system\n/);
  assert.match(log, /postfix\/master\[\d+\]: daemon started -- version 3\.7\.11, configuration \/etc\/postfix\n/);
});

test('runDue fires what is due, stops at eventsMax, and moves the clock to the target', async () => {
  const { world, loaded } = await boot();
  const start = world.nowMs();
  const fired: number[] = [];
  for (let index = 0; index < 5; index++) loaded.scheduler.after(100, () => fired.push(index));
  loaded.scheduler.after(10_000, () => fired.push(99));
  // Services' own start-up events are due at once; drain them first.
  await world.runDue(start, 1000);
  const limited = await world.runDue(start + 200, 2);
  assert.equal(limited.reason, 'limit');
  assert.equal(world.nowMs(), start + 100, 'a world that falls behind stays at its last event');
  const rest = await world.runDue(start + 200);
  assert.equal(rest.reason, 'until');
  assert.deepEqual(fired, [0, 1, 2, 3, 4]);
  assert.equal(world.nowMs(), start + 200);
  assert.equal(world.nextEventMs() !== undefined && world.nextEventMs()! > start + 200, true);
  // Two calls at once run one after the other.
  const [first, second] = await Promise.all([world.runDue(start + 5_000), world.runDue(start + 20_000)]);
  assert.equal(first.nowMs, start + 5_000);
  assert.equal(second.nowMs, start + 20_000);
  assert.deepEqual(fired, [0, 1, 2, 3, 4, 99]);
});
