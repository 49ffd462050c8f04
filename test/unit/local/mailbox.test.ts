// local(8) mailbox delivery on a sim host: the mbox of logs/a byte for byte (From_ line,
// Return-Path, X-Original-To, Delivered-To, blank line, mode 0600 owned by the user),
// ">From " quoting, appending, Maildir names and layout (logs/b), the unwritable mailbox
// of logs/c2, mailbox_size_limit, the dot-lock held by someone else, and the unknown user
// of logs/h.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLocalRig, MESSAGE_A, SPOOL } from './rig.ts';

test('mbox delivery writes what logs/a shows, owned by the user with mode 0600', async () => {
  const rig = await makeLocalRig();
  const result = await rig.deliver(MESSAGE_A, ['alice@example.com']);
  assert.equal(result.deferred, false);
  assert.deepEqual(rig.lines(), ['to=<alice@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)']);
  const mailbox = await rig.read(`${SPOOL}/alice`);
  assert.equal(mailbox, [
    'From bob@example.com  Sun Nov 22 09:26:23 2026',
    'Return-Path: <bob@example.com>',
    'X-Original-To: alice@example.com',
    'Delivered-To: alice@example.com',
    MESSAGE_A,
    '',
    '',
  ].join('\n'));
  assert.equal(Buffer.byteLength(mailbox), 453, 'the size ls -l shows in logs/a');
  const stat = await rig.platform.fs.stat(`${SPOOL}/alice`);
  assert.equal(stat.mode & 0o777, 0o600);
  assert.equal(stat.uid, 1001);
  assert.equal(stat.gid, 1001);
  await assert.rejects(rig.platform.fs.stat(`${SPOOL}/alice.lock`), 'the dot-lock is removed');
  assert.equal(rig.completed.length, 1);
  assert.equal(rig.completed[0]?.offset, 100);
  assert.equal(rig.outcomes[0]?.offset, -1, 'the status library is not asked to mark sub-deliveries');
});

test('From_ quoting, appending and the null sender', async () => {
  const rig = await makeLocalRig();
  await rig.deliver('Subject: one\n\nFrom here on\n>From stays\nFrom:header-like\n', ['alice@example.com']);
  await rig.deliver('Subject: two\n\nbody\n', ['alice@example.com'], '');
  const mailbox = await rig.read(`${SPOOL}/alice`);
  assert.match(mailbox, /\n>From here on\n>From stays\nFrom:header-like\n\nFrom MAILER-DAEMON  Sun Nov 22 09:26:23 2026\nReturn-Path: <>\n/);
  assert.equal(mailbox.split('\nFrom ').length, 2, 'exactly one From_ separator after the first message');
});

test('orig_to differs when the original recipient was unqualified (logs/b), Maildir layout and name', async () => {
  const rig = await makeLocalRig({ main: 'home_mailbox = Maildir/' });
  await rig.deliver('Subject: test (b) Maildir delivery\n\nHello Carol,\n', [{ address: 'carol@example.com', originalRecipient: 'carol' }], 'alice@example.com');
  assert.deepEqual(rig.lines(), ['to=<carol@example.com>, orig_to=<carol>, relay=local, dsn=2.0.0, status=sent (delivered to maildir)']);
  const fs = rig.deps.fs;
  assert.deepEqual(await fs.readdir('/home/carol/Maildir'), ['cur', 'new', 'tmp']);
  assert.deepEqual(await fs.readdir('/home/carol/Maildir/tmp'), []);
  const [name] = await fs.readdir('/home/carol/Maildir/new');
  assert.match(name ?? '', /^1795339583\.Vfe00I[0-9a-f]+M\d+\.vm$/);
  const text = await rig.read(`/home/carol/Maildir/new/${name}`);
  assert.equal(text, 'Return-Path: <alice@example.com>\nX-Original-To: carol\nDelivered-To: carol@example.com\nSubject: test (b) Maildir delivery\n\nHello Carol,\n');
  const stat = await fs.stat(`/home/carol/Maildir/new/${name}`);
  assert.equal(stat.uid, 1003);
  assert.equal(stat.mode & 0o777, 0o600);
  assert.equal((await fs.stat('/home/carol/Maildir')).uid, 1003);
});

test('a mailbox the user cannot write bounces as logs/c2 shows', async () => {
  const rig = await makeLocalRig({ files: { [`${SPOOL}/bob`]: { text: '', uid: 0, mode: 0o644 } } });
  await rig.deliver('Subject: x\n\nscenario c body\n', ['bob@example.com'], 'sender@remote.test');
  assert.deepEqual(rig.lines(), [
    `to=<bob@example.com>, relay=local, dsn=5.2.0, status=bounced (cannot update mailbox ${SPOOL}/bob for user bob. cannot open file: Permission denied)`,
  ]);
  assert.equal(rig.completed.length, 1, 'a recorded bounce completes the recipient');
  await assert.rejects(rig.platform.fs.stat(`${SPOOL}/bob.lock`));
});

test('mailbox_size_limit bounces with 5.2.2 and leaves the mailbox as it was', async () => {
  const rig = await makeLocalRig({ main: 'mailbox_size_limit = 600\nmessage_size_limit = 500' });
  await rig.deliver(MESSAGE_A, ['alice@example.com']);
  const before = await rig.read(`${SPOOL}/alice`);
  await rig.deliver(MESSAGE_A, ['alice@example.com']);
  assert.equal(rig.lines()[1], `to=<alice@example.com>, relay=local, dsn=5.2.2, status=bounced (cannot update mailbox ${SPOOL}/alice for user alice. error writing message: File too large)`);
  assert.equal(await rig.read(`${SPOOL}/alice`), before);
});

test('a dot-lock held by someone else defers with 4.2.0 after the retries', async () => {
  const rig = await makeLocalRig({ files: { [`${SPOOL}/alice.lock`]: { text: '', uid: 0 } } });
  const pending = rig.deliver(MESSAGE_A, ['alice@example.com']);
  await rig.platform.scheduler.run({ eventsMax: 20 });
  const result = await pending;
  assert.equal(result.deferred, true);
  assert.deepEqual(rig.lines(), [`to=<alice@example.com>, relay=local, dsn=4.2.0, status=deferred (cannot update mailbox ${SPOOL}/alice for user alice. unable to create lock file ${SPOOL}/alice.lock: File exists)`]);
  assert.equal(rig.completed.length, 0);
});

test('an unknown user bounces with the text of logs/h; extensions and case are folded', async () => {
  const rig = await makeLocalRig({ main: 'recipient_delimiter = +' });
  await rig.deliver('Subject: to unknown local user\n\nbody\n', ['nosuchuser@example.com', 'Alice+Lists@Example.COM']);
  assert.deepEqual(rig.lines(), [
    'to=<nosuchuser@example.com>, relay=local, dsn=5.1.1, status=bounced (unknown user: "nosuchuser")',
    'to=<Alice+Lists@Example.COM>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
  ]);
  const mailbox = await rig.read(`${SPOOL}/alice`);
  assert.match(mailbox, /^From bob@example\.com {2}.*\nReturn-Path: <bob@example\.com>\nX-Original-To: Alice\+Lists@Example\.COM\nDelivered-To: Alice\+Lists@Example\.COM\n/);
});

test('a home directory that is missing defers', async () => {
  const rig = await makeLocalRig();
  await rig.platform.fs.rmdir('/home/bob');
  await rig.deliver(MESSAGE_A, ['bob@example.com']);
  assert.deepEqual(rig.lines(), ['to=<bob@example.com>, relay=local, dsn=4.3.0, status=deferred (cannot access home directory /home/bob: No such file or directory)']);
});
