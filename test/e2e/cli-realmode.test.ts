// Issue 3's "Done means", tried as a new user would, on real files: `mtalab postfix -c DIR
// start` runs a host in the background; `mtalab sendmail -C DIR` to a local user (root), an
// alias (sales), a virtual mailbox domain (a Maildir and an mbox), an unknown user (a DSN
// back to the sender) and a remote address (deferred: relayhost is a loopback port where
// nothing listens, as in logs/i); then
// the mailboxes, the maillog lines, mailq, postcat -q, postqueue -f, the real postqueue
// reading mtalab's showq socket, and `postfix status/stop` with their terminal lines (under
// script(1), since postfix(1) prints only to a terminal) and exit codes; last, the commands
// with the mail system down. Every wait is bounded; the daemon is stopped by its pid.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { defaultMainCf, DEFAULT_ALIASES } from '../../engine/cli/default-directory.ts';
import { masterCfListeningOn } from '../../engine/global/config/default-master-cf.ts';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'mtalab.mjs');
const childTimeoutMs = 90_000;
const deliveryWaitMs = 30_000;
const pollMs = 100;
const hostName = 'mail.example.test';
const directory = mkdtempSync(join(tmpdir(), 'mtalab-realmode-'));
const queue = join(directory, 'queue');
const maillog = join(directory, 'maillog');
const started = new Set<number>();
const virtualUid = process.getuid?.() === 0 ? 5000 : process.getuid?.() ?? 5000;
const env = { ...process.env, HOME: directory, MAIL_CONFIG: '', USER: process.env.USER ?? 'root' };
delete (env as Record<string, string | undefined>).MAIL_CONFIG;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

after(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
  // KEEP_REALMODE=1 keeps the directory and prints the maillog, to read what happened.
  if (process.env.KEEP_REALMODE === undefined) rmSync(directory, { recursive: true, force: true });
  else console.log(`${directory}:\n${existsSync(maillog) ? readFileSync(maillog, 'utf8') : ''}`);
});

interface Outcome { status: number | null; stdout: string; stderr: string }

function mtalab(args: string[], input = ''): Outcome {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: childTimeoutMs, env, input });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** postfix(1) on a terminal (script(1)), where it prints postfix-script's lines. */
function onTerminal(args: string[]): Outcome {
  const command = [process.execPath, bin, ...args].map((word) => `'${word}'`).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: childTimeoutMs, env });
  return { status: result.status, stdout: result.stdout.replace(/\r\n/g, '\n'), stderr: result.stderr };
}

function logLines(): string[] {
  if (!existsSync(maillog)) return [];
  return readFileSync(maillog, 'utf8').split('\n').filter((line) => line !== '');
}

async function waitFor(what: string, predicate: () => boolean): Promise<void> {
  for (let waited = 0; waited < deliveryWaitMs; waited += pollMs) {
    if (predicate()) return;
    await new Promise((done) => setTimeout(done, pollMs));
  }
  assert.fail(`timed out waiting for ${what}; maillog:\n${logLines().join('\n')}`);
}

/** The maillog without "Mon DD HH:MM:SS host " and with [PID] and delays normalised. */
function normalised(line: string): string {
  return line.slice(16).replace(/^\S+ /, '').replace(/\[\d+\]/, '[PID]')
    .replace(/delay=[\d.]+, delays=[\d./]+/, 'delay=D, delays=D');
}

/** The queue id whose delivery line names `recipient`. */
function idOf(recipient: string): string {
  const line = logLines().find((text) => text.includes(`: to=<${recipient}>`));
  assert.ok(line !== undefined, `no delivery line for ${recipient}`);
  return /: ([0-9A-F]{6,}): to=/.exec(line)![1]!;
}

function linesOf(id: string): string[] {
  return logLines().filter((line) => line.includes(` ${id}: `)).map(normalised);
}

function masterPid(): number {
  const pid = Number.parseInt(readFileSync(join(queue, 'pid', 'master.pid'), 'utf8').trim(), 10);
  started.add(pid);
  return pid;
}

