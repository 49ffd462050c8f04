// File times and owners in a booted world. Times come from the world's clock: the queue
// directories master makes, the maillog, a socket file. (A world's fault controls once put
// a clockless file system under every host, so every file written after boot said 1970,
// and directories memfs made carried the wall clock: `ls -l` differed from run to run.)
// The queue directories belong to $mail_owner (maildrop and public with $setgid_group, pid
// to root), as Postfix's post-install create-missing makes them.

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
  // postlogd's logwriter creates maillog_file -rw-r--r--.
  assert.equal((await fs.stat('/var/log/maillog')).mode & 0o7777, 0o644);
});

test('master makes the queue directories with the owners post-install gives them', async () => {
  const world = await bootWorld(await loadScenarioFromDisk('two-hosts'));
  await world.fastForward(1_000, { eventsMax: 5_000 });
  const host = world.host('a.example.test');
  assert.ok(host, 'a.example.test');
  const owners: Record<string, string> = {};
  for (const name of ['active', 'deferred', 'incoming', 'private', 'maildrop', 'public', 'pid']) {
    const { uid, gid } = await host.platform.fs.stat(`/var/spool/postfix/${name}`);
    owners[name] = `${uid}:${gid}`;
  }
  const passwd = new TextDecoder().decode(await host.platform.fs.readFile('/etc/passwd'));
  const group = new TextDecoder().decode(await host.platform.fs.readFile('/etc/group'));
  const postfixUid = /^postfix:[^:]*:(\d+):/m.exec(passwd)?.[1];
  const postdropGid = /^postdrop:[^:]*:(\d+):/m.exec(group)?.[1];
  assert.ok(postfixUid !== undefined && postdropGid !== undefined, 'the scenario host has postfix and postdrop');
  assert.deepEqual(owners, {
    active: `${postfixUid}:0`, deferred: `${postfixUid}:0`, incoming: `${postfixUid}:0`, private: `${postfixUid}:0`,
    maildrop: `${postfixUid}:${postdropGid}`, public: `${postfixUid}:${postdropGid}`, pid: '0:0',
  });
});
