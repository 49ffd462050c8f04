// The virtual, error, discard and pipe agents inside a running host (P1's harness with the
// real master, cleanup, trivial-rewrite, qmgr and bounce): a virtual mailbox domain as in
// logs/f (Maildir and mbox deliveries and their maillog lines), relocated_maps and
// transport_maps "error:" routes bounced by error(8) as in logs/s, "discard:" and the retry
// service, and a pipe(8) transport running a built-in program.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPipelineHost, DEFAULT_MAIN_CF, DEFAULT_MASTER_CF, submitToCleanup, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { virtualProgram } from '../../engine/virtual/service.ts';
import { errorProgram } from '../../engine/error/service.ts';
import { discardProgram } from '../../engine/discard/service.ts';
import { pipeProgram } from '../../engine/pipe/service.ts';

const REFERENCE = '/work/shared/reference/postfix-3.7/logs';
const programs: Record<string, ServiceProgram> = {
  ...registered, virtual: virtualProgram, error: errorProgram, discard: discardProgram, pipe: pipeProgram,
};

/** Queues a message as pickup would: through cleanup, which triggers qmgr; then runs. */
async function submit(host: PipelineHost, sender: string, recipients: string[], text: string): Promise<string> {
  const queueId = await submitToCleanup(host, sender, recipients, text);
  await host.run();
  return queueId;
}

/** Delivery lines of the maillog, reduced to "program: to=<...>, ..., status=... (...)". */
async function deliveryLines(host: PipelineHost, program?: string): Promise<string[]> {
  return (await host.maillog())
    .map((line) => /postfix\/([\w-]+)\[\d+\]: [0-9A-Za-z]+: (to=<.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && (program === undefined || match[1] === program))
    .map((match) => `${match[1]}: ${match[2]!.replace(/delay=[\d.]+, delays=[\d./]+, /, '')}`);
}

/** The reference's delivery lines in the same reduced form. */
function referenceLines(file: string, program: string): string[] {
  return readFileSync(`${REFERENCE}/${file}`, 'utf8').split('\n')
    .map((line) => new RegExp(`postfix-ref1/${program}\\[\\d+\\]: [0-9A-F]+: (to=<.*)$`).exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `${program}: ${match[1]!.replace(/delay=[\d.]+, delays=[\d./]+, /, '')}`);
}

test('logs/f: a virtual mailbox domain delivered to Maildir and mbox, an unknown user bounced', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}virtual_mailbox_maps = texthash:/etc/postfix/vmailbox
virtual_mailbox_domains = example.org
virtual_gid_maps = static:5000
virtual_mailbox_base = /vmail
virtual_uid_maps = static:5000
`,
    files: { '/etc/postfix/vmailbox': 'dave@example.org   example.org/dave/\nerin@example.org   example.org/erin\n' },
    start: false,
  });
  await host.platform.fs.mkdir('/vmail/example.org', { recursive: true, mode: 0o755 });
  host.platform.fs.volume.chownSync('/vmail', 5000, 5000);
  host.platform.fs.volume.chownSync('/vmail/example.org', 5000, 5000);
  await host.start();
  await submit(host, 'carol@example.com', ['dave@example.org', 'erin@example.org'], 'Subject: test (f) virtual mailbox\n\nscenario f\n');
  const reference = referenceLines('f-virtual-mailbox-domain.log', 'virtual');
  assert.equal(reference.length, 2);
  assert.deepEqual(await deliveryLines(host, 'virtual'), reference);
  const [name] = await host.platform.fs.readdir('/vmail/example.org/dave/new');
  assert.match(name!, /^\d+\.Vfe00I[0-9a-f]+M\d+\.mail\.example\.test$/);
  const maildir = await host.readFile(`/vmail/example.org/dave/new/${name}`);
  assert.match(maildir, /^Return-Path: <carol@example\.com>\nX-Original-To: dave@example\.org\nDelivered-To: dave@example\.org\nReceived: /);
  const mbox = await host.readFile('/vmail/example.org/erin');
  assert.match(mbox, /^From carol@example\.com  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nReturn-Path: <carol@example\.com>\nX-Original-To: erin@example\.org\nDelivered-To: erin@example\.org\n/);
  assert.match(mbox, /\nscenario f\n\n$/);
  assert.deepEqual(await host.queueFiles('active'), []);
  assert.deepEqual(await host.queueFiles('deferred'), []);

  await submit(host, 'carol@example.com', ['nobody@example.org'], 'Subject: lost\n\nnobody\n');
  const lines = await deliveryLines(host, 'virtual');
  assert.equal(lines[2], 'virtual: to=<nobody@example.org>, relay=virtual, dsn=5.1.1, status=bounced (unknown user: "nobody@example.org")');
  assert.ok((await host.maillog()).some((line) => /postfix\/bounce\[\d+\]: [0-9A-F]+: sender non-delivery notification: [0-9A-F]+/.test(line)));
  await host.stop();
});

test('logs/s: relocated_maps sends the recipient to error(8), which bounces it with the new address', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}relay_domains = oldcompany.test\nrelocated_maps = texthash:/etc/postfix/relocated\n`,
    files: { '/etc/postfix/relocated': 'olduser@example.test    newuser@elsewhere.test\n@oldcompany.test       the new company web site, see https://example.com/\n' },
  });
  await submit(host, 'bob@example.test', ['olduser@example.test'], 'Subject: to relocated\n\nbody\n');
  const expected = referenceLines('s-relocated.log', 'error').map((line) => line.replace('olduser@example.com', 'olduser@example.test'));
  assert.equal(expected.length, 1);
  assert.deepEqual(await deliveryLines(host, 'error'), expected);
  const notice = (await host.maillog()).find((line) => line.includes('sender non-delivery notification'));
  assert.ok(notice, 'the bounce service returns the message');
  const bounced = (await deliveryLines(host, 'local')).find((line) => line.startsWith('local: to=<bob@example.test>'));
  assert.equal(bounced, 'local: to=<bob@example.test>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)');
  await host.stop();
});

