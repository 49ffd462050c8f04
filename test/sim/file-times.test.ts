// File times in a booted world come from the world's clock: the queue directories master
// makes, the maillog, a queue file. (A world's fault controls once put a clockless file
// system under every host, so every file written after boot said 1970, and directories
// memfs made carried the wall clock: `ls -l` differed from run to run.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootWorld } from '../../engine/sim/world.ts';
import { loadScenarioFromDisk } from '../../scenarios/load-from-disk.ts';

test('files a booted host writes are dated by the simulated clock', async () => {
  const world = await bootWorld(await loadScenarioFromDisk('two-hosts'));
  await world.fastForward(10_000, { eventsMax: 20_000 });
  const host = world.host('b.example.test');
  assert.ok(host, 'b.example.test');
  const fs = host.platform.fs;
  const bootMs = world.loaded.bootMs;
  const nowMs = world.nowMs();
  for (const path of ['/var/spool/postfix/deferred', '/var/spool/postfix/public', '/var/spool/postfix/public/pickup', '/var/log/maillog']) {
    const { mtimeMs } = await fs.stat(path);
    assert.ok(mtimeMs >= bootMs && mtimeMs <= nowMs, `SEED=${world.seed} scenario=two-hosts: ${path} mtime ${new Date(mtimeMs).toISOString()} is not in the world's time`);
  }
});
