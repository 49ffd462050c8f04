// Maillog rendering: every kind with a log line, rendered from a trace event and compared
// with the line the real Postfix 3.7.11 wrote (shared/reference/postfix-3.7/logs), prefix
// included; format_tv's delay formatting; kinds without a line; the writer's order and
// host filter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { formatDelay, formatLogTime, renderLogLine } from '../../../engine/global/maillog/index.ts';
import { createMaillogWriter, formatMaillogLine, type MaillogSettings } from '../../../engine/global/maillog/writer.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import type { ServiceTraceInput } from '../../../engine/master/contracts.ts';
import { createTraceSink } from '../../../engine/global/trace.ts';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';

const LOGS = '/work/shared/reference/postfix-3.7/logs';
const referenceLines = readdirSync(LOGS).filter((name) => name.endsWith('.log'))
  .flatMap((name) => readFileSync(`${LOGS}/${name}`, 'utf8').split('\n'));

/** The one reference line that contains `fragment` (fails if there is none). */
function reference(fragment: string): string {
  const line = referenceLines.find((candidate) => candidate.includes(fragment) && /^[A-Z][a-z]{2} \d\d /.test(candidate));
  assert.ok(line !== undefined, `no reference line contains ${fragment}`);
  return line;
}

/** The event time of a reference line ("Nov 22 09:26:23", the year the VM clock said). */
function timeOf(line: string): number {
  const [, month, day, hour, minute, second] = /^(\w{3}) (\d\d) (\d\d):(\d\d):(\d\d)/.exec(line)!;
  const monthIndex = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(month!);
  return Date.UTC(2026, monthIndex, Number(day), Number(hour), Number(minute), Number(second)) + 123;
}

/** "program[pid]" of a reference line. */
function origin(line: string): { service: string; pid: number; myhostname: string } {
  const [, host, service, pid] = /^.{15} (\S+) postfix-ref\d\/(?:\S+\/)?([\w-]+)\[(\d+)\]:/.exec(line)!;
  return { service: service!, pid: Number(pid), myhostname: `${host}.example.com` };
}

function rendered(line: string, detail: ServiceTraceInput, syslogName = 'postfix-ref1'): string | undefined {
  const from = origin(line);
  const event = { ...detail, host: 'h', service: from.service, pid: from.pid, seq: 1, atMs: timeOf(line) } as TraceEvent;
  return formatMaillogLine(event, {
    path: '/x', myhostname: from.myhostname, delayResolutionDigits: 2, syslogNameFor: () => syslogName,
  });
}

const delays = (a: number, b: number, c: number, d: number) => ({
  beforeActiveSeconds: a, inActiveSeconds: b, connectionSetupSeconds: c, transmissionSeconds: d,
});

test('format_tv: two significant digits, whole seconds from 10 s, trailing zeros dropped', () => {
  const cases: [number, string][] = [
    [0, '0'], [0.0049, '0'], [0.005, '0.01'], [0.0512, '0.05'], [0.0234, '0.02'], [0.1, '0.1'],
    [0.105, '0.11'], [0.999, '1'], [1.234, '1.2'], [1.96, '2'], [9.94, '9.9'], [12.4, '12'], [12.5, '13'],
    [47.3, '47'], [83.2, '83'], [123.456, '123'], [0.0004, '0'], [-1, '0'],
  ];
  for (const [seconds, text] of cases) assert.equal(formatDelay(seconds), text, `${seconds}`);
  assert.equal(formatDelay(0.0512, 2, 3), '0.051');
  assert.equal(formatDelay(0.0004, 2, 6), '0.0004');
  assert.equal(formatDelay(0.0512, 2, 0), '0');
});

test('log time: "Mon DD HH:MM:SS" in UTC with a zero-padded day', () => {
  assert.equal(formatLogTime(Date.UTC(2026, 10, 22, 9, 26, 23, 999)), 'Nov 22 09:26:23');
  assert.equal(formatLogTime(Date.UTC(2024, 0, 2, 3, 4, 5)), 'Jan 02 03:04:05');
});

