// sendmail's and postdrop's diagnostics reach maillog_file when no master runs in the
// command's own process: a stopped host, or real mode, where master is a background process
// and the CLI's sendmail must append its lines itself, as every Postfix program logs through
// postlogd whether or not master runs (the real one logs "postdrop: warning: uid=0: File
// too large" and sendmail's fatal and close-error warning for an oversized message). A
// command run by another (sendmail -bp runs postqueue) logs each line once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../../../engine/admin/run.ts';
import { BufferedInput, CapturedOutput } from '../../../engine/admin/stdio.ts';
import { QUEUE_DIRECTORY, simQueueHost, type SimQueueHost } from './helpers.ts';

const MAILLOG = '/var/log/mail.log';

async function world(mainCf: string): Promise<SimQueueHost> {
  const made = await simQueueHost();
  await made.platform.fs.mkdir('/etc/postfix', { recursive: true });
  await made.platform.fs.writeFile('/etc/postfix/main.cf',
    `queue_directory = ${QUEUE_DIRECTORY}\nmaillog_file = ${MAILLOG}\nmyhostname = mail.example.test\n${mainCf}`);
  await made.platform.fs.writeFile('/etc/group', 'root:x:0:\npostdrop:x:105:\n');
  return made;
}

async function sendmail(made: SimQueueHost, argv: string[], input: string): Promise<{ exitCode: number | undefined; stderr: string }> {
  const stderr = new CapturedOutput();
  const exitCode = await runCommand({
    argv: ['sendmail', ...argv], stdin: new BufferedInput(new TextEncoder().encode(input)), stdout: new CapturedOutput(), stderr,
    env: new Map([['USER', 'root']]), cwd: '/', host: made.host,
  });
  return { exitCode, stderr: stderr.text() };
}

async function maillogTexts(made: SimQueueHost): Promise<string[]> {
  let text = '';
  try {
    text = new TextDecoder().decode(await made.platform.fs.readFile(MAILLOG));
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => line !== '').map((line) => line.replace(/^\S+ +\d+ \S+ \S+ /, '').replace(/\[\d+\]/, '[PID]'));
}

test('root\'s sendmail logs postdrop\'s File too large and its own fatal with no master in this process', async () => {
  const made = await world('message_size_limit = 2048\n');
  const result = await sendmail(made, ['alice'], `Subject: big\n\n${`${'y'.repeat(76)}\n`.repeat(40)}`);
  assert.equal(result.exitCode, 75);
  assert.match(result.stderr, /sendmail: fatal: root\(0\): message file too big\n$/);
  assert.deepEqual((await maillogTexts(made)).sort(), [
    'postfix/postdrop[PID]: warning: uid=0: File too large',
    'postfix/sendmail[PID]: fatal: root(0): message file too big',
    'postfix/sendmail[PID]: warning: mail_stream_cleanup: close error',
  ]);
});

test('sendmail -bp runs postqueue inside sendmail: its lines are logged once', async () => {
  const made = await world('');
  const result = await sendmail(made, ['-bp'], '');
  assert.equal(result.exitCode, 0);
  assert.notEqual(result.stderr, '');
  const lines = await maillogTexts(made);
  assert.equal(lines.length, result.stderr.split('\n').filter((line) => line !== '').length, lines.join('\n'));
  assert.equal(new Set(lines).size, lines.length, lines.join('\n'));
});
