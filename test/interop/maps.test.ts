// Interop: the real postmap/postalias (Postfix 3.7.11) and mtalab's, run on the same map
// sources (test/interop/maps-corpus plus the reference maps), each in a temporary directory
// of its own with "-c DIR". Compares stdout, stderr (temporary paths normalised) and exit
// status for builds, -q, -q -, -s and error cases, and prints "postmap/postalias: N/M
// equal". Dumps of texthash and inline tables are compared sorted, because Postfix
// randomises its in-memory hash order per process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ageFiles, hasRealCommand, makeTemporaryDirectory, normalizePaths, removeTemporaryDirectory,
  runMtalab, runReal, type CommandResult,
} from './real-postfix.ts';

const corpus = new URL('./maps-corpus/', import.meta.url).pathname;

interface Case {
  argv: string[];
  input?: string;
  /** Compare stdout as a sorted set of lines. */
  unordered?: boolean;
}

const builds: Case[] = [
  { argv: ['postmap', 'access.hash'] },
  { argv: ['postmap', 'hash:odd.hash'] },
  { argv: ['postmap', 'btree:odd2.hash'] },
  { argv: ['postmap', 'btree:access.texthash'] },
  { argv: ['postmap', 'lmdb:access.hash'] },
  { argv: ['postmap', 'empty.hash'] },
  { argv: ['postmap', 'missing.hash'] },
  { argv: ['postmap', 'texthash:access.texthash'] },
  { argv: ['postmap', 'nosuchtype:access.hash'] },
  { argv: ['postalias', 'aliases'] },
];

const queries: Case[] = [
  { argv: ['postmap', '-q', 'Spammer@Example.NET', 'hash:access.hash'] },
  { argv: ['postmap', '-q', 'example.net', 'access.hash'] },
  { argv: ['postmap', '-q', 'nosuch.example', 'hash:access.hash'] },
  { argv: ['postmap', '-q', '-', 'hash:access.hash'], input: 'example.net\nnosuch\nspammer@example.net\n' },
  { argv: ['postmap', '-q', '-', 'hash:access.hash'], input: 'nosuch\n' },
  { argv: ['postmap', '-s', 'hash:access.hash'] },
  { argv: ['postmap', '-s', 'hash:odd.hash'] },
  { argv: ['postmap', '-s', 'btree:odd2.hash'] },
  { argv: ['postmap', '-q', 'x', 'hash:access.texthash'] },
  { argv: ['postmap', '-s', 'lmdb:access.hash'] },
  { argv: ['postmap', '-s', 'hash:empty.hash'] },
  { argv: ['postmap', '-q', 'multi', 'btree:odd2.hash'] },
  { argv: ['postmap', '-q', '"quoted key"', 'hash:odd.hash'] },
  { argv: ['postmap', '-q', 'user@example.com', 'lmdb:access.hash'] },
  { argv: ['postmap', '-q', 'x', 'hash:/nonexistent/map'] },
  { argv: ['postmap', '-q', 'x', 'lmdb:/nonexistent/map'] },
  { argv: ['postmap', '-q', 'user@example.com', 'texthash:access.texthash'] },
  { argv: ['postmap', '-q', 'USER@EXAMPLE.COM', 'texthash:access.texthash'] },
  { argv: ['postmap', '-q', 'other', 'texthash:access.texthash'] },
  { argv: ['postmap', '-s', 'texthash:access.texthash'], unordered: true },
  { argv: ['postmap', '-s', 'texthash:odd.hash'], unordered: true },
  { argv: ['postmap', '-q', 'joe@example.com', 'regexp:rules.regexp'] },
  { argv: ['postmap', '-q', 'JOE@EXAMPLE.COM', 'regexp:rules.regexp'] },
  { argv: ['postmap', '-q', 'Subject: get FREE MONEY now', 'regexp:rules.regexp'] },
  { argv: ['postmap', '-q', 'admin-web@foo.test', 'regexp:rules.regexp'] },
  { argv: ['postmap', '-q', 'joe@other.test', 'regexp:rules.regexp'] },
  { argv: ['postmap', '-q', '-', 'regexp:odd.regexp'], input: 'abc\nac\ndollar\nplain\nneg\nnegx\nCaSe\ncase\nxxx\nx+\nnest\nnestdeep\nopen\naa\na word here\n12x\nempty-repl\n' },
  { argv: ['postmap', '-s', 'regexp:rules.regexp'] },
  { argv: ['postmap', '-q', 'bob@legacy.test', 'pcre:rules.pcre'] },
  { argv: ['postmap', '-q', 'invoice.exe', 'pcre:rules.pcre'] },
  { argv: ['postmap', '-q', 'readme.txt', 'pcre:rules.pcre'] },
  { argv: ['postmap', '-q', '-', 'pcre:odd.pcre'], input: 'a@x.test\naaab\nanchored\nmixed\nExtended\ndot\nall\nCASEFUL\ncaseful\n\nxyz\n' },
  { argv: ['postmap', '-q', '192.168.7.9', 'cidr:clients.cidr'] },
  { argv: ['postmap', '-q', '10.1.2.3', 'cidr:clients.cidr'] },
  { argv: ['postmap', '-q', '2001:db8::1', 'cidr:clients.cidr'] },
  { argv: ['postmap', '-q', '8.8.8.8', 'cidr:clients.cidr'] },
  { argv: ['postmap', '-q', '-', 'cidr:odd.cidr'], input: '192.168.1.1\n2001:db8::1\n2001:db8::2\nfe80::9\n8.8.8.8\n127.0.0.1\n100.64.1.5\n100.64.2.5\nnot-an-address\n' },
  { argv: ['postmap', '-q', 'foo', 'inline:{ foo=bar, baz=qux }'] },
  { argv: ['postmap', '-q', 'FOO', 'inline:{ foo=bar, baz=qux }'] },
  { argv: ['postmap', '-q', 'baz', 'inline:{foo=bar, { baz = text with, comma }}'] },
  { argv: ['postmap', '-q', 'nope', 'inline:{foo=bar}'] },
  { argv: ['postmap', '-q', 'baz', 'inline:{foo=bar, baz=}'] },
  { argv: ['postmap', '-q', 'foo', 'inline:{foo=bar, {key with space = v}}'] },
  { argv: ['postmap', '-q', 'foo', 'inline:{}'] },
  { argv: ['postmap', '-q', 'foo', 'inline:foo=bar'] },
  { argv: ['postmap', '-s', 'inline:{a=b, C=d}'], unordered: true },
  { argv: ['postmap', '-q', 'anything', 'static:relay:[127.0.0.1]:10026'] },
  { argv: ['postmap', '-q', 'anything', 'static:{text with spaces}'] },
  { argv: ['postmap', '-s', 'static:x'] },
  { argv: ['postmap', '-q', 'x', 'fail:foo'] },
  { argv: ['postmap', '-q', 'x', 'unionmap:{inline:{x=1},static:2}'] },
  { argv: ['postmap', '-q', 'x', 'pipemap:{inline:{x=1},inline:{1=2}}'] },
  { argv: ['postmap', '-q', 'y', 'pipemap:{inline:{x=1},inline:{1=2}}'] },
  { argv: ['postmap', '-q', 'x', 'unionmap:{nosuch:1}'] },
  { argv: ['postmap', '-q', 'x', 'unionmap:nobraces'] },
  { argv: ['postmap', '-q', 'x', 'nosuchtype:/tmp/x'] },
  { argv: ['postmap', '-q', 'x', 'regexp:/nonexistent'] },
  { argv: ['postmap', '-q'] },
  { argv: ['postmap', '-q', 'x'] },
  { argv: ['postmap', '-q', 'x', '-s', 'hash:access.hash'] },
  { argv: ['postmap', '-Z', 'hash:access.hash'] },
  { argv: ['postmap', '-q', 'example.net', 'hash:nosuch', 'hash:access.hash'] },
  { argv: ['postalias', '-q', 'root', 'hash:aliases'] },
  { argv: ['postalias', '-q', 'ROOT', 'aliases'] },
  { argv: ['postalias', '-q', 'sales', 'aliases'] },
  { argv: ['postalias', '-q', 'nosuch', 'aliases'] },
  { argv: ['postalias', '-q', '-', 'aliases'], input: 'root\nmulti\nnone\n' },
  { argv: ['postalias', '-s', 'hash:aliases'] },
  { argv: ['postmap', '-q', 'root', 'hash:aliases'] },
  { argv: ['postmap', '-s', 'hash:aliases'] },
  { argv: ['postalias', '-Z', 'aliases'] },
];

