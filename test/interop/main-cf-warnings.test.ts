// A main.cf that sets a parameter twice, against a private real Postfix 3.7.11 and mtalab in
// node real mode, both laid down from one spec: every Postfix process that reads main.cf
// warns "overriding earlier entry" under its own name and pid when it starts, and its
// processes start on demand (pickup and qmgr with master, cleanup, trivial-rewrite, smtp
// and bounce when a message needs them); a daemon nobody uses says nothing. Compared: the
// set of programs that logged the warnings (postlogd, which mtalab does not run, aside),
// the warning texts per program, that each program's warnings come before its other
// lines, and sendmail's stderr (its warnings, then postdrop's); then postfix status, reload, status and stop,
// whose postfix-script helpers (master -t, postlog, postsuper) read main.cf and warn too,
// and after the reload master and the daemons it restarts at once: the same programs and
// texts, and each command's status and stderr. Every wait is bounded; both masters are
// stopped by pid; the real one only ever runs with -c on its own directory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealPostfixInstance, settleFile, waitFor, pendingQueueFiles, type InstanceSpec, type RunResult } from './real-instance.ts';
import { MtalabInstance, mtalabCli } from './mtalab-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { stripLogPrefix } from './pipeline-normalise.ts';

/** How long each postfix command's effects (a reload's restarted daemons) take to log. */
const RELOAD_SETTLE_MS = 1500;
/** How long the one message (and its bounce) may take to leave the queue. */
const DRAIN_WAIT_MS = 30_000;
const SPEC: InstanceSpec = {
  mainCf: 'mydestination = $myhostname, localhost\nmydestination = $myhostname, localhost.$mydomain, localhost\n',
};

interface Side {
  directory: string;
  queueDirectory: string;
  maillogPath: string;
  start(): Promise<unknown>;
  stop(): Promise<void>;
  remove(): void;
  sendmail(argv: readonly string[], message: string): RunResult;
  postfix(argv: readonly string[]): RunResult;
  maillog(): string[];
}

interface Outcome {
  /** "program: warning text" per warning line, directory as @DIR@, sorted. */
  warnings: string[];
  /** Processes (program[pid]) whose warnings came after one of their own other lines,
   *  before the first postfix command (a reload restarts daemons: Postfix's get new pids,
   *  mtalab's keep theirs). */
  late: string[];
  sendmailStatus: number;
  sendmailStderr: string;
  /** postfix status/reload/status/stop: exit status and stderr (not on a terminal). */
  commands: string[];
}

async function run(side: Side): Promise<Outcome> {
  await side.start();
  let sent: RunResult;
  let maillog: string[];
  let beforeCommands = 0;
  const commands: string[] = [];
  try {
    // root@$myhostname: the base spec has no DNS, so the message and its bounce go through
    // pickup, cleanup, trivial-rewrite, qmgr, smtp and bounce on both sides.
    sent = side.sendmail(['-f', 'sender@example.test', 'root'], 'Subject: twice\n\nbody\n');
    await waitFor(() => pendingQueueFiles(side.queueDirectory) === 0 && side.maillog().some((line) => line.includes(': removed')), DRAIN_WAIT_MS);
    await settleFile(side.maillogPath);
    beforeCommands = side.maillog().length;
    // postfix-script's helpers (master -t, postlog, postsuper at reload) read main.cf too;
    // after the reload master and the daemons it starts at once warn again.
    for (const command of ['status', 'reload', 'status', 'stop']) {
      const result = side.postfix([command]);
      commands.push(`${command}: ${result.status} ${JSON.stringify(result.stderr.split(side.directory).join('@DIR@'))}`);
      await waitFor(() => false, RELOAD_SETTLE_MS);
    }
    await settleFile(side.maillogPath);
    maillog = side.maillog();
  } finally {
    await side.stop();
  }
  const warnings: string[] = [];
  const late = new Set<string>();
  const seen = new Set<string>();
  for (const [index, line] of maillog.entries()) {
    const match = /^[^/]+\/([a-z-]+)\[(\d+)\]: (.*)$/.exec(stripLogPrefix(line));
    if (match === null) continue;
    const [, program = '', pid = '', text = ''] = match;
    if (program === 'postlogd' || program === 'postfix-script') continue;
    const process = `${program}[${pid}]`;
    if (text.includes('overriding earlier entry')) {
      warnings.push(`${program}: ${text.split(side.directory).join('@DIR@')}`);
      if (index < beforeCommands && seen.has(process)) late.add(process);
    } else if (program !== 'master') {
      seen.add(process);
    }
  }
  return {
    warnings: warnings.sort(), late: [...late].sort(), commands,
    sendmailStatus: sent.status,
    // sendmail's lines, then postdrop's (a program of its own: it reads main.cf again).
    sendmailStderr: sent.stderr.split(side.directory).join('@DIR@'),
  };
}

test('a parameter set twice in main.cf: each daemon warns under its own name when it starts, as in Postfix', async () => {
  if (!hasRealCommand('postfix')) return;
  const realInstance = RealPostfixInstance.create(SPEC);
  const oursInstance = MtalabInstance.create(SPEC, 'mtalab-warn-');
  const real: Side = Object.assign(realInstance, {
    postfix: (argv: readonly string[]) => realInstance.command(['postfix', '-c', realInstance.configDirectory, ...argv]),
  });
  const ours: Side = Object.assign(oursInstance, {
    postfix: (argv: readonly string[]) => mtalabCli(['postfix', '-c', oursInstance.configDirectory, ...argv]),
  });
  try {
    const expected = await run(real);
    const actual = await run(ours);
    assert.ok(expected.warnings.length >= 8, `Postfix logged the warnings: ${expected.warnings.join('\n')}`);
    // Which programs said what: a daemon may run in more than one process at once in
    // Postfix (two bounce processes when appends overlap), so the texts are compared as a
    // set; the helpers and the wakeup daemons, one process each time, by count.
    assert.deepEqual([...new Set(actual.warnings)], [...new Set(expected.warnings)]);
    const counted = (warnings: readonly string[]) => warnings.filter((line) => /^(master|postlog|postsuper|pickup|qmgr): /.test(line));
    assert.deepEqual(counted(actual.warnings), counted(expected.warnings));
    assert.deepEqual(actual.late, expected.late);
    assert.deepEqual([actual.sendmailStatus, actual.sendmailStderr], [expected.sendmailStatus, expected.sendmailStderr]);
    assert.deepEqual(actual.commands, expected.commands);
  } finally {
    real.remove();
    ours.remove();
  }
});
