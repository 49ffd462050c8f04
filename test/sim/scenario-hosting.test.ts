// The hosting scenario's outcomes: zoe's message to one address of each hosting style lands
// where it should (ann@fruit.example in /var/mail/ann, info@tools.example via the alias
// table in /var/mail/ben, kim@books.example in the Maildir /var/vmail/books.example/kim/
// owned by vmail); unknown users get smtpd's 550 5.1.1 per style over SMTP and bounces
// when submitted on the host itself.

import { test } from 'node:test';
import { check, openWorld, runQuiet } from './world.ts';
import { openSmtpDialog } from './smtp-dialog.ts';

const MAIL = 'mail.hosting.example';

test('hosting: one message to each style lands in the right mailbox', async () => {
  const world = await openWorld('hosting');
  await runQuiet(world);
  const host = world.host(MAIL)!;
  const log = await host.maillog();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  check(world, log.some((line) => / postfix\/local\[\d+\]: \w+: to=<ann@fruit\.example>, relay=local, .*status=sent \(delivered to mailbox\)$/.test(line)), log.join('\n'));
  check(world, log.some((line) => / postfix\/local\[\d+\]: \w+: to=<ben@hosting\.example>, orig_to=<info@tools\.example>, relay=local, .*status=sent \(delivered to mailbox\)$/.test(line)), log.join('\n'));
  check(world, log.some((line) => / postfix\/virtual\[\d+\]: \w+: to=<kim@books\.example>, relay=virtual, .*status=sent \(delivered to maildir\)$/.test(line)), log.join('\n'));
  const ann = text(await host.platform.fs.readFile('/var/mail/ann'));
  const ben = text(await host.platform.fs.readFile('/var/mail/ben'));
  check(world, ann.includes('Subject: One message, three styles') && ann.includes('Delivered-To: ann@fruit.example'), ann);
  check(world, ben.includes('Subject: One message, three styles') && ben.includes('Delivered-To: ben@hosting.example'), ben);
  const maildir = '/var/vmail/books.example/kim/new';
  const names = host.volume.readdirSync(maildir) as string[];
  check(world, names.length === 1, `kim's new/: ${names.join(' ')}`);
  const stat = host.volume.statSync(`${maildir}/${names[0]}`);
  check(world, Number(stat.uid) === 5000 && Number(stat.gid) === 5000, `owner ${stat.uid}:${stat.gid}`);
  const kim = text(await host.platform.fs.readFile(`${maildir}/${names[0]}`));
  check(world, kim.includes('Delivered-To: kim@books.example') && kim.includes('Hello to each of the three hosted domains.'), kim);
  // No system account got kim's copy, no virtual mailbox got ann's.
  check(world, !ann.includes('Delivered-To: kim@books.example') && (host.volume.existsSync('/var/vmail/books.example/ann') === false), 'crossed styles');
});

test('hosting: an unknown user in each style gets Postfix\'s 550 5.1.1 at RCPT', async () => {
  const world = await openWorld('hosting');
  await runQuiet(world);
  const dialog = await openSmtpDialog(world, 'shell.example.net', '192.0.2.80');
  await dialog.send('EHLO shell.example.net');
  check(world, (await dialog.send('MAIL FROM:<zoe@shell.example.net>')).join('') === '250 2.1.0 Ok', 'MAIL');
  const expected: Array<[string, string]> = [
    ['nosuchuser@fruit.example', 'User unknown in local recipient table'],
    ['nosuchuser@tools.example', 'User unknown in virtual alias table'],
    ['nosuchuser@books.example', 'User unknown in virtual mailbox table'],
  ];
  for (const [address, reason] of expected) {
    const reply = await dialog.send(`RCPT TO:<${address}>`);
    check(world, reply.join('') === `550 5.1.1 <${address}>: Recipient address rejected: ${reason}`, `${address}: ${reply.join('|')}`);
  }
  for (const address of ['ben@fruit.example', 'sales@tools.example', 'lee@books.example']) {
    const reply = await dialog.send(`RCPT TO:<${address}>`);
    check(world, reply.join('') === '250 2.1.5 Ok', `${address}: ${reply.join('|')}`);
  }
  await dialog.send('QUIT');
  dialog.close();
  await runQuiet(world);
  const log = await world.host(MAIL)!.maillog();
  for (const [address, reason] of expected) {
    check(world, log.some((line) => line.includes(`NOQUEUE: reject: RCPT from shell.example.net[198.51.100.7]: 550 5.1.1 <${address}>: Recipient address rejected: ${reason}; from=<zoe@shell.example.net> to=<${address}> proto=ESMTP helo=<shell.example.net>`)), `${address}:\n${log.join('\n')}`);
  }
});

test('hosting: unknown users submitted on the host itself bounce, each style in its own words', async () => {
  const world = await openWorld('hosting');
  await runQuiet(world);
  const host = world.host(MAIL)!;
  // The scenario's own action at 2 s: ann writes to nosuchuser in each domain.
  const sent = world.actions.find((report) => report.action.host === MAIL && report.action.user === 'ann');
  check(world, sent?.exitCode === 0, `ann's sendmail: ${sent?.output ?? 'did not run'}`);
  const log = await host.maillog();
  const all = log.join('\n');
  check(world, log.some((line) => / postfix\/local\[\d+\]: \w+: to=<nosuchuser@fruit\.example>, relay=local, .*dsn=5\.1\.1, status=bounced \(unknown user: "nosuchuser"\)$/.test(line)), all);
  check(world, log.some((line) => / postfix\/error\[\d+\]: \w+: to=<nosuchuser@tools\.example>, relay=none, .*dsn=5\.1\.1, status=bounced \(User unknown in virtual alias table\)$/.test(line)), all);
  check(world, log.some((line) => / postfix\/virtual\[\d+\]: \w+: to=<nosuchuser@books\.example>, relay=virtual, .*dsn=5\.1\.1, status=bounced \(unknown user: "nosuchuser@books\.example"\)$/.test(line)), all);
  const mailbox = new TextDecoder().decode(await host.platform.fs.readFile('/var/mail/ann'));
  check(world, mailbox.includes('From MAILER-DAEMON ') && mailbox.includes('<nosuchuser@tools.example>: User unknown in virtual alias table'), mailbox);
});
