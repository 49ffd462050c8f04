// A host behind a DNS block list: mail.shop.example (the MX of shop.example) checks every
// client against zen.dnsbl.example (smtpd_recipient_restrictions ... reject_rbl_client).
// The zone lists zombie.dsl.example's address 203.0.113.99 (A 127.0.0.2 and a TXT reason
// under 99.113.0.203.zen.dnsbl.example) and the conventional test entry 127.0.0.2;
// friend.example.org is not listed. Scripted: fay@friend.example.org writes to
// owen@shop.example at 1 s and is accepted; pc@zombie.dsl.example writes to owen at 2 s,
// the zombie's own Postfix is refused at RCPT with 554 5.7.1 and bounces the message back
// to pc -- the outcome the scenario declares (the zombie: bounced). test/sim/
// scenario-dnsbl.test.ts checks the replies and log lines. Files are under hosts/<dir>/.

import type { ScenarioDefinition } from '../../engine/sim/scenario.ts';
import { addressRecords, mailHost } from '../../engine/sim/scenario-hosts.ts';

const HOSTS = [
  mailHost('mail.shop.example', '192.0.2.60', { directory: 'mail', users: ['owen'] }),
  mailHost('zombie.dsl.example', '203.0.113.99', { directory: 'zombie', users: ['pc'] }),
  mailHost('friend.example.org', '198.51.100.61', { directory: 'friend', users: ['fay'] }),
];

export const dnsbl: ScenarioDefinition = {
  id: 'dnsbl',
  title: 'A mail server behind a DNS block list',
  description: 'mail.shop.example asks zen.dnsbl.example about each client before it accepts a '
    + 'recipient. friend.example.org is not listed and its mail to owen@shop.example is delivered; '
    + 'zombie.dsl.example (203.0.113.99) is listed: its mail at 2 s is refused with 554 and bounces.',
  seed: 11,
  hosts: HOSTS,
  dns: {
    records: {
      'shop.example': { mx: [{ preference: 10, exchange: 'mail.shop.example' }] },
      ...addressRecords(HOSTS),
      // The block list: an A record in 127.0.0.0/8 lists an address, TXT says why.
      '99.113.0.203.zen.dnsbl.example': { a: ['127.0.0.2'], txt: ['203.0.113.99 is a hijacked home machine, see https://dnsbl.example/lookup?ip=203.0.113.99'] },
      '2.0.0.127.zen.dnsbl.example': { a: ['127.0.0.2'], txt: ['Test entry of zen.dnsbl.example'] },
    },
  },
  actions: [
    {
      atMs: 1_000,
      host: 'friend.example.org',
      user: 'fay',
      argv: ['sendmail', '-t'],
      stdin: 'From: Fay Friend <fay@friend.example.org>\n'
        + 'To: Owen <owen@shop.example>\n'
        + 'Subject: Order 1042\n'
        + '\n'
        + 'Owen, please send two more of the blue ones.\n'
        + '\n'
        + 'Fay\n',
    },
    {
      atMs: 2_000,
      host: 'zombie.dsl.example',
      user: 'pc',
      argv: ['sendmail', 'owen@shop.example'],
      stdin: 'Subject: hello\n\nclick here\n',
    },
  ],
  outcomes: [
    { story: 'the listed zombie is refused at RCPT (554 5.7.1) and bounces its message', host: 'zombie.dsl.example', recipient: 'owen@shop.example', statuses: ['bounced'] },
  ],
};
