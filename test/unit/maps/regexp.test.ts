// regexp and pcre tables: flags, negation, if/endif, substitution, bad rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeWorld } from './harness.ts';
import { translatePosix } from '../../../engine/global/maps/regex-posix.ts';
import { parseReplacement } from '../../../engine/global/maps/regexp-table.ts';

test('regexp: first match, $1 ${1} $(1), $$, case-insensitive by default, /i makes it case-sensitive', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/r', '/^(.*)@example\\.com$/  ${1}@mail.example.com $(1) $1 $$\n/^Exact$/i  exact\n');
  const table = await world.open('regexp:/etc/postfix/r');
  assert.equal(await table.lookup('JOE@EXAMPLE.COM'), 'JOE@mail.example.com JOE JOE $');
  assert.equal(await table.lookup('Exact'), 'exact');
  assert.equal(await table.lookup('exact'), undefined);
});

test('regexp: !/pattern/, /a/!/b/ and nested if/endif', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/r', 'if /^n/\nif !/deep/\n/^n/ shallow\nendif\n/deep/ deep\nendif\n/^a/!/b/ a-not-b\n!/@/ no-at\n');
  const table = await world.open('regexp:/etc/postfix/r');
  assert.equal(await table.lookup('nx@y'), 'shallow');
  assert.equal(await table.lookup('ndeep@y'), 'deep');
  assert.equal(await table.lookup('ax@y'), 'a-not-b');
  assert.equal(await table.lookup('ab@y'), undefined);
  assert.equal(await table.lookup('plain'), 'no-at');
});

test('regexp: bad rules are skipped with file:line warnings as Postfix prints them', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/r', '/unterminated REJECT\n/bad(/ x\n/[z-a]/ x\n/ok/q x\n/^(a)$/ $2\nendif\nif /x/\n');
  await world.open('regexp:/etc/postfix/r');
  const text = world.stderr.text();
  assert.match(text, /regexp map \/etc\/postfix\/r, line 1: no closing regexp delimiter "\/": skipping this rule/);
  assert.match(text, /line 2: Unmatched \( or \\\(/);
  assert.match(text, /line 3: Invalid range end/);
  assert.match(text, /line 4: unknown regexp option "q": skipping this rule/);
  assert.match(text, /line 5: out of range replacement index "2": skipping this rule/);
  assert.match(text, /line 6: ignoring ENDIF without matching IF/);
  assert.match(text, /line 7: IF has no matching ENDIF/);
});

test('pcre: named groups in the replacement are rejected; pcre anchors and flags work', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/p', '/^(?<l>[^@]+)@x\\.test$/ ${l}@example.com\n/\\.(exe|scr)$/ REJECT $1\n/\\Aa.b\\z/s dotall\n/(open/ x\n');
  const table = await world.open('pcre:/etc/postfix/p');
  const text = world.stderr.text();
  assert.match(text, /pcre map \/etc\/postfix\/p, line 1: non-numeric replacement index "l"/);
  assert.match(text, /line 1: bad replacement syntax: skipping this rule/);
  assert.match(text, /line 4: error in regex at offset 5: missing closing parenthesis/);
  assert.equal(await table.lookup('a@x.test'), undefined);
  assert.equal(await table.lookup('INVOICE.EXE'), 'REJECT EXE');
  assert.equal(await table.lookup('a\nb'), 'dotall');
});

test('POSIX translation: classes, GNU word boundaries, stacked quantifiers, basic syntax', () => {
  const check = (pattern: string, extended: boolean, subject: string, expected: boolean): void => {
    const result = translatePosix(pattern, extended);
    assert.ok(result.ok, pattern);
    if (result.ok) assert.equal(new RegExp(result.source).test(subject), expected, `${pattern} on ${subject}`);
  };
  check('^[[:digit:]]+$', true, '123', true);
  check('\\<word\\>', true, 'a word b', true);
  check('\\<word\\>', true, 'swordfish', false);
  check('^a+?$', true, '', true);
  check('^x\\{2\\}$', false, 'xx', true);
  check('^a+$', false, 'a+', true);
  assert.deepEqual(translatePosix('*a', true), { ok: false, error: 'Invalid preceding regular expression' });
});

test('replacement parsing follows mac_parse', () => {
  assert.deepEqual(parseReplacement('a${1}b$2$(3)$$'), [
    { kind: 'literal', text: 'a' }, { kind: 'group', text: '1' }, { kind: 'literal', text: 'b' },
    { kind: 'group', text: '2' }, { kind: 'group', text: '3' }, { kind: 'literal', text: '$' },
  ]);
  // A plain $name runs over letters and digits, so "$1b" names "1b" (Postfix then rejects it).
  assert.deepEqual(parseReplacement('$1b'), [{ kind: 'group', text: '1b' }]);
  assert.equal(parseReplacement('${1')[0]?.kind, 'error');
});
