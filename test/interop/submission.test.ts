// Interop: the same sendmail command lines and messages through the REAL sendmail/postdrop
// 3.7.11 and through mtalab's sendmail (node platform, real disk), each with -C on a private
// configuration directory whose queue has only maildrop/ and public/ (a FIFO for pickup with
// no reader, as with a stopped Postfix). Compared: exit status, stdout, stderr, and the
// maildrop file each leaves as the REAL postcat -v shows it (arrival time and queue id
// normalised), plus the file's mode and group. Prints "sendmail: N/M equal".
// Runs the real commands as this (root) user; never starts Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync, rmSync, statSync, chownSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { hasRealCommand, runReal, runMtalab, makeTemporaryDirectory, removeTemporaryDirectory, ageFiles } from './real-postfix.ts';

interface Case {
  name: string;
  args: string[];
  input?: string;
  /** Extra main.cf lines. */
  mainCf?: string;
}

const LONG_LINE = 'x'.repeat(3000);
const HEADERS = 'To: a@x.test, "B C" <b@y.test>\nCc: c\n  , d\nBcc: e\nSubject: t\n\nbody\n';

const cases: Case[] = [
  { name: 'plain', args: ['alice'], input: 'Subject: hi\n\nbody\n' },
  { name: 'dsn options', args: ['-f', 'bob@example.com', '-F', 'Bob Builder', '-N', 'success,delay,failure', '-R', 'hdrs', '-V', 'envid-42', 'alice'], input: 'body\n' },
  { name: '-t with command-line recipient', args: ['-t', 'zed'], input: HEADERS },
  { name: '-t only', args: ['-t'], input: HEADERS },
  { name: '-t resent', args: ['-t'], input: 'To: old@x.test\nResent-To: new@x.test\nResent-Cc: other@x.test\nCc: gone@x.test\n\nbody\n' },
  { name: '-t -N', args: ['-t', '-N', 'never'], input: 'To: a@x.test\n\nbody\n' },
  { name: '-t no header recipients', args: ['-t'], input: 'Subject: none\n\nbody\n' },
  { name: 'lone dot ends input', args: ['alice'], input: 'Subject: d\n\nbefore\n.\nafter\n' },
  { name: '-i keeps dot', args: ['-i', 'alice'], input: 'Subject: d\n\nbefore\n.\nafter\n' },
  { name: '-oi keeps dot', args: ['-oi', 'alice'], input: 'Subject: d\n\n.\n' },
  { name: 'null sender -f empty', args: ['-f', '', 'alice'], input: 'x\n' },
  { name: 'null sender -f <>', args: ['-f', '<>', 'alice'], input: 'x\n' },
  { name: 'sender with name', args: ['-f', 'Some One <one@x.test>', 'alice'], input: 'x\n' },
  { name: 'two senders', args: ['-f', 'a@x.test, b@x.test', 'alice'], input: 'x\n' },
  { name: 'CRLF input', args: ['alice'], input: 'Subject: crlf\r\n\r\nbody\r\n' },
  { name: 'From_ lines skipped', args: ['alice'], input: 'From someone Mon\n>From x\nSubject: f\n\nFrom body\n' },
  { name: 'long line', args: ['alice'], input: `Subject: long\n\n${LONG_LINE}\n` },
  { name: 'no final newline', args: ['alice'], input: 'Subject: n\n\nlast' },
  { name: 'address lists in arguments', args: ['alice, bob', '"Carol Q" <carol@x.test>', ''], input: 'x\n' },
  { name: 'content starting with space', args: ['alice'], input: ' indented\nbody\n' },
  { name: 'eight-bit', args: ['alice'], input: 'Subject: caf\u00e9\n\n\u00fcber\n' },
  { name: '-bv probe', args: ['-bv', 'alice', 'sales'] },
  { name: '-v record', args: ['-v', 'alice'], input: 'x\n' },
  { name: '-B 8BITMIME and -G', args: ['-B', '8BITMIME', '-G', 'alice'], input: 'x\n' },
  { name: '-XV', args: ['-XV', '-f', 'a@x.test', 'alice'], input: 'x\n' },
  { name: '-V xy (deprecated VERP)', args: ['-V', 'xy', 'alice'], input: 'x\n' },
  { name: '-- then recipient', args: ['--', '-bh'], input: 'x\n' },
  { name: 'options after a recipient', args: ['alice', '-f', 'bob'], input: 'x\n' },
  { name: 'no recipients', args: [], input: 'body\n' },
  { name: '-bz', args: ['-bz'] },
  { name: '-Xz', args: ['-Xz'] },
  { name: 'invalid option', args: ['-z'] },
  { name: 'missing argument', args: ['-f'] },
  { name: '-n', args: ['-n'] },
  { name: '-B bad', args: ['-B', 'foo'] },
  { name: '-qX', args: ['-qX'] },
  { name: '-qR empty', args: ['-qR'] },
  { name: '-bp with recipient', args: ['-bp', 'alice'] },
  { name: '-t with -bp', args: ['-t', '-bp'] },
  { name: '-bv -t', args: ['-bv', '-t', 'x'] },
  { name: '-bv -N', args: ['-bv', '-N', 'success', 'x'] },
  { name: '-bv -v', args: ['-v', '-bv', 'x'] },
  { name: 'bad -N', args: ['-N', 'bogus,x', '-bh'] },
  { name: 'bad -R', args: ['-R', 'xyz', '-bh'] },
  { name: 'long -V', args: ['-V', 'v'.repeat(101), '-bh'] },
  { name: '-Vxy', args: ['-Vxy', 'alice'] },
  { name: '-XVab', args: ['-XVab'] },
  { name: '-oA empty', args: ['-oA', '-bi'] },
  { name: '-bd with recipient', args: ['-bd', 'alice'] },
  { name: '-bi with recipient', args: ['-bi', 'alice'] },
  { name: '-bs with recipient', args: ['-bs', 'alice'] },
  { name: '-q5m', args: ['-q5m', 'alice'] },
  { name: '-bh', args: ['-bh', 'alice'] },
  { name: '-q -bd', args: ['-q', '-bd', '-bh'] },
  { name: 'VERP with null sender', args: ['-XV', '-f', '', 'alice'], input: 'x\n' },
  { name: 'size limit exceeded', args: ['alice'], input: `Subject: big\n\n${'y'.repeat(76)}\n`.repeat(40), mainCf: 'message_size_limit = 2048\n' },
  { name: 'size limit not reached', args: ['alice'], input: 'Subject: small\n\nbody\n', mainCf: 'message_size_limit = 2048\n' },
];

