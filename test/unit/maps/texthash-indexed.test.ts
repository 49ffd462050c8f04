// texthash, hash, btree and lmdb tables in the simulation: parsing, case folding,
// duplicates, postmap-built indexes and the stale-index warning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeWorld, fatalText } from './harness.ts';
import { postmapMain } from '../../../engine/admin/postmap.ts';
import { postaliasMain } from '../../../engine/admin/postalias.ts';

const source = '# access\nUser@Example.COM  OK\nuser@example.com  REJECT dup\nmulti   first\n  second\nbadline\n';

test('texthash folds keys, warns about duplicates and bad lines, joins continuation lines', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/access', source);
  const table = await world.open('texthash:/etc/postfix/access');
  assert.equal(await table.lookup('USER@example.com'), 'OK');
  assert.equal(await table.lookup('multi'), 'first  second');
  assert.equal(await table.lookup('badline'), undefined);
  assert.match(world.stderr.text(), /access, line 3: duplicate entry: "user@example.com"/);
  assert.match(world.stderr.text(), /access, line 6: expected format: key whitespace value -- ignoring this line/);
});

test('texthash with folding off keeps case', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/access', 'Key value\n');
  const table = await world.open('texthash:/etc/postfix/access', { foldFixed: false });
  assert.equal(await table.lookup('key'), undefined);
  assert.equal(await table.lookup('Key'), 'value');
});

test('postmap builds hash, btree and lmdb indexes that lookups read', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/access', source);
  for (const type of ['hash', 'btree', 'lmdb']) {
    const built = await world.run(postmapMain, ['postmap', `${type}:access`]);
    assert.equal(built.status, 0);
    const table = await world.open(`${type}:/etc/postfix/access`);
    assert.equal(await table.lookup('user@EXAMPLE.com'), 'OK');
    assert.equal(await table.lookup('nosuch'), undefined);
  }
  const files = await world.host.platform.fs.readdir('/etc/postfix');
  assert.ok(files.includes('access.db') && files.includes('access.lmdb'));
});

test('postmap -s lists btree in byte order and hash in Berkeley DB bucket order', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/access', 'Spammer@Example.NET   REJECT no spam please\nexample.net           OK\n192.168.1             REJECT network block\n');
  await world.run(postmapMain, ['postmap', 'access']);
  const hash = await world.run(postmapMain, ['postmap', '-s', 'hash:access']);
  // The order Postfix 3.7.11 prints (shared/reference commands/postmap-q.txt).
  assert.equal(hash.stdout, '192.168.1\tREJECT network block\nspammer@example.net\tREJECT no spam please\nexample.net\tOK\n');
  await world.run(postmapMain, ['postmap', 'btree:access']);
  const btree = await world.run(postmapMain, ['postmap', '-s', 'btree:access']);
  assert.equal(btree.stdout, '192.168.1\tREJECT network block\nexample.net\tOK\nspammer@example.net\tREJECT no spam please\n');
});

test('an index older than its source gives the Postfix warning, decided from content', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/access', 'a 1\n');
  await world.run(postmapMain, ['postmap', 'access']);
  await world.open('hash:access');
  assert.doesNotMatch(world.stderr.text(), /older than/);
  await world.write('/etc/postfix/access', 'a 2\n');
  const table = await world.open('hash:access');
  assert.match(world.stderr.text(), /warning: database access\.db is older than source file access/);
  assert.equal(await table.lookup('a'), '1');
});

test('a missing index is fatal for commands and a MapError for daemons', async () => {
  const world = await makeWorld();
  const text = await fatalText(world, () => world.open('hash:/nonexistent/map'));
  assert.equal(text, 'open database /nonexistent/map.db: No such file or directory');
  const table = await world.open('hash:/nonexistent/map', undefined, true);
  await assert.rejects(table.lookup('x'), (error: Error & { code?: string }) => error.name === 'MapError' && error.code === 'retry');
  assert.match(world.stderr.text(), /test: error: open database \/nonexistent\/map\.db/);
  assert.match(world.stderr.text(), /hash:\/nonexistent\/map is unavailable\./);
});

test('postmap -i adds entries from stdin; -r replaces duplicates; -w ignores them', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/t', 'a 1\n');
  await world.run(postmapMain, ['postmap', 't']);
  const added = await world.run(postmapMain, ['postmap', '-i', 't'], 'b 2\na 9\n');
  assert.match(added.stderr, /t\.db: duplicate entry: "a"/);
  assert.equal((await world.run(postmapMain, ['postmap', '-q', 'b', 't'])).stdout, '2\n');
  await world.run(postmapMain, ['postmap', '-r', '-i', 't'], 'a 9\n');
  assert.equal((await world.run(postmapMain, ['postmap', '-q', 'a', 't'])).stdout, '9\n');
  const ignored = await world.run(postmapMain, ['postmap', '-w', '-i', 't'], 'a 10\n');
  assert.equal(ignored.stderr, '');
  assert.equal((await world.run(postmapMain, ['postmap', '-q', 'a', 't'])).stdout, '9\n');
});

test('postmap -f keeps key case at build and query', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/t', 'MiXed 1\n');
  await world.run(postmapMain, ['postmap', '-f', 't']);
  assert.equal((await world.run(postmapMain, ['postmap', '-f', '-q', 'MiXed', 't'])).status, 0);
  assert.equal((await world.run(postmapMain, ['postmap', '-f', '-q', 'mixed', 't'])).status, 1);
});

test('postmap and postalias open the source before refusing a type they cannot build, as Postfix 3.7.11', async () => {
  const world = await makeWorld();
  // The real postmap/postalias -c DIR regexp:/missing both say "open ...", and for an
  // existing file "does not support bulk-mode creation".
  const postmapMissing = await world.run(postmapMain, ['postmap', 'regexp:/etc/postfix/missing']);
  assert.equal(postmapMissing.status, 1);
  assert.match(postmapMissing.stderr, /postmap: fatal: open \/etc\/postfix\/missing: No such file or directory/);
  await world.write('/etc/postfix/present', 'a 1\n');
  const postmapPresent = await world.run(postmapMain, ['postmap', 'regexp:/etc/postfix/present']);
  assert.match(postmapPresent.stderr, /postmap: fatal: unsupported dictionary type: regexp does not support bulk-mode creation\./);
  const postaliasMissing = await world.run(postaliasMain, ['postalias', 'regexp:/etc/postfix/missing']);
  assert.match(postaliasMissing.stderr, /postalias: fatal: open \/etc\/postfix\/missing: No such file or directory/);
});
