// virtual(8) on a sim host, checked against the reference capture logs/f: Maildir and mbox
// delivery under virtual_mailbox_base with the rights of virtual_uid_maps/virtual_gid_maps,
// the delivered bytes, file names and modes, the log lines; then the failure paths
// (unknown user, bad uid/gid, table errors, virtual_mailbox_limit, configuration errors).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createAgentFixture, BASE_MAIN_CF, START_MS, type AgentFixture } from './fixture.ts';
import { virtualProgram } from '../../../engine/virtual/service.ts';

const REFERENCE = readFileSync('/work/shared/reference/postfix-3.7/logs/f-virtual-mailbox-domain.log', 'utf8');
const ERIN_MBOX = REFERENCE.slice(REFERENCE.indexOf('--- erin mbox:\n') + '--- erin mbox:\n'.length, REFERENCE.indexOf('--- dave maildir file:\n'));
const DAVE_MAILDIR = REFERENCE.slice(REFERENCE.indexOf('--- dave maildir file:\n') + '--- dave maildir file:\n'.length);
/** The queued message: the Maildir copy without the three headers virtual adds. */
const CONTENT = DAVE_MAILDIR.split('\n').slice(3).join('\n');

const VIRTUAL_MAIN_CF = `${BASE_MAIN_CF}virtual_mailbox_maps = texthash:/etc/postfix/vmailbox
virtual_mailbox_domains = example.org
virtual_gid_maps = static:5000
virtual_mailbox_base = /vmail
virtual_uid_maps = static:5000
`;

const VMAILBOX = `# virtual mailbox map: trailing / = Maildir, otherwise mbox file
dave@example.org   example.org/dave/
erin@example.org   example.org/erin
`;

async function virtualHost(extraMainCf = '', vmailbox = VMAILBOX): Promise<AgentFixture> {
  const fixture = await createAgentFixture({ mainCf: VIRTUAL_MAIN_CF + extraMainCf, files: { '/etc/postfix/vmailbox': vmailbox } });
  const fs = fixture.platform.fs;
  await fs.mkdir('/vmail/example.org', { recursive: true, mode: 0o755 });
  fs.volume.chownSync('/vmail', 5000, 5000);
  fs.volume.chownSync('/vmail/example.org', 5000, 5000);
  return fixture;
}

function modeOf(mode: number): string {
  return (mode & 0o7777).toString(8);
}

test('logs/f: dave gets a Maildir file and erin an mbox, byte for byte as Postfix wrote them', async () => {
  const fixture = await virtualHost();
  const request = await fixture.queueMessage({
    queueId: '9DB72168038', sender: 'carol@example.com', content: CONTENT,
    recipients: [{ address: 'dave@example.org' }, { address: 'erin@example.org' }],
  });
  const result = await fixture.deliver(virtualProgram, request);
  assert.deepEqual(result, { deferred: false });
  const lines = fixture.logLines().map((line) => line.replace(/\[\d+\]/, '[PID]').replace(/delay=[\d.]+, delays=[\d./]+/, 'delay=D'));
  assert.deepEqual(lines, [
    'postfix/virtual[PID]: 9DB72168038: to=<dave@example.org>, relay=virtual, delay=D, dsn=2.0.0, status=sent (delivered to maildir)',
    'postfix/virtual[PID]: 9DB72168038: to=<erin@example.org>, relay=virtual, delay=D, dsn=2.0.0, status=sent (delivered to mailbox)',
  ]);
  assert.equal(await fixture.readText('/vmail/example.org/erin'), ERIN_MBOX);
  const fs = fixture.platform.fs;
  const names = await fs.readdir('/vmail/example.org/dave/new');
  assert.equal(names.length, 1);
  const seconds = Math.floor(START_MS / 1000);
  assert.match(names[0]!, new RegExp(`^${seconds}\\.Vfe00I[0-9a-f]+M${(START_MS % 1000) * 1000}\\.mail$`));
  assert.equal(await fixture.readText(`/vmail/example.org/dave/new/${names[0]}`), DAVE_MAILDIR);
  assert.deepEqual(await fs.readdir('/vmail/example.org/dave/tmp'), []);
  assert.deepEqual((await fs.readdir('/vmail/example.org/dave')).sort(), ['cur', 'new', 'tmp']);
  for (const [path, mode] of [['/vmail/example.org/dave', '700'], ['/vmail/example.org/dave/new', '700'], ['/vmail/example.org/dave/cur', '700'],
    ['/vmail/example.org/dave/tmp', '700'], [`/vmail/example.org/dave/new/${names[0]}`, '600'], ['/vmail/example.org/erin', '600']] as const) {
    const stat = await fs.stat(path);
    assert.equal(modeOf(stat.mode), mode, path);
    assert.deepEqual([stat.uid, stat.gid], [5000, 5000], path);
  }
  assert.equal(await fixture.isDone(request, 0), true);
  assert.equal(await fixture.isDone(request, 1), true);
  await assert.rejects(fs.stat('/vmail/example.org/erin.lock'), /ENOENT/);
});

