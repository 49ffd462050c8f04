// postfix reload and the pids in the maillog. Postfix 3.7.11, checked on a private instance
// (start, sendmail to root, the same through smtpd, postfix reload, both again): master
// keeps its pid; every child exits after the reload, so pickup and qmgr log with new pids
// (master starts them again at once) and cleanup, smtpd, local with new pids when next
// used; each new pid is used for the rest of the run. This test does the same on a sim
// host and compares the pids per program before and after the reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, type PipelineHost } from './harness.ts';
import { ChatClient } from '../unit/smtpd/chat.ts';

const PROGRAMS = ['master', 'pickup', 'qmgr', 'cleanup', 'smtpd', 'local'] as const;
const crlf = (text: string): Uint8Array => new TextEncoder().encode(text.split('\n').map((line) => `${line}\r\n`).join(''));

async function smtpMessage(host: PipelineHost, subject: string): Promise<void> {
  const client = await ChatClient.connect(host, undefined, 25);
  await client.reply();
  for (const line of ['EHLO client.remote.test', 'MAIL FROM:<sender@remote.test>', 'RCPT TO:<alice@example.test>', 'DATA', `Subject: ${subject}\n\nbody\n.`, 'QUIT']) {
    client.send(crlf(line));
    await client.reply();
  }
  client.close();
  await host.run();
}

/** Pids per program in maillog lines. */
function pidsOf(lines: readonly string[]): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>(PROGRAMS.map((name) => [name, new Set<string>()]));
  for (const line of lines) {
    const match = / postfix\/([\w-]+)\[(\d+)\]: /.exec(line);
    if (match !== null) found.get(match[1]!)?.add(match[2]!);
  }
  return found;
}

test('postfix reload: master keeps its pid; pickup, qmgr, cleanup, smtpd and local log with new ones', async () => {
  const host = await createPipelineHost({ files: { '/etc/hosts': '127.0.0.1 localhost\n' } });
  await host.sendmail(['alice'], 'Subject: one\n\nbody\n');
  await smtpMessage(host, 'two');
  const before = await host.maillog();
  assert.equal((await host.command(['postfix', 'reload'])).exitCode, 0);
  await host.run();
  const afterReload = (await host.maillog()).slice(before.length);
  await host.sendmail(['alice'], 'Subject: three\n\nbody\n');
  await smtpMessage(host, 'four');
  const after = (await host.maillog()).slice(before.length);
  const old = pidsOf(before);
  const fresh = pidsOf(after);
  const reloadLine = after.findIndex((line) => / postfix\/master\[\d+\]: reload -- /.test(line));
  assert.ok(reloadLine >= 0, after.join('\n'));
  for (const program of PROGRAMS) {
    assert.equal(old.get(program)!.size, 1, `${program}: one pid before the reload\n${before.join('\n')}`);
    assert.equal(fresh.get(program)!.size, 1, `${program}: one pid after it\n${after.join('\n')}`);
    const [was] = old.get(program)!;
    const [now] = fresh.get(program)!;
    if (program === 'master') assert.equal(now, was, 'master keeps its pid');
    else assert.notEqual(now, was, `${program}: a new process after the reload\n${after.join('\n')}`);
  }
  // The reload itself: nothing from the old children after master's line; pickup's and
  // qmgr's new processes are there before any mail (they are given their pids at once).
  const pids = [...fresh.values()].flatMap((set) => [...set]).map(Number);
  assert.equal(new Set(pids).size, pids.length, 'no two programs share a pid');
  const pickupPid = Number([...fresh.get('pickup')!][0]);
  const qmgrPid = Number([...fresh.get('qmgr')!][0]);
  const cleanupPid = Number([...fresh.get('cleanup')!][0]);
  assert.ok(pickupPid < qmgrPid && qmgrPid < cleanupPid, `pickup and qmgr start at the reload, cleanup when used: ${pickupPid} ${qmgrPid} ${cleanupPid}`);
  assert.ok(afterReload.length >= 1);
  await host.stop();
});
