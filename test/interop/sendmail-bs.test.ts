// Interop: `sendmail -bs` (smtpd -S, an SMTP dialog on stdin/stdout that submits through
// postdrop) of the REAL Postfix 3.7.11 and of mtalab (node platform, real disk), each with
// -C on a private configuration directory whose queue has only maildrop/ and public/ (a FIFO
// for pickup with no reader, as with a stopped Postfix). The same dialogs go to both;
// compared: exit status, the replies on stdout and stderr (queue ids normalised), and every
// maildrop file left behind as the REAL postcat -v shows it (queue id, arrival time and the
// Received header's date normalised), with its mode and group. Prints "sendmail -bs: N/M
// equal". The main.cf empties local_recipient_maps and alias_maps: a root smtpd -S opens
// smtpd's tables (smtpd_check_init), and the default proxy: table would wait for a proxymap
// that does not run. Runs the real commands as this (root) user; never starts Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync, rmSync, statSync, chownSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { hasRealCommand, runReal, runMtalab, makeTemporaryDirectory, removeTemporaryDirectory, ageFiles } from './real-postfix.ts';

interface Case {
  name: string;
  input: string;
  /** Extra main.cf lines. */
  mainCf?: string;
}

const CRLF = (lines: readonly string[]): string => lines.map((line) => `${line}\r\n`).join('');
const LONG = 'x'.repeat(5000);

