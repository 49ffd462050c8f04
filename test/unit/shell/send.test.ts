// Sending and reading through the running Postfix of the booted single-host world: sendmail
// and `mail -s` from the shell (as root, and as bob after `su bob`), the world's scheduler
// driven until delivery, then `mail -u alice`, the maillog (pickup uid=, cleanup, qmgr,
// local) and the queue tools. Also su/login/exit and the prompt they change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorldShell } from './world.ts';

test('su switches the user, the prompt and $MAIL; exit returns; unknown users are refused', async () => {
  const { type, run, shell } = await startWorldShell();
  assert.equal(await type('su bob\r'), 'su bob\nbob@mail:~# '.replace('~#', '/root$'));
  assert.equal(await run('whoami; echo $HOME $MAIL'), 'bob\n/home/bob /var/mail/bob\n');
  assert.equal(await type('exit\r'), 'exit\nexit\nroot@mail:~# ');
  assert.equal(await type('su - alice\r'), 'su - alice\nalice@mail:~$ ');
  assert.equal(await run('pwd'), '/home/alice\n');
  assert.equal(await type('login bob\r'), 'login bob\nbob@mail:~$ ');
  await type('exit\r');
  assert.equal(await type('exit\r'), 'exit\nexit\nroot@mail:~# ');
  assert.equal(await run('su mallory'), 'su: user mallory does not exist or the user entry does not contain all the required fields\n');
  assert.equal(shell.lastStatus, 1);
  assert.equal(await run('su postfix'), 'This account is currently not available.\n');
});

test('echo | sendmail alice is delivered to /var/mail/alice and logged by every program', async () => {
  const { run, advance, readFile, shell } = await startWorldShell();
  assert.equal(await run('echo "Subject: hello" | sendmail alice'), '');
  assert.equal(shell.lastStatus, 0);
  await advance(3000);
  // The scenario's alias "alice: \\alice, bob" gives bob a copy too.
  assert.match(await readFile('/var/mail/bob'), /\nSubject: hello\n/);
  const mailbox = await readFile('/var/mail/alice');
  assert.match(mailbox, /^From root@example\.test {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nReturn-Path: <root@example\.test>\n/);
  assert.match(mailbox, /\nSubject: hello\n/);
  const log = await run('tail -n 20 /var/log/maillog');
  for (const pattern of [
    /postfix\/pickup\[\d+\]: [0-9A-F]+: uid=0 from=<root>/,
    /postfix\/cleanup\[\d+\]: [0-9A-F]+: message-id=<\d{14}\.[0-9A-F]+@mail\.example\.test>/,
    /postfix\/qmgr\[\d+\]: [0-9A-F]+: from=<root@example\.test>, size=\d+, nrcpt=1 \(queue active\)/,
    /postfix\/local\[\d+\]: [0-9A-F]+: to=<alice@example\.test>, orig_to=<alice>, relay=local, .*status=sent \(delivered to mailbox\)/,
    /postfix\/qmgr\[\d+\]: [0-9A-F]+: removed/,
  ]) assert.match(log, pattern);
  const listing = await run('mail -H -u alice');
  assert.match(listing, /^"\/var\/mail\/alice": 1 message 1 new\n>N {2}1 root@example\.test {5}\w{3} \w{3} [ \d]\d \d\d:\d\d +\d+\/\d+ +hello\n$/);
  assert.equal(await run('mailq'), 'Mail queue is empty\n');
});

test('bob sends with mail -s (body typed, ended by a lone "."), alice reads it', async () => {
  const { type, run, advance, readFile } = await startWorldShell();
  await type('su - bob\r');
  assert.equal(await type('mail -s "lunch?" alice\r'), 'mail -s "lunch?" alice\n');
  await type('Shall we meet at noon?\r');
  assert.equal(await type('.\r'), '.\nEOT\nbob@mail:~$ ');
  await advance(3000);
  assert.match(await run('tail -n 20 /var/log/maillog'), /pickup\[\d+\]: [0-9A-F]+: uid=1002 from=<bob>/);
  await type('exit\r');
  await type('su - alice\r');
  const listing = await type('mail\r');
  assert.match(listing, /"\/var\/mail\/alice": 1 message 1 new\n>N {2}1 bob@example\.test {6}.* {2}lunch\?\n& $/);
  const shown = await type('1\r');
  assert.match(shown, /\nTo: alice@example\.test\n/, "cleanup qualifies the To: address");
  assert.match(shown, /\nSubject: lunch\?\n/);
  assert.match(shown, /\nFrom: Bob Example <bob@example\.test>\n|\nFrom: bob@example\.test \(Bob Example\)\n/);
  assert.match(shown, /\n\nShall we meet at noon\?\n& $/);
  await type('d\r');
  assert.equal(await type('q\r'), 'q\nalice@mail:~$ ');
  assert.equal(await readFile('/var/mail/alice'), '');
  assert.equal(await run('mail'), 'No mail for alice\n');
});

test('mail to the :include: alias and to the hosted domain lands in mboxes and a Maildir', async () => {
  const { run, advance, exists } = await startWorldShell();
  assert.equal(await run('echo hi | mail -s team team'), '');
  assert.equal(await run('echo order | mail -s order orders@shop.example.test'), '');
  await advance(3000);
  assert.match(await run('mail -H -u alice'), /team$/m);
  assert.match(await run('mail -H -u bob'), /team$/m);
  assert.equal(await exists('/var/vmail/shop.example.test/orders/new'), true);
  assert.match(await run('mail -H -f /var/vmail/shop.example.test/orders'), /^>N {2}1 root@example\.test .* {2}order$/m);
});

test('the queue tools and postfix reload answer in the shell of the running host', async () => {
  const { run, shell } = await startWorldShell();
  assert.equal(await run('postfix reload'), 'postfix/postfix-script: refreshing the Postfix mail system\n');
  assert.equal(shell.lastStatus, 0);
  assert.match(await run('tail -n 1 /var/log/maillog'), /postfix\/master\[\d+\]: reload -- version 3\.7\.11, configuration \/etc\/postfix\n$/);
  assert.equal(await run('postqueue -p'), 'Mail queue is empty\n');
  // On a terminal qshape clears the screen before its table, as the real one does.
  assert.match(await run('qshape'), /^(?:\x1b\[[0-9;]*[A-Za-z])* +T +5 +10 +20 +40 +80 +160 +320 +640 +1280 +1280\+\n +TOTAL +0 /);
  assert.equal(await run('which sendmail mailq postqueue postsuper postcat qshape mail su'),
    '/usr/sbin/sendmail\n/usr/sbin/mailq\n/usr/sbin/postqueue\n/usr/sbin/postsuper\n/usr/sbin/postcat\n/usr/sbin/qshape\n/usr/bin/mail\n/usr/bin/su\n');
});
