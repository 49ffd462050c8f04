// Unit tests for master.cf reading (engine/global/config/master-cf.ts and master-cf-text.ts):
// logical lines, field checks with postconf's messages, -o normalisation (braces, the
// "-stuffo" split quirk), what master(8) makes of "-" fields, duplicate services, the
// default master.cf text, and postconf -M's column layout on a parsed entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  duplicateServiceWarnings, parseMasterCf, readLogicalLines, readMasterConfig, resolveMasterEntry,
} from '../../../engine/global/config/master-cf.ts';
import { extractBraced, splitNameValue, splitQuoted } from '../../../engine/global/config/master-cf-text.ts';
import { masterCfListeningOn, stockMasterCf } from '../../../engine/global/config/default-master-cf.ts';
import { printLine, parseServicePattern } from '../../../engine/admin/postconf-master.ts';
import { createSimFileSystem } from '../../../engine/platform/sim/index.ts';
import { FatalExit, type Reporter } from '../../../engine/global/msg.ts';

function collector() {
  const lines: string[] = [];
  const reporter: Reporter = {
    program: 'test',
    info: (text) => lines.push(`info: ${text}`),
    warn: (text) => lines.push(`warning: ${text}`),
    error: (text) => lines.push(`error: ${text}`),
    fatal: (text) => { lines.push(`fatal: ${text}`); throw new FatalExit(text); },
    get warnings() { return lines.length; },
  };
  return { lines, reporter };
}

function fatalOf(text: string): string {
  const { lines, reporter } = collector();
  assert.throws(() => parseMasterCf(text, '/c/master.cf', reporter), FatalExit);
  return lines[lines.length - 1] ?? '';
}

test('logical lines: continuation joins without a separator, comments vanish inside an entry', () => {
  const { lines, reporter } = collector();
  const text = '# head\n\nfoo unix - - n - - smtp\n  -o a=b\n# inside\n\t-o c=d\nbar unix - - n - - smtp';
  assert.deepEqual(readLogicalLines(text, 'm', reporter), [
    { text: 'foo unix - - n - - smtp  -o a=b\t-o c=d', line: 3 },
    { text: 'bar unix - - n - - smtp', line: 7 },
  ]);
  assert.deepEqual(lines, []);
});

test('text that continues nothing is skipped with a 30-character excerpt', () => {
  const { lines, reporter } = collector();
  const entries = parseMasterCf('  leading text that continues nothing at all\nfoo unix - - n - - smtp\n', '/c/master.cf', reporter);
  assert.equal(entries.length, 1);
  assert.deepEqual(lines, ['warning: /c/master.cf: logical line must not start with whitespace: "  leading text that continues ..."']);
});

test('field checks use postconf\'s words', () => {
  assert.equal(fatalOf('foo tcp - - n - - smtpd\n'), 'fatal: invalid type field "tcp" in "foo tcp - - n - - smtpd"');
  assert.equal(fatalOf('# c\n\nfoo unix - - n - -\n'), 'fatal: file /c/master.cf: line 3: bad field count');
  assert.equal(fatalOf('foo unix x - n - - smtp\n'), 'fatal: invalid private field "x" in "foo unix x - n - - smtp"');
  assert.equal(fatalOf('foo unix - yy n - - smtp\n'), 'fatal: invalid unprivileged field "yy" in "foo unix - yy n - - smtp"');
  assert.equal(fatalOf('foo unix - - N - - smtp\n'), 'fatal: invalid chroot field "N" in "foo unix - - N - - smtp"');
  assert.equal(fatalOf('foo unix - - n 5?? - smtp\n'), 'fatal: invalid wakeup field "5??" in "foo unix - - n 5?? - smtp"');
  assert.equal(fatalOf('foo unix - - n 0 -1 smtp\n'), 'fatal: invalid process_limit field "-1" in "foo unix - - n 0 -1 smtp"');
});

test('wakeup accepts digits, "-", and either with a trailing "?" (and "?" alone)', () => {
  const { reporter } = collector();
  const entries = parseMasterCf('a unix - - n ? - s\nb unix - - n -? - s\nc unix - - n 30? 1 s\n', 'm', reporter);
  assert.deepEqual(entries.map((entry) => entry.wakeup), ['?', '-?', '30?']);
});

test('-o values: braces removed, name = value normalised, overrides collected', () => {
  const { lines, reporter } = collector();
  const [entry] = parseMasterCf('foo unix - - n - - smtp -o { smtp_helo_name = a b } -ox=1 arg {c d}\n', 'm', reporter);
  assert.deepEqual(entry?.arguments, ['-o', 'smtp_helo_name=a b', '-o', 'x=1', 'arg', 'c d']);
  assert.deepEqual([...(entry?.overrides ?? [])], [['smtp_helo_name', 'a b'], ['x', '1']]);
  assert.deepEqual(lines, []);
});

test('an "o" inside an option word starts a new option, as in Postfix', () => {
  const { reporter } = collector();
  const [entry] = parseMasterCf('foo unix - - n - - smtp -ohelo_name=a -vosyslog_name=b\n', 'm', reporter);
  assert.deepEqual(entry?.arguments, ['-o', 'hel', '-o', '_name=a', '-v', '-o', 'sysl', '-o', 'g_name=b']);
});