test('log time: the kept day and second give way to the next ones, and to earlier ones', () => {
  // The writer keeps the last second's text and the last day's "Mon DD ": each must
  // change exactly at its boundary, going forward (retries days later) and back.
  assert.equal(formatLogTime(Date.UTC(2024, 1, 28, 23, 59, 59, 999)), 'Feb 28 23:59:59');
  assert.equal(formatLogTime(Date.UTC(2024, 1, 29, 0, 0, 0)), 'Feb 29 00:00:00');
  assert.equal(formatLogTime(Date.UTC(2024, 1, 29, 0, 0, 0, 500)), 'Feb 29 00:00:00');
  assert.equal(formatLogTime(Date.UTC(2024, 1, 29, 13, 7, 9)), 'Feb 29 13:07:09');
  assert.equal(formatLogTime(Date.UTC(2024, 2, 1, 0, 0, 1)), 'Mar 01 00:00:01');
  assert.equal(formatLogTime(Date.UTC(2024, 1, 28, 23, 59, 59)), 'Feb 28 23:59:59');
  assert.equal(formatLogTime(Date.UTC(2025, 11, 31, 23, 59, 59)), 'Dec 31 23:59:59');
  assert.equal(formatLogTime(Date.UTC(2026, 0, 1, 0, 0, 0)), 'Jan 01 00:00:00');
});

test('pickup, cleanup, qmgr lines as Postfix 3.7.11 wrote them', () => {
  let line = reference('A0107168038: uid=1002 from=<bob>');
  assert.equal(rendered(line, { kind: 'pickup.accepted', uid: 1002, sender: 'bob', queueId: 'A0107168038' }), line);
  line = reference('0BFD9168039: uid=102 from=<alice@example.com> orig_id=65E6116819D');
  assert.equal(rendered(line, { kind: 'pickup.accepted', uid: 102, sender: 'alice@example.com', originalQueueId: '65E6116819D', queueId: '0BFD9168039' }), line);
  line = reference('A0107168038: message-id=<20261122092623.A0107168038@mail.example.com>');
  assert.equal(rendered(line, { kind: 'cleanup.message-id', header: 'message-id', messageId: '<20261122092623.A0107168038@mail.example.com>', queueId: 'A0107168038' }), line);
  line = reference('A0107168038: from=<bob@example.com>, size=318, nrcpt=1 (queue active)');
  assert.equal(rendered(line, { kind: 'qmgr.active', sender: 'bob@example.com', size: 318, recipients: 1, queueId: 'A0107168038' }), line);
  line = reference('D0C23168053: from=<>, size=2162, nrcpt=1 (queue active)');
  assert.equal(rendered(line, { kind: 'qmgr.active', sender: '', size: 2162, recipients: 1, queueId: 'D0C23168053' }), line);
  line = reference('qmgr[7979]: A0107168038: removed');
  assert.equal(rendered(line, { kind: 'qmgr.removed', queueId: 'A0107168038' }), line);
  line = reference('6DDE51682F3: from=<bob@example.com>, status=expired, returned to sender');
  assert.equal(rendered(line, { kind: 'qmgr.expired', sender: 'bob@example.com', queueId: '6DDE51682F3' }), line);
});

test('delivery status lines: orig_to only when it differs, delays, dsn, status and reason', () => {
  let line = reference('A0107168038: to=<alice@example.com>, relay=local, delay=0.05');
  assert.equal(rendered(line, {
    kind: 'delivery.status', recipient: 'alice@example.com', originalRecipient: 'alice@example.com', relay: 'local',
    delaySeconds: 0.0512, delays: delays(0.0234, 0.0151, 0, 0.0003), dsn: '2.0.0', status: 'sent',
    text: 'delivered to mailbox', queueId: 'A0107168038',
  }), line);
  line = reference('75D281681F7: to=<carol@example.com>, orig_to=<carol>');
  assert.equal(rendered(line, {
    kind: 'delivery.status', recipient: 'carol@example.com', originalRecipient: 'carol', relay: 'local',
    delaySeconds: 0.024, delays: delays(0.016, 0.008, 0, 0.0001), dsn: '2.0.0', status: 'sent',
    text: 'delivered to maildir', queueId: '75D281681F7',
  }), line);
  line = reference('92098168053: to=<bob@example.com>, orig_to=<bob>, relay=local, delay=57');
  assert.equal(rendered(line, {
    kind: 'delivery.status', recipient: 'bob@example.com', originalRecipient: 'bob', relay: 'local',
    delaySeconds: 57.02, delays: delays(57.1, 0.02, 0, 0.001), dsn: '2.0.0', status: 'sent',
    text: 'delivered to mailbox', queueId: '92098168053',
  }), line);
  line = reference('CD08016803D: to=<nosuchuser@example.com>');
  assert.equal(rendered(line, {
    kind: 'delivery.status', recipient: 'nosuchuser@example.com', relay: 'local',
    delaySeconds: 0.02, delays: delays(0.01, 0.01, 0, 0.01), dsn: '5.1.1', status: 'bounced',
    text: 'unknown user: "nosuchuser"', queueId: 'CD08016803D',
  }), line);
  line = reference('6DB8F168200: to=<bob@example.com>, orig_to=<bob>, relay=none');
  assert.equal(rendered(line, {
    kind: 'delivery.status', recipient: 'bob@example.com', originalRecipient: 'bob', relay: 'none',
    delaySeconds: 0.03, delays: delays(0.02, 0.01, 0, 0.01), dsn: '4.3.0', status: 'deferred',
    text: 'address resolver failure', queueId: '6DB8F168200',
  }), line);
  line = reference('6DDE51682F3: to=<user1@slow.test>');
  assert.equal(rendered(line, {
    kind: 'delivery.status', recipient: 'user1@slow.test', relay: '127.0.0.1[127.0.0.1]:10098',
    delaySeconds: 84.2, delays: delays(0.01, 0.01, 83.1, 0), dsn: '4.4.2', status: 'deferred',
    text: 'lost connection with 127.0.0.1[127.0.0.1] while receiving the initial server greeting', queueId: '6DDE51682F3',
  }), line);
  line = reference('D2937168208: to=<alice@example.com>, relay=none');
  assert.equal(rendered(line, {
    kind: 'delivery.status', recipient: 'alice@example.com', relay: 'none',
    delaySeconds: 0.01, delays: delays(0.01, 0, 0, 0), dsn: '5.7.1', status: 'bounced',
    text: 'Spam subject not allowed', queueId: 'D2937168208',
  }), line);
});

