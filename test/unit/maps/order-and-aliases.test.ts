// Lookup orders (access, virtual, transport, aliases) and postalias/newaliases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeWorld } from './harness.ts';
import type { LookupTable } from '../../../engine/global/maps/types.ts';
import {
  accessOrder, aliasLookup, domainCandidates, splitExtension, transportLookup, virtualOrder,
} from '../../../engine/global/maps/lookup-order.ts';
import { postaliasMain, newaliasesMain } from '../../../engine/admin/postalias.ts';

/** A table that records the keys it was asked, answering from a fixed list. */
function recordingTable(entries: Record<string, string>, type = 'hash'): LookupTable & { asked: string[] } {
  const asked: string[] = [];
  return {
    type, name: 'recorded', foldsCase: true, asked,
    lookup: async (key) => { asked.push(key); return entries[key.toLowerCase()]; },
  };
}

test('access(5) order: full, without extension, domain, dot-parents, user@', async () => {
  const table = recordingTable({});
  await accessOrder([table], 'user+ext@a.example.com', { recipientDelimiter: '+', parentMatchesSubdomains: false });
  assert.deepEqual(table.asked, ['user+ext@a.example.com', 'user@a.example.com', 'a.example.com', '.example.com', '.com', 'user+ext@', 'user@']);
  const parents = recordingTable({ 'example.com': 'OK' });
  const hit = await accessOrder([parents], 'user@a.example.com', { recipientDelimiter: '+', parentMatchesSubdomains: true });
  assert.equal(hit?.value, 'OK');
  assert.equal(hit?.key, 'example.com');
});

test('virtual(5) order: full, without extension, local part when local, @domain', async () => {
  const table = recordingTable({});
  await virtualOrder([table], 'user+ext@example.com', { recipientDelimiter: '+', isLocalDomain: (domain) => domain === 'example.com' });
  assert.deepEqual(table.asked, ['user+ext@example.com', 'user@example.com', 'user+ext', 'user', '@example.com']);
  const remote = recordingTable({ 'user@remote.test': 'x' });
  const hit = await virtualOrder([remote], 'user+tag@remote.test', { recipientDelimiter: '+', isLocalDomain: () => false });
  assert.deepEqual([hit?.value, hit?.extension], ['x', 'tag']);
});

test('pattern tables see only the full address', async () => {
  const pattern = recordingTable({}, 'regexp');
  await virtualOrder([pattern], 'user+ext@example.com', { recipientDelimiter: '+' });
  assert.deepEqual(pattern.asked, ['user+ext@example.com']);
});

test('transport(5) order ends with the * wildcard', async () => {
  const table = recordingTable({ '*': 'smtp:[relay]' });
  const hit = await transportLookup([table], 'u@mail.example.com', { recipientDelimiter: '+', parentMatchesSubdomains: false });
  assert.deepEqual(table.asked, ['u@mail.example.com', 'mail.example.com', '.example.com', '.com', '*']);
  assert.equal(hit?.value, 'smtp:[relay]');
});

test('aliases(5) order: local part folded, then without extension', async () => {
  const table = recordingTable({ sales: 'alice, bob' });
  const hit = await aliasLookup([table], 'Sales-east', { recipientDelimiter: '-' });
  assert.deepEqual(table.asked, ['sales-east', 'sales']);
  assert.deepEqual([hit?.value, hit?.extension], ['alice, bob', 'east']);
});

test('extension and domain helpers', () => {
  assert.deepEqual(splitExtension('a+b+c', '+-'), { user: 'a', extension: 'b+c' });
  assert.deepEqual(splitExtension('+a', '+'), { user: '+a' });
  assert.deepEqual(domainCandidates('a.b.c', true), ['a.b.c', 'b.c', 'c']);
});

test('postalias builds aliases with @:@ and YP keys; -q and -s print as Postfix', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/aliases', 'root: alice\nsales:alice,bob\nmulti: a,\n  b\nbad line\nx@y: z\n');
  const built = await world.run(postaliasMain, ['postalias', 'aliases']);
  assert.equal(built.status, 0);
  assert.equal(built.stderr, 'postalias: warning: aliases, line 5: need name:value pair\npostalias: warning: aliases, line 6: name must be local\n');
  assert.equal((await world.run(postaliasMain, ['postalias', '-q', 'SALES', 'aliases'])).stdout, 'alice, bob\n');
  const listing = await world.run(postaliasMain, ['postalias', '-s', 'hash:aliases']);
  assert.match(listing.stdout, /^@:\t@\nYP_LAST_MODIFIED:\t\d{10}\nYP_MASTER_NAME:\tmail\.example\.test\n/);
  assert.match(listing.stdout, /multi:\ta, b\n/);
});

test('newaliases rebuilds every $alias_database', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/main.cf', 'alias_database = hash:/etc/postfix/aliases, hash:/etc/postfix/more\n');
  await world.write('/etc/postfix/aliases', 'root: alice\n');
  await world.write('/etc/postfix/more', 'postmaster: root\n');
  const result = await world.run(newaliasesMain, ['newaliases']);
  assert.equal(result.status, 0, result.stderr);
  assert.equal((await world.run(postaliasMain, ['postalias', '-q', 'postmaster', 'hash:/etc/postfix/more'])).stdout, 'root\n');
});
