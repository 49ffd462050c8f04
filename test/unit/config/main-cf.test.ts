// Unit tests for main.cf reading (engine/global/config/main-cf.ts): logical lines,
// last-wins duplicates, Postfix's warnings and fatals, and MainConfig's getters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logicalLines, parseMainCf, splitNameValue, createMainConfig } from '../../../engine/global/config/main-cf.ts';
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

const machine = { hostName: 'vm', interfaces: ['127.0.0.1/8'], pid: 42, processName: 'test', defaultConfigDirectory: '/etc/postfix' };

test('continuation lines, comments and blank lines inside an entry', () => {
  const { lines, reporter } = collector();
  const text = 'a = 1\n  2\n# comment\n\n   3\nb=x\n';
  assert.deepEqual(logicalLines(text, 'main.cf', reporter).map((line) => [line.text, line.line]), [['a = 1  2   3', 1], ['b=x', 6]]);
  assert.deepEqual(lines, []);
});

test('a leading-whitespace entry is skipped with a warning', () => {
  const { lines, reporter } = collector();
  const entries = parseMainCf('  lead = x\nb = y', '/d/main.cf', reporter);
  assert.deepEqual([...entries.keys()], ['b']);
  assert.deepEqual(lines, ['warning: /d/main.cf: logical line must not start with whitespace: "  lead = x"']);
});

test('duplicates: the last one wins, with an "overriding" warning when values differ', () => {
  const { lines, reporter } = collector();
  const entries = parseMainCf('biff = no\nbiff = no\nbiff = yes\n', '/d/main.cf', reporter);
  assert.equal(entries.get('biff')?.value, 'yes');
  assert.deepEqual(lines, ['warning: /d/main.cf, line 3: overriding earlier entry: biff=no']);
});

test('a line without "=" is fatal with file, line and text', () => {
  const { lines, reporter } = collector();
  assert.throws(() => parseMainCf('biff = no\n\nthis line is garbage\n', '/d/main.cf', reporter), FatalExit);
  assert.deepEqual(lines, ['fatal: /d/main.cf, line 3: missing \'=\' after attribute name: "this line is garbage"']);
  assert.equal(splitNameValue('= x'), 'missing attribute name');
  assert.deepEqual(splitNameValue('  a\t=  b c \r'), { name: 'a', value: 'b c' });
});

test('getters: expansion, defaults, typed values and Postfix\'s fatal texts', () => {
  const { lines, reporter } = collector();
  const text = 'mydomain = example.com\nmessage_size_limit = 10MB\nbiff = maybe\nmaximal_queue_lifetime = 2\n'
    + 'minimal_backoff_time = 5x\ndefault_process_limit = 0\nrelay_domains = a.example, b.example c.example\n';
  const config = createMainConfig('/d', '/d/main.cf', parseMainCf(text, '/d/main.cf', reporter), machine, reporter);
  assert.equal(config.get('myhostname'), 'vm.example.com');
  assert.equal(config.get('myorigin'), 'vm.example.com');
  assert.equal(config.get('mydestination'), 'vm.example.com, localhost.example.com, localhost');
  assert.equal(config.getTimeSeconds('maximal_queue_lifetime'), 2 * 86400, 'default unit d');
  assert.equal(config.getTimeSeconds('bounce_queue_lifetime'), 5 * 86400);
  assert.equal(config.getInt('smtpd_recipient_limit'), 1000);
  assert.equal(config.getSize('mailbox_size_limit'), 51200000);
  assert.equal(config.getBool('append_dot_mydomain'), true, 'yes below compatibility level 1');
  assert.deepEqual(config.getList('relay_domains'), ['a.example', 'b.example', 'c.example']);
  assert.equal(config.get('mynetworks'), '127.0.0.0/8');
  assert.equal(config.isSet('biff'), true);
  assert.throws(() => config.getSize('message_size_limit'), FatalExit);
  assert.throws(() => config.getBool('biff'), FatalExit);
  assert.throws(() => config.getTimeSeconds('minimal_backoff_time'), FatalExit);
  assert.throws(() => config.getInt('default_process_limit'), FatalExit);
  assert.deepEqual(lines, [
    'fatal: bad numerical configuration: message_size_limit = 10MB',
    'fatal: bad boolean configuration: biff = maybe',
    'fatal: parameter minimal_backoff_time: bad time value or unit: 5x',
    'fatal: invalid default_process_limit parameter value 0 < 1',
  ]);
});