test('a second message is appended to the mbox with a From_ line and >From quoting', async () => {
  const fixture = await virtualHost();
  for (const body of ['first', 'From the desk of erin\nsecond']) {
    const request = await fixture.queueMessage({ sender: '', content: `Subject: x\n\n${body}\n`, recipients: [{ address: 'Erin@Example.org', originalRecipient: 'info@example.org' }] });
    await fixture.deliver(virtualProgram, request);
  }
  const text = await fixture.readText('/vmail/example.org/erin');
  assert.equal(text, [
    'From MAILER-DAEMON  Sun Nov 22 09:27:24 2026', 'Return-Path: <>', 'X-Original-To: info@example.org', 'Delivered-To: Erin@Example.org',
    'Subject: x', '', 'first', '',
    'From MAILER-DAEMON  Sun Nov 22 09:27:24 2026', 'Return-Path: <>', 'X-Original-To: info@example.org', 'Delivered-To: Erin@Example.org',
    'Subject: x', '', '>From the desk of erin', 'second', '', '',
  ].join('\n'));
  assert.match(fixture.logLines()[0]!, /to=<Erin@Example\.org>, orig_to=<info@example\.org>, relay=virtual, .*status=sent \(delivered to mailbox\)/);
});

test('an unknown address bounces 5.1.1 with the folded address; extensions are stripped for the lookup', async () => {
  const fixture = await virtualHost('recipient_delimiter = +\n');
  const request = await fixture.queueMessage({
    sender: 'carol@example.com', content: 'Subject: x\n\nbody\n',
    recipients: [{ address: 'Nobody@example.org' }, { address: 'dave+lists@example.org' }],
  });
  const result = await fixture.deliver(virtualProgram, request);
  assert.deepEqual(result, { deferred: false });
  const lines = fixture.logLines();
  assert.match(lines[0]!, /to=<Nobody@example\.org>, relay=virtual, .*dsn=5\.1\.1, status=bounced \(unknown user: "nobody@example\.org"\)$/);
  assert.match(lines[1]!, /to=<dave\+lists@example\.org>, relay=virtual, .*status=sent \(delivered to maildir\)$/);
  assert.equal(fixture.appended[0]!.log, 'bounce');
  const [name] = await fixture.platform.fs.readdir('/vmail/example.org/dave/new');
  assert.match(await fixture.readText(`/vmail/example.org/dave/new/${name}`), /^Return-Path: <carol@example\.com>\nX-Original-To: dave\+lists@example\.org\nDelivered-To: dave\+lists@example\.org\n/);
});

test('@domain catch-all and per-user uid tables', async () => {
  const fixture = await virtualHost('virtual_uid_maps = texthash:/etc/postfix/vuid\n',
    'dave@example.org example.org/dave/\n@example.org example.org/catchall\n');
  await fixture.platform.fs.writeFile('/etc/postfix/vuid', 'dave@example.org 5001\n@example.org 5000\n');
  await fixture.platform.fs.chmod('/vmail/example.org', 0o777);
  const request = await fixture.queueMessage({ sender: 'a@b.test', content: 'Subject: x\n\nbody\n', recipients: [{ address: 'zed@example.org' }, { address: 'dave@example.org' }] });
  await fixture.deliver(virtualProgram, request);
  const fs = fixture.platform.fs;
  assert.equal((await fs.stat('/vmail/example.org/catchall')).uid, 5000);
  assert.equal((await fs.stat('/vmail/example.org/dave')).uid, 5001);
  assert.equal(fixture.logLines().filter((line) => line.includes('status=sent')).length, 2);
});

