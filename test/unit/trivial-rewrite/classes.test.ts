// Address classes and their routes: local (mydestination, [ip] literals of
// inet_interfaces/proxy_interfaces), virtual alias, virtual mailbox, relay and default;
// local_transport's nexthop form; relayhost for relay and default; sender-dependent
// maps; the "do not list domain X in BOTH ..." warnings; null transports; recipient
// delimiter extensions kept; the trace event of each resolution.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRig } from './harness.ts';
import { rewriteEndpoint } from '../../../engine/trivial-rewrite/api.ts';

const domains = [
  'virtual_alias_domains = alias.test',
  'virtual_mailbox_domains = mailbox.test',
  'relay_domains = relay.test',
  '',
].join('\n');

test('each class with its default transport and nexthop', async () => {
  const rig = await makeRig({ main: domains });
  const cases: Array<[string, string, string, string]> = [
    ['bob@example.com', 'local', 'local', 'mail.example.com'],
    ['bob@mail.example.com', 'local', 'local', 'mail.example.com'],
    ['bob@LOCALHOST', 'local', 'local', 'mail.example.com'],
    ['bob@alias.test', 'alias', 'error', '5.1.1 User unknown in virtual alias table'],
    ['bob@mailbox.test', 'virtual', 'virtual', 'mailbox.test'],
    ['bob@relay.test', 'relay', 'relay', 'relay.test'],
    ['bob@sub.relay.test', 'relay', 'relay', 'sub.relay.test'],
    ['bob@elsewhere.test', 'default', 'smtp', 'elsewhere.test'],
  ];
  for (const [address, klass, transport, nexthop] of cases) {
    const result = await rig.rewriter.resolve(address);
    assert.deepEqual([result.class, result.transport, result.nexthop], [klass, transport, nexthop], address);
    assert.deepEqual(result.flags, { fail: false, error: false, routed: false }, address);
  }
  assert.deepEqual(rig.warnings(), []);
});

test('an address without a domain is local to $myhostname; case and one trailing dot', async () => {
  const rig = await makeRig();
  const bare = await rig.rewriter.resolve('bob');
  assert.deepEqual([bare.class, bare.recipient, bare.nexthop], ['local', 'bob@mail.example.com', 'mail.example.com']);
  const dotted = await rig.rewriter.resolve('Bob@Example.COM.');
  assert.deepEqual([dotted.class, dotted.recipient], ['local', 'Bob@Example.COM']);
});

test('relayhost serves the relay and default classes, never local or virtual', async () => {
  const rig = await makeRig({ main: `${domains}relayhost = [gateway.example.com]:587\n` });
  const nexthop = async (address: string): Promise<string> => (await rig.rewriter.resolve(address)).nexthop;
  assert.equal(await nexthop('a@elsewhere.test'), '[gateway.example.com]:587');
  assert.equal(await nexthop('a@relay.test'), '[gateway.example.com]:587');
  assert.equal(await nexthop('a@mailbox.test'), 'mailbox.test');
  assert.equal(await nexthop('a@example.com'), 'mail.example.com');
});

test('a "transport:nexthop" parameter value sets the nexthop; a bare transport keeps it', async () => {
  const rig = await makeRig({
    main: `${domains}local_transport = local\nrelay_transport = smtp:[relay-gw.example]:2525\ndefault_transport = error:no outside mail\nvirtual_transport = lmtp:unix:private/dovecot-lmtp\n`,
  });
  const route = async (address: string): Promise<string> => {
    const result = await rig.rewriter.resolve(address);
    return `${result.transport} ${result.nexthop}`;
  };
  assert.equal(await route('a@example.com'), 'local example.com');
  assert.equal(await route('a@relay.test'), 'smtp [relay-gw.example]:2525');
  assert.equal(await route('a@elsewhere.test'), 'error no outside mail');
  assert.equal(await route('a@mailbox.test'), 'lmtp unix:private/dovecot-lmtp');
});

