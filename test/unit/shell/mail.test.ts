// `mail` in the terminal shell on the booted single-host world (test/unit/shell/world.ts):
// listing a spool mbox in mailx's header shape, printing, deleting, exit without changes,
// mail that arrives while the mailbox is open, a Maildir, and sending with -s through the
// running Postfix (sendmail, pickup, cleanup, qmgr, local) as the shell's user, su included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorldShell, type WorldShell } from './world.ts';

/** A message as local(8) writes it into an mbox (the shape of the reference logs/a). */
function mboxMessage(from: string, subject: string, body: string, extra = ''): string {
  return [
    `From ${from}  Sun Nov 22 09:26:23 2026`,
    `Return-Path: <${from}>`,
    'X-Original-To: alice@example.test',
    'Delivered-To: alice@example.test',
    `Subject: ${subject}`,
    'Date: Sun, 22 Nov 2026 09:26:23 +0000 (UTC)',
    `From: ${from}`,
    ...(extra === '' ? [] : [extra]),
    '',
    body,
    '',
  ].join('\n') + '\n';
}

async function withSpool(messages: string[]): Promise<WorldShell> {
  const shell = await startWorldShell();
  await shell.host.platform.fs.writeFile('/var/mail/alice', messages.join(''), { mode: 0o600 });
  return shell;
}

test('mail -u lists the spool file with mailx-shaped headers and prints a message by number', async () => {
  const first = mboxMessage('bob@example.test', 'lunch?', 'Shall we meet at noon?');
  const second = mboxMessage('carol@example.org', 'report', 'Attached.');
  const { type, run, readFile } = await withSpool([first, second]);
  const listing = await type('mail -u alice\r');
  const lines = listing.split('\n');
  assert.equal(lines[1], '"/var/mail/alice": 2 messages 2 new');
  // Lines and bytes count the From_ line and the blank line after the message, as mailx's.
  const size = (text: string) => `${String(text.split('\n').length - 1).padStart(3)}/${String(text.length).padEnd(5)}`;
  assert.equal(size(first), ' 10/255  ');
  assert.equal(lines[2], `>N  1 bob@example.test      Sun Nov 22 09:26 ${size(first)}  lunch?`);
  assert.equal(lines[3], ` N  2 carol@example.org     Sun Nov 22 09:26 ${size(second)}  report`);
  assert.equal(lines[4], '& ');
  const shown = await type('1\r');
  assert.equal(shown, `1\nMessage 1:\n${first.slice(0, -1)}& `);
  const quit = await type('q\r');
  assert.equal(quit, 'q\nHeld 2 messages in /var/mail/alice\nroot@mail:~# ');
  const saved = await readFile('/var/mail/alice');
  assert.match(saved, /^From: bob@example\.test\nStatus: RO\n\nShall we meet/m);
  assert.match(saved, /^From: carol@example\.org\nStatus: O\n\nAttached\./m);
  // Read again: the first is read, the second old but unread.
  const again = await run('mail -H -u alice');
  assert.match(again, /^"\/var\/mail\/alice": 2 messages 1 unread\n {2} {2}1 bob@example\.test .*\n>U {2}2 carol@example\.org /);
});

test('d deletes, u undeletes, q saves; x leaves the file as it was', async () => {
  const messages = [mboxMessage('bob@example.test', 'one', 'First.'), mboxMessage('bob@example.test', 'two', 'Second.'),
    mboxMessage('bob@example.test', 'three', 'Third.')];
  const { type, readFile, run } = await withSpool(messages);
  await type('mail -u alice\r');
  await type('d 1-2\r');
  await type('u 2\r');
  const headers = await type('h\r');
  assert.doesNotMatch(headers, /one/);
  assert.match(headers, /two/);
  assert.equal(await type('x\r'), 'x\nroot@mail:~# ');
  assert.equal(await readFile('/var/mail/alice'), messages.join(''), 'x changes nothing');
  await type('mail -u alice\r');
  await type('d 1-2\r');
  await type('q\r');
  const saved = await readFile('/var/mail/alice');
  assert.equal(saved.match(/^From /gm)?.length, 1);
  assert.match(saved, /Subject: three/);
  assert.match(await run('mail -u alice -H'), /1 message 1 unread/);
});