test('transport_maps: error:, discard: and retry: routes', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}transport_maps = texthash:/etc/postfix/transport\n`,
    files: { '/etc/postfix/transport': 'blocked.test error:5.7.1 mail to blocked.test is not accepted\nsink.test discard:\nlater.test retry:4.4.7 try again tomorrow\n' },
  });
  await submit(host, 'alice@example.test', ['a@blocked.test', 'b@sink.test', 'c@later.test'], 'Subject: routes\n\nbody\n');
  const lines = await deliveryLines(host);
  assert.ok(lines.includes('error: to=<a@blocked.test>, relay=none, dsn=5.7.1, status=bounced (mail to blocked.test is not accepted)'), lines.join('\n'));
  assert.ok(lines.includes('discard: to=<b@sink.test>, relay=none, dsn=2.0.0, status=sent (sink.test)'), lines.join('\n'));
  assert.ok(lines.includes('error: to=<c@later.test>, relay=none, dsn=4.4.7, status=deferred (try again tomorrow)'), lines.join('\n'));
  assert.equal((await host.queueFiles('deferred')).length, 1);
  await host.stop();
});

test('a pipe(8) transport runs a built-in writer as user=, once per recipient', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: `${DEFAULT_MAIN_CF}transport_maps = texthash:/etc/postfix/transport\nfilter_destination_recipient_limit = 1\n`,
    masterCf: `${DEFAULT_MASTER_CF}filter    unix  -       n       n       -       -       pipe
  flags=DRX user=alice argv=/bin/sh -c { cat >> /srv/piped }
failing   unix  -       n       n       -       -       pipe
  user=alice argv=/bin/sh -c { echo 5.1.1 no mailbox here for $$1 ; exit 67 } sh \${recipient}
`,
    files: { '/etc/postfix/transport': 'piped.test filter:\nrefused.test failing:\n' },
    start: false,
  });
  await host.platform.fs.mkdir('/srv', { recursive: true, mode: 0o777 });
  await host.platform.fs.chmod('/srv', 0o777);
  await host.start();
  await submit(host, 'carol@example.test', ['one@piped.test', 'two@piped.test', 'x@refused.test'], 'Subject: piped\n\nFrom the pipe\n');
  const lines = await deliveryLines(host);
  assert.ok(lines.includes('pipe: to=<one@piped.test>, relay=filter, dsn=2.0.0, status=sent (delivered via filter service)'), lines.join('\n'));
  assert.ok(lines.includes('pipe: to=<two@piped.test>, relay=filter, dsn=2.0.0, status=sent (delivered via filter service)'), lines.join('\n'));
  assert.ok(lines.includes('pipe: to=<x@refused.test>, relay=failing, dsn=5.1.1, status=bounced (no mailbox here for $1 )'), lines.join('\n'));
  const written = await host.readFile('/srv/piped');
  assert.equal((written.match(/^Return-Path: <carol@example\.test>$/gm) ?? []).length, 2);
  assert.match(written, /^Delivered-To: one@piped\.test$/m);
  assert.match(written, /^Delivered-To: two@piped\.test$/m);
  assert.equal((await host.platform.fs.stat('/srv/piped')).uid, 1001);
  await host.stop();
});