/** A private configuration directory and a queue with maildrop/ and public/pickup. */
function makeInstance(root: string, name: string, extra: string): string {
  const directory = join(root, name);
  const spool = join(directory, 'spool');
  mkdirSync(join(directory, 'etc'), { recursive: true });
  mkdirSync(join(spool, 'maildrop'), { recursive: true });
  mkdirSync(join(spool, 'public'), { recursive: true });
  execFileSync('mkfifo', [join(spool, 'public', 'pickup')]);
  const ids = (file: string, name: string): number => Number(execFileSync('getent', [file, name], { encoding: 'utf8' }).split(':')[2]);
  chownSync(join(spool, 'maildrop'), ids('passwd', 'postfix'), ids('group', 'postdrop'));
  chmodSync(join(spool, 'maildrop'), 0o1730);
  writeFileSync(join(directory, 'etc', 'main.cf'), [
    `queue_directory = ${spool}`, `data_directory = ${join(directory, 'data')}`, 'compatibility_level = 3.6',
    'myhostname = mail.example.com', 'mydomain = example.com', extra,
  ].join('\n'));
  writeFileSync(join(directory, 'etc', 'master.cf'), '');
  ageFiles(join(directory, 'etc'));
  return directory;
}

interface Outcome { status: number; stdout: string; stderr: string; file: string }

/** The maildrop file left by a run, shown by the real postcat, then removed. */
function takeMaildropFile(directory: string): string {
  const maildrop = join(directory, 'spool', 'maildrop');
  const names = readdirSync(maildrop);
  if (names.length === 0) return '(no file)';
  const shown = names.map((name) => {
    const path = join(maildrop, name);
    const stat = statSync(path);
    const group = execFileSync('stat', ['-c', '%G', path], { encoding: 'utf8' }).trim();
    const listing = runReal(['postcat', '-c', join(directory, 'etc'), '-v', path]).stdout;
    rmSync(path);
    return `mode=${(stat.mode & 0o7777).toString(8)} group=${group}\n${listing.split(name).join('<ID>')}`;
  });
  return shown.join('\n').replace(/^message_arrival_time: .*$/m, 'message_arrival_time: <TIME>');
}

test('sendmail and postdrop: mtalab against the real 3.7.11', { timeout: 240_000 }, async () => {
  if (!hasRealCommand('sendmail') || !hasRealCommand('postcat')) return;
  const root = makeTemporaryDirectory('mtalab-submission-');
  try {
    let equal = 0;
    const failures: string[] = [];
    const instances = new Map<string, string>();
    for (const item of cases) {
      const extra = item.mainCf ?? '';
      let directory = instances.get(extra);
      if (directory === undefined) {
        directory = makeInstance(root, `instance${instances.size}`, extra);
        instances.set(extra, directory);
      }
      const argv = ['sendmail', '-C', join(directory, 'etc'), ...item.args];
      const real = runReal(argv, { input: item.input ?? '', cwd: root });
      const realOutcome: Outcome = { status: real.status, stdout: real.stdout, stderr: real.stderr, file: takeMaildropFile(directory) };
      const ours = await runMtalab(argv, { input: item.input ?? '', cwd: root, env: { USER: 'root', PATH: '/usr/sbin:/usr/bin' } });
      const ourOutcome: Outcome = { status: ours.status, stdout: ours.stdout, stderr: ours.stderr, file: takeMaildropFile(directory) };
      if (process.env.MTALAB_DEBUG_CASE && item.name.match(process.env.MTALAB_DEBUG_CASE)) console.log(JSON.stringify(realOutcome, null, 1), JSON.stringify(ourOutcome, null, 1));
      try {
        assert.deepEqual(ourOutcome, realOutcome);
        equal += 1;
      } catch (error) {
        failures.push(`${item.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    console.log(`sendmail: ${equal}/${cases.length} equal`);
    assert.deepEqual(failures, []);
  } finally {
    removeTemporaryDirectory(root);
  }
});