test('address literals are local when they name inet_interfaces or proxy_interfaces', async () => {
  const rig = await makeRig({ main: 'proxy_interfaces = 192.0.2.7\n' });
  const classOf = async (address: string): Promise<string> => (await rig.rewriter.resolve(address)).class;
  assert.equal(await classOf('root@[127.0.0.1]'), 'local');
  assert.equal(await classOf('root@[192.0.2.7]'), 'local');
  assert.equal(await classOf('root@[192.0.2.8]'), 'default');
  const remote = await rig.rewriter.resolve('root@[192.0.2.8]');
  assert.deepEqual([remote.transport, remote.nexthop], ['smtp', '[192.0.2.8]']);
  const all = await makeRig({ main: 'inet_interfaces = all\n', interfaceAddresses: ['127.0.0.1/8', '10.1.2.3/24', '::1/128'] });
  assert.equal((await all.rewriter.resolve('root@[10.1.2.3]')).class, 'local');
  assert.equal((await all.rewriter.resolve('root@[IPv6:::1]')).class, 'local');
  assert.equal((await all.rewriter.resolve('root@[10.1.2.4]')).class, 'default');
});

test('resolve_numeric_domain turns a bare IP domain into a literal', async () => {
  const off = await makeRig();
  assert.equal((await off.rewriter.resolve('root@127.0.0.1')).flags.error, true);
  const on = await makeRig({ main: 'resolve_numeric_domain = yes\n' });
  const local = await on.rewriter.resolve('root@127.0.0.1');
  assert.deepEqual([local.class, local.recipient, local.flags.error], ['local', 'root@[127.0.0.1]', false]);
  const remote = await on.rewriter.resolve('root@192.0.2.1');
  assert.deepEqual([remote.class, remote.recipient, remote.nexthop], ['default', 'root@[192.0.2.1]', '[192.0.2.1]']);
});

test('a domain in two classes: Postfix\'s warnings, and the first class wins', async () => {
  const rig = await makeRig({
    main: 'virtual_alias_domains = example.com, both.test\nvirtual_mailbox_domains = both.test\nrelay_domains = both.test\n',
  });
  const local = await rig.rewriter.resolve('alice@example.com');
  assert.equal(local.class, 'local');
  const both = await rig.rewriter.resolve('x@both.test');
  assert.equal(both.class, 'alias');
  assert.deepEqual(rig.warnings(), [
    'trivial-rewrite: warning: do not list domain example.com in BOTH mydestination and virtual_alias_domains',
    'trivial-rewrite: warning: do not list domain both.test in BOTH virtual_alias_domains and virtual_mailbox_domains',
    'trivial-rewrite: warning: do not list domain both.test in BOTH virtual_alias_domains and relay_domains',
  ]);
  const quiet = await makeRig({ main: 'helpful_warnings = no\nvirtual_alias_domains = example.com\n' });
  await quiet.rewriter.resolve('alice@example.com');
  assert.deepEqual(quiet.warnings(), []);
});

test('virtual_alias_domains defaults to the domains of virtual_alias_maps', async () => {
  const rig = await makeRig({
    main: 'virtual_alias_maps = texthash:/etc/postfix/virtual\nshow_user_unknown_table_name = no\n',
    files: { '/etc/postfix/virtual': 'example.net anything\ninfo@example.net alice\n' },
  });
  const result = await rig.rewriter.resolve('nobody@example.net');
  assert.deepEqual([result.class, result.transport, result.nexthop], ['alias', 'error', '5.1.1 User unknown']);
});

test('sender-dependent default transport and relayhost, with the null sender key', async () => {
  const rig = await makeRig({
    main: 'sender_dependent_default_transport_maps = texthash:/etc/postfix/sdt\nsender_dependent_relayhost_maps = texthash:/etc/postfix/sdr\nrelayhost = [main-gw.test]\n',
    files: {
      '/etc/postfix/sdt': '@partner.test slow:\n<> bounces:\nnull@x.test\nalice@example.com DUNNO\n',
      '/etc/postfix/sdr': '@partner.test [partner-gw.test]:25\nalice@example.com DUNNO\n',
    },
  });
  const route = async (sender: string): Promise<string> => {
    const result = await rig.rewriter.resolve('rcpt@elsewhere.test', { sender });
    return `${result.class} ${result.transport} ${result.nexthop}`;
  };
  assert.equal(await route('bob@partner.test'), 'default slow [partner-gw.test]:25');
  assert.equal(await route(''), 'default bounces [main-gw.test]');
  assert.equal(await route('alice@example.com'), 'default smtp [main-gw.test]');
  assert.equal(await route('carol@other.test'), 'default smtp [main-gw.test]');
});

test('a null transport is a resolver failure with Postfix\'s warning', async () => {
  const rig = await makeRig({ main: 'default_transport =\n' });
  const result = await rig.rewriter.resolve('a@elsewhere.test');
  assert.equal(result.flags.fail, true);
  assert.deepEqual(rig.warnings(), ['trivial-rewrite: warning: file /etc/postfix/main.cf: parameter default_transport: null transport is not allowed']);
});

