// local(8) expansion on a sim host: the aliases and .forward of logs/d (sales -> alice,
// bob; bob's "\bob, carol@example.com"; team -> :include: list; archive -> /file owned by
// default_privs), owner- aliases, allow_mail_to_commands/files, built-in commands,
// Delivered-To loop detection, luser_relay and alias loops.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLocalRig, SPOOL, CONFIG_DIRECTORY } from './rig.ts';

const D_ALIASES = [
  '# aliases for ref1',
  'postmaster: root',
  'root: alice',
  'abuse: postmaster',
  'sales: alice, bob',
  `team: :include:${CONFIG_DIRECTORY}/team.list`,
  `archive: ${SPOOL}/archive.mbox`,
  '',
].join('\n');

const D_FILES = {
  '/home/bob/.forward': { text: '\\bob, carol@example.com\n', uid: 1002 },
  [`${CONFIG_DIRECTORY}/team.list`]: { text: 'bob\ncarol\n', uid: 0 },
};

const MESSAGE_D = 'Subject: test (d) alias expansion\nFrom: root <alice@example.com>\n\nscenario d\n';

test('sales: alias members delivered here, bob\'s .forward forwards carol (logs/d, first message)', async () => {
  const rig = await makeLocalRig({ aliases: D_ALIASES, files: D_FILES });
  const result = await rig.deliver(MESSAGE_D, ['sales@example.com'], 'alice@example.com');
  assert.equal(result.deferred, false);
  const [forwarded] = rig.forwarded;
  assert.deepEqual(rig.lines(), [
    'to=<alice@example.com>, orig_to=<sales@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
    'to=<bob@example.com>, orig_to=<sales@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
    `to=<sales@example.com>, relay=local, dsn=2.0.0, status=sent (forwarded as ${forwarded?.queueId})`,
  ]);
  assert.equal(rig.forwarded.length, 1);
  assert.equal(forwarded?.sender, 'alice@example.com');
  assert.deepEqual(forwarded?.recipients, [{ address: 'carol@example.com', originalRecipient: 'sales@example.com' }]);
  assert.equal(forwarded?.content, `Delivered-To: sales@example.com\n${MESSAGE_D}`);
  assert.deepEqual(rig.traces.map((trace) => trace.kind), ['local.forwarded']);
  const alice = await rig.read(`${SPOOL}/alice`);
  assert.match(alice, /\nX-Original-To: sales@example\.com\nDelivered-To: sales@example\.com\nSubject: test \(d\)/);
  assert.equal(rig.completed.length, 1);
});

test('the forwarded copy delivered to carol, and a forward to a local name that loops back', async () => {
  const rig = await makeLocalRig({ aliases: D_ALIASES, files: D_FILES });
  await rig.deliver(`Delivered-To: sales@example.com\n${MESSAGE_D}`, [{ address: 'carol@example.com', originalRecipient: 'sales@example.com' }], 'alice@example.com');
  assert.deepEqual(rig.lines(), ['to=<carol@example.com>, orig_to=<sales@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)']);
  await rig.deliver(`Delivered-To: sales@example.com\n${MESSAGE_D}`, ['sales@example.com'], 'alice@example.com');
  assert.equal(rig.lines()[1], 'to=<sales@example.com>, relay=local, dsn=5.4.6, status=bounced (mail forwarding loop for sales@example.com)');
});

