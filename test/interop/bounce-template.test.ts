// Bounce template interop: the same bounce_template_file in a private real Postfix 3.7.11
// instance and in mtalab, then mail to an unknown local user and the bounce in the
// sender's mailbox compared (maillog shapes and the mailbox, normalised as the other
// pipeline suites do). The template text is ours, so the notices' prose can be equal.
// Then a bounce_template_file that does not exist, with ipc_timeout 15s and
// service_throttle_time 5s so that the whole story fits in 40 seconds: the bounce
// processes' fatal lines, master's exit/throttling warnings, local's two timeouts and its
// deferral, and the queue afterwards, real Postfix against the sim.
// Needs root and the real Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureLocalUsers, RealPostfixInstance } from './real-instance.ts';
import { createPipelineHost, DEFAULT_MAIN_CF, submitToCleanup } from '../pipeline/harness.ts';
import { programs } from '../../engine/master/programs.ts';
import { hasRealCommand } from './real-postfix.ts';
import { runSuite, type PipelineCase, type PipelineSpec, type Side } from './pipeline-compare.ts';

const USERS = ['mtalabfay'];

const TEMPLATE = `# the lab's own non-delivery notice
failure_template = <<EOF
Charset: us-ascii
From: Lab Mail Robot <robot@example.test>
Subject: Your mail to the lab could not be delivered
Postmaster-Subject: Lab postmaster copy

Hello from $myhostname (the $mail_name system).
Your message is returned; retries would have stopped after $maximal_queue_lifetime_days days.
EOF
`;

const message = (subject: string): string => `Subject: ${subject}\n\nThe body of ${subject}.\n`;

/** What the shared normaliser reduces away from a notice: its Subject, the text part's
 *  Content-Type and the template's text before the recipient list, byte for byte. */
async function templatedParts(side: Side): Promise<Record<string, string>> {
  const tree = await side.readTree('@DIR@/mail');
  const mailbox = [...tree.entries()].find(([path]) => path.endsWith('mtalabfay'))?.[1] ?? '';
  const lines = mailbox.split('\n');
  const subject = lines.find((line) => line.startsWith('Subject: ')) ?? '(no Subject)';
  const part = lines.indexOf('Content-Description: Notification');
  const contentType = part < 0 ? '(no part)' : lines[part + 1] ?? '';
  let start = part + 1;
  for (let bound = 0; start < lines.length && lines[start] !== '' && bound < 10; bound++) start++;
  const text: string[] = [];
  for (let index = start + 1; index < lines.length && !lines[index]!.startsWith('<') && text.length < 50; index++) text.push(lines[index]!);
  return { 'notice Subject': subject, 'notice text part Content-Type': contentType, 'notice template text': text.join('\n') };
}

const cases: PipelineCase[] = [
  {
    name: 'unknown user, custom failure template',
    submissions: [{ argv: ['-f', 'mtalabfay@example.test', 'nosuch@example.test'], message: message('templated bounce') }],
    after: (side) => templatedParts(side),
  },
];

test('bounce template interop: a custom failure template gives the same bounce on both sides', { timeout: 300_000 }, async () => {
  hasRealCommand('postfix');
  ensureLocalUsers(USERS);
  const spec: PipelineSpec = {
    mainCf: 'bounce_template_file = @DIR@/etc/bounce.cf\n',
    files: { 'etc/bounce.cf': TEMPLATE },
  };
  const differing = await runSuite('bounce_template_file', spec, USERS, cases, ['@DIR@/mail']);
  assert.deepEqual(differing, []);
});

/** Seconds of a maillog line's "Mon DD HH:MM:SS" stamp. */
const stampSeconds = (line: string): number => {
  const [hours = 0, minutes = 0, seconds = 0] = line.slice(7, 15).split(':').map(Number);
  return hours * 3600 + minutes * 60 + seconds;
};

/** The lines after qmgr's "queue active", with seconds counted from it, pids, the queue id,
 *  the template path and local's sub-second delays masked (its delay= to 30..31). */
