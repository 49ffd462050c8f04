// trivial-rewrite against the answers Postfix 3.7 gives for the address set of its own
// rewrite_clnt and resolve_clnt tests (run there with relayhost = $mydomain,
// append_dot_mydomain = yes, no transport map, a non-empty remote_header_rewrite_domain),
// restated as a table: input -> result. MYHOSTNAME/MYDOMAIN stand for the rig's names.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRig } from './harness.ts';

const HOSTNAME = 'mail.example.com';
const DOMAIN = 'example.com';
const REMOTE = 'invalid.example';
const fill = (text: string): string => text.replaceAll('MYHOSTNAME', HOSTNAME).replaceAll('MYDOMAIN', DOMAIN).replaceAll('REMOTE', REMOTE);

// [input, local-context result, remote-context result]
const rewrites: Array<[string, string, string]> = [
  ['!', '""@', '""@'],
  ['a!', '""@a.MYDOMAIN', '""@a.REMOTE'],
  ['!b', 'b@', 'b@'],
  ['a!b', 'b@a.MYDOMAIN', 'b@a.REMOTE'],
  ['%', '""@', '""@'],
  ['a%', 'a@', 'a@'],
  ['%b', '""@b.MYDOMAIN', '""@b.REMOTE'],
  ['a%b', 'a@b.MYDOMAIN', 'a@b.REMOTE'],
  ['@', '""', '""'],
  ['a@', 'a@', 'a@'],
  ['a@.', 'a@.', 'a@.'],
  ['a@b', 'a@b.MYDOMAIN', 'a@b.REMOTE'],
  ['a@b.', 'a@b', 'a@b'],
];

test('rewrite: Postfix\'s rewrite_clnt address set, local and remote context', async () => {
  const rig = await makeRig({ main: `append_dot_mydomain = yes\nremote_header_rewrite_domain = ${REMOTE}\n` });
  for (const [input, local, remote] of rewrites) {
    assert.equal(rig.rewriter.rewrite('local', input), fill(local), `local ${input}`);
    assert.equal(rig.rewriter.rewrite('remote', input), fill(remote), `remote ${input}`);
  }
});

