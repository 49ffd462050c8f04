// max_idle and max_use on a sim host, as Postfix 3.7.11 does them (checked on a private
// instance with max_idle = 3s, max_use = 2: smtpd served two sessions, the third had a new
// pid; cleanup and local two messages each, then new pids; qmgr kept its pid throughout;
// after main.cf was edited without a reload, the next session within max_idle still had
// the old banner and pid, the one after max_idle a new pid, the new banner and the new
// process's main.cf warning before its "connect from"). Here in simulated time with the
// default max_idle (100s), and a reload in the middle of a session.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, DEFAULT_MAIN_CF, type PipelineHost } from './harness.ts';
import { ChatClient } from '../unit/smtpd/chat.ts';

const crlf = (text: string): Uint8Array => new TextEncoder().encode(`${text}\r\n`);

/** One SMTP session that says QUIT at once; its banner. */
async function banner(host: PipelineHost): Promise<string> {
  const client = await ChatClient.connect(host, undefined, 25);
  const [first = ''] = await client.reply();
  client.send(crlf('QUIT'));
  await client.reply();
  client.close();
  await host.run();
  return first;
}

/** The pid of the program's last line (of those matching `also`). */
function lastPid(lines: readonly string[], program: string, also = ''): string | undefined {
  const found = lines.filter((line) => line.includes(`/${program}[`) && line.includes(also)).at(-1);
  return found === undefined ? undefined : /\[(\d+)\]/.exec(found.slice(found.indexOf(`/${program}[`)))?.[1];
}

test('a main.cf edit without reload reaches smtpd after max_idle, with a new pid and its warning; qmgr keeps its pid', async () => {
  const host = await createPipelineHost({
    mainCf: `${DEFAULT_MAIN_CF}smtpd_banner = $myhostname ESMTP first\n`, files: { '/etc/hosts': '127.0.0.1 localhost\n' },
  });
  await host.sendmail(['alice'], 'Subject: one\n\nbody\n');
  assert.equal(await banner(host), '220 mail.example.test ESMTP first');
  const start = await host.maillog();
  const smtpdPid = lastPid(start, 'smtpd', ': connect from');
  const qmgrPid = lastPid(start, 'qmgr');
  assert.ok(smtpdPid !== undefined && qmgrPid !== undefined, start.join('\n'));

  const mainCf = await host.readFile('/etc/postfix/main.cf');
  await host.writeFile('/etc/postfix/main.cf', `${mainCf}smtpd_banner = $myhostname ESMTP second\n`);
  // Within max_idle the same process serves, with what it read at its start.
  await host.run({ forMs: 50_000 });
  assert.equal(await banner(host), '220 mail.example.test ESMTP first');
  const soon = (await host.maillog()).slice(start.length);
  assert.equal(lastPid(soon, 'smtpd', ': connect from'), smtpdPid, soon.join('\n'));
  assert.ok(!soon.some((line) => line.includes('overriding earlier entry')), soon.join('\n'));

  // 100s idle: that process has exited; the next session is a new one's.
  await host.run({ forMs: 101_000 });
  assert.equal(await banner(host), '220 mail.example.test ESMTP second');
  const later = (await host.maillog()).slice(start.length + soon.length);
  const newPid = lastPid(later, 'smtpd', ': connect from');
  assert.ok(newPid !== undefined && newPid !== smtpdPid, later.join('\n'));
  const warning = later.findIndex((line) => line.includes(`/smtpd[${newPid}]: warning: /etc/postfix/main.cf, line 13: overriding earlier entry: smtpd_banner=$myhostname ESMTP first`));
  const connect = later.findIndex((line) => line.includes(`/smtpd[${newPid}]: connect from`));
  assert.ok(warning >= 0 && warning < connect, later.join('\n'));

  // qmgr ignores max_idle: the same pid, main.cf not read again.
  await host.sendmail(['alice'], 'Subject: two\n\nbody\n');
  const last = (await host.maillog()).slice(start.length + soon.length + later.length);
  assert.equal(lastPid(last, 'qmgr'), qmgrPid, last.join('\n'));
  assert.ok(!last.some((line) => line.includes('/qmgr[') && line.includes('warning')), last.join('\n'));
  assert.ok(last.some((line) => /\/cleanup\[\d+\]: warning: .*overriding earlier entry/.test(line)), 'cleanup is a new process too');
  await host.stop();
});

test('max_use = 2: smtpd, cleanup and local serve two clients each, then a new process; qmgr keeps its pid', async () => {
  const host = await createPipelineHost({ mainCf: `${DEFAULT_MAIN_CF}max_use = 2\n`, files: { '/etc/hosts': '127.0.0.1 localhost\n' } });
  for (let session = 0; session < 3; session += 1) await banner(host);
  for (let message = 0; message < 3; message += 1) await host.sendmail(['alice'], `Subject: m${message}\n\nbody\n`);
  const lines = await host.maillog();
  const pids = (program: string, also: string): string[] => lines.filter((line) => line.includes(`/${program}[`) && line.includes(also))
    .map((line) => /\[(\d+)\]/.exec(line.slice(line.indexOf(`/${program}[`)))![1]!);
  for (const [program, also] of [['smtpd', ': connect from'], ['cleanup', 'message-id='], ['local', 'status=sent']] as const) {
    const seen = pids(program, also);
    assert.equal(seen.length, 3, `${program}: ${lines.join('\n')}`);
    assert.equal(seen[1], seen[0], `${program}: the second client is the same process's`);
    assert.notEqual(seen[2], seen[0], `${program}: the third is a new process's`);
  }
  assert.equal(new Set(pids('qmgr', 'queue active')).size, 1, 'qmgr keeps its pid');
  await host.stop();
});

test('postfix reload during an SMTP session: the session ends under its old pid and settings', async () => {
  const host = await createPipelineHost({ files: { '/etc/hosts': '127.0.0.1 localhost\n' } });
  const client = await ChatClient.connect(host, undefined, 25);
  await client.reply();
  client.send(crlf('EHLO one.example'));
  await client.reply();
  const mainCf = await host.readFile('/etc/postfix/main.cf');
  await host.writeFile('/etc/postfix/main.cf', `${mainCf}smtpd_banner = $myhostname ESMTP second\n`);
  assert.equal((await host.command(['postfix', 'reload'])).exitCode, 0);
  await host.run();
  client.send(crlf('NOOP'));
  await client.reply();
  client.send(crlf('QUIT'));
  await client.reply();
  client.close();
  await host.run();
  const lines = await host.maillog();
  const connect = lastPid(lines, 'smtpd', 'connect from');
  assert.equal(lastPid(lines, 'smtpd', 'disconnect from'), connect, lines.join('\n'));
  assert.equal(await banner(host), '220 mail.example.test ESMTP second');
  const after = await host.maillog();
  assert.notEqual(lastPid(after, 'smtpd', 'connect from'), connect, after.join('\n'));
  await host.stop();
});
