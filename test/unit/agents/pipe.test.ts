// pipe(8) on a sim host with the built-in programs: attributes and their checks, macro
// expansion per recipient, the copy written to the command (flags, eol=), the exit-status
// mapping (sysexits, "D.S.N text", signals, time limit), and the log lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentFixture, BASE_MAIN_CF, type AgentFixture } from './fixture.ts';
import { createPipeProgram, pipeProgram } from '../../../engine/pipe/service.ts';
import { expandArguments, parseMacros, splitExtension } from '../../../engine/pipe/expand.ts';
import { noFlags, unescape } from '../../../engine/pipe/attributes.ts';
import { commandVerdict, cleanOutput } from '../../../engine/pipe/command-status.ts';
import type { PipeCommandRequest } from '../../../engine/pipe/runner.ts';
import type { DeliveryRequest } from '../../../engine/master/contracts.ts';

const MESSAGE = 'Subject: piped\n\nFrom here on\n.hidden dot\nend\n';

async function pipeHost(mainCf = ''): Promise<AgentFixture> {
  const fixture = await createAgentFixture({ mainCf: `${BASE_MAIN_CF}recipient_delimiter = +\n${mainCf}` });
  await fixture.platform.fs.mkdir('/srv/out', { recursive: true, mode: 0o777 });
  await fixture.platform.fs.chmod('/srv/out', 0o777);
  return fixture;
}

function request(fixture: AgentFixture, recipients: string[], extra: Partial<Parameters<AgentFixture['queueMessage']>[0]> = {}): Promise<DeliveryRequest> {
  return fixture.queueMessage({
    sender: 'alice@example.com', content: MESSAGE, transport: 'filter', nexthop: 'example.com',
    recipients: recipients.map((address) => ({ address })), ...extra,
  });
}

function statusLines(fixture: AgentFixture): string[] {
  return fixture.logLines().filter((line) => line.includes(' to=<')).map((line) => line.replace(/^.*?: \w+: /, '').replace(/delay=[\d.]+, delays=[\d./]+, /, ''));
}

test('mac_parse forms, split_addr rules and unescape', () => {
  assert.deepEqual(parseMacros('-f$sender ${recipient} $(nexthop)x $$5'), [
    { literal: '-f' }, { name: 'sender' }, { literal: ' ' }, { name: 'recipient' }, { literal: ' ' }, { name: 'nexthop' }, { literal: 'x $5' },
  ]);
  assert.deepEqual(parseMacros('${recipient'), { warning: 'truncated macro reference: "${recipient"' });
  assert.deepEqual(parseMacros('a$'), { warning: 'empty macro name: "a$"' });
  const split = { recipientDelimiter: '+-', doubleBounceSender: 'double-bounce', ownerRequestSpecial: true };
  assert.deepEqual(splitExtension('joe+lists', split), { user: 'joe', extension: 'lists' });
  assert.deepEqual(splitExtension('joe-x+y', split), { user: 'joe', extension: 'x+y' });
  assert.deepEqual(splitExtension('+joe', split), { user: '+joe' });
  assert.deepEqual(splitExtension('owner-list', split), { user: 'owner-list' });
  assert.deepEqual(splitExtension('list-request', split), { user: 'list-request' });
  assert.deepEqual(splitExtension('postmaster', split), { user: 'postmaster' });
  assert.equal(unescape('\\r\\n'), '\r\n');
  assert.equal(unescape('a\\101\\\\'), 'aA\\');
});