test('a uid below virtual_minimum_uid, a missing uid and a bad gid defer with 4.3.5 and a warning', async () => {
  for (const [extra, warning] of [
    ['virtual_uid_maps = static:99\n', 'recipient dave@example.org: bad uid 99 in virtual_uid_maps'],
    ['virtual_uid_maps = texthash:/etc/postfix/empty\n', 'recipient dave@example.org: not found in virtual_uid_maps'],
    ['virtual_gid_maps = static:0\n', 'recipient dave@example.org: bad gid 0 in virtual_gid_maps'],
    ['virtual_uid_maps =\n', 'recipient dave@example.org: not found in virtual_uid_maps'],
  ] as const) {
    const fixture = await virtualHost(extra);
    await fixture.platform.fs.writeFile('/etc/postfix/empty', '');
    const request = await fixture.queueMessage({ sender: 'a@b.test', content: 'Subject: x\n\nbody\n', recipients: [{ address: 'dave@example.org' }] });
    const result = await fixture.deliver(virtualProgram, request);
    assert.deepEqual(result, { deferred: true }, extra);
    assert.match(fixture.logLines().at(-1)!, /relay=virtual, .*dsn=4\.3\.5, status=deferred \(mail system configuration error\)$/);
    assert.ok(fixture.diagnostics().includes(`virtual: warning: ${warning}`), `${extra}: ${fixture.diagnostics().join(' | ')}`);
    assert.equal(await fixture.isDone(request, 0), false);
  }
});

test('a table that cannot be read defers the recipient', async () => {
  const fixture = await virtualHost('virtual_mailbox_maps = hash:/etc/postfix/missing\n');
  const request = await fixture.queueMessage({ sender: 'a@b.test', content: 'Subject: x\n\nbody\n', recipients: [{ address: 'dave@example.org' }] });
  const result = await fixture.deliver(virtualProgram, request);
  assert.deepEqual(result, { deferred: true });
  assert.match(fixture.logLines().at(-1)!, /dsn=4\.3\.5, status=deferred \(mail system configuration error\)$/);
  assert.ok(fixture.diagnostics().some((line) => line.startsWith('virtual: warning: table virtual_mailbox_maps: lookup dave@example.org')));
});

test('virtual_mailbox_limit: a mailbox that would grow past it bounces 5.2.2 and is left as it was', async () => {
  const fixture = await virtualHost('message_size_limit = 1000\nvirtual_mailbox_limit = 1000\n');
  const big = `Subject: big\n\n${'x'.repeat(70)}\n`.repeat(1);
  const first = await fixture.queueMessage({ sender: 'a@b.test', content: big, recipients: [{ address: 'erin@example.org' }] });
  await fixture.deliver(virtualProgram, first);
  const sizeAfterFirst = (await fixture.platform.fs.stat('/vmail/example.org/erin')).size;
  const huge = `Subject: big\n\n${'y'.repeat(72)}\n`.repeat(12);
  const second = await fixture.queueMessage({ sender: 'a@b.test', content: huge, recipients: [{ address: 'erin@example.org' }, { address: 'dave@example.org' }] });
  await fixture.deliver(virtualProgram, second);
  const lines = fixture.logLines();
  assert.match(lines[1]!, /to=<erin@example\.org>, .*dsn=5\.2\.2, status=bounced \(delivery failed to mailbox \/vmail\/example\.org\/erin: error writing message: File too large\)$/);
  assert.match(lines[2]!, /to=<dave@example\.org>, .*dsn=5\.2\.2, status=bounced \(maildir delivery failed: error writing message: File too large\)$/);
  assert.equal((await fixture.platform.fs.stat('/vmail/example.org/erin')).size, sizeAfterFirst);
  assert.deepEqual(await fixture.platform.fs.readdir('/vmail/example.org/dave/tmp'), []);
});

