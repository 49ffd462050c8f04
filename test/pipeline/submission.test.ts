// Pipeline: local submission on a started sim host, sendmail → postdrop → maildrop/ →
// pickup → cleanup → incoming/ → qmgr → local, read through the maillog and the mailbox;
// sendmail's modes against commands/sendmail-modes.txt (exit statuses, terminal lines and
// the maillog lines of sendmail's own fatals); a stopped host keeps the maildrop file until
// the next start; the size limit of logs/n2; a crash right after sendmail returns loses
// nothing (postdrop synced before it answered).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost, type PipelineHost } from './harness.ts';
import { programs } from '../../engine/master/programs.ts';
import { pickupProgram } from '../../engine/pickup/service.ts';

/** The program table with pickup in it (master's table gains it as P1 wires it). */
const withPickup = { ...programs, pickup: pickupProgram };

/** The text after "HOST TAG[PID]: ", with the queue ids replaced by ID, NEW... in order. */
function logTexts(lines: readonly string[], program: string): string[] {
  const pattern = new RegExp(`^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ postfix/${program}\\[\\d+\\]: (.*)$`);
  return lines.flatMap((line) => {
    const match = pattern.exec(line);
    return match?.[1] === undefined ? [] : [match[1]];
  });
}

async function host(mainCfExtra = ''): Promise<PipelineHost> {
  const base = (await import('./harness.ts')).DEFAULT_MAIN_CF;
  return createPipelineHost({ programs: withPickup, mainCf: base + mainCfExtra });
}

test('sendmail as bob to alice: pickup logs uid=1002 from=<bob>, alice gets the message', async () => {
  const pipeline = await host();
  const result = await pipeline.sendmail(['alice'], 'Subject: test (a)\n\nHello Alice,\n', { user: 'bob' });
  assert.deepEqual(result, { exitCode: 0, stdout: '', stderr: '' });
  const log = await pipeline.maillog();
  const [accepted] = logTexts(log, 'pickup');
  assert.match(accepted ?? '', /^([0-9A-F]+): uid=1002 from=<bob>$/);
  const id = accepted?.split(':')[0] ?? '';
  assert.ok(logTexts(log, 'cleanup').includes(`${id}: message-id=<${logTexts(log, 'cleanup')[0]?.split('<')[1]}`));
  assert.ok(logTexts(log, 'qmgr').some((line) => line.startsWith(`${id}: from=<bob@example.test>, size=`)));
  assert.ok(logTexts(log, 'local').some((line) => line.startsWith(`${id}: to=<alice@example.test>, orig_to=<alice>, relay=local,`)
    && line.endsWith('status=sent (delivered to mailbox)')));
  const mailbox = await pipeline.readFile('/var/mail/alice');
  assert.match(mailbox, new RegExp(`Received: by mail\\.example\\.test \\(Postfix, from userid 1002\\)\\n\\tid ${id}; `));
  assert.match(mailbox, /\nFrom: bob@example\.test\n\nHello Alice,\n/);
  assert.deepEqual(await pipeline.queueFiles('maildrop'), []);
  await pipeline.stop();
});

test('sendmail modes as commands/sendmail-modes.txt shows them', async () => {
  const pipeline = await host();
  const root = (argv: string[], stdin = '') => pipeline.command(['sendmail', ...argv], { stdin });
  assert.deepEqual(await root(['-bp']), { exitCode: 0, stdout: 'Mail queue is empty\n', stderr: '' });
  assert.deepEqual(await pipeline.command(['mailq']), { exitCode: 0, stdout: 'Mail queue is empty\n', stderr: '' });
  assert.deepEqual(await root(['-bi']), { exitCode: 0, stdout: '', stderr: '' });
  assert.deepEqual(await root(['-q']), { exitCode: 0, stdout: '', stderr: '' });
  assert.deepEqual(await root(['-q5m']), { exitCode: 0, stdout: '', stderr: '' });
  assert.deepEqual(await root(['-bd']), { exitCode: 0, stdout: '', stderr: '' });
  assert.deepEqual(await root([], 'body\n'), {
    exitCode: 75, stdout: '',
    stderr: 'sendmail: fatal: root(0): Recipient addresses must be specified on the command line or via the -t option\n',
  });
  assert.deepEqual(await root(['-bz']), { exitCode: 75, stdout: '', stderr: 'sendmail: fatal: unsupported: -bz\n' });
  const verify = await pipeline.command(['sendmail', '-bv', 'alice', 'sales', 'nosuchuser'], { user: 'bob' });
  assert.deepEqual(verify, { exitCode: 0, stdout: 'Mail Delivery Status Report will be mailed to <bob>.\n', stderr: '' });
  const dsn = await root(['-f', 'bob@example.test', '-F', 'Bob Builder', '-N', 'success,delay,failure', '-R', 'hdrs', '-V', 'envid-42', 'alice'], 'body\n');
  assert.deepEqual(dsn, { exitCode: 0, stdout: '', stderr: '' });
  await pipeline.run();
  const log = await pipeline.maillog();
  assert.ok(logTexts(log, 'sendmail').includes('fatal: root(0): Recipient addresses must be specified on the command line or via the -t option'));
  assert.ok(logTexts(log, 'sendmail').includes('fatal: unsupported: -bz'));
  const pickups = logTexts(log, 'pickup').map((line) => line.replace(/^[0-9A-F]+: /, ''));
  assert.deepEqual(pickups.sort(), ['uid=0 from=<bob@example.test>', 'uid=1002 from=<bob>']);
  const mailbox = await pipeline.readFile('/var/mail/alice');
  assert.match(mailbox, /\nFrom: Bob Builder <bob@example\.test>\n/);
  await pipeline.stop();
});

