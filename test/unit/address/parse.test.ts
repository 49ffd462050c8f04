// The RFC 822 scanner and address-list parser against the behaviour of Postfix's tok822
// (the cases of its tok822_parse test, re-stated here as tree outlines and text forms),
// plus the limits: token count, non-address text per address in headers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseAddressTokens, scanTokens, internalize, externalize, ADDRESS_TOKENS_MAX, type Token,
} from '../../../engine/global/address/index.ts';

/** One line per token, nested addresses indented, as an outline of the parse tree. */
function outline(tokens: readonly Token[], depth = 0): string[] {
  const pad = '  '.repeat(depth);
  return tokens.flatMap((token) => {
    if (token.kind === 'address') return [`${pad}address`, ...outline(token.tokens, depth + 1)];
    if (token.kind === 'operator') return [`${pad}op ${token.text}`];
    if (token.kind === 'group-start') return [`${pad}group-start`];
    return [`${pad}${token.kind} ${token.text}`];
  });
}

interface Case { input: string; tree: string[]; internal: string; external: string; externalLines?: string }

const cases: Case[] = [
  { input: 'wietse @ porcupine.org', tree: ['address', '  atom wietse', '  op @', '  atom porcupine', '  op .', '  atom org'],
    internal: 'wietse@porcupine.org', external: 'wietse@porcupine.org' },
  { input: '"wietse venema"@porcupine.org', tree: ['address', '  quoted wietse venema', '  op @', '  atom porcupine', '  op .', '  atom org'],
    internal: 'wietse venema@porcupine.org', external: '"wietse venema"@porcupine.org' },
  { input: '"wietse venema"@porcupine.org ("wietse ) venema")',
    tree: ['address', '  quoted wietse venema', '  op @', '  atom porcupine', '  op .', '  atom org', 'op ,', 'address', '  atom venema',
      'comment ("wietse )', 'op ,', 'address', '  quoted )'],
    internal: 'wietse venema@porcupine.org, venema ("wietse ), )',
    external: '"wietse venema"@porcupine.org, venema ("wietse ), ")"',
    externalLines: '"wietse venema"@porcupine.org,\nvenema ("wietse ),\n")"' },
  { input: '"wietse venema" <wietse@porcupine.org>',
    tree: ['quoted wietse venema', 'op <', 'address', '  atom wietse', '  op @', '  atom porcupine', '  op .', '  atom org', 'op >'],
    internal: 'wietse venema <wietse@porcupine.org>', external: '"wietse venema" <wietse@porcupine.org>' },
  { input: '"wietse venema"@porcupine.org ( ("wietse ) venema") )',
    tree: ['address', '  quoted wietse venema', '  op @', '  atom porcupine', '  op .', '  atom org', '  op )', 'comment ( ("wietse ) venema")'],
    internal: 'wietse venema@porcupine.org) ( ("wietse ) venema")', external: '"wietse venema"@porcupine.org) ( ("wietse ) venema")' },
  { input: 'wietse\\ venema@porcupine.org', tree: ['address', '  quoted wietse venema', '  op @', '  atom porcupine', '  op .', '  atom org'],
    internal: 'wietse venema@porcupine.org', external: '"wietse venema"@porcupine.org' },
  { input: '"wietse venema', tree: ['address', '  quoted wietse venema'], internal: 'wietse venema', external: '"wietse venema"' },
  { input: 'wietse@[stuff', tree: ['address', '  atom wietse', '  op @', '  literal stuff'], internal: 'wietse@[stuff]', external: 'wietse@[stuff]' },
  { input: 'wietse@["stuff]', tree: ['address', '  atom wietse', '  op @', '  literal "stuff'], internal: 'wietse@["stuff]', external: 'wietse@["stuff]' },
  { input: 'named group: foo@bar, baz@barf;',
    tree: ['atom named', 'atom group', 'group-start', 'address', '  atom foo', '  op @', '  atom bar', 'op ,', 'address', '  atom baz', '  op @', '  atom barf', 'op ;'],
    internal: 'named group: foo@bar, baz@barf;', external: 'named group: foo@bar, baz@barf;', externalLines: 'named group: foo@bar,\nbaz@barf;' },
  { input: 'wietse@foo (wietse\n\tvenema)', tree: ['address', '  atom wietse', '  op @', '  atom foo', 'comment (wietse\n\tvenema)'],
    internal: 'wietse@foo (wietse\n\tvenema)', external: 'wietse@foo (wietse\n\tvenema)' },
  { input: 'a@x b@y', tree: ['address', '  atom a', '  op @', '  atom x', 'op ,', 'address', '  atom b', '  op @', '  atom y'],
    internal: 'a@x, b@y', external: 'a@x, b@y', externalLines: 'a@x,\nb@y' },
  { input: '<>', tree: ['op <', 'op >'], internal: '<>', external: '<>' },
  { input: '<@relay.example:user@example.com>',
    tree: ['op <', 'address', '  op @', '  atom relay', '  op .', '  atom example', '  op :', '  atom user', '  op @', '  atom example', '  op .', '  atom com', 'op >'],
    internal: '<@relay.example:user@example.com>', external: '<@relay.example:user@example.com>' },
];