test('orig_to is left out when it equals the recipient ignoring case; extra fields follow relay', () => {
  const event = {
    kind: 'delivery.status', recipient: 'Bob@Example.com', originalRecipient: 'bob@example.com', relay: 'x',
    delaySeconds: 1, delays: delays(0, 0, 0, 1), dsn: '2.0.0', status: 'sent', text: 'ok', extra: ', conn_use=2',
    queueId: 'ABC', host: 'h', service: 'smtp', pid: 7, seq: 1, atMs: 0,
  } as TraceEvent;
  assert.equal(renderLogLine(event, 'postfix'),
    'postfix/smtp[7]: ABC: to=<Bob@Example.com>, relay=x, conn_use=2, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (ok)');
});

test('cleanup content actions, bounce notifications, postsuper actions', () => {
  let line = reference('AB51A168053: reject: header Subject: buy viagra now');
  assert.equal(rendered(line, {
    kind: 'cleanup.content-action', action: 'reject', where: 'header', line: 'Subject: buy viagra now',
    origin: 'localhost[127.0.0.1]', sender: 'sender@remote.test', recipient: 'alice@example.com', protocol: 'ESMTP',
    helo: 'client.remote.test', text: '5.7.1 Spam subject not allowed', queueId: 'AB51A168053',
  }), line);
  line = reference('D2937168208: reject: header Subject: cheap viagra from local;');
  assert.equal(rendered(line, {
    kind: 'cleanup.content-action', action: 'reject', where: 'header', line: 'Subject: cheap viagra',
    origin: 'local', sender: 'bob@example.com', recipient: 'alice@example.com', text: '5.7.1 Spam subject not allowed',
    queueId: 'D2937168208',
  }), line);
  line = reference('B6237168053: warning: header Subject: weekly newsletter');
  assert.equal(rendered(line, {
    kind: 'cleanup.content-action', action: 'warning', where: 'header', line: 'Subject: weekly newsletter',
    origin: 'localhost[127.0.0.1]', sender: 'sender@remote.test', recipient: 'alice@example.com', protocol: 'ESMTP',
    helo: 'client.remote.test', text: 'newsletter detected', queueId: 'B6237168053',
  }), line);
  line = reference('CD08016803D: sender non-delivery notification: D0C23168053');
  assert.equal(rendered(line, { kind: 'bounce.notification', notice: 'sender non-delivery notification', newQueueId: 'D0C23168053', queueId: 'CD08016803D' }), line);
  line = reference('9143116804A: sender delay notification: 9A004168053');
  assert.equal(rendered(line, { kind: 'bounce.notification', notice: 'sender delay notification', newQueueId: '9A004168053', queueId: '9143116804A' }), line);
  for (const action of ['placed on hold', 'released from hold', 'requeued'] as const) {
    line = referenceLines.find((candidate) => candidate.includes('postsuper[') && candidate.endsWith(`: ${action}`))!;
    assert.ok(line !== undefined, action);
    const id = /: ([0-9A-F]+): /.exec(line)![1]!;
    assert.equal(rendered(line, { kind: 'postsuper.action', action, queueId: id }), line);
  }
});

