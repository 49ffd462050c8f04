// Domain and string lists (mydestination, relay_domains, virtual_*_domains) over tables
// on a simulated host: exact names, ".parent" and parent-style matching, negation,
// type:table lookups (with parent domains for fixed-string tables only), /file/name
// patterns, and a failing table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { createHost } from '../../../engine/global/host.ts';
import { createReporter, FatalExit } from '../../../engine/global/msg.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';
import { MapError } from '../../../engine/global/maps/index.ts';
import { openMatchList, type MatchList } from '../../../engine/global/address/index.ts';

async function world() {
  const platform = createSimPlatform({ hostName: 'mail.example.com', seed: 3 });
  const host = createHost({ name: 'mail.example.com', platform });
  await platform.fs.mkdir('/etc/postfix', { recursive: true });
  const stderr = new CapturedOutput();
  const reporter = createReporter({ program: 'trivial-rewrite', host, pid: 9, stderr });
  const context = { fs: platform.fs, reporter, cwd: '/etc/postfix' };
  return {
    write: (path: string, text: string) => platform.fs.writeFile(path, text),
    stderr,
    open: (value: string, kind: 'string' | 'domain', parentMatchesSubdomains = false): Promise<MatchList> =>
      openMatchList({ parameterName: 'relay_domains', value, kind, parentMatchesSubdomains, context }),
  };
}

async function matches(list: MatchList, names: string[]): Promise<string[]> {
  const result: string[] = [];
  for (const name of names) if (await list.match(name)) result.push(name);
  return result;
}

const names = ['example.com', 'EXAMPLE.com', 'sub.example.com', 'deep.sub.example.com', 'notexample.com', 'other.test'];

test('string list: exact, case-insensitive names only', async () => {
  const w = await world();
  const list = await w.open('Example.COM, other.test', 'string');
  assert.deepEqual(await matches(list, names), ['example.com', 'EXAMPLE.com', 'other.test']);
});

test('domain list: ".domain" matches subdomains; parent style lets "domain" match them too', async () => {
  const w = await world();
  assert.deepEqual(await matches(await w.open('.example.com', 'domain'), names), ['sub.example.com', 'deep.sub.example.com']);
  assert.deepEqual(await matches(await w.open('example.com', 'domain'), names), ['example.com', 'EXAMPLE.com']);
  assert.deepEqual(await matches(await w.open('example.com', 'domain', true), names),
    ['example.com', 'EXAMPLE.com', 'sub.example.com', 'deep.sub.example.com']);
});

test('negation: the first matching pattern decides', async () => {
  const w = await world();
  const list = await w.open('!sub.example.com, example.com', 'domain', true);
  // In parent style "!sub.example.com" also excludes deep.sub.example.com.
  assert.deepEqual(await matches(list, names), ['example.com', 'EXAMPLE.com']);
  const twice = await w.open('!!other.test', 'string');
  assert.deepEqual(await matches(twice, names), ['other.test']);
});

test('tables: the name, then parent domains in the style of the list', async () => {
  const w = await world();
  await w.write('/etc/postfix/domains', 'example.com OK\n.test OK\n');
  const plain = await w.open('texthash:/etc/postfix/domains', 'domain');
  assert.deepEqual(await matches(plain, names), ['example.com', 'EXAMPLE.com', 'other.test']);
  const parent = await w.open('texthash:/etc/postfix/domains', 'domain', true);
  assert.deepEqual(await matches(parent, names), ['example.com', 'EXAMPLE.com', 'sub.example.com', 'deep.sub.example.com']);
  const strings = await w.open('texthash:/etc/postfix/domains', 'string');
  assert.deepEqual(await matches(strings, names), ['example.com', 'EXAMPLE.com']);
});

test('regexp tables see only the whole name', async () => {
  const w = await world();
  await w.write('/etc/postfix/domains.re', '/^example\\.com$/ OK\n');
  const list = await w.open('regexp:/etc/postfix/domains.re', 'domain', true);
  assert.deepEqual(await matches(list, names), ['example.com', 'EXAMPLE.com']);
});

test('/file/name patterns are read line by line, negation carries into the file', async () => {
  const w = await world();
  await w.write('/etc/postfix/list', '# comment\nexample.com other.test\n');
  assert.deepEqual(await matches(await w.open('/etc/postfix/list', 'string'), names), ['example.com', 'EXAMPLE.com', 'other.test']);
  assert.deepEqual(await matches(await w.open('!/etc/postfix/list, sub.example.com', 'string'), names), ['sub.example.com']);
});

test('a missing file and a failing table are lookup errors, not "no match"', async () => {
  const w = await world();
  const missing = await w.open('/etc/postfix/nosuch', 'string');
  await assert.rejects(missing.match('example.com'), MapError);
  assert.match(w.stderr.text(), /relay_domains: non-existent:\/etc\/postfix\/nosuch: table lookup problem/);
  const failing = await w.open('fail:down', 'domain');
  await assert.rejects(failing.match('example.com'), MapError);
  assert.match(w.stderr.text(), /trivial-rewrite: warning: relay_domains: fail:down: table lookup problem/);
  // A match before the failing table still decides.
  const early = await w.open('example.com fail:down', 'string');
  assert.equal(await early.match('example.com'), true);
});

test('a comment in the list ends it with a warning; "!" alone is fatal', async () => {
  const w = await world();
  const list = await w.open('example.com #other.test', 'string');
  assert.deepEqual(await matches(list, names), ['example.com', 'EXAMPLE.com']);
  assert.match(w.stderr.text(), /relay_domains: comment at end of line is not supported: #other.test/);
  await assert.rejects(w.open('!', 'string'), FatalExit);
  assert.equal((await w.open('', 'domain')).isEmpty, true);
});