test('recipient delimiter extensions stay in the recipient', async () => {
  const rig = await makeRig({ main: 'recipient_delimiter = +\n' });
  const result = await rig.rewriter.resolve('bob+lists@example.com');
  assert.deepEqual([result.class, result.recipient], ['local', 'bob+lists@example.com']);
});

test('quoted local parts: dequoting finds routing operators; without it they stay', async () => {
  const rig = await makeRig();
  const routed = await rig.rewriter.resolve('user@remote.test@example.com');
  assert.deepEqual([routed.class, routed.recipient, routed.nexthop], ['default', 'user@remote.test', 'remote.test']);
  const percent = await rig.rewriter.resolve('user%remote.test@example.com');
  assert.deepEqual([percent.class, percent.recipient], ['default', 'user@remote.test']);
  const bang = await rig.rewriter.resolve('remote.test!user@example.com');
  assert.deepEqual([bang.class, bang.recipient], ['default', 'user@remote.test']);
  const spaced = await rig.rewriter.resolve('john doe@example.com');
  assert.deepEqual([spaced.class, spaced.recipient], ['local', 'john doe@example.com']);
  const strict = await makeRig({ main: 'resolve_dequoted_address = no\nallow_percent_hack = no\nswap_bangpath = no\n' });
  const kept = await strict.rewriter.resolve('user@remote.test@example.com');
  assert.deepEqual([kept.class, kept.recipient], ['local', 'user@remote.test@example.com']);
  const keptPercent = await strict.rewriter.resolve('user%remote.test@example.com');
  assert.deepEqual([keptPercent.class, keptPercent.recipient], ['local', 'user%remote.test@example.com']);
});

test('empty address and resolve_null_domain', async () => {
  const rig = await makeRig({ main: 'empty_address_recipient = postmaster\n' });
  const empty = await rig.rewriter.resolve('');
  assert.deepEqual([empty.class, empty.recipient], ['local', 'postmaster@mail.example.com']);
  const atEnd = await rig.rewriter.resolve('bob@');
  assert.equal(atEnd.flags.error, true);
  const nulldom = await makeRig({ main: 'resolve_null_domain = yes\n' });
  const fixed = await nulldom.rewriter.resolve('bob@');
  assert.deepEqual([fixed.class, fixed.recipient, fixed.flags.error], ['local', 'bob@mail.example.com', false]);
});

test('a recipient that starts with "-" is an error unless allow_min_user', async () => {
  const rig = await makeRig();
  assert.equal((await rig.rewriter.resolve('-oops@example.com')).flags.error, true);
  const allowed = await makeRig({ main: 'allow_min_user = yes\n' });
  assert.equal((await allowed.rewriter.resolve('-oops@example.com')).flags.error, false);
});

test('the RewriteEndpoint of the pipeline contracts', async () => {
  const rig = await makeRig({ main: domains });
  const endpoint = rewriteEndpoint(rig.rewriter);
  assert.equal(await endpoint.rewrite('local', 'bob'), 'bob@example.com');
  assert.deepEqual(await endpoint.resolve('', 'user@dom.ain1@relay.test'), {
    addressClass: 'relay', transport: 'relay', nexthop: 'relay.test', recipient: 'user@dom.ain1@relay.test', flags: ['routed'],
  });
});

test('each resolution and rewrite is a trace event', async () => {
  const rig = await makeRig({ main: domains });
  await rig.rewriter.resolve('bob@relay.test', { sender: 'alice@example.com' });
  rig.rewriter.rewrite('local', 'bob');
  const events = rig.events.filter((event) => event.kind.startsWith('trivial-rewrite.'));
  assert.equal(events.length, 2);
  const [resolved, rewritten] = events;
  assert.ok(resolved && resolved.kind === 'trivial-rewrite.resolve');
  assert.deepEqual({ service: resolved.service, pid: resolved.pid, address: resolved.address, addressClass: resolved.addressClass,
    transport: resolved.transport, nexthop: resolved.nexthop, recipient: resolved.recipient, flags: resolved.flags },
  { service: 'trivial-rewrite', pid: 4242, address: 'bob@relay.test', addressClass: 'relay',
    transport: 'relay', nexthop: 'relay.test', recipient: 'bob@relay.test', flags: [] });
  assert.ok(rewritten && rewritten.kind === 'trivial-rewrite.rewrite');
  assert.deepEqual([rewritten.context, rewritten.address, rewritten.result], ['local', 'bob', 'bob@example.com']);
});
