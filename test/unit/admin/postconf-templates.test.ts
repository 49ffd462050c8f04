// postconf -t / -b / -T inside the simulation: the built-in templates are the bounce
// service's (engine/global/dsn/templates.ts), a bounce_template_file replaces them template
// by template, a bad template falls back with postfix/bounce's warning, $name_unit values
// expand with their zero-result warnings, and -T answers as a build without OpenSSL. The
// comparison with the real postconf is test/interop/postconf-templates.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeWorld } from '../maps/harness.ts';
import { postconfMain } from '../../../engine/admin/postconf.ts';
import { NOTICE_TEMPLATES } from '../../../engine/global/dsn/templates.ts';

test('postconf -t dumps the bounce service\'s built-in templates', async () => {
  const world = await makeWorld();
  const result = await world.run(postconfMain, ['postconf', '-t']);
  assert.equal(result.status, 0);
  const failure = NOTICE_TEMPLATES.failure;
  assert.ok(result.stdout.startsWith(`failure_template = <<EOF\nCharset: us-ascii\nFrom: ${failure.from}\nSubject: ${failure.subject}\n`
    + `Postmaster-Subject: ${failure.postmasterSubject}\n\n${failure.text.join('\n')}\nEOF\n\ndelay_template = <<EOF\n`));
  assert.match(result.stdout, /\nverify_template = <<EOF\n[\s\S]*\nEOF\n$/);
});

test('a template file replaces templates; a bad one falls back with a warning; -b expands', async () => {
  const world = await makeWorld();
  await world.write('/etc/postfix/main.cf', 'myhostname = mail.example.test\nbounce_template_file = /etc/postfix/t.cf\ndelay_warning_time = 30m\n');
  await world.write('/etc/postfix/t.cf', 'failure_template = <<EOF\nSubject: Gone\n\nAt $myhostname after $delay_warning_time_hours h.\nEOF\n'
    + 'success_template = <<EOF\nPostmaster-Subject: x\n\ntext\nEOF\n');
  const dumped = await world.run(postconfMain, ['postconf', '-t']);
  assert.ok(dumped.stdout.startsWith('failure_template = <<EOF\nCharset: us-ascii\nFrom: Mail Delivery System <MAILER-DAEMON>\nSubject: Gone\n'
    + 'Postmaster-Subject: Postmaster Copy: Undelivered Mail\n\nAt $myhostname after $delay_warning_time_hours h.\nEOF\n'));
  assert.match(dumped.stderr, /^postfix\/bounce: warning: \/etc\/postfix\/t\.cf: inapplicable "Postmaster-Subject" header label in success template -- ignoring this template\n$/);
  const expanded = await world.run(postconfMain, ['postconf', '-b']);
  assert.ok(expanded.stdout.startsWith('expanded_failure_text = <<EOF\nAt mail.example.test after 0 h.\nEOF\n\nexpanded_delay_text = <<EOF\n'));
  assert.match(expanded.stderr, /warning: \/etc\/postfix\/t\.cf: zero result in failure template conversion of parameter "delay_warning_time_hours"/);
  assert.match(expanded.stderr, /warning: \[built-in\]: zero result in delay template/);
});

test('-T: known modes print nothing (no OpenSSL in mtalab); an unknown mode exits 1', async () => {
  const world = await makeWorld();
  assert.deepEqual(await world.run(postconfMain, ['postconf', '-T', 'public-key-algorithms']), { stdout: '', stderr: '', status: 0 });
  assert.deepEqual(await world.run(postconfMain, ['postconf', '-T', 'x']), { stdout: '', stderr: 'postconf: warning: unknown \'postconf -T\' mode: x\n', status: 1 });
});