function normalise(result: CommandResult, directories: string[], unordered: boolean): CommandResult {
  const clean = (text: string): string => normalizePaths(text, directories).replace(/YP_LAST_MODIFIED(:?)\t\d+/g, 'YP_LAST_MODIFIED$1\t<TIME>');
  const stdout = clean(result.stdout);
  return {
    stdout: unordered ? stdout.split('\n').filter((line) => line !== '').sort().join('\n') : stdout,
    stderr: clean(result.stderr),
    status: result.status,
  };
}

function prepare(directory: string): void {
  for (const name of readdirSync(corpus)) copyFileSync(join(corpus, name), join(directory, name));
  writeFileSync(join(directory, 'main.cf'), 'myhostname = mail.example.com\n');
  ageFiles(directory);
}

test('postmap/postalias agree with Postfix 3.7 on the map corpus', { skip: !hasRealCommand('postmap') }, async () => {
  const realDirectory = makeTemporaryDirectory('mtalab-maps-real-');
  const oursDirectory = makeTemporaryDirectory('mtalab-maps-ours-');
  try {
    prepare(realDirectory);
    prepare(oursDirectory);
    const differences: string[] = [];
    let equal = 0;
    const cases = [...builds, ...queries];
    for (const item of cases) {
      const withConfig = (directory: string): string[] => [item.argv[0] ?? '', '-c', directory, ...item.argv.slice(1)];
      const real = normalise(runReal(withConfig(realDirectory), { input: item.input, cwd: realDirectory }), [realDirectory], item.unordered ?? false);
      const ours = normalise(await runMtalab(withConfig(oursDirectory), { input: item.input, cwd: oursDirectory }), [oursDirectory], item.unordered ?? false);
      try {
        assert.deepEqual(ours, real);
        equal++;
      } catch {
        differences.push(`$ ${item.argv.join(' ')}\n--- real\n${JSON.stringify(real, null, 1)}\n--- mtalab\n${JSON.stringify(ours, null, 1)}`);
      }
    }
    console.log(`postmap/postalias: ${equal}/${cases.length} equal`);
    if (differences.length > 0) console.log(differences.join('\n\n'));
    assert.equal(differences.length, 0, `${differences.length} of ${cases.length} cases differ`);
  } finally {
    removeTemporaryDirectory(realDirectory);
    removeTemporaryDirectory(oursDirectory);
  }
});