test('expand_argv repeats recipient arguments per recipient (a leading delimiter does not split)', () => {
  const warnings: string[] = [];
  const recipients = [
    { address: 'Joe+Lists@Example.COM', originalRecipient: 'jj@example.com', offset: 0, dsnNotify: 0 },
    { address: '+board@example.com', originalRecipient: '+board@example.com', offset: 0, dsnNotify: 0 },
    { address: 'x y@example.com', originalRecipient: 'x y@example.com', offset: 0, dsnNotify: 0 },
  ];
  const context = {
    values: new Map([['sender', 'a@b'], ['nexthop', 'example.com'], ['size', '10']]), flags: { ...noFlags(), foldUser: true, quoteLocal: true },
    split: { recipientDelimiter: '+', doubleBounceSender: 'double-bounce', ownerRequestSpecial: true },
    serviceName: 'filter', configDirectory: '/etc/postfix', warn: (text: string) => { warnings.push(text); },
  };
  assert.deepEqual(expandArguments(['/bin/deliver', '-f', '${sender}', '-d', '${user}', '--', '$recipient', '${extension}@${domain}', 'size=$size'], recipients, context), [
    '/bin/deliver', '-f', 'a@b', '-d', 'joe', '+board', 'x y', '--', 'joe+lists@Example.COM', '+board@example.com', '"x y"@example.com',
    'lists@Example.COM', '@example.com', '@example.com', 'size=10',
  ]);
  assert.equal(expandArguments(['${bogus}'], recipients, context), undefined);
  assert.deepEqual(warnings, ['file /etc/postfix/master.cf: service filter: unknown macro name: "bogus"']);
});

test('exit statuses map as pipe_command() maps them', () => {
  const verdict = (outcome: Parameters<typeof commandVerdict>[0]) => commandVerdict(outcome, '/usr/bin/deliver');
  assert.deepEqual(verdict({ exitStatus: 0, output: 'ok\n' }), { kind: 'ok', output: 'ok ' });
  assert.deepEqual(verdict({ exitStatus: 75, output: '' }), { kind: 'defer', dsn: '4.3.0', reason: 'temporary failure' });
  assert.deepEqual(verdict({ exitStatus: 67, output: 'no such user\n' }), { kind: 'bounce', dsn: '5.1.1', reason: 'user unknown. Command output: no such user ' });
  assert.deepEqual(verdict({ exitStatus: 69, output: '' }), { kind: 'bounce', dsn: '5.3.0', reason: 'service unavailable' });
  assert.deepEqual(verdict({ exitStatus: 1, output: '' }), { kind: 'bounce', dsn: '5.3.0', reason: 'Command died with status 1: "/usr/bin/deliver"' });
  assert.deepEqual(verdict({ exitStatus: 1, output: '4.2.2 mailbox full\n' }), { kind: 'defer', dsn: '4.2.2', reason: 'mailbox full ' });
  assert.deepEqual(verdict({ exitStatus: 77, output: '5.7.1 not you' }), { kind: 'bounce', dsn: '5.7.1', reason: 'not you' });
  assert.deepEqual(verdict({ signal: 9, output: '' }), { kind: 'defer', dsn: '4.3.0', reason: 'Command died with signal 9: "/usr/bin/deliver"' });
  assert.deepEqual(verdict({ timedOut: true, output: 'slow\n' }), { kind: 'bounce', dsn: '5.3.0', reason: 'Command time limit exceeded: "/usr/bin/deliver". Command output: slow ' });
  assert.deepEqual(verdict({ exitStatus: 0, output: '', writeError: { code: 'EPIPE', text: 'Broken pipe' } }), { kind: 'ok', output: '' });
  assert.equal(cleanOutput('a\tb\x01c\n'), 'a b_c ');
});

test('a sh -c writer gets the From_ line, Return-Path, quoting and dot-stuffing the flags ask for', async () => {
  const fixture = await pipeHost();
  const queued = await request(fixture, ['joe@example.com']);
  const result = await fixture.deliver(pipeProgram, queued, 'filter', ['flags=FR.>X', 'user=alice', 'argv=/bin/sh', '-c', '{ cat >> /srv/out/box }']);
  assert.deepEqual(result, { deferred: false });
  assert.deepEqual(statusLines(fixture), ['to=<joe@example.com>, relay=filter, dsn=2.0.0, status=sent (delivered via filter service)']);
  assert.equal(await fixture.readText('/srv/out/box'),
    'From alice@example.com  Sun Nov 22 09:27:24 2026\nReturn-Path: <alice@example.com>\nSubject: piped\n\n>From here on\n..hidden dot\nend\n');
  const stat = await fixture.platform.fs.stat('/srv/out/box');
  assert.deepEqual([stat.uid, stat.gid], [1001, 1001]);
  assert.equal(await fixture.isDone(queued, 0), true);
});