for (const item of cases) {
  test(`parse ${JSON.stringify(item.input)}`, () => {
    const tree = parseAddressTokens(item.input);
    assert.deepEqual(outline(tree), item.tree);
    assert.equal(internalize(tree), item.internal);
    assert.equal(externalize(tree), item.external);
    assert.equal(externalize(tree, { lineBreaks: true }), item.externalLines ?? item.external);
  });
}

test('an empty or blank input parses to nothing', () => {
  assert.deepEqual(parseAddressTokens(''), []);
  assert.deepEqual(parseAddressTokens(' \t\r\n'), []);
});

test('scanner: nested comments, escapes and the %, ! and | operators', () => {
  const tokens = scanTokens('a%b!c|d (x (y) \\) z) "q\\"t"');
  assert.deepEqual(tokens.map((token) => `${token.kind}:${token.kind === 'address' ? '' : token.text}`), [
    'atom:a', 'operator:%', 'atom:b', 'operator:!', 'atom:c', 'operator:|', 'atom:d', 'comment:(x (y) \\) z)', 'quoted:q"t',
  ]);
});

test('scanner: an atom with an escaped special becomes a quoted string', () => {
  assert.deepEqual(scanTokens('a\\@b'), [{ kind: 'quoted', text: 'a@b' }]);
  assert.deepEqual(scanTokens('a\\'), [{ kind: 'atom', text: 'a' }]);
});

test('scanner: the token limit stops the scan', () => {
  assert.equal(scanTokens('a,'.repeat(100), { tokensMax: 7 }).length, 7);
  assert.equal(scanTokens('a,'.repeat(ADDRESS_TOKENS_MAX)).length, ADDRESS_TOKENS_MAX);
});

test('externalize: long non-address text is stripped to <address> with a warning', () => {
  const x = 'x'.repeat(78);
  const y = 'y'.repeat(78);
  const input = `${x}x ${x} ${x} ${x} <${x}>, ${y} (${y} ${y} ${y} ${y})`;
  const warnings: string[] = [];
  const text = externalize(parseAddressTokens(input), { truncateNonAddress: true, warn: (line) => warnings.push(line) });
  assert.equal(text, `<${x}>, <${y}>`);
  assert.equal(warnings.length, 2);
  assert.equal(warnings[0], `stripping too many comments from address: ${`${x}x ${x}`.slice(0, 100)}...`);
  // Without the flag nothing is stripped.
  assert.equal(externalize(parseAddressTokens(input)), input);
});

test('externalize: several route addresses without commas reduce to the empty <>', () => {
  const numbers = ['1', '2', '3', '4'].map((digit) => `<${digit.repeat(76)}>`).join(' ');
  const warnings: string[] = [];
  const text = externalize(parseAddressTokens(`${numbers} <>`), { truncateNonAddress: true, warn: (line) => warnings.push(line) });
  assert.equal(text, '<>');
  assert.equal(warnings.length, 1);
});