// [input, transport, nexthop, recipient, flags]; '-' = not set (resolution stopped early)
const resolutions: Array<[string, string, string, string, string]> = [
  ['', 'local', 'MYHOSTNAME', 'MAILER-DAEMON@MYHOSTNAME', 'local'],
  ['@', '-', '-', 'MAILER-DAEMON@', 'error default'],
  ['@@', '-', '-', 'MAILER-DAEMON@', 'error default'],
  ['@a.', 'smtp', 'MYDOMAIN', '@a', 'default'],
  ['@..', '-', '-', '@..', 'error default'],
  ['@.@.', '-', '-', '@.@.', 'error default'],
  ['!', '-', '-', 'MAILER-DAEMON@', 'error default'],
  ['a!', 'smtp', 'MYDOMAIN', '@a.MYDOMAIN', 'default'],
  ['!b', '-', '-', 'b@', 'error default'],
  ['a!b', 'smtp', 'MYDOMAIN', 'b@a.MYDOMAIN', 'default'],
  ['!@', '-', '-', 'MAILER-DAEMON@', 'error default'],
  ['a!@', 'smtp', 'MYDOMAIN', '@a.MYDOMAIN', 'default'],
  ['!b@', '-', '-', 'b@', 'error default'],
  ['a!b@', 'smtp', 'MYDOMAIN', 'b@a.MYDOMAIN', 'default'],
  ['%', '-', '-', 'MAILER-DAEMON@', 'error default'],
  ['a%', '-', '-', 'a@', 'error default'],
  ['%b', 'smtp', 'MYDOMAIN', '@b.MYDOMAIN', 'default'],
  ['a%b', 'smtp', 'MYDOMAIN', 'a@b.MYDOMAIN', 'default'],
  ['%@', '-', '-', 'MAILER-DAEMON@', 'error default'],
  ['a%@', '-', '-', 'a@', 'error default'],
  ['%b@', 'smtp', 'MYDOMAIN', '@b.MYDOMAIN', 'default'],
  ['a@@', '-', '-', 'a@', 'error default'],
  ['@b@', 'smtp', 'MYDOMAIN', '@b.MYDOMAIN', 'default'],
  ['a@b@', 'smtp', 'MYDOMAIN', 'a@b.MYDOMAIN', 'default'],
  ['a%b@', 'smtp', 'MYDOMAIN', 'a@b.MYDOMAIN', 'default'],
  ['a%b@MYHOSTNAME', 'smtp', 'MYDOMAIN', 'a@b.MYDOMAIN', 'default'],
  ['a!b@MYHOSTNAME', 'smtp', 'MYDOMAIN', 'b@a.MYDOMAIN', 'default'],
  ['a@b@MYHOSTNAME', 'smtp', 'MYDOMAIN', 'a@b.MYDOMAIN', 'default'],
  ['a[b]@MYHOSTNAME@MYHOSTNAME', 'local', 'MYHOSTNAME', 'a[b]@MYHOSTNAME', 'local'],
  ['a[b]%MYHOSTNAME@MYHOSTNAME', 'local', 'MYHOSTNAME', 'a[b]@MYHOSTNAME', 'local'],
  ['a[b]%MYHOSTNAME%MYHOSTNAME', 'local', 'MYHOSTNAME', 'a[b]@MYHOSTNAME', 'local'],
  ['MYHOSTNAME!a[b]@MYHOSTNAME', 'local', 'MYHOSTNAME', 'a [b]@MYHOSTNAME', 'local'],
  ['MYHOSTNAME!a[b]%MYHOSTNAME', 'local', 'MYHOSTNAME', 'a [b]@MYHOSTNAME', 'local'],
  ['MYHOSTNAME!MYHOSTNAME!a[b]', 'local', 'MYHOSTNAME', 'a [b]@MYHOSTNAME', 'local'],
  ['user@dom.ain1@dom.ain2', 'smtp', 'MYDOMAIN', 'user@dom.ain1@dom.ain2', 'routed default'],
  ['user%dom.ain1@dom.ain2', 'smtp', 'MYDOMAIN', 'user%dom.ain1@dom.ain2', 'routed default'],
  ['dom.ain1!user@dom.ain2', 'smtp', 'MYDOMAIN', 'dom.ain1!user@dom.ain2', 'routed default'],
  ['user@[1.2.3.4]@dom.ain2', 'smtp', 'MYDOMAIN', 'user@[1.2.3.4]@dom.ain2', 'routed default'],
  ['user%[1.2.3.4]@dom.ain2', 'smtp', 'MYDOMAIN', 'user%[1.2.3.4]@dom.ain2', 'routed default'],
  ['[1.2.3.4]!user@dom.ain2', 'smtp', 'MYDOMAIN', '[1.2.3.4]!user@dom.ain2', 'routed default'],
  ['user@localhost.MYDOMAIN', 'local', 'MYHOSTNAME', 'user@localhost.MYDOMAIN', 'local'],
  ['user@[321.1.2.3]', '-', '-', 'user@[321.1.2.3]', 'error default'],
  ['user@1.2.3', '-', '-', 'user@1.2.3', 'error default'],
  ['user@host:port', '-', '-', 'user@host:port', 'error default'],
  ['user@host', 'smtp', 'MYDOMAIN', 'user@host', 'default'],
];

test('resolve: Postfix\'s resolve_clnt address set', async () => {
  const rig = await makeRig({
    main: 'relayhost = $mydomain\nappend_dot_mydomain = yes\nmydestination = $myhostname, localhost.$mydomain, localhost\n',
  });
  for (const [input, transport, nexthop, recipient, flags] of resolutions) {
    const result = await rig.rewriter.resolve(fill(input));
    const shownFlags = [result.flags.fail ? 'fail' : '', result.flags.error ? 'error' : '', result.flags.routed ? 'routed' : '', result.class]
      .filter((flag) => flag !== '').join(' ');
    assert.deepEqual([result.transport || '-', result.nexthop || '-', result.recipient, shownFlags],
      [transport, fill(nexthop), fill(recipient), flags], `resolve ${JSON.stringify(input)}`);
  }
  // The invalid literal gets the checker's warning, as resolve_local gripes about it.
  assert.ok(rig.warnings().includes('trivial-rewrite: warning: valid_ipv4_hostaddr: invalid octet value: 321.1.2.3'));
});
