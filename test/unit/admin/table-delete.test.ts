// postmap -d / postalias -d inside the simulation (no real Postfix needed): deletes from
// hash, btree and lmdb indexes that later lookups and listings no longer see, "-d -" with
// keys on stdin over several tables, the exit status (0 when some table had a key), the
// refusals of read-only types, and the option-order mode conflicts of 3.7.11. The interop
// comparison with the real commands is test/interop/maps-delete.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeWorld } from '../maps/harness.ts';
import { postmapMain } from '../../../engine/admin/postmap.ts';
import { postaliasMain } from '../../../engine/admin/postalias.ts';

const ACCESS = 'Spammer@Example.NET REJECT\nexample.net OK\n10.1 REJECT net\n';

test('postmap -d deletes a folded key from hash, btree and lmdb; a missing key exits 1', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/access', ACCESS);
  for (const type of ['hash', 'btree', 'lmdb']) {
    assert.equal((await world.run(postmapMain, ['postmap', `${type}:access`])).status, 0);
    const deleted = await world.run(postmapMain, ['postmap', '-d', 'SPAMMER@example.net', `${type}:access`]);
    assert.deepEqual(deleted, { stdout: '', stderr: '', status: 0 });
    assert.equal((await world.run(postmapMain, ['postmap', '-q', 'spammer@example.net', `${type}:access`])).status, 1);
    assert.equal((await world.run(postmapMain, ['postmap', '-d', 'spammer@example.net', `${type}:access`])).status, 1);
    const listed = await world.run(postmapMain, ['postmap', '-s', `${type}:access`]);
    assert.deepEqual(listed.stdout.split('\n').filter(Boolean).sort(), ['10.1\tREJECT net', 'example.net\tOK']);
    // The index still matches its source: no "older than source" warning.
    assert.equal(listed.stderr, '');
  }
});

test('postmap -f -d keeps the case; -d - takes keys from stdin over every table', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/access', ACCESS);
  await world.write('/etc/postfix/access2', ACCESS);
  await world.run(postmapMain, ['postmap', 'hash:access', 'btree:access2']);
  assert.equal((await world.run(postmapMain, ['postmap', '-f', '-d', 'EXAMPLE.NET', 'hash:access'])).status, 1);
  const both = await world.run(postmapMain, ['postmap', '-d', '-', 'hash:access', 'btree:access2'], 'example.net\nnone\n');
  assert.equal(both.status, 0);
  for (const table of ['hash:access', 'btree:access2']) {
    assert.equal((await world.run(postmapMain, ['postmap', '-q', 'example.net', table])).status, 1);
  }
  assert.equal((await world.run(postmapMain, ['postmap', '-d', '-', 'hash:access'], 'none\n')).status, 1);
});

test('types that cannot delete say so as Postfix; a missing lmdb table is created', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/access', ACCESS);
  const fatal = async (argv: string[]): Promise<string> => {
    const result = await world.run(postmapMain, argv);
    assert.equal(result.status, 1);
    return result.stderr;
  };
  assert.equal(await fatal(['postmap', '-d', 'x', 'texthash:access']), 'postmap: fatal: texthash:access map requires O_RDONLY access mode\n');
  assert.equal(await fatal(['postmap', '-d', 'x', 'static:y']), 'postmap: fatal: table static:y: delete operation is not supported\n');
  assert.equal(await fatal(['postmap', '-d', 'x', 'fail:y']), 'postmap: fatal: table fail:y: delete error: Application error\n');
  assert.equal(await fatal(['postmap', '-d', 'x', 'hash:access']), 'postmap: fatal: open database access.db: No such file or directory\n');
  assert.equal(await fatal(['postmap', '-q', 'x', '-d', 'x', 'hash:access']), 'postmap: fatal: specify only one of -s -q or -d\n');
  assert.equal(await fatal(['postmap', '-d', 'x', '-s', 'hash:access']), 'postmap: fatal: specify only one of -s or -q or -d\n');
  assert.deepEqual(await world.run(postmapMain, ['postmap', '-d', 'x', 'lmdb:fresh']), { stdout: '', stderr: '', status: 1 });
  assert.deepEqual(await world.run(postmapMain, ['postmap', '-s', 'lmdb:fresh']), { stdout: '', stderr: '', status: 0 });
});

test('postalias -d folds the key; the unfolded YP keys need -f; -i does not conflict with -q', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/aliases', 'root: alice\nsales: bob\n');
  await world.run(postaliasMain, ['postalias', 'aliases']);
  assert.equal((await world.run(postaliasMain, ['postalias', '-d', 'ROOT', 'aliases'])).status, 0);
  assert.equal((await world.run(postaliasMain, ['postalias', '-d', 'YP_MASTER_NAME', 'aliases'])).status, 1);
  assert.equal((await world.run(postaliasMain, ['postalias', '-f', '-d', 'YP_MASTER_NAME', 'aliases'])).status, 0);
  const listed = await world.run(postaliasMain, ['postalias', '-s', 'aliases']);
  assert.deepEqual(listed.stdout.split('\n').filter(Boolean).map((line) => line.split(':\t')[0]).sort(), ['@', 'YP_LAST_MODIFIED', 'sales']);
  assert.deepEqual(await world.run(postaliasMain, ['postalias', '-i', '-q', 'sales', 'aliases']), { stdout: 'bob\n', stderr: '', status: 0 });
});
