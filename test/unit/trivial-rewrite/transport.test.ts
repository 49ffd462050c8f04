// transport_maps in every form Postfix accepts, the transport(5) search order, the
// recipient delimiter, relocated_maps, and tables that fail (the resolver's fail flag,
// with the warnings Postfix logs: see reference log t2, "address resolver failure").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRig } from './harness.ts';
import { applyTransportEntry } from '../../../engine/trivial-rewrite/api.ts';

test('entry forms: transport:nexthop, transport:, transport, :nexthop, :, error:, discard:', () => {
  const start = { transport: 'smtp', nexthop: '[relay.example]' };
  const apply = (value: string): string => {
    const route = applyTransportEntry(value, 'dest.test', start);
    return `${route.transport}|${route.nexthop}`;
  };
  assert.equal(apply('smtp:[mx.dest.test]:2525'), 'smtp|[mx.dest.test]:2525');
  assert.equal(apply('lmtp:unix:private/lmtp'), 'lmtp|unix:private/lmtp');
  assert.equal(apply('relay:'), 'relay|dest.test');
  assert.equal(apply('relay'), 'relay|dest.test');
  assert.equal(apply(':[other.test]'), 'smtp|[other.test]');
  assert.equal(apply(':'), 'smtp|[relay.example]');
  assert.equal(apply(''), 'smtp|[relay.example]');
  assert.equal(apply('error:5.7.1 no mail for you'), 'error|5.7.1 no mail for you');
  assert.equal(apply('error:'), 'error|Address is undeliverable');
  assert.equal(apply('retry'), 'retry|Address is undeliverable');
  assert.equal(apply('discard:'), 'discard|dest.test');
  assert.equal(apply('discard:silently'), 'discard|silently');
});

const transportTable = [
  'bob+special@example.org  special:',
  'bob@example.org          bobs:[bob.example]',
  'example.org              smtp:[mx.example.org]:25',
  '.example.org             smtp:[sub-mx.example.org]',
  'held.test                retry:4.3.2 held for now',
  'gone.test                error:5.1.2 domain is gone',
  'quiet.test               discard:',
  'keep.test                :[keep-gw.test]',
  'example.com              local:',
  '*                        smtp:[fallback.test]',
  '',
].join('\n');

test('search order: user+ext@domain, user@domain, domain, .parent, then "*"', async () => {
  const rig = await makeRig({
    main: 'transport_maps = hash:/etc/postfix/transport\nrecipient_delimiter = +\n',
    files: { '/etc/postfix/transport': transportTable },
    postmap: ['/etc/postfix/transport'],
  });
  const route = async (address: string): Promise<string> => {
    const result = await rig.rewriter.resolve(address);
    return `${result.class} ${result.transport} ${result.nexthop}`;
  };
  assert.equal(await route('bob+special@example.org'), 'default special example.org');
  assert.equal(await route('bob+other@example.org'), 'default bobs [bob.example]');
  assert.equal(await route('bob@example.org'), 'default bobs [bob.example]');
  assert.equal(await route('alice@example.org'), 'default smtp [mx.example.org]:25');
  assert.equal(await route('alice@deep.sub.example.org'), 'default smtp [sub-mx.example.org]');
  assert.equal(await route('x@held.test'), 'default retry 4.3.2 held for now');
  assert.equal(await route('x@gone.test'), 'default error 5.1.2 domain is gone');
  assert.equal(await route('x@quiet.test'), 'default discard quiet.test');
  assert.equal(await route('x@keep.test'), 'default smtp [keep-gw.test]');
  assert.equal(await route('x@example.com'), 'local local example.com');
  assert.equal(await route('x@unlisted.test'), 'default smtp [fallback.test]');
  const match = (await rig.rewriter.resolve('bob+other@example.org')).transportMatch;
  assert.deepEqual(match, { key: 'bob@example.org', value: 'bobs:[bob.example]', table: 'hash:/etc/postfix/transport' });
});

test('parent_domain_matches_subdomains with transport_maps: bare parents match', async () => {
  const rig = await makeRig({
    main: 'transport_maps = texthash:/etc/postfix/transport\nparent_domain_matches_subdomains = transport_maps\n',
    files: { '/etc/postfix/transport': 'example.org smtp:[parent.test]\n' },
  });
  assert.equal((await rig.rewriter.resolve('a@sub.example.org')).nexthop, '[parent.test]');
  const strict = await makeRig({
    main: 'transport_maps = texthash:/etc/postfix/transport\n',
    files: { '/etc/postfix/transport': 'example.org smtp:[parent.test]\n' },
  });
  assert.equal((await strict.rewriter.resolve('a@sub.example.org')).nexthop, 'sub.example.org');
});