/** A loopback port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function setUp(relayPort: number): void {
  writeFileSync(join(directory, 'main.cf'), defaultMainCf(directory, hostName) + [
    `relayhost = [127.0.0.1]:${relayPort}`,
    'virtual_mailbox_domains = example.org',
    `virtual_mailbox_maps = hash:${directory}/vmailbox`,
    `virtual_mailbox_base = ${directory}/vmail`,
    `virtual_uid_maps = static:${virtualUid}`,
    `virtual_gid_maps = static:${virtualUid}`,
    `maillog_file_prefixes = /var, /dev/stdout, ${directory}`,
    '',
  ].join('\n'));
  writeFileSync(join(directory, 'master.cf'), masterCfListeningOn('127.0.0.1:0'));
  writeFileSync(join(directory, 'aliases'), `${DEFAULT_ALIASES}sales: root\n`);
  writeFileSync(join(directory, 'vmailbox'), 'dave@example.org   example.org/dave/\nerin@example.org   example.org/erin\n');
  for (const name of ['queue', 'mail', 'vmail', 'data']) mkdirSync(join(directory, name));
  assert.deepEqual(mtalab(['newaliases', '-C', directory]), { status: 0, stdout: '', stderr: '' });
  assert.deepEqual(mtalab(['postmap', '-c', directory, `hash:${directory}/vmailbox`]), { status: 0, stdout: '', stderr: '' });
}

const submit = (recipients: string[], subject: string): Outcome =>
  mtalab(['sendmail', '-C', directory, ...recipients], `Subject: ${subject}\n\nThe body of ${subject}.\n`);

test('postfix start, sendmail to local, alias, virtual, unknown and remote, then mailq, postcat, the maillog, stop', async () => {
  const relayPort = await closedPort();
  const refused = `connect to 127.0.0.1[127.0.0.1]:${relayPort}: Connection refused`;
  setUp(relayPort);
  let outcome = onTerminal(['postfix', '-c', directory, 'start']);
  assert.equal(outcome.status, 0, outcome.stdout);
  assert.equal(outcome.stdout, 'postfix/postfix-script: starting the Postfix mail system\n');
  const pid = masterPid();
  try {
    assert.ok(alive(pid) && pid !== process.pid);
    for (const name of ['pickup', 'qmgr', 'showq']) assert.ok(existsSync(join(queue, 'public', name)), `public/${name}`);
    outcome = onTerminal(['postfix', '-c', directory, 'status']);
    assert.deepEqual([outcome.status, outcome.stdout], [0, `postfix/postfix-script: the Postfix mail system is running: PID: ${pid}\n`]);
    assert.deepEqual(mtalab(['postfix', '-c', directory, 'status']), { status: 0, stdout: '', stderr: '' });

    for (const [recipients, subject] of [
      [['root'], 'local'], [['sales'], 'alias'], [['dave@example.org', 'erin@example.org'], 'virtual'],
      [['nosuchuser'], 'unknown'], [['someone@example.com'], 'remote'],
    ] as const) {
      assert.deepEqual(submit([...recipients], subject), { status: 0, stdout: '', stderr: '' });
    }
    // pickup is woken through public/pickup: no 60-second wait for its timer.
    await waitFor('every delivery and the bounce', () => {
      const text = logLines().join('\n');
      return ['to=<root@mail.example.test>, orig_to=<root>', 'orig_to=<sales>', 'to=<dave@example.org>', 'to=<erin@example.org>',
        'status=bounced (unknown user: "nosuchuser")', 'to=<someone@example.com>', 'to=<root@mail.example.test>, relay=local']
        .every((part) => text.includes(part));
    });

    const local = idOf('root@mail.example.test>, orig_to=<root');
    assert.deepEqual(linesOf(local), [
      `postfix/pickup[PID]: ${local}: uid=${process.getuid?.() ?? 0} from=<root>`,
      `postfix/cleanup[PID]: ${local}: message-id=<${/^\d{14}/.exec(linesOf(local)[1]!.split('<')[1]!)?.[0]}.${local}@${hostName}>`,
      `postfix/qmgr[PID]: ${local}: from=<root@${hostName}>, size=${linesOf(local)[2]!.match(/size=(\d+)/)![1]}, nrcpt=1 (queue active)`,
      `postfix/local[PID]: ${local}: to=<root@${hostName}>, orig_to=<root>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to mailbox)`,
      `postfix/qmgr[PID]: ${local}: removed`,
    ]);
    const alias = idOf('root@mail.example.test>, orig_to=<sales');
    assert.match(linesOf(alias)[3]!, /^postfix\/local\[PID\]: \w+: to=<root@mail\.example\.test>, orig_to=<sales>, relay=local, delay=D, delays=D, dsn=2\.0\.0, status=sent \(delivered to mailbox\)$/);
    const virtual = idOf('dave@example.org');
    assert.deepEqual(linesOf(virtual).slice(3), [
      `postfix/virtual[PID]: ${virtual}: to=<dave@example.org>, relay=virtual, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to maildir)`,
      `postfix/virtual[PID]: ${virtual}: to=<erin@example.org>, relay=virtual, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to mailbox)`,
      `postfix/qmgr[PID]: ${virtual}: removed`,
    ]);
    const unknown = idOf('nosuchuser@mail.example.test');
    const unknownLines = linesOf(unknown);
    assert.equal(unknownLines[3], `postfix/local[PID]: ${unknown}: to=<nosuchuser@${hostName}>, orig_to=<nosuchuser>, relay=local, delay=D, delays=D, dsn=5.1.1, status=bounced (unknown user: "nosuchuser")`);
    const notice = /sender non-delivery notification: (\w+)$/.exec(unknownLines.find((line) => line.startsWith('postfix/bounce')) ?? '')?.[1];
    assert.ok(notice !== undefined, unknownLines.join('\n'));
    assert.equal(unknownLines.at(-1), `postfix/qmgr[PID]: ${unknown}: removed`);
    assert.ok(linesOf(notice).includes(`postfix/qmgr[PID]: ${notice}: from=<>, size=${linesOf(notice).find((line) => line.includes('from=<>'))!.match(/size=(\d+)/)![1]}, nrcpt=1 (queue active)`));
    assert.ok(linesOf(notice).includes(`postfix/local[PID]: ${notice}: to=<root@${hostName}>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to mailbox)`));
    const remote = idOf('someone@example.com');
    assert.equal(linesOf(remote)[3], `postfix/smtp[PID]: ${remote}: to=<someone@example.com>, relay=none, delay=D, delays=D, dsn=4.4.1, status=deferred (${refused})`);
    assert.ok(logLines().map(normalised).includes(`postfix/smtp[PID]: ${refused}`));

    // The mailboxes: root's mbox holds the local, the alias and the bounce, in that order.
    const mbox = readFileSync(join(directory, 'mail', 'root'), 'utf8');
    const messages = mbox.split(/^(?=From \S+ {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$)/m);
    assert.equal(messages.length, 3, mbox);
    assert.match(messages[0]!, new RegExp(`^From root@${hostName}  .*\\nReturn-Path: <root@${hostName}>\\nX-Original-To: root\\nDelivered-To: root@${hostName}\\nReceived: by ${hostName} \\(Postfix, from userid \\d+\\)\\n\\tid ${local}; .*\\nSubject: local\\n`));
    assert.match(messages[0]!, /\n\nThe body of local\.\n\n$/);
    assert.match(messages[1]!, /\nX-Original-To: sales\nDelivered-To: sales@mail\.example\.test\n/);
    const bounce = messages[2]!;
    assert.match(bounce, /^From MAILER-DAEMON  /);
    assert.match(bounce, /\nReturn-Path: <>\n/);
    assert.match(bounce, /\nFrom: Mail Delivery System <MAILER-DAEMON@mail\.example\.test>\n/);
    assert.match(bounce, /\nSubject: Undelivered Mail Returned to Sender\n/);
    assert.match(bounce, /\nContent-Type: multipart\/report; report-type=delivery-status;\n/);
    assert.match(bounce, /\nFinal-Recipient: rfc822; nosuchuser@mail\.example\.test\n/);
    assert.match(bounce, /\nOriginal-Recipient: rfc822; ?nosuchuser(@mail\.example\.test)?\n/);
    assert.match(bounce, /\n<nosuchuser@mail\.example\.test> \(expanded from <nosuchuser>\): unknown user:\n/);
    assert.match(bounce, /\nAction: failed\nStatus: 5\.1\.1\n/);
    assert.match(bounce, /\nSubject: unknown\n/);
    const maildir = join(directory, 'vmail', 'example.org', 'dave', 'new');
    const delivered = readdirSync(maildir);
    assert.equal(delivered.length, 1);
    assert.match(readFileSync(join(maildir, delivered[0]!), 'utf8'), /^Return-Path: <root@mail\.example\.test>\nX-Original-To: dave@example\.org\nDelivered-To: dave@example\.org\n[^]*\nSubject: virtual\n/);
    assert.match(readFileSync(join(directory, 'vmail', 'example.org', 'erin'), 'utf8'), /^From root@mail\.example\.test  [^]*\nDelivered-To: erin@example\.org\n/);

    // mailq asks the running showq; the real postqueue reads the same socket.
    outcome = mtalab(['mailq', '-C', directory]);
    assert.equal(outcome.status, 0);
    assert.equal(outcome.stderr, '');
    assert.match(outcome.stdout, new RegExp(`^-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\\n${remote} +\\d+ \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d  root@${hostName}\\n {19}\\(${refused.replace(/[.[\]]/g, '\\$&')}\\)\\n {41}someone@example\\.com\\n\\n-- 0 Kbytes in 1 Request\\.\\n$`));
    if (existsSync('/usr/sbin/postqueue')) {
      const real = spawnSync('/usr/sbin/postqueue', ['-c', directory, '-p'], { encoding: 'utf8', timeout: childTimeoutMs });
      assert.deepEqual({ status: real.status, stdout: real.stdout, stderr: real.stderr }, { status: 0, stdout: outcome.stdout, stderr: '' });
    }
    outcome = mtalab(['postcat', '-c', directory, '-q', remote]);
    assert.equal(outcome.status, 0, outcome.stderr);
    const hashed = `deferred/${remote[0]}/${remote}`;
    assert.match(outcome.stdout, new RegExp(`^\\*\\*\\* ENVELOPE RECORDS ${hashed} \\*\\*\\*\\nmessage_size: +\\d+ +\\d+ +1 +0 +\\d+ +0\\n`));
    assert.match(outcome.stdout, new RegExp(`\\nsender: root@${hostName}\\n[^]*\\nrecipient: someone@example\\.com\\n\\*\\*\\* MESSAGE CONTENTS ${hashed} \\*\\*\\*\\nReceived: by ${hostName} `));
    assert.match(outcome.stdout, new RegExp(`\\nThe body of remote\\.\\n\\*\\*\\* HEADER EXTRACTED ${hashed} \\*\\*\\*\\n[^]*\\*\\*\\* MESSAGE FILE END ${hashed} \\*\\*\\*\\n$`));

    // postqueue -f writes to public/qmgr: the deferred message is tried again at once.
    const attempts = () => linesOf(remote).filter((line) => line.includes('status=deferred')).length;
    assert.equal(attempts(), 1);
    assert.deepEqual(mtalab(['postqueue', '-c', directory, '-f']), { status: 0, stdout: '', stderr: '' });
    await waitFor('the flushed retry', () => attempts() === 2);

    outcome = onTerminal(['postfix', '-c', directory, 'stop']);
    assert.deepEqual([outcome.status, outcome.stdout], [0, 'postfix/postfix-script: stopping the Postfix mail system\n']);
    assert.equal(alive(pid), false, 'stop returns once the process has ended');
    // Postfix's master leaves its sockets behind at stop: clients are refused, not lost.
    assert.ok(lstatSync(join(queue, 'public', 'pickup')).isSocket(), 'the sockets stay after the daemon');
  } finally {
    if (alive(pid)) {
      process.kill(pid, 'SIGTERM');
      await waitFor('the daemon to end', () => !alive(pid));
    }
  }
  outcome = onTerminal(['postfix', '-c', directory, 'status']);
  assert.deepEqual([outcome.status, outcome.stdout], [1, 'postfix/postfix-script: the Postfix mail system is not running\n']);
  outcome = onTerminal(['postfix', '-c', directory, 'stop']);
  assert.deepEqual([outcome.status, outcome.stdout], [1, 'postfix/postfix-script: fatal: the Postfix mail system is not running\n']);
  assert.deepEqual(mtalab(['postfix', '-c', directory, 'stop']), { status: 1, stdout: '', stderr: '' });
  assert.ok(logLines().map(normalised).includes('postfix/master[PID]: terminating on signal 15'));
});

test('with the mail system down: sendmail queues in maildrop, mailq reads the queue directly, postqueue -f fails', () => {
  outcomeDown();
});

function outcomeDown(): void {
  assert.equal(existsSync(join(queue, 'pid', 'master.pid')) && alive(masterPid()), false);
  assert.deepEqual(submit(['root'], 'while down'), { status: 0, stdout: '', stderr: '' });
  assert.equal(readdirSync(join(queue, 'maildrop')).length, 1);
  let outcome = mtalab(['mailq', '-C', directory]);
  assert.equal(outcome.status, 0);
  assert.equal(outcome.stderr, 'postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: Connection refused)\n');
  assert.match(outcome.stdout, /-- \d+ Kbytes in 2 Requests\.\n$/);
  assert.match(outcome.stdout, /\n[0-9A-F]+ +\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d  root\n {41}root\n/);
  outcome = mtalab(['postqueue', '-c', directory, '-f']);
  assert.deepEqual(outcome, {
    status: 69, stdout: '',
    // The stopped master's public/qmgr refuses: no lookup warning (unix_trigger is silent).
    stderr: 'postqueue: fatal: Cannot flush mail queue - mail system is down\n',
  });
}