const cases: Case[] = [
  { name: 'EHLO, one message, QUIT', input: CRLF(['EHLO client.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<bob@example.org>', 'DATA', 'Subject: hi', '', 'body', '.', 'QUIT']) },
  { name: 'other commands', input: CRLF(['EHLO c', 'ETRN example.org', 'VRFY bob', 'HELO x', 'RSET', 'NOOP', 'FOO', 'STARTTLS', 'AUTH PLAIN', 'XCLIENT NAME=x', 'ETRN', 'QUIT']) },
  { name: 'HELO, two recipients, DSN and BODY', input: CRLF([
    'HELO client.test', 'MAIL FROM:<a@example.com> BODY=8BITMIME RET=HDRS ENVID=abc',
    'RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y', 'RCPT TO:<c@example.net>', 'DATA',
    'Subject: two', '', 'caf\u00e9', '.', 'QUIT']) },
  { name: 'no HELO, null sender, bare local recipient', input: CRLF(['MAIL FROM:<>', 'RCPT TO:<postmaster>', 'DATA', 'x', '.', 'QUIT']) },
  { name: 'dots, From line, long line', input: CRLF(['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>', 'DATA', 'From someone Mon', '..leading dot', LONG, '.', 'QUIT']) },
  { name: 'leading white space in content', input: CRLF(['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>', 'DATA', ' indented', 'body', '.', 'QUIT']) },
  { name: 'two messages in one session', input: CRLF(['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>', 'DATA', 'one', '.',
    'MAIL FROM:<e@b.test>', 'RCPT TO:<f@d.test>', 'DATA', 'two', '.', 'QUIT']) },
  { name: 'RSET after RCPT queues nothing', input: CRLF(['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>', 'RSET', 'QUIT']) },
  { name: 'no QUIT', input: CRLF(['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>']) },
  { name: 'end of input inside DATA', input: CRLF(['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>', 'DATA', 'Subject: cut', '', 'half a mess']) },
  { name: 'protocol errors', input: CRLF(['MAIL FROM:<a@b.test>', 'MAIL FROM:<c@b.test>', 'RCPT TO:<>', 'RCPT TO:<x y@z>', 'DATA x', 'RCPT TO:<ok@z.test>', 'BDAT x', 'QUIT']) },
  { name: 'pipelined without waiting, bare LF', input: 'EHLO c\nMAIL FROM:<a@b.test>\nRCPT TO:<c@d.test>\nDATA\nSubject: lf\n\nbody\n.\nQUIT\n' },
  { name: 'BDAT', input: 'EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nBDAT 16 LAST\r\nSubject: b\r\n\r\nb\r\nQUIT\r\n' },
  { name: 'relay and access restrictions do not apply', mainCf: 'smtpd_recipient_restrictions = reject\nsmtpd_client_restrictions = reject\nsmtpd_helo_required = yes\n',
    input: CRLF(['HELO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@elsewhere.test>', 'DATA', 'x', '.', 'QUIT']) },
  { name: 'size limit', mainCf: 'message_size_limit = 1000\n',
    input: CRLF(['EHLO c', 'MAIL FROM:<a@b.test> SIZE=5000', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>', 'DATA', ...Array.from({ length: 30 }, () => 'y'.repeat(60)), '.', 'QUIT']) },
];

/** A private configuration directory and a queue with maildrop/ and public/pickup. */
function makeInstance(root: string, name: string, extra: string): string {
  const directory = join(root, name);
  const spool = join(directory, 'spool');
  mkdirSync(join(directory, 'etc'), { recursive: true });
  mkdirSync(join(spool, 'maildrop'), { recursive: true });
  mkdirSync(join(spool, 'public'), { recursive: true });
  execFileSync('mkfifo', [join(spool, 'public', 'pickup')]);
  const ids = (file: string, entry: string): number => Number(execFileSync('getent', [file, entry], { encoding: 'utf8' }).split(':')[2]);
  chownSync(join(spool, 'maildrop'), ids('passwd', 'postfix'), ids('group', 'postdrop'));
  chmodSync(join(spool, 'maildrop'), 0o1730);
  writeFileSync(join(directory, 'etc', 'main.cf'), [
    `queue_directory = ${spool}`, `data_directory = ${join(directory, 'data')}`, 'compatibility_level = 3.6',
    'myhostname = mail.example.com', 'mydomain = example.com', 'local_recipient_maps =', 'alias_maps =', extra,
  ].join('\n'));
  writeFileSync(join(directory, 'etc', 'master.cf'), '');
  ageFiles(join(directory, 'etc'));
  return directory;
}

interface Outcome { status: number; stdout: string; stderr: string; files: string }

const DATE = /(Mon|Tue|Wed|Thu|Fri|Sat|Sun), +\d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)/g;

/** The maildrop files left by a run, shown by the real postcat in queue id order (the
 *  order of the "queued as" replies), then removed; every queue id becomes <IDn>. */
function takeMaildropFiles(directory: string, replies: string): { files: string; ids: string[] } {
  const maildrop = join(directory, 'spool', 'maildrop');
  const names = readdirSync(maildrop);
  const replied = [...replies.matchAll(/queued as ([0-9A-Za-z]+)/g)].map((match) => match[1] as string);
  const ordered = [...replied.filter((id) => names.includes(id)), ...names.filter((name) => !replied.includes(name)).sort()];
  const shown = ordered.map((name, index) => {
    const path = join(maildrop, name);
    const stat = statSync(path);
    const group = execFileSync('stat', ['-c', '%G', path], { encoding: 'utf8' }).trim();
    const listing = runReal(['postcat', '-c', join(directory, 'etc'), '-v', path]).stdout;
    rmSync(path);
    return `mode=${(stat.mode & 0o7777).toString(8)} group=${group}\n${listing.split(name).join(`<ID${index}>`)}`;
  });
  const files = shown.join('\n').replace(/^message_arrival_time: .*$/gm, 'message_arrival_time: <TIME>').replace(DATE, '<DATE>');
  return { files: files === '' ? '(no file)' : files, ids: [...ordered, ...replied.filter((id) => !ordered.includes(id))] };
}

function normaliseIds(text: string, ids: readonly string[]): string {
  let result = text;
  ids.forEach((id, index) => { result = result.split(id).join(`<ID${index}>`); });
  return result;
}

function outcomeOf(result: { status: number; stdout: string; stderr: string }, directory: string): Outcome {
  const { files, ids } = takeMaildropFiles(directory, result.stdout);
  return { status: result.status, stdout: normaliseIds(result.stdout, ids), stderr: normaliseIds(result.stderr, ids), files };
}

test('sendmail -bs: mtalab against the real 3.7.11', { timeout: 300_000 }, async () => {
  if (!hasRealCommand('sendmail') || !hasRealCommand('postcat')) return;
  const root = makeTemporaryDirectory('mtalab-sendmail-bs-');
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
      const argv = ['sendmail', '-C', join(directory, 'etc'), '-bs'];
      const real = outcomeOf(runReal(argv, { input: item.input, cwd: root }), directory);
      const ours = outcomeOf(await runMtalab(argv, { input: item.input, cwd: root, env: { USER: 'root', PATH: '/usr/sbin:/usr/bin' } }), directory);
      if (process.env.MTALAB_DEBUG_CASE && item.name.match(process.env.MTALAB_DEBUG_CASE)) console.log(JSON.stringify(real, null, 1), JSON.stringify(ours, null, 1));
      try {
        assert.deepEqual(ours, real);
        equal += 1;
      } catch (error) {
        failures.push(`${item.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    console.log(`sendmail -bs: ${equal}/${cases.length} equal`);
    assert.deepEqual(failures, []);
  } finally {
    removeTemporaryDirectory(root);
  }
});
