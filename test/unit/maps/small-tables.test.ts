// cidr, static, inline, fail, unionmap, pipemap and the open errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeWorld, fatalText } from './harness.ts';
import { parseCidrPattern, parseIpv6 } from '../../../engine/global/maps/cidr.ts';
import { supportedMapTypes } from '../../../engine/global/maps/index.ts';

test('cidr: first match, IPv4 and IPv6, bracket syntax, negation, if blocks', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/c', '192.168.0.0/16 private\n10.1.2.3 host\n[2001:db8::]/32 doc6\nif 100.64.0.0/10\n100.64.1.0/24 inner\nendif\n!127.0.0.0/8 not-loopback\n');
  const table = await world.open('cidr:/etc/postfix/c');
  assert.equal(await table.lookup('192.168.7.9'), 'private');
  assert.equal(await table.lookup('10.1.2.3'), 'host');
  assert.equal(await table.lookup('2001:db8::1'), 'doc6');
  assert.equal(await table.lookup('100.64.1.9'), 'inner');
  assert.equal(await table.lookup('100.64.2.9'), 'not-loopback');
  assert.equal(await table.lookup('127.0.0.1'), undefined);
  assert.equal(await table.lookup('fe80::1'), undefined);
  assert.equal(await table.lookup('not-an-address'), undefined);
});

test('cidr: bad entries are warned and skipped', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/c', '10.0.0.1/8 x\n300.1.1.1 x\n10.0.0.0/40 x\n[fe80::1 x\n172.16.0.0/12\n');
  await world.open('cidr:/etc/postfix/c');
  const text = world.stderr.text();
  assert.match(text, /cidr map \/etc\/postfix\/c, line 1: non-null host address bits in "10\.0\.0\.1\/8", perhaps you should use "10\.0\.0\.0\/8" instead: skipping this rule/);
  assert.match(text, /line 2: bad address pattern: "300\.1\.1\.1": skipping this rule/);
  assert.match(text, /line 3: bad mask length in "10\.0\.0\.0\/40"/);
  assert.match(text, /line 4: missing '\]' character after "\[fe80::1"/);
  assert.match(text, /line 5: no lookup result: skipping this rule/);
});

test('address parsing as inet_pton', () => {
  assert.deepEqual([...(parseIpv6('::') ?? [1])], new Array(16).fill(0));
  assert.deepEqual([...(parseIpv6('::ffff:1.2.3.4') ?? [])].slice(10), [0xff, 0xff, 1, 2, 3, 4]);
  assert.equal(parseIpv6('1:2:3:4:5:6:7:8:9'), undefined);
  assert.equal(parseIpv6('1::2::3'), undefined);
  assert.ok('error' in parseCidrPattern('01.2.3.4', true));
});

test('static and inline, with their syntax errors', async () => {
  const world = await makeWorld();
  assert.equal(await (await world.open('static:{text with spaces}')).lookup('x'), 'text with spaces');
  const inline = await world.open('inline:{foo=bar, { baz = text with, comma }}');
  assert.equal(await inline.lookup('FOO'), 'bar');
  assert.equal(await inline.lookup('baz'), 'text with, comma');
  assert.equal(
    await fatalText(world, () => world.open('inline:{foo=bar, {key with space = v}}')),
    'missing \'=\' after attribute name: "inline:{foo=bar, {key with space = v}}"; need "inline:{name=value...}"',
  );
  assert.equal(await fatalText(world, () => world.open('inline:{}')), 'bad syntax: "inline:{}"; need "inline:{name=value...}"');
});

test('fail, unionmap and pipemap', async () => {
  const world = await makeWorld();
  await assert.rejects((await world.open('fail:x')).lookup('k'), { name: 'MapError' });
  assert.equal(await (await world.open('unionmap:{inline:{x=1},static:2}')).lookup('x'), '1,2');
  assert.equal(await (await world.open('pipemap:{inline:{x=1},inline:{1=2}}')).lookup('x'), '2');
  assert.equal(await (await world.open('pipemap:{inline:{x=1},inline:{1=2}}')).lookup('y'), undefined);
  await assert.rejects((await world.open('unionmap:{static:1,fail:x}')).lookup('k'), { name: 'MapError' });
  assert.equal(await fatalText(world, () => world.open('nosuchtype:x')), 'unsupported dictionary type: nosuchtype');
  assert.equal(await fatalText(world, () => world.open('noколон')), 'open dictionary: expecting "type:name" form instead of "noколон"');
});

test('supportedMapTypes lists every type', () => {
  assert.deepEqual(supportedMapTypes(), ['btree', 'cidr', 'fail', 'hash', 'inline', 'lmdb', 'pcre', 'pipemap', 'regexp', 'static', 'texthash', 'unionmap']);
});