test('master lifecycle, diagnostics and plain text lines', () => {
  let line = reference('master[26703]: daemon started -- version 3.7.11, configuration /opt/pfref/ref1/etc');
  assert.equal(rendered(line, { kind: 'master.lifecycle', event: 'started', configDirectory: '/opt/pfref/ref1/etc' }), line);
  line = reference('master[25961]: reload -- version 3.7.11, configuration /opt/pfref/ref1/etc');
  assert.equal(rendered(line, { kind: 'master.lifecycle', event: 'reload', configDirectory: '/opt/pfref/ref1/etc' }), line);
  line = reference('warning: 9F8A51681FF: message rejected: hopcount exceeded');
  assert.equal(rendered(line, { kind: 'diagnostic', severity: 'warning', text: '9F8A51681FF: message rejected: hopcount exceeded' }), line);
  line = reference('qmgr[21369]: fatal: parameter maximal_queue_lifetime');
  assert.equal(rendered(line, { kind: 'diagnostic', severity: 'fatal', text: 'parameter maximal_queue_lifetime: bad time value or unit: 5x' }), line);
  line = reference('postsuper[12142]: Placed on hold: 1 message');
  assert.equal(rendered(line, { kind: 'diagnostic', severity: 'info', text: 'Placed on hold: 1 message' }), line);
  line = reference('postfix-script[26701]: starting the Postfix mail system');
  assert.equal(rendered(line, { kind: 'log.text', text: 'starting the Postfix mail system' }), line);
  line = reference('postfix-ref2/relay/smtp[');
  const from = origin(line);
  const text = line.slice(line.indexOf(']: ') + 3);
  const event = { kind: 'log.text', text, host: 'h', service: 'smtp', pid: from.pid, seq: 1, atMs: timeOf(line) } as TraceEvent;
  assert.equal(formatMaillogLine(event, { path: '/x', myhostname: 'gw.example.com', delayResolutionDigits: 2, syslogNameFor: () => 'postfix-ref2/relay' }), line);
});

test('kinds without a log line render to nothing', () => {
  const base = { host: 'h', service: 'qmgr', pid: 1, seq: 1, atMs: 0 };
  const silent: TraceEvent[] = [
    { ...base, kind: 'queue.moved', from: 'incoming', to: 'active' },
    { ...base, kind: 'postdrop.queued', uid: 0, sender: 'a', recipients: ['b'] },
    { ...base, kind: 'cleanup.header-added', name: 'Date', value: 'x' },
    { ...base, kind: 'delivery.request', transport: 'local', nexthop: 'h', recipients: [] },
    { ...base, kind: 'local.forwarded', recipient: 'a', newQueueId: 'B' },
    { ...base, kind: 'config.read', file: 'main.cf', entries: 3 },
  ] as TraceEvent[];
  for (const event of silent) assert.equal(renderLogLine(event, 'postfix'), undefined, event.kind);
});

test('writer: appends this host\'s lines in order, skips postconf, bounded and flushable', async () => {
  const platform = createSimPlatform({ hostName: 'h', seed: 1 });
  const trace = createTraceSink(platform.clock);
  await platform.fs.mkdir('/var/log', { recursive: true });
  const settings: MaillogSettings = { path: '/var/log/maillog', myhostname: 'mail.example.test', delayResolutionDigits: 2, syslogNameFor: () => 'postfix' };
  const writer = createMaillogWriter({ fs: platform.fs, trace, hostName: 'h', settings: () => settings });
  for (let index = 0; index < 50; index++) trace.emit({ kind: 'log.text', text: `line ${index}`, host: 'h', service: 'pickup', pid: 5 });
  trace.emit({ kind: 'log.text', text: 'other host', host: 'other', service: 'pickup', pid: 5 });
  trace.emit({ kind: 'diagnostic', severity: 'warning', text: 'not logged', host: 'h', service: 'postconf', pid: 5 });
  trace.emit({ kind: 'qmgr.removed', queueId: 'ABC', host: 'h', service: 'qmgr', pid: 6 });
  await writer.flush();
  const lines = new TextDecoder().decode(await platform.fs.readFile('/var/log/maillog')).trimEnd().split('\n');
  assert.equal(lines.length, 51);
  assert.equal(lines[0], 'Jan 01 00:00:00 mail postfix/pickup[5]: line 0');
  assert.equal(lines[49], 'Jan 01 00:00:00 mail postfix/pickup[5]: line 49');
  assert.equal(lines[50], 'Jan 01 00:00:00 mail postfix/qmgr[6]: ABC: removed');
  writer.stop();
  trace.emit({ kind: 'qmgr.removed', queueId: 'DEF', host: 'h', service: 'qmgr', pid: 6 });
  await writer.flush();
  assert.equal(writer.droppedLines, 0);
  assert.doesNotMatch(new TextDecoder().decode(await platform.fs.readFile('/var/log/maillog')), /DEF/);
});