test('mail that arrives while the mailbox is open is kept on quit', async () => {
  const { type, host, readFile } = await withSpool([mboxMessage('bob@example.test', 'one', 'First.')]);
  await type('mail -u alice\r');
  await type('d 1\r');
  const late = mboxMessage('carol@example.org', 'late', 'Arrived meanwhile.');
  await host.platform.fs.appendFile('/var/mail/alice', late);
  const quit = await type('q\r');
  assert.match(quit, /New mail has arrived\./);
  assert.equal(await readFile('/var/mail/alice'), late);
});

test('mail with no mailbox says so and exits 1; unknown commands and numbers are refused', async () => {
  const { run, shell, type } = await withSpool([mboxMessage('bob@example.test', 'one', 'First.')]);
  assert.equal(await run('mail -u bob'), 'No mail for bob\n');
  assert.equal(shell.lastStatus, 1);
  assert.equal(await run('mail -f /nonexistent'), 'mail: /nonexistent: No such file or directory\n');
  await type('mail -u alice\r');
  assert.equal(await type('7\r'), '7\n7: Invalid message number\n& ');
  assert.equal(await type('frob\r'), 'frob\nUnknown command: "frob"\n& ');
  assert.match(await type('\r'), /At EOF\n& $/);
  // Ctrl-D at the prompt quits as q does.
  assert.match(await type('\x04'), /Held 1 message in \/var\/mail\/alice\nroot@mail:~# $/);
});

test('a Maildir: new/ and cur/ are listed; a read message moves to cur/ with the S flag', async () => {
  const shell = await startWorldShell();
  const fs = shell.host.platform.fs;
  const base = '/var/vmail/shop.example.test/orders';
  for (const sub of ['tmp', 'new', 'cur']) await fs.mkdir(`${base}/${sub}`, { recursive: true });
  const text = 'Return-Path: <alice@example.test>\nDelivered-To: orders@shop.example.test\n'
    + 'Date: Mon, 1 Jan 2024 00:00:05 +0000 (UTC)\nFrom: alice@example.test\nSubject: order 42\n\nTwo boxes, please.\n';
  await fs.writeFile(`${base}/new/1704067205.V1I2M3.mail.example.test`, text);
  await fs.writeFile(`${base}/cur/1704067100.V1I1M1.mail.example.test:2,S`, 'Return-Path: <bob@example.test>\nSubject: old\n\nSeen.\n');
  const listing = await shell.type(`mail -f ${base}/\r`);
  assert.match(listing, /"\/var\/vmail\/shop\.example\.test\/orders": 2 messages 1 new\n/);
  // A Maildir file has no From_ line: the date comes from Date:, the sender from Return-Path.
  assert.equal(listing.split('\n').slice(2).join('\n'), [
    '    1 bob@example.test                         4/52     old',
    '>N  2 alice@example.test    Mon Jan  1 00:00   7/179    order 42',
    '& ',
  ].join('\n'));
  assert.match(await shell.type('2\r'), /Message 2:\nReturn-Path: <alice@example\.test>[^]*Two boxes, please\.\n& $/);
  await shell.type('q\r');
  assert.deepEqual(await fs.readdir(`${base}/new`), []);
  assert.deepEqual((await fs.readdir(`${base}/cur`)).sort(),
    ['1704067100.V1I1M1.mail.example.test:2,S', '1704067205.V1I2M3.mail.example.test:2,S']);
  await shell.type(`mail -f ${base}\r`);
  await shell.type('d 1\r');
  await shell.type('q\r');
  assert.deepEqual(await fs.readdir(`${base}/cur`), ['1704067205.V1I2M3.mail.example.test:2,S']);
});

test("a user cannot read another user's 0600 spool file; the owner can", async () => {
  const shell = await withSpool([mboxMessage('bob@example.test', 'one', 'First.')]);
  shell.world.loaded.hosts[0]!.platform.fs.volume.chownSync('/var/mail/alice', 1001, 1001);
  await shell.type('su bob\r');
  assert.equal(await shell.run('mail -u alice'), 'mail: /var/mail/alice: Permission denied\n');
  await shell.type('exit\r');
  await shell.type('su alice\r');
  assert.match(await shell.run('mail -H'), /^"\/var\/mail\/alice": 1 message 1 new\n/);
});
