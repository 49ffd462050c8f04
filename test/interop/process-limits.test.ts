// max_idle and max_use on a private real Postfix 3.7.11 and on a sim host with the same
// settings (max_idle = 3s, max_use = 2): smtpd's pids over three sessions (two of one
// process, then a new one), the banner and pid of a session right after a main.cf edit
// without reload (old) and one after max_idle (new, with the new process's warning), and
// qmgr's one pid throughout. The real instance is real-instance.ts's (own directory,
// smtpd on a free 127.0.0.1 port, stopped by pid).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freeLoopbackPort, withRealInstance } from './real-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { createPipelineHost, DEFAULT_MAIN_CF } from '../pipeline/harness.ts';
import { ChatClient } from '../unit/smtpd/chat.ts';

const LIMITS = 'max_idle = 3s\nmax_use = 2\nsmtpd_banner = $myhostname ESMTP first\n';
const EDIT = 'smtpd_banner = $myhostname ESMTP second\n';
const SESSION_TIMEOUT_MS = 5000;

interface Observed { banners: string[]; smtpdPids: string[]; qmgrPids: number; warned: boolean }

function realBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (data) => {
      text += data.toString();
      if (text.includes('221')) socket.end();
      else if (text.includes('\n')) socket.write('QUIT\r\n');
    });
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), SESSION_TIMEOUT_MS);
  });
}

function observe(banners: string[], lines: readonly string[]): Observed {
  const smtpdPids = lines.filter((line) => /\/smtpd\[\d+\]: connect from/.test(line)).map((line) => /smtpd\[(\d+)\]/.exec(line)![1]!);
  const qmgrPids = new Set(lines.filter((line) => line.includes('/qmgr[')).map((line) => /qmgr\[(\d+)\]/.exec(line)![1])).size;
  const warned = lines.some((line) => /\/smtpd\[\d+\]: warning: .*main\.cf, line \d+: overriding earlier entry: smtpd_banner=\$myhostname ESMTP first/.test(line));
  return { banners, smtpdPids, qmgrPids, warned };
}

/** Same pid pattern: equal where equal, different where different. */
function pattern(pids: readonly string[]): number[] {
  return pids.map((pid) => pids.indexOf(pid));
}

test('max_idle/max_use: real Postfix and the sim agree on smtpd pids, banners after a main.cf edit, qmgr kept', { skip: !hasRealCommand('postfix') }, async () => {
  const port = await freeLoopbackPort();
  const real = await withRealInstance({ smtpdListen: `127.0.0.1:${port}`, mainCf: LIMITS }, async (instance) => {
    const banners: string[] = [];
    for (let session = 0; session < 3; session += 1) banners.push(await realBanner(port));
    instance.sendmail(['root'], 'Subject: one\n\nbody\n');
    await instance.waitForQueue();
    appendFileSync(`${instance.configDirectory}/main.cf`, EDIT);
    banners.push(await realBanner(port));
    await new Promise((done) => { setTimeout(done, 4000); });
    banners.push(await realBanner(port));
    instance.sendmail(['root'], 'Subject: two\n\nbody\n');
    await instance.waitForQueue();
    return observe(banners, instance.maillog());
  });

  const host = await createPipelineHost({ mainCf: `${DEFAULT_MAIN_CF}${LIMITS}`, files: { '/etc/hosts': '127.0.0.1 localhost\n' } });
  const simBanner = async (): Promise<string> => {
    const client = await ChatClient.connect(host, undefined, 25);
    const [first = ''] = await client.reply();
    client.send(new TextEncoder().encode('QUIT\r\n'));
    await client.reply();
    client.close();
    await host.run();
    return first;
  };
  const banners: string[] = [];
  for (let session = 0; session < 3; session += 1) banners.push(await simBanner());
  await host.sendmail(['root'], 'Subject: one\n\nbody\n');
  await host.writeFile('/etc/postfix/main.cf', `${await host.readFile('/etc/postfix/main.cf')}${EDIT}`);
  banners.push(await simBanner());
  await host.run({ forMs: 4000 });
  banners.push(await simBanner());
  await host.sendmail(['root'], 'Subject: two\n\nbody\n');
  const sim = observe(banners, await host.maillog());
  await host.stop();

  const name = (text: string) => text.replace(/^220 \S+ /, '220 HOST ');
  assert.deepEqual(sim.banners.map(name), real.banners.map(name));
  assert.deepEqual(real.banners.map(name), ['220 HOST ESMTP first', '220 HOST ESMTP first', '220 HOST ESMTP first', '220 HOST ESMTP first', '220 HOST ESMTP second']);
  assert.deepEqual(pattern(sim.smtpdPids), pattern(real.smtpdPids), `real ${real.smtpdPids} sim ${sim.smtpdPids}`);
  assert.deepEqual(pattern(real.smtpdPids), [0, 0, 2, 2, 4]);
  assert.equal(real.qmgrPids, 1);
  assert.equal(sim.qmgrPids, 1);
  assert.ok(real.warned && sim.warned, 'the new smtpd logs main.cf warning');
});
