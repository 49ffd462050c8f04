// The rewrite request beyond Postfix's own address set: source routes, remote context with
// and without remote_header_rewrite_domain, literals and dotted domains left alone,
// swap_bangpath/allow_percent_hack off, quoting kept, the compatibility notice, and the
// plain functions over MainConfig.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRig } from './harness.ts';
import { rewriteAddress, rewriteInternalAddress } from '../../../engine/trivial-rewrite/api.ts';

test('local context: @$myorigin, then .$mydomain only when asked', async () => {
  const rig = await makeRig();
  assert.equal(rig.rewriter.rewrite('local', 'bob'), 'bob@example.com');
  assert.equal(rig.rewriter.rewrite('local', 'bob@host'), 'bob@host', 'append_dot_mydomain is off at compatibility level 3.6');
  const old = await makeRig({ main: 'append_dot_mydomain = yes\n' });
  assert.equal(old.rewriter.rewrite('local', 'bob@host'), 'bob@host.example.com');
  assert.equal(old.rewriter.rewrite('local', 'bob@[192.0.2.1]'), 'bob@[192.0.2.1]');
  assert.equal(old.rewriter.rewrite('local', 'bob@host.test'), 'bob@host.test');
});

test('remote context appends nothing unless remote_header_rewrite_domain is set', async () => {
  const rig = await makeRig({ main: 'append_dot_mydomain = yes\n' });
  assert.equal(rig.rewriter.rewrite('remote', 'bob'), 'bob');
  assert.equal(rig.rewriter.rewrite('remote', 'bob@host'), 'bob@host');
  assert.equal(rig.rewriter.rewrite('remote', 'host!bob'), 'bob@host');
  const domain = await makeRig({ main: 'remote_header_rewrite_domain = domain.invalid\n' });
  assert.equal(domain.rewriter.rewrite('remote', 'bob'), 'bob@domain.invalid');
});

test('source routes are stripped; bang paths and percent hacks as configured', async () => {
  const rig = await makeRig();
  assert.equal(rig.rewriter.rewrite('local', '@relay1.test,@relay2.test:bob@dest.test'), 'bob@dest.test');
  assert.equal(rig.rewriter.rewrite('local', 'a!b!bob'), 'b!bob@a');
  assert.equal(rig.rewriter.rewrite('local', 'bob%x%y'), 'bob%x@y');
  const off = await makeRig({ main: 'swap_bangpath = no\nallow_percent_hack = no\nappend_at_myorigin = no\n' });
  assert.equal(off.rewriter.rewrite('local', 'a!bob'), 'a!bob');
  assert.equal(off.rewriter.rewrite('local', 'bob%x'), 'bob%x');
  assert.equal(off.rewriter.rewrite('local', 'bob'), 'bob');
});

test('quoted local parts stay quoted; the empty address stays empty', async () => {
  const rig = await makeRig();
  assert.equal(rig.rewriter.rewrite('local', '"john doe"'), '"john doe"@example.com');
  assert.equal(rig.rewriter.rewrite('local', '""'), '""');
  assert.equal(rig.rewriter.rewrite('local', ''), '');
  assert.ok(rig.warnings().includes('trivial-rewrite: warning: rewrite_addr: null address'));
});

test('compatibility level 0 with the old default logs why .$mydomain was appended', async () => {
  const rig = await makeRig({ main: 'compatibility_level = 0\n' });
  assert.equal(rig.rewriter.rewrite('local', 'bob@host'), 'bob@host.example.com');
  assert.ok(rig.warnings().includes('trivial-rewrite: using backwards-compatible default setting append_dot_mydomain=yes to rewrite "host" to "host.example.com"'));
  const explicit = await makeRig({ main: 'compatibility_level = 0\nappend_dot_mydomain = yes\n' });
  explicit.rewriter.rewrite('local', 'bob@host');
  assert.deepEqual(explicit.warnings().filter((line) => line.includes('backwards-compatible')), []);
});

test('rewriteAddress and rewriteInternalAddress over a MainConfig', async () => {
  const rig = await makeRig();
  assert.equal(rewriteAddress('local', 'alice', rig.config), 'alice@example.com');
  assert.equal(rewriteInternalAddress('local', 'john doe', rig.config), 'john doe@example.com');
  assert.equal(rewriteInternalAddress('local', '', rig.config), '');
});
