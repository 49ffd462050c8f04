// Unit tests for engine/global/passwd.ts: getpwnam/getpwuid/getgrnam-style lookups over a sim
// host's /etc/passwd and /etc/group, with malformed lines skipped and a missing file empty.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import {
  readPasswd, lookupUser, lookupUid, readGroups, lookupGroup, lookupGid, userGroupIds,
} from '../../../engine/global/passwd.ts';

async function platformWith(passwd?: string, group?: string) {
  const platform = createSimPlatform({ hostName: 'h.test', seed: 1 });
  await platform.fs.mkdir('/etc', { recursive: true });
  if (passwd !== undefined) await platform.fs.writeFile('/etc/passwd', passwd);
  if (group !== undefined) await platform.fs.writeFile('/etc/group', group);
  return platform;
}

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  '# a comment',
  'broken line',
  'bad:x:notanumber:1:x:/home/bad:/bin/sh',
  'bob:x:1002:1002:Bob Builder,,,:/home/bob:/bin/bash',
  'bob:x:1003:1003:second bob:/home/bob2:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  '',
].join('\n');

test('readPasswd keeps well-formed entries in file order', async () => {
  const platform = await platformWith(PASSWD);
  const entries = await readPasswd(platform.fs);
  assert.deepEqual(entries.map((entry) => entry.name), ['root', 'bob', 'bob', 'nobody']);
  assert.deepEqual(entries[1], {
    name: 'bob', uid: 1002, gid: 1002, gecos: 'Bob Builder,,,', home: '/home/bob', shell: '/bin/bash',
  });
});

test('lookupUser and lookupUid return the first match, as getpwnam/getpwuid', async () => {
  const platform = await platformWith(PASSWD);
  assert.equal((await lookupUser(platform.fs, 'bob'))?.uid, 1002);
  assert.equal((await lookupUid(platform.fs, 1003))?.home, '/home/bob2');
  assert.equal((await lookupUid(platform.fs, 0))?.name, 'root');
  assert.equal(await lookupUser(platform.fs, 'bad'), undefined);
  assert.equal(await lookupUser(platform.fs, 'alice'), undefined);
  assert.equal(await lookupUid(platform.fs, 4242), undefined);
});

test('a missing /etc/passwd is an empty database', async () => {
  const platform = await platformWith();
  assert.deepEqual(await readPasswd(platform.fs), []);
  assert.equal(await lookupUser(platform.fs, 'root'), undefined);
});

test('groups: names, gids, member lists and a user\'s supplementary groups', async () => {
  const platform = await platformWith(PASSWD, 'root:x:0:\nmail:x:8:bob,root\nstaff:x:50:\nbob:x:1002:\nodd:x:\n');
  const groups = await readGroups(platform.fs);
  assert.deepEqual(groups.map((group) => group.name), ['root', 'mail', 'staff', 'bob']);
  assert.deepEqual((await lookupGroup(platform.fs, 'mail'))?.members, ['bob', 'root']);
  assert.equal((await lookupGid(platform.fs, 50))?.name, 'staff');
  const bob = await lookupUser(platform.fs, 'bob');
  assert.ok(bob);
  assert.deepEqual(await userGroupIds(platform.fs, bob), [1002, 8]);
});