test('eol=\\r\\n, O/D headers, and command output kept in the success text', async () => {
  const runs: PipeCommandRequest[] = [];
  const recording = createPipeProgram({ runner: { run: (command) => { runs.push(command); return Promise.resolve({ exitStatus: 0, output: 'queued as 42\n' }); } } });
  const fixture = await pipeHost();
  const queued = await fixture.queueMessage({ sender: '', content: 'Subject: s\n\nb\n', nexthop: 'Example.COM', recipients: [{ address: 'joe+x@example.com', originalRecipient: 'info@example.com' }] });
  await fixture.deliver(recording, queued, 'lmtpish', ['flags=ODRh', 'user=alice:nogroup', 'eol=\\r\\n', 'size=100000', 'argv=/usr/lib/deliver', '$nexthop', '${sender}', '${extension}', '${original_recipient}']);
  assert.equal(runs.length, 1);
  assert.deepEqual(runs[0]!.argv, ['/usr/lib/deliver', 'example.com', 'MAILER-DAEMON', 'x', 'info@example.com']);
  assert.deepEqual([runs[0]!.uid, runs[0]!.gid], [1001, 65534]);
  assert.equal(new TextDecoder().decode(runs[0]!.input),
    'Return-Path: <MAILER-DAEMON>\r\nX-Original-To: info@example.com\r\nDelivered-To: joe+x@example.com\r\nSubject: s\r\n\r\nb\r\n');
  assert.deepEqual(statusLines(fixture), ['to=<joe+x@example.com>, orig_to=<info@example.com>, relay=lmtpish, dsn=2.0.0, status=sent (delivered via lmtpish service (queued as 42))']);
});

test('sysexit, D.S.N output, signal, time limit and a missing program, each for every recipient', async () => {
  const cases: [string[], RegExp, boolean][] = [
    [['argv=/bin/sh', '-c', '{ exit 75 }'], /dsn=4\.3\.0, status=deferred \(temporary failure\)$/, true],
    [['argv=/bin/sh', '-c', '{ echo 5.2.2 mailbox full; exit 1 }'], /dsn=5\.2\.2, status=bounced \(mailbox full \)$/, false],
    [['argv=/bin/false'], /dsn=5\.3\.0, status=bounced \(Command died with status 1: "\/bin\/false"\)$/, false],
    [['argv=/bin/sh', '-c', '{ kill -9 $$$$ }'], /dsn=4\.3\.0, status=deferred \(Command died with signal 9: "\/bin\/sh"\)$/, true],
    [['argv=/bin/sh', '-c', '{ sleep 5000 }'], /dsn=5\.3\.0, status=bounced \(Command time limit exceeded: "\/bin\/sh"\)$/, false],
    [['argv=/usr/bin/maildrop', '-d', '${recipient}'], /dsn=4\.3\.0, status=deferred \(temporary failure\. Command output: pipe: fatal: pipe_command: execvp \/usr\/bin\/maildrop: No such file or directory \)$/, true],
    [['argv=/bin/sh', '-c', '{ echo nope; exit 67 }'], /dsn=5\.1\.1, status=bounced \(user unknown\. Command output: nope \)$/, false],
  ];
  for (const [words, expected, deferred] of cases) {
    const fixture = await pipeHost('filter_time_limit = 100s\n');
    const queued = await request(fixture, ['a@example.com', 'b@example.com']);
    const delivering = fixture.deliver(pipeProgram, queued, 'filter', ['user=alice', ...words]);
    const result = await Promise.race([delivering, (async () => {
      for (let step = 0; step < 100; step++) { await new Promise((resolve) => setImmediate(resolve)); fixture.platform.scheduler.step(); }
      return delivering;
    })()]);
    assert.deepEqual(result, { deferred }, words.join(' '));
    const lines = statusLines(fixture);
    assert.equal(lines.length, 2, words.join(' '));
    for (const line of lines) assert.match(line, expected);
  }
});