test('brace problems are warnings, with the best-effort text kept', () => {
  const { lines, reporter } = collector();
  const [entry] = parseMasterCf('foo unix - - n - - smtp -o {a = b}x -o {=x} -o {c = d\n', 'm', reporter);
  assert.deepEqual(entry?.arguments, ['-o', 'a=b', '-o', '=x', '-o', 'c=d']);
  assert.deepEqual(lines, [
    'warning: master.cf: syntax error after \'}\' in "{a = b}x"',
    'warning: master.cf: missing attribute name: "=x"',
    'warning: master.cf: missing \'}\' in "{c = d"',
  ]);
});

test('text helpers: quoted split, brace extraction, name=value', () => {
  assert.deepEqual(splitQuoted(' a {b c} {d {e f}} g{h i}j ', ' \t'), ['a', '{b c}', '{d {e f}}', 'g{h i}j']);
  assert.deepEqual(extractBraced('{  x  }'), { text: 'x' });
  assert.deepEqual(extractBraced('{x'), { text: 'x', error: 'missing \'}\' in "{x"' });
  assert.deepEqual(splitNameValue(' a =  b c '), { name: 'a', value: 'b c' });
  assert.equal(splitNameValue('a b'), "missing '=' after attribute name");
});

test('master(8) defaults: "-" means y, y, the chroot default and $default_process_limit', () => {
  const { lines, reporter } = collector();
  const [entry, timed] = parseMasterCf('foo unix - - - - - smtp\nbar unix n n y 60? 1 pickup\n', '/c/master.cf', reporter);
  assert.ok(entry && timed);
  const defaults = { defaultProcessLimit: 100, chrootDefault: false };
  assert.deepEqual(
    { ...resolveMasterEntry(entry, defaults, reporter), entry: undefined },
    { entry: undefined, privateService: true, unprivileged: true, chroot: false, wakeupSeconds: 0, wakeupConditional: false, processLimit: 100 },
  );
  const service = resolveMasterEntry(timed, defaults, reporter);
  assert.deepEqual([service.privateService, service.chroot, service.wakeupSeconds, service.wakeupConditional, service.processLimit], [false, true, 60, true, 1]);
  const [inet] = parseMasterCf('smtp inet - - n - - smtpd\n', '/c/master.cf', reporter);
  assert.ok(inet);
  assert.throws(() => resolveMasterEntry(inet, defaults, reporter), FatalExit);
  assert.equal(lines.at(-1), 'fatal: /c/master.cf: line 1: inet service cannot be private');
});

test('duplicate services are found by endpoint and type', () => {
  const { reporter } = collector();
  const entries = parseMasterCf('smtp inet n - n - - smtpd\nsmtp unix - - n - - smtp\nsmtp inet n - n - - smtpd\n', 'm', reporter);
  assert.deepEqual(duplicateServiceWarnings(entries), ['duplicate master.cf entry for service "smtp" (smtp) -- using the last entry']);
});

test('readMasterConfig: a missing file is fatal with strerror text', async () => {
  const { lines, reporter } = collector();
  const fs = createSimFileSystem({});
  await fs.mkdir('/etc/postfix', { recursive: true });
  await assert.rejects(readMasterConfig(fs, '/etc/postfix', reporter), FatalExit);
  assert.deepEqual(lines, ['fatal: open /etc/postfix/master.cf: No such file or directory']);
  await fs.writeFile('/etc/postfix/master.cf', stockMasterCf);
  const entries = await readMasterConfig(fs, '/etc/postfix', reporter);
  assert.equal(entries.length, 25);
});

test('the default master.cf has the stock services, all with chroot n', () => {
  const { lines, reporter } = collector();
  const entries = parseMasterCf(stockMasterCf, 'm', reporter);
  assert.deepEqual(lines, []);
  assert.deepEqual(entries.map((entry) => `${entry.service}/${entry.type}`).slice(0, 3), ['smtp/inet', 'pickup/unix', 'cleanup/unix']);
  assert.ok(entries.every((entry) => entry.chroot === 'n'));
  assert.equal(entries.find((entry) => entry.service === 'relay')?.overrides.get('syslog_name'), 'postfix/$service_name');
  const [listener] = parseMasterCf(masterCfListeningOn('127.0.0.1:2525'), 'm', reporter);
  assert.equal(listener?.service, '127.0.0.1:2525');
});

test('service patterns and the line printer', () => {
  assert.deepEqual(parseServicePattern('smtp', 1, 3), ['smtp', '*', '*']);
  assert.deepEqual(parseServicePattern('a//b', 1, 2), ['a', 'b']);
  assert.equal(parseServicePattern('/a', 1, 2), undefined);
  assert.equal(parseServicePattern('s*', 1, 2), undefined);
  assert.equal(parseServicePattern('a/b/c', 1, 2), undefined);
  assert.equal(printLine('a/b/c =  x   y ', false), 'a/b/c = x y\n');
  assert.equal(printLine(`n = ${'w'.repeat(40)} ${'v'.repeat(40)}`, true), `n = ${'w'.repeat(40)}\n    ${'v'.repeat(40)}\n`);
});