test('team (:include:) is forwarded as one new message; archive goes to a /file owned by nobody', async () => {
  const rig = await makeLocalRig({ aliases: D_ALIASES, files: D_FILES });
  await rig.deliver(MESSAGE_D, ['archive@example.com', 'team@example.com'], 'alice@example.com');
  const [forwarded] = rig.forwarded;
  assert.deepEqual(rig.lines(), [
    `to=<archive@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to file: ${SPOOL}/archive.mbox)`,
    `to=<team@example.com>, relay=local, dsn=2.0.0, status=sent (forwarded as ${forwarded?.queueId})`,
  ]);
  assert.deepEqual(forwarded?.recipients.map((recipient) => recipient.address), ['bob@example.com', 'carol@example.com']);
  assert.deepEqual(forwarded?.recipients.map((recipient) => recipient.originalRecipient), ['team@example.com', 'team@example.com']);
  assert.ok(forwarded?.content.startsWith('Delivered-To: team@example.com\nSubject: test (d)'));
  const archive = await rig.read(`${SPOOL}/archive.mbox`);
  assert.match(archive, /^From alice@example\.com {2}Sun Nov 22 09:26:23 2026\nReturn-Path: <alice@example\.com>\nX-Original-To: archive@example\.com\nDelivered-To: archive@example\.com\nSubject: test \(d\)/);
  const stat = await rig.deps.fs.stat(`${SPOOL}/archive.mbox`);
  assert.deepEqual([stat.uid, stat.gid, stat.mode & 0o777], [65534, 65534, 0o600]);
  assert.equal(rig.completed.length, 2);
});

test('an alias that names itself delivers to the user; a mutual alias loop bounces', async () => {
  const rig = await makeLocalRig({ aliases: 'alice: alice, bob\nping: pong\npong: ping\n' });
  await rig.deliver(MESSAGE_D, ['alice@example.com'], 'carol@example.com');
  assert.deepEqual(rig.lines(), [
    'to=<alice@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
    'to=<bob@example.com>, orig_to=<alice@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
  ]);
  await rig.deliver(MESSAGE_D, ['ping@example.com'], 'carol@example.com');
  assert.match(rig.lines()[2] ?? '', /^to=<(ping|pong)@example\.com>(, orig_to=<ping@example\.com>)?, relay=local, dsn=5\.4\.6, status=bounced \(alias database loop for (ping|pong)\)$/);
});

test('owner- aliases become the sender of the expansion and force a new queue file', async () => {
  const rig = await makeLocalRig({ aliases: 'list: alice, carol\nowner-list: bob\n' });
  await rig.deliver(MESSAGE_D, ['list@example.com'], 'someone@remote.test');
  const [forwarded] = rig.forwarded;
  assert.equal(forwarded?.sender, 'owner-list@example.com');
  assert.deepEqual(forwarded?.recipients, [{ address: 'alice@example.com' }, { address: 'carol@example.com' }]);
  assert.deepEqual(rig.lines(), [`to=<list@example.com>, relay=local, dsn=2.0.0, status=sent (forwarded as ${forwarded?.queueId})`]);
});

test('|command and /file are refused where allow_mail_to_* do not list the source', async () => {
  const rig = await makeLocalRig({
    main: 'allow_mail_to_commands = forward\nallow_mail_to_files = forward',
    aliases: `runit: "|/bin/true"\nsave: ${SPOOL}/save.mbox\n`,
  });
  await rig.deliver(MESSAGE_D, ['runit@example.com', 'save@example.com'], 'alice@example.com');
  assert.deepEqual(rig.lines(), [
    'to=<runit@example.com>, relay=local, dsn=5.7.1, status=bounced (mail to command is restricted)',
    'to=<save@example.com>, relay=local, dsn=5.7.1, status=bounced (mail to file is restricted)',
  ]);
});

