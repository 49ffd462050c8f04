// local(8) in a running host (P1's harness with the real cleanup, qmgr, bounce and local):
// the mailbox of logs/a compared line for line after normalising queue ids, dates and the
// domain; Maildir (logs/b); the aliases, :include: list, /file and .forward of logs/d with
// its maillog lines; the unknown user of logs/h. Messages enter through cleanup as pickup
// would hand them over (uid as the submitting user).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';

const REFERENCE = '/work/shared/reference/postfix-3.7';

/** The registered program table (engine/master/programs.ts): cleanup, qmgr, local, bounce, error, discard... */
const programs: Readonly<Record<string, ServiceProgram>> = registered;

/** Queues a message as pickup would (uid: the submitting user): through cleanup. */
const submit = (host: PipelineHost, sender: string, recipients: string[], text: string, uid = 0): Promise<string> =>
  submitToCleanup(host, sender, recipients, text, uid);

/** The part of a reference log file after a "### " heading, up to the next heading. */
function referenceSection(file: string, heading: string): string[] {
  const text = readFileSync(`${REFERENCE}/logs/${file}`, 'utf8');
  const start = text.indexOf(heading);
  assert.ok(start >= 0, `${file}: no ${heading}`);
  const rest = text.slice(start + heading.length).split('\n').slice(1);
  const end = rest.findIndex((line) => line.startsWith('### '));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Queue ids, dates and names replaced by placeholders, so two hosts' mail compares. */
function normalise(lines: readonly string[], ids: readonly string[]): string[] {
  return lines.map((line) => {
    let result = line;
    ids.forEach((id, index) => { result = result.split(id).join(`QUEUEID${index}`); });
    return result
      .replace(/[A-Z][a-z]{2}, +\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000 \(UTC\)/g, 'DATE')
      .replace(/[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}/g, 'ASCTIME')
      .replace(/<\d{14}\./g, '<STAMP.')
      .replace(/example\.(com|test)/g, 'example.DOMAIN');
  });
}

/** Maillog lines without the "Mon DD HH:MM:SS host " prefix, pids as [PID], delays as D. */
function shapes(lines: readonly string[]): string[] {
  return lines.map((line) => line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, '').replace(/\[\d+\]/, '[PID]')
    .replace(/postfix-ref1\//, 'postfix/').replace(/delay=[\d.]+, delays=[\d./]+/, 'delay=D'));
}

test('logs/a: the delivered mbox equals the reference after normalising ids and times', async () => {
  const host = await createPipelineHost({ programs });
  const message = readFileSync(`${REFERENCE}/msgs/a.txt`, 'utf8').replace('Subject:', 'From: bob@example.test\nSubject:');
  const id = await submit(host, 'bob@example.test', ['alice@example.test'], message, 1002);
  await host.run();
  const local = shapes(await host.maillog()).filter((line) => line.startsWith('postfix/local'));
  assert.deepEqual(normalise(local, [id]), normalise(shapes(referenceSection('a-sendmail-local-mbox.log', '### maillog')
    .filter((line) => line.includes('/local['))), ['A0107168038']));
  const expected = referenceSection('a-sendmail-local-mbox.log', '### delivered mailbox').slice(3);
  const mailbox = (await host.readFile('/var/mail/alice')).split('\n');
  // cleanup may place the From: header elsewhere than pickup's copy did; compare as sets
  // for the header and exactly for the envelope lines and the body.
  const normalisedMailbox = normalise(mailbox, [id]);
  const normalisedExpected = normalise(expected, ['A0107168038']);
  assert.deepEqual(normalisedMailbox.slice(0, 6), normalisedExpected.slice(0, 6));
  assert.deepEqual([...normalisedMailbox].sort(), [...normalisedExpected].sort());
  const stat = await host.platform.fs.stat('/var/mail/alice');
  assert.equal(stat.mode & 0o777, 0o600);
  assert.equal(stat.uid, 1001);
  await host.stop();
});

test('logs/b: Maildir delivery with home_mailbox = Maildir/', async () => {
  const host = await createPipelineHost({ programs, mainCf: `${DEFAULT_MAIN_CF}home_mailbox = Maildir/\n` });
  // useradd -m gives the user her home; the harness leaves homes to root.
  await host.platform.fs.chown?.('/home/carol', 1003, 1003);
  await submit(host, 'alice@example.test', ['carol'], readFileSync(`${REFERENCE}/msgs/b.txt`, 'utf8'));
  await host.run();
  const local = shapes(await host.maillog()).filter((line) => line.startsWith('postfix/local') && line.includes(' to=<'));
  assert.equal(local.length, 1, local.join('\n'));
  assert.match(local[0] ?? '', /to=<carol@example\.test>, orig_to=<carol>, relay=local, delay=D, dsn=2\.0\.0, status=sent \(delivered to maildir\)$/);
  const names = await host.platform.fs.readdir('/home/carol/Maildir/new');
  assert.equal(names.length, 1);
  assert.match(names[0] ?? '', /^\d+\.Vfe00I[0-9a-f]+M\d+\.mail\.example\.test$/);
  const delivered = await host.readFile(`/home/carol/Maildir/new/${names[0]}`);
  assert.match(delivered, /^Return-Path: <alice@example\.test>\nX-Original-To: carol\nDelivered-To: carol@example\.test\nReceived: by mail\.example\.test \(Postfix, from userid 0\)\n/);
  assert.deepEqual(await host.platform.fs.readdir('/home/carol/Maildir'), ['cur', 'new', 'tmp']);
  await host.stop();
});

test('logs/d: aliases, .forward, :include: and /file, with the reference maillog shapes', async () => {
  const host = await createPipelineHost({
    programs,
    files: {
      '/etc/aliases': 'postmaster: root\nroot: alice\nsales: alice, bob\nteam: :include:/etc/postfix/team.list\narchive: /var/mail/archive.mbox\n',
      '/etc/postfix/team.list': 'bob\ncarol\n',
      '/home/bob/.forward': '\\bob, carol@example.test\n',
    },
  });
  await host.platform.fs.chmod('/home/bob/.forward', 0o644);
  await host.platform.fs.chmod('/etc/postfix/team.list', 0o644);
  await host.platform.fs.chown?.('/home/bob/.forward', 1002, 1002);
  const built = await host.command(['postalias', '/etc/aliases']);
  assert.equal(built.exitCode, 0, built.stderr);
  const message = readFileSync(`${REFERENCE}/msgs/d.txt`, 'utf8');
  const first = await submit(host, 'alice@example.test', ['sales@example.test'], message);
  await host.run();
  const second = await submit(host, 'alice@example.test', ['team@example.test', 'archive@example.test'], message);
  await host.run();
  const ours = shapes(await host.maillog()).filter((line) => /postfix\/local/.test(line));
  const theirs = shapes(referenceSection('d-alias-forward.log', '### maillog').filter((line) => line.includes('/local[')));
  const rename = (lines: string[]): string[] => lines.map((line) => line.replace(/^postfix\/local\[PID\]: [0-9A-F]+: /, '')
    .replace(/forwarded as [0-9A-F]+/, 'forwarded as NEWID').replace(/example\.(com|test)/g, 'example.DOMAIN')
    .replace('/opt/pfref/ref1/mail/', '/var/mail/'));
  assert.deepEqual(rename(ours).sort(), rename(theirs).sort());
  assert.ok(ours.some((line) => line.includes(`${first}: to=<sales@example.test>`)));
  assert.ok(ours.some((line) => line.includes(`${second}: to=<team@example.test>`)));
  const archive = await host.readFile('/var/mail/archive.mbox');
  assert.match(archive, /^From alice@example\.test {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nReturn-Path: <alice@example\.test>\nX-Original-To: archive@example\.test\nDelivered-To: archive@example\.test\n/);
  assert.equal((await host.platform.fs.stat('/var/mail/archive.mbox')).uid, 65534);
  const bob = await host.readFile('/var/mail/bob');
  assert.match(bob, /\nX-Original-To: team@example\.test\nDelivered-To: bob@example\.test\nReceived: by mail\.example\.test \(Postfix\)\n\tid [0-9A-F]+; [^\n]+\nDelivered-To: team@example\.test\n/);
  await host.stop();
});

test('logs/h: an unknown user bounces with "unknown user" and the sender gets the notice', async () => {
  const host = await createPipelineHost({ programs });
  const id = await submit(host, 'bob@example.test', ['nosuchuser@example.test'], 'Subject: to unknown local user\n\nbody\n');
  await host.run();
  const lines = shapes(await host.maillog());
  assert.ok(lines.some((line) => line === `postfix/local[PID]: ${id}: to=<nosuchuser@example.test>, relay=local, delay=D, dsn=5.1.1, status=bounced (unknown user: "nosuchuser")`), lines.join('\n'));
  const bob = await host.readFile('/var/mail/bob');
  assert.match(bob, /^From MAILER-DAEMON {2}/);
  assert.match(bob, /<nosuchuser@example\.test>: unknown user: "nosuchuser"/);
  await host.stop();
});
