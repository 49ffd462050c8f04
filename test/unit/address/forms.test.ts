// Internal and external address forms (quote_822_local / unquote_822_local), splitting at
// the last '@', domain case, the host name and address literal checks, and header address
// lists with display names and groups.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  quoteLocalPart, unquoteLocalPart, isDotString, splitAddress, lowercaseDomain, checkHostname,
  checkHostAddress, checkMailhostLiteral, mailhostAddress, parseAddressList,
} from '../../../engine/global/address/index.ts';

test('quote: only a local part that is not a dot-string is quoted, at the last @', () => {
  assert.equal(quoteLocalPart('a@b@c@d'), '"a@b@c"@d');
  assert.equal(quoteLocalPart('a@b@c@d', { bareLocalPart: true }), '"a@b@c@d"');
  assert.equal(quoteLocalPart(''), '""');
  assert.equal(quoteLocalPart('john doe@example.com'), '"john doe"@example.com');
  assert.equal(quoteLocalPart('john.doe@example.com'), 'john.doe@example.com');
  assert.equal(quoteLocalPart('user+tag%x!y@example.com'), 'user+tag%x!y@example.com');
  assert.equal(quoteLocalPart('.lead@example.com'), '".lead"@example.com');
  assert.equal(quoteLocalPart('a..b@example.com'), '"a..b"@example.com');
  assert.equal(quoteLocalPart('trail.@example.com'), '"trail."@example.com');
  assert.equal(quoteLocalPart('say "hi"@x'), '"say \\"hi\\""@x');
  assert.equal(quoteLocalPart('back\\slash@x'), '"back\\\\slash"@x');
  assert.equal(quoteLocalPart('@relay:a b@x'), '@relay:"a b"@x');
  assert.equal(quoteLocalPart('jörg@example.com'), 'jörg@example.com');
  assert.equal(quoteLocalPart('jörg@example.com', { eightBitClean: false }), '"j\\örg"@example.com');
});

test('unquote: quotes and escapes go, text after the last bare @ stays', () => {
  assert.equal(unquoteLocalPart('"a@b@c"@d'), 'a@b@c@d');
  assert.equal(unquoteLocalPart('"a@b@c"'), 'a@b@c');
  assert.equal(unquoteLocalPart('"a@b@c"@d@e'), 'a@b@c@d@e');
  assert.equal(unquoteLocalPart('"john doe"@example.com'), 'john doe@example.com');
  assert.equal(unquoteLocalPart('"say \\"hi\\""@x'), 'say "hi"@x');
  assert.equal(unquoteLocalPart('@relay:"a b"@x'), '@relay:a b@x');
  assert.equal(unquoteLocalPart('""'), '');
});

test('quote and unquote are inverse for ordinary addresses', () => {
  for (const address of ['a@b', 'john doe@example.com', 'x"y@z', 'a@b@c', '', 'MAILER-DAEMON']) {
    assert.equal(unquoteLocalPart(quoteLocalPart(address)), address);
  }
});

test('isDotString', () => {
  assert.equal(isDotString('a.b.c'), true);
  assert.equal(isDotString('a@b'), false);
  assert.equal(isDotString('a@b', { exposeAt: true }), true);
  assert.equal(isDotString('tab\there'), false);
});

test('splitAddress uses the last @ and lowercaseDomain keeps the local part', () => {
  assert.deepEqual(splitAddress('"a@b"@Example.COM'), { localPart: '"a@b"', domain: 'Example.COM' });
  assert.deepEqual(splitAddress('a@b@c'), { localPart: 'a@b', domain: 'c' });
  assert.deepEqual(splitAddress('postmaster'), { localPart: 'postmaster', domain: undefined });
  assert.equal(lowercaseDomain('John.Doe@Example.COM'), 'John.Doe@example.com');
  assert.equal(lowercaseDomain('John'), 'John');
});

test('host names: labels, hyphens, numeric names and lengths', () => {
  assert.equal(checkHostname('mail.example.com').ok, true);
  assert.equal(checkHostname('under_score.example').ok, true);
  assert.deepEqual(checkHostname(''), { ok: false, warning: 'valid_hostname: empty hostname' });
  assert.deepEqual(checkHostname('1.2.3'), { ok: false, warning: 'valid_hostname: numeric hostname: 1.2.3' });
  assert.deepEqual(checkHostname('a..b'), { ok: false, warning: 'valid_hostname: misplaced delimiter: a..b' });
  assert.deepEqual(checkHostname('-a.b'), { ok: false, warning: 'valid_hostname: misplaced hyphen: -a.b' });
  assert.deepEqual(checkHostname('host:port'), { ok: false, warning: 'valid_hostname: invalid character 58(decimal): host:port' });
  assert.equal(checkHostname(`${'a'.repeat(64)}.com`).ok, false);
  assert.equal(checkHostname(Array.from({ length: 65 }, () => 'abc').join('.')).ok, false);
  assert.equal(checkHostname('bücher.example').ok, false);
  assert.equal(checkHostname('bücher.example', true).ok, true);
});

test('address literals: IPv4, IPv6: prefix, bad octets, trailing text', () => {
  assert.equal(checkMailhostLiteral('[127.0.0.1]').ok, true);
  assert.equal(checkMailhostLiteral('[IPv6:::1]').ok, true);
  assert.equal(checkMailhostLiteral('[ipv6:2001:db8::1]').ok, true);
  assert.equal(checkMailhostLiteral('[::1]').ok, false);
  assert.deepEqual(checkMailhostLiteral('[321.1.2.3]'), { ok: false, warning: 'valid_ipv4_hostaddr: invalid octet value: 321.1.2.3' });
  assert.equal(checkMailhostLiteral('[1.2.3.4]x').ok, false);
  assert.equal(checkMailhostLiteral('[0.1.2.3]').ok, false);
  assert.equal(checkMailhostLiteral('[0.0.0.0]').ok, true);
  assert.deepEqual(mailhostAddress('IPv6:::1'), { address: '::1' });
  assert.equal(checkHostAddress('1.2.3.4').ok, true);
  assert.equal(checkHostAddress('1.2.3').ok, false);
  assert.equal(checkHostAddress('fe80::1').ok, true);
});

test('header lists: display names, comments, groups, quoted local parts', () => {
  const list = parseAddressList('"Doe, John" <john@example.com>, jane@example.com (Jane Roe), team: a@x.test, "b c"@y.test;, <>, Q. Public <q@p.test>');
  assert.deepEqual(list, [
    { address: 'john@example.com', external: 'john@example.com', displayName: 'Doe, John' },
    { address: 'jane@example.com', external: 'jane@example.com', displayName: 'Jane Roe' },
    { address: 'a@x.test', external: 'a@x.test', group: 'team' },
    { address: 'b c@y.test', external: '"b c"@y.test', group: 'team' },
    { address: 'q@p.test', external: 'q@p.test', displayName: 'Q. Public' },
  ]);
});

test('header lists: undisclosed recipients and missing commas', () => {
  assert.deepEqual(parseAddressList('undisclosed-recipients:;'), []);
  assert.deepEqual(parseAddressList('a@x b@y').map((entry) => entry.address), ['a@x', 'b@y']);
  assert.deepEqual(parseAddressList('bob').map((entry) => entry.address), ['bob']);
});
