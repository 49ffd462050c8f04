// Unit tests for $name expansion (engine/global/config/expand.ts): every syntax form, the
// Postfix 3 relational operators, nesting limits and the exact warning texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandValue, referencedNames } from '../../../engine/global/config/expand.ts';

function expand(pattern: string, values: Record<string, string>, recurse = true) {
  const warnings: string[] = [];
  const result = expandValue(pattern, {
    recurse,
    lookup: (name) => (Object.hasOwn(values, name) ? values[name] : undefined),
    warn: (text) => warnings.push(text),
  });
  return { ...result, warnings };
}

test('plain, braced and parenthesised names', () => {
  const values = { a: 'A', b_c: 'BC' };
  assert.equal(expand('$a ${a} $(a) $b_c.x', values).text, 'A A A BC.x');
});

test('$$ is a literal dollar, even before a name', () => {
  assert.equal(expand('cost $$5 and $$$a', { a: 'A' }).text, 'cost $5 and $A');
});

test('recursion expands names inside values; without it, values are inserted as is', () => {
  const values = { a: '$b!', b: 'B' };
  assert.equal(expand('$a', values).text, 'B!');
  assert.equal(expand('$a', values, false).text, '$b!');
});

test('an unknown name expands to nothing and is flagged', () => {
  const result = expand('x$nosuch.y', {});
  assert.equal(result.text, 'x.y');
  assert.equal(result.undefinedName, true);
});

test('conditionals ? and : with and without braces', () => {
  const values = { set: 'yes', empty: '' };
  assert.equal(expand('${set?on}', values).text, 'on');
  assert.equal(expand('${empty?on}', values).text, '');
  assert.equal(expand('${nosuch:off}', values).text, 'off');
  assert.equal(expand('${empty:off}', values).text, 'off');
  assert.equal(expand('${set:off}', values).text, '');
  assert.equal(expand('${set?{a b}:{c}}', values).text, 'a b');
  assert.equal(expand('${nosuch?{a}:{c $set}}', values).text, 'c yes');
  // Postfix 2.x compatibility: without braces, ':' after '?' is literal text.
  assert.equal(expand('${set?x:y}', values).text, 'x:y');
});

test('relational operators, numeric and string, and compatibility levels', () => {
  const values = { level: '3.6' };
  assert.equal(expand('${{10} > {9} ? {big} : {small}}', values).text, 'big');
  assert.equal(expand('${{abc} == {abd} ? {same} : {different}}', values).text, 'different');
  assert.equal(expand('${{$level} <level {3.10} ? {old} : {new}}', values).text, 'old');
  assert.equal(expand('${{$level} <level {2} ? {old} : {new}}', values).text, 'new');
  assert.equal(expand('${{1} != {1}}', values).text, '');
  assert.equal(expand('${{1} == {1}}', values).text, 'true');
});

test('syntax errors give Postfix\'s warnings and the error flag', () => {
  assert.deepEqual(expand('${abc', {}).warnings, ['truncated macro reference: "${abc"']);
  assert.deepEqual(expand('x $ y', {}).warnings, ['empty macro name: "x $ y"']);
  assert.deepEqual(expand('${a b}', {}).warnings, ['attribute name syntax error at: "...a>>> b"']);
  assert.deepEqual(expand('${{a} ~ {b}}', {}).warnings, ['"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: "...a}>>>~ {b}"']);
  assert.deepEqual(expand('${{a} == b}', {}).warnings, ['"{expression}" expected at: "...{a} ==>>> b"']);
  assert.deepEqual(expand('${{a} == {b} x}', {}).warnings, ['"?" or ":" expected at: "...}>>>x"']);
  assert.deepEqual(expand('${{a} <foo {b}}', {}).warnings, ['bad operator suffix at: "...<>>>foo"']);
  assert.deepEqual(expand('${{a} <level {b}}', {}).warnings, ['malformed compatibility level syntax: "a"']);
  assert.equal(expand('${abc', {}).error, true);
});

test('self-reference stops at the nesting limit with Postfix\'s warning', () => {
  const result = expand('$a', { a: '$b', b: 'x $a' });
  assert.equal(result.error, true);
  assert.deepEqual(result.warnings, ['unreasonable macro call nesting: "b"']);
});

test('referencedNames scans both branches', () => {
  assert.deepEqual(referencedNames('${a?{$b}:{$c}} $d ${{$e} == {1}}'), ['a', 'b', 'c', 'd', 'e']);
});
