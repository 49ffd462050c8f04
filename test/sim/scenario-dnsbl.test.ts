// The dnsbl scenario's outcomes: mail.shop.example accepts the unlisted friend.example.org
// (the scripted message reaches owen's mailbox) and refuses the listed zombie.dsl.example
// at RCPT with Postfix's 554 5.7.1 "Service unavailable; Client host [...] blocked using
// zen.dnsbl.example; <TXT>" and its "NOQUEUE: reject:" log line -- from the zombie's own
// Postfix (the scenario's message at 2 s, which its smtp bounces) and in a raw SMTP dialog.

import { test } from 'node:test';
import { check, openWorld, runQuiet } from './world.ts';
import { openSmtpDialog } from './smtp-dialog.ts';

const MAIL = 'mail.shop.example';
const ZOMBIE = 'zombie.dsl.example';
const REASON = '203.0.113.99 is a hijacked home machine, see https://dnsbl.example/lookup?ip=203.0.113.99';
const REPLY = `554 5.7.1 Service unavailable; Client host [203.0.113.99] blocked using zen.dnsbl.example; ${REASON}`;

test('dnsbl: an unlisted client is accepted and delivered', async () => {
  const world = await openWorld('dnsbl');
  await runQuiet(world);
  const log = await world.host(MAIL)!.maillog();
  check(world, log.some((line) => line.includes('client=friend.example.org[198.51.100.61]')), log.join('\n'));
  check(world, !log.some((line) => line.includes('reject:') && line.includes('friend.example.org')), `a reject for the unlisted client:\n${log.join('\n')}`);
  check(world, log.some((line) => / mail postfix\/local\[\d+\]: \w+: to=<owen@shop\.example>, relay=local, .*status=sent \(delivered to mailbox\)$/.test(line)), log.join('\n'));
  const mailbox = new TextDecoder().decode(await world.host(MAIL)!.platform.fs.readFile('/var/mail/owen'));
  check(world, mailbox.includes('\nSubject: Order 1042\n'), mailbox);
});

test('dnsbl: a listed client gets 554 5.7.1 with the list\'s reason and a reject log line', async () => {
  const world = await openWorld('dnsbl');
  await runQuiet(world);
  const sent = world.actions.find((report) => report.action.host === ZOMBIE);
  check(world, sent?.exitCode === 0, `the zombie's sendmail: ${sent?.output ?? 'did not run'}`);
  const log = await world.host(MAIL)!.maillog();
  const zombie = await world.host(ZOMBIE)!.maillog();
  const all = `\n--- mail ---\n${log.join('\n')}\n--- zombie ---\n${zombie.join('\n')}`;
  check(world, log.some((line) => line.endsWith(`postfix/smtpd[${/smtpd\[(\d+)\]/.exec(line)?.[1]}]: NOQUEUE: reject: RCPT from zombie.dsl.example[203.0.113.99]: ${REPLY}; from=<pc@zombie.dsl.example> to=<owen@shop.example> proto=ESMTP helo=<zombie.dsl.example>`)), `reject line${all}`);
  check(world, zombie.some((line) => line.includes(': to=<owen@shop.example>, relay=mail.shop.example[192.0.2.60]:25, ')
    && line.endsWith(`dsn=5.7.1, status=bounced (host mail.shop.example[192.0.2.60] said: ${REPLY} (in reply to RCPT TO command))`)), `zombie's bounce${all}`);
  // pc gets the bounce notification from its own MAILER-DAEMON.
  const mailbox = new TextDecoder().decode(await world.host(ZOMBIE)!.platform.fs.readFile('/var/mail/pc'));
  check(world, mailbox.startsWith('From MAILER-DAEMON ') && mailbox.includes('blocked using zen.dnsbl.example'), mailbox);

  const dialog = await openSmtpDialog(world, ZOMBIE, '192.0.2.60');
  check(world, dialog.greeting.join('') === '220 mail.shop.example ESMTP Postfix', dialog.greeting.join('|'));
  await dialog.send('HELO zombie');
  check(world, (await dialog.send('MAIL FROM:<x@zombie.dsl.example>')).join('') === '250 2.1.0 Ok', 'MAIL');
  const refused = await dialog.send('RCPT TO:<owen@shop.example>');
  check(world, refused.join('') === REPLY, `RCPT reply: ${refused.join('|')}`);
  dialog.close();
});