test('built-in commands: cat >> file, exit 75 defers, an unknown program bounces', async () => {
  const rig = await makeLocalRig({
    aliases: `keep: "|cat >> ${SPOOL}/kept"\nlater: "|exit 75"\nnope: "|/usr/bin/procmail -a x"\n`,
  });
  await rig.deliver(MESSAGE_D, ['keep@example.com', 'later@example.com', 'nope@example.com'], 'alice@example.com');
  assert.deepEqual(rig.lines(), [
    `to=<keep@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to command: cat >> ${SPOOL}/kept)`,
    'to=<later@example.com>, relay=local, dsn=4.3.0, status=deferred (temporary failure)',
    'to=<nope@example.com>, relay=local, dsn=5.3.0, status=bounced (Command died with status 127: "/usr/bin/procmail -a x". Command output: sh: 1: /usr/bin/procmail: not found)',
  ]);
  const kept = await rig.read(`${SPOOL}/kept`);
  assert.match(kept, /^From alice@example\.com {2}Sun Nov 22 09:26:23 2026\nReturn-Path: <alice@example\.com>\nX-Original-To: keep@example\.com\nDelivered-To: keep@example\.com\nSubject: test \(d\)/);
  assert.deepEqual((await rig.deps.fs.stat(`${SPOOL}/kept`)).uid, 65534, 'root-owned aliases run commands as default_privs');
  assert.equal(rig.completed.length, 2, 'the deferred recipient stays in the queue');
});

test('mailbox_command with the built-in runner, .forward with a |command as the user', async () => {
  const rig = await makeLocalRig({
    main: 'mailbox_command = cat >> ${HOME}/inbox',
    files: { '/home/carol/.forward': { text: `"|cat >> /home/carol/piped"\n`, uid: 1003 } },
  });
  await rig.deliver(MESSAGE_D, ['alice@example.com', 'carol@example.com'], 'bob@example.com');
  assert.deepEqual(rig.lines(), [
    'to=<alice@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to command: cat >> ${HOME}/inbox)',
    'to=<carol@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to command: cat >> /home/carol/piped)',
  ]);
  assert.equal((await rig.deps.fs.stat('/home/carol/piped')).uid, 1003);
  assert.equal((await rig.deps.fs.stat('/home/alice/inbox')).uid, 1001);
});

test('luser_relay takes unknown users; recipient_delimiter finds user+ext aliases then user', async () => {
  const rig = await makeLocalRig({ main: 'luser_relay = carol\nrecipient_delimiter = +', aliases: 'sales: alice\nsales+vip: bob\n' });
  await rig.deliver(MESSAGE_D, ['nosuchuser@example.com', 'sales+vip@example.com', 'sales+other@example.com'], 'alice@example.com');
  assert.deepEqual(rig.lines(), [
    'to=<carol@example.com>, orig_to=<nosuchuser@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
    'to=<bob@example.com>, orig_to=<sales+vip@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
    'to=<alice@example.com>, orig_to=<sales+other@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
  ]);
});

test('a .forward+ext file is preferred for user+ext; a world-writable .forward is ignored', async () => {
  const rig = await makeLocalRig({
    main: 'recipient_delimiter = +',
    files: {
      '/home/alice/.forward+lists': { text: '\\alice, carol@example.com\n', uid: 1001 },
      '/home/bob/.forward': { text: 'carol@example.com\n', uid: 1002, mode: 0o666 },
    },
  });
  await rig.deliver(MESSAGE_D, ['alice+lists@example.com', 'bob@example.com'], 'carol@example.com');
  const [forwarded] = rig.forwarded;
  assert.deepEqual(rig.lines(), [
    'to=<alice@example.com>, orig_to=<alice+lists@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
    `to=<alice+lists@example.com>, relay=local, dsn=2.0.0, status=sent (forwarded as ${forwarded?.queueId})`,
    'to=<bob@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)',
  ]);
  assert.ok(rig.warnings().some((line) => line.includes('file /home/bob/.forward is world writable')));
});

test('a failing forward keeps the recipient queued', async () => {
  const rig = await makeLocalRig({ aliases: 'out: someone@remote.test\n', cleanupStatus: 1 << 8 });
  const result = await rig.deliver(MESSAGE_D, ['out@example.com'], 'alice@example.com');
  assert.equal(result.deferred, true);
  assert.deepEqual(rig.lines(), ['to=<out@example.com>, relay=local, dsn=4.3.0, status=deferred (unable to forward message)']);
  assert.equal(rig.completed.length, 0);
});