test('checks before running: D/O need one recipient, size=, loops, verify, unknown macros', async () => {
  const fixture = await pipeHost();
  const two = await request(fixture, ['a@example.com', 'b@example.com']);
  assert.deepEqual(await fixture.deliver(pipeProgram, two, 'filter', ['flags=D', 'user=alice', 'argv=/bin/true']), { deferred: true });
  assert.ok(fixture.diagnostics().includes("pipe: warning: pipe flag `D' requires filter_destination_recipient_limit = 1"));
  const big = await request(fixture, ['a@example.com']);
  await fixture.deliver(pipeProgram, big, 'filter', ['user=alice', 'size=10', 'argv=/bin/true']);
  const looped = await fixture.queueMessage({ sender: 'a@b.test', content: 'Delivered-To: a@example.com\nSubject: x\n\nb\n', recipients: [{ address: 'a@example.com' }] });
  await fixture.deliver(pipeProgram, looped, 'filter', ['flags=D', 'user=alice', 'argv=/bin/true']);
  const verify = await request(fixture, ['a@example.com'], { flags: { verify: true } });
  await fixture.deliver(pipeProgram, verify, 'filter', ['user=alice', 'argv=/usr/bin/procmail']);
  const bogus = await request(fixture, ['a@example.com']);
  await fixture.deliver(pipeProgram, bogus, 'filter', ['user=alice', 'argv=/bin/true', '${bogus}']);
  assert.deepEqual(statusLines(fixture), [
    'to=<a@example.com>, relay=filter, dsn=4.3.5, status=deferred (mail system configuration error)',
    'to=<b@example.com>, relay=filter, dsn=4.3.5, status=deferred (mail system configuration error)',
    'to=<a@example.com>, relay=filter, dsn=5.2.3, status=bounced (message too large)',
    'to=<a@example.com>, relay=filter, dsn=5.4.6, status=bounced (mail forwarding loop for a@example.com)',
    'to=<a@example.com>, relay=filter, dsn=2.0.0, status=deliverable (delivers to command: /usr/bin/procmail)',
    'to=<a@example.com>, relay=filter, dsn=4.3.5, status=deferred (mail system configuration error)',
  ]);
});

test('attribute errors are fatal as in get_service_attr()', async () => {
  const fixture = await pipeHost();
  const queued = await request(fixture, ['a@example.com']);
  for (const [words, message] of [
    [['argv=/bin/true'], /missing user= command-line attribute/],
    [['user=alice'], /missing argv= command-line attribute/],
    [['user=root', 'argv=/bin/true'], /user= command-line attribute specifies root privileges/],
    [['user=postfix', 'argv=/bin/true'], /specifies mail system owner postfix/],
    [['user=alice:postdrop', 'argv=/bin/true'], /specifies mail system postdrop group id 105/],
    [['user=nosuch', 'argv=/bin/true'], /get_service_attr: unknown username: nosuch/],
    [['user=alice', 'flags=Z', 'argv=/bin/true'], /unknown flag: Z \(ignored\)/],
    [['user=alice', 'size=1k', 'argv=/bin/true'], /bad size= value: 1k/],
    [['user=alice', 'colour=blue', 'argv=/bin/true'], /unknown attribute name: colour=blue/],
  ] as const) {
    await assert.rejects(fixture.deliver(pipeProgram, queued, 'filter', [...words]), message, words.join(' '));
  }
});