test('transport_maps does not override the virtual alias class', async () => {
  const rig = await makeRig({
    main: 'virtual_alias_domains = alias.test\ntransport_maps = texthash:/etc/postfix/transport\n',
    files: { '/etc/postfix/transport': '* smtp:[everything.test]\n' },
  });
  const alias = await rig.rewriter.resolve('x@alias.test');
  assert.deepEqual([alias.transport, alias.nexthop], ['error', '5.1.1 User unknown in virtual alias table']);
});

test('relocated_maps: "5.1.6 User has moved to ..." for users and whole domains, extension ignored', async () => {
  const rig = await makeRig({
    main: 'relocated_maps = texthash:/etc/postfix/relocated\nrelay_domains = oldcompany.test\nrecipient_delimiter = +\n',
    files: { '/etc/postfix/relocated': 'olduser@example.com olduser@newplace.test\n@oldcompany.test contact@newcompany.test\n' },
  });
  const moved = await rig.rewriter.resolve('olduser+x@example.com');
  assert.deepEqual([moved.class, moved.transport, moved.nexthop, moved.relocatedTo],
    ['local', 'error', '5.1.6 User has moved to olduser@newplace.test', 'olduser@newplace.test']);
  const domain = await rig.rewriter.resolve('anybody@oldcompany.test');
  assert.deepEqual([domain.class, domain.transport, domain.nexthop], ['relay', 'error', '5.1.6 User has moved to contact@newcompany.test']);
  const localPart = await rig.rewriter.resolve('olduser@mail.example.com');
  assert.equal(localPart.transport, 'local', 'user@domain keys do not match another local domain');
});

test('a missing hash transport table: warnings as in Postfix\'s log, then the fail flag', async () => {
  const rig = await makeRig({ main: 'transport_maps = hash:/etc/postfix/nosuch_transport\n' });
  const atStart = rig.warnings();
  assert.deepEqual(atStart, [
    'trivial-rewrite: error: open database /etc/postfix/nosuch_transport.db: No such file or directory',
    'trivial-rewrite: warning: hash:/etc/postfix/nosuch_transport is unavailable. open database /etc/postfix/nosuch_transport.db: No such file or directory',
    'trivial-rewrite: warning: hash:/etc/postfix/nosuch_transport lookup error for "*"',
    'trivial-rewrite: warning: hash:/etc/postfix/nosuch_transport is unavailable. open database /etc/postfix/nosuch_transport.db: No such file or directory',
    'trivial-rewrite: warning: hash:/etc/postfix/nosuch_transport lookup error for "*"',
  ]);
  const result = await rig.rewriter.resolve('bob@example.com');
  assert.equal(result.flags.fail, true);
  assert.deepEqual(rig.warnings().slice(atStart.length), [
    'trivial-rewrite: warning: hash:/etc/postfix/nosuch_transport is unavailable. open database /etc/postfix/nosuch_transport.db: No such file or directory',
    'trivial-rewrite: warning: hash:/etc/postfix/nosuch_transport lookup error for "bob@example.com"',
    'trivial-rewrite: warning: transport_maps lookup failure',
  ]);
});

test('failing tables in the class lists and relocated_maps set the fail flag', async () => {
  const relay = await makeRig({ main: 'relay_domains = fail:down\n' });
  const relayed = await relay.rewriter.resolve('x@elsewhere.test');
  assert.equal(relayed.flags.fail, true);
  assert.ok(relay.warnings().includes('trivial-rewrite: warning: relay_domains lookup failure'));
  const local = await makeRig({ main: 'mydestination = fail:down\n' });
  assert.equal((await local.rewriter.resolve('x@example.com')).flags.fail, true);
  assert.ok(local.warnings().includes('trivial-rewrite: warning: mydestination: fail:down: table lookup problem'));
  const relocated = await makeRig({ main: 'relocated_maps = fail:down\n' });
  assert.equal((await relocated.rewriter.resolve('x@example.com')).flags.fail, true);
  assert.ok(relocated.warnings().includes('trivial-rewrite: warning: relocated_maps lookup failure'));
});

test('address verification uses the address_verify_* parameters', async () => {
  const rig = await makeRig({ main: 'address_verify_default_transport = verify-smtp\naddress_verify_relayhost = [probe.test]\n' });
  const verify = await rig.rewriter.resolve('x@elsewhere.test', { verify: true });
  assert.deepEqual([verify.transport, verify.nexthop], ['verify-smtp', '[probe.test]']);
  const regular = await rig.rewriter.resolve('x@elsewhere.test');
  assert.deepEqual([regular.transport, regular.nexthop], ['smtp', 'elsewhere.test']);
});