test('configuration errors stop the agent as Postfix does', async () => {
  for (const [extra, message] of [
    ['virtual_mailbox_base =\n', /bad string length 0 < 1: virtual_mailbox_base = $/],
    ['virtual_mailbox_base = vmail\n', /do not specify relative pathname: virtual_mailbox_base = vmail/],
    ['virtual_mailbox_limit = 1000\n', /configuration error: virtual_mailbox_limit is smaller than message_size_limit/],
    ['message_size_limit = 0\n', /configuration error: virtual_mailbox_limit is limited but message_size_limit is unlimited/],
    ['virtual_mailbox_lock = fcntl, bogus\n', /unknown mailbox_lock value "bogus" in "fcntl, bogus"/],
  ] as const) {
    const fixture = await virtualHost(extra);
    const request = await fixture.queueMessage({ sender: 'a@b.test', content: 'Subject: x\n\nbody\n', recipients: [{ address: 'dave@example.org' }] });
    await assert.rejects(fixture.deliver(virtualProgram, request), message, extra);
  }
});

test('a Maildir the recipient may not create is deferred with the access warnings', async () => {
  const fixture = await virtualHost();
  await fixture.platform.fs.chmod('/vmail/example.org', 0o755);
  fixture.platform.fs.volume.chownSync('/vmail/example.org', 0, 0);
  const request = await fixture.queueMessage({ sender: 'a@b.test', content: 'Subject: x\n\nbody\n', recipients: [{ address: 'dave@example.org' }, { address: 'erin@example.org' }] });
  const result = await fixture.deliver(virtualProgram, request);
  assert.deepEqual(result, { deferred: true });
  const lines = fixture.logLines().filter((line) => line.includes(' to=<'));
  const seconds = Math.floor(START_MS / 1000);
  assert.match(lines[0]!, new RegExp(`dsn=4\\.2\\.0, status=deferred \\(maildir delivery failed: create maildir file /vmail/example\\.org/dave/tmp/${seconds}\\.P\\d+\\.mail: Permission denied\\)$`));
  assert.match(lines[1]!, /dsn=4\.2\.0, status=deferred \(delivery failed to mailbox \/vmail\/example\.org\/erin: .*Permission denied\)$/);
  assert.ok(fixture.diagnostics().some((line) => /^virtual: warning: maildir access problem for UID\/GID=5000\/5000: create maildir file/.test(line)));
  assert.ok(fixture.diagnostics().includes('virtual: warning: perhaps you need to create the maildirs in advance'));
});

test('an mbox owned by someone else is deferred under strict_mailbox_ownership', async () => {
  const fixture = await virtualHost();
  await fixture.platform.fs.writeFile('/vmail/example.org/erin', '', { mode: 0o666 });
  fixture.platform.fs.volume.chownSync('/vmail/example.org/erin', 1001, 1001);
  const request = await fixture.queueMessage({ sender: 'a@b.test', content: 'Subject: x\n\nbody\n', recipients: [{ address: 'erin@example.org' }] });
  await fixture.deliver(virtualProgram, request);
  assert.match(fixture.logLines()[1]!, /dsn=4\.2\.0, status=deferred \(delivery failed to mailbox \/vmail\/example\.org\/erin: destination \/vmail\/example\.org\/erin is not owned by recipient\)$/);
  assert.ok(fixture.diagnostics().includes('virtual: warning: specify "strict_mailbox_ownership = no" to ignore mailbox ownership mismatch'));
});

test('sendmail -bv style requests report without writing', async () => {
  const fixture = await virtualHost();
  const request = await fixture.queueMessage({ sender: 'a@b.test', content: 'Subject: x\n\nbody\n', recipients: [{ address: 'dave@example.org' }, { address: 'erin@example.org' }], flags: { verify: true } });
  await fixture.deliver(virtualProgram, request);
  const lines = fixture.logLines();
  assert.match(lines[0]!, /status=deliverable \(delivers to maildir\)$/);
  assert.match(lines[1]!, /status=deliverable \(delivers to mailbox\)$/);
  assert.deepEqual(await fixture.platform.fs.readdir('/vmail/example.org'), []);
});