function brokenTemplateStory(maillog: readonly string[], file: string): { seconds: number; text: string }[] {
  const start = maillog.findIndex((line) => /qmgr\[\d+\]: [0-9A-F]+: from=<.*queue active/.test(line));
  assert.ok(start >= 0, maillog.join('\n'));
  const queueId = /: ([0-9A-F]+): from=/.exec(maillog[start]!)?.[1] ?? '?';
  const base = stampSeconds(maillog[start]!);
  return maillog.slice(start + 1).map((line) => ({
    seconds: stampSeconds(line) - base,
    text: line.replace(/^.*? [a-z-]+\/([a-z]+)\[\d+\]: /, '$1: ').split(queueId).join('QUEUEID').split(file).join('FILE')
      .replace(/pid \d+ exit/, 'pid PID exit').replace(/delays=[0-9./]+/, 'delays=D')
      // delay= is whole seconds on the real clock: 30 or 31 (two 15 s timeouts and the rest).
      .replace(/ delay=(30|31),/, ' delay=30..31,'),
  }));
}

test('a missing bounce_template_file: the same fatal, throttling, timeouts and deferral as the real Postfix', { timeout: 300_000 }, async () => {
  hasRealCommand('postfix');
  ensureLocalUsers(USERS);
  const settings = 'ipc_timeout = 15s\nservice_throttle_time = 5s\n';
  const WATCH_MS = 40_000;
  const real = RealPostfixInstance.create({ mainCf: `bounce_template_file = @DIR@/etc/missing.cf\n${settings}` });
  let realStory: { seconds: number; text: string }[];
  let realQueues: Record<string, number>;
  try {
    await real.start();
    real.sendmail(['-f', 'mtalabfay@example.test', 'nosuch@example.test'], message('broken template'));
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    realStory = brokenTemplateStory(real.maillog(), `${real.directory}/etc/missing.cf`);
    realQueues = Object.fromEntries(['active', 'deferred', 'bounce', 'defer'].map((queue) => [queue, real.queueIds(queue).length]));
  } finally {
    await real.stop();
    if (process.env.MTALAB_INTEROP_KEEP !== '1') real.remove();
  }
  const sim = await createPipelineHost({ programs, mainCf: `${DEFAULT_MAIN_CF}bounce_template_file = /etc/postfix/missing.cf\n${settings}` });
  await submitToCleanup(sim, 'mtalabfay@example.test', ['nosuch@example.test'], message('broken template'), 0);
  await sim.run({ forMs: WATCH_MS });
  const simStory = brokenTemplateStory(await sim.maillog(), '/etc/postfix/missing.cf');
  const simQueues: Record<string, number> = {};
  for (const queue of ['active', 'deferred', 'bounce', 'defer']) simQueues[queue] = (await sim.queueFiles(queue)).length;

  // The same kinds of line, the same local lines in the same order, about as many process
  // starts before local's deferral (the real clock may put a line a second either way).
  const kinds = (story: typeof simStory): string[] => [...new Set(story.map((line) => line.text))].sort();
  assert.deepEqual(kinds(simStory), kinds(realStory));
  const localLines = (story: typeof simStory): string[] => story.filter((line) => line.text.startsWith('local: ')).map((line) => line.text);
  assert.deepEqual(localLines(simStory), localLines(realStory));
  const startsBefore = (story: typeof simStory, seconds: number): number =>
    story.filter((line) => line.seconds < seconds && line.text.startsWith('bounce: fatal: ')).length;
  assert.equal(startsBefore(simStory, 29), startsBefore(realStory, 29));
  const localSeconds = (story: typeof simStory): number[] => story.filter((line) => line.text.startsWith('local: ')).map((line) => line.seconds);
  for (const [index, seconds] of localSeconds(simStory).entries()) {
    assert.ok(Math.abs(seconds - (localSeconds(realStory)[index] ?? -100)) <= 1, `local line ${index} at +${seconds}`);
  }
  assert.deepEqual(simQueues, realQueues);
  assert.deepEqual(simQueues, { active: 0, deferred: 1, bounce: 0, defer: 0 });
});