test('with the host stopped the message waits in maildrop/ and is delivered after start', async () => {
  const pipeline = await host();
  await pipeline.stop();
  const result = await pipeline.sendmail(['carol'], 'Subject: later\n\nwaiting\n', { user: 'alice' });
  assert.equal(result.exitCode, 0);
  const waiting = await pipeline.queueFiles('maildrop');
  assert.equal(waiting.length, 1);
  await pipeline.start();
  await pipeline.run();
  assert.deepEqual(await pipeline.queueFiles('maildrop'), []);
  assert.match(await pipeline.readFile('/var/mail/carol'), /\nwaiting\n/);
  assert.ok(logTexts(await pipeline.maillog(), 'pickup').some((line) => line.endsWith(': uid=1001 from=<alice>')));
  await pipeline.stop();
});

/** Flushes every file under `directory` to the simulated disk, as a system that has been up
 *  a while has (the harness writes its files without fsync). Bounded in depth and files. */
async function syncTree(pipeline: PipelineHost, directory: string, depth = 0): Promise<void> {
  const fs = pipeline.platform.fs;
  for (const name of (await fs.readdir(directory)).slice(0, 10_000)) {
    const path = `${directory === '/' ? '' : directory}/${name}`;
    const stat = await fs.lstat(path);
    if (stat.isDirectory && depth < 12) await syncTree(pipeline, path, depth + 1);
    if (!stat.isFile) continue;
    const handle = await fs.open(path, 'r+');
    await handle.sync();
    await handle.close();
  }
}

test('a crash right after sendmail returns loses nothing: the synced maildrop file survives', async () => {
  const pipeline = await host();
  await pipeline.stop();
  await syncTree(pipeline, '/');
  assert.equal((await pipeline.sendmail(['alice'], 'Subject: crash\n\nsurvivor\n', { run: false })).exitCode, 0);
  const lost = pipeline.platform.fs.faults.crash();
  assert.deepEqual(lost.filter((path) => path.includes('/maildrop/')), []);
  await pipeline.start();
  await pipeline.run();
  assert.match(await pipeline.readFile('/var/mail/alice'), /\nsurvivor\n/);
  await pipeline.stop();
});

test('-t takes To/Cc/Bcc recipients; the null sender travels as from=<>', async () => {
  const pipeline = await host();
  const result = await pipeline.sendmail(['-t', '-f', '<>'], 'To: alice\nCc: bob\nBcc: carol\nSubject: t\n\nall three\n');
  assert.equal(result.exitCode, 0);
  for (const user of ['alice', 'bob', 'carol']) assert.match(await pipeline.readFile(`/var/mail/${user}`), /\nall three\n/);
  const log = await pipeline.maillog();
  assert.ok(logTexts(log, 'pickup').some((line) => line.endsWith(': uid=0 from=<>')));
  assert.ok(logTexts(log, 'qmgr').some((line) => /: from=<>, size=\d+, nrcpt=3 \(queue active\)$/.test(line)));
  await pipeline.stop();
});

test('message_size_limit: postdrop File too large, sendmail exit 75 (logs/n2)', async () => {
  const pipeline = await host('message_size_limit = 2048\n');
  const text = `Subject: big local\n\n${'y'.repeat(76)}\n`.repeat(40);
  const result = await pipeline.sendmail(['alice@example.test'], text, { user: 'bob' });
  assert.deepEqual(result, {
    exitCode: 75, stdout: '',
    stderr: 'postdrop: warning: uid=1002: File too large\nsendmail: warning: mail_stream_cleanup: close error\nsendmail: fatal: bob(1002): message file too big\n',
  });
  assert.deepEqual(await pipeline.queueFiles('maildrop'), []);
  const log = await pipeline.maillog();
  assert.ok(logTexts(log, 'postdrop').includes('warning: uid=1002: File too large'));
  // bob's sendmail cannot reach postlogd (public/ is closed to him): its lines are not there.
  assert.deepEqual(logTexts(log, 'sendmail'), []);
  await pipeline.stop();
});

test('postsuper -r puts a held message back through pickup: uid=102 ... orig_id=OLD (logs/m)', async () => {
  const pipeline = await createPipelineHost({
    programs: withPickup,
    mainCf: `${(await import('./harness.ts')).DEFAULT_MAIN_CF}header_checks = regexp:/etc/postfix/header_checks\n`,
    files: { '/etc/postfix/header_checks': '/^Subject: hold me/ HOLD\n' },
  });
  assert.equal((await pipeline.sendmail(['-f', 'carol@example.test', 'alice'], 'Subject: hold me\n\nheld\n')).exitCode, 0);
  const [held] = await pipeline.queueFiles('hold');
  assert.ok(held !== undefined);
  const requeue = await pipeline.command(['postsuper', '-r', 'ALL', 'hold']);
  assert.equal(requeue.exitCode, 0);
  // postsuper does not wake pickup: its 60-second timer finds the file (42 s later in logs/m).
  await pipeline.run({ forMs: 61_000 });
  const pickups = logTexts(await pipeline.maillog(), 'pickup');
  assert.match(pickups.at(-1) ?? '', new RegExp(`^[0-9A-F]+: uid=102 from=<carol@example\\.test> orig_id=${held}$`));
  await pipeline.stop();
});
