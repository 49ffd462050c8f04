// Multi-domain hosting on one machine, mail.hosting.example, in Postfix's three styles:
// shared domains with system accounts (hosting.example and fruit.example in mydestination,
// users ann and ben), a separate domain with system accounts (tools.example in
// virtual_alias_domains, its addresses aliased to ann and ben by virtual_alias_maps) and a
// separate domain with virtual accounts (books.example in virtual_mailbox_domains, Maildirs
// under /var/vmail owned by vmail, uid 5000). A customer's machine, shell.example.net,
// sends to all three by MX. Scripted: zoe@shell.example.net writes to ann@fruit.example,
// info@tools.example and kim@books.example at 1 s; at 2 s ann, on the host itself, writes
// to an unknown user in each style, and each bounces in its own words (local, error,
// virtual) -- outcomes the scenario declares; test/sim/scenario-hosting.test.ts checks the
// log lines and the bounce in ann's mailbox. Files are under hosts/<dir>/.

import type { ScenarioDefinition } from '../../engine/sim/scenario.ts';
import { addressRecords, mailHost } from '../../engine/sim/scenario-hosts.ts';

const MX = { preference: 10, exchange: 'mail.hosting.example' };

const HOSTS = [
  mailHost('mail.hosting.example', '192.0.2.80', {
    directory: 'mail', users: ['ann', 'ben'], directories: [{ path: '/var/vmail', mode: 0o750, uid: 5000, gid: 5000 }],
  }),
  mailHost('shell.example.net', '198.51.100.7', { directory: 'shell', users: ['zoe'] }),
];

export const hosting: ScenarioDefinition = {
  id: 'hosting',
  title: 'Hosting several domains on one machine',
  description: 'mail.hosting.example hosts fruit.example (shared, system accounts), tools.example '
    + '(virtual alias domain to system accounts) and books.example (virtual mailboxes under '
    + '/var/vmail). zoe@shell.example.net writes to one address in each: see where each copy lands; '
    + 'ann\'s mail to an unknown user in each domain bounces.',
  seed: 5,
  hosts: HOSTS,
  dns: {
    records: {
      'hosting.example': { mx: [MX] },
      'fruit.example': { mx: [MX] },
      'tools.example': { mx: [MX] },
      'books.example': { mx: [MX] },
      ...addressRecords(HOSTS),
    },
  },
  actions: [
    {
      atMs: 1_000,
      host: 'shell.example.net',
      user: 'zoe',
      argv: ['sendmail', '-t'],
      stdin: 'From: Zoe Customer <zoe@shell.example.net>\n'
        + 'To: ann@fruit.example, info@tools.example, kim@books.example\n'
        + 'Subject: One message, three styles\n'
        + '\n'
        + 'Hello to each of the three hosted domains.\n'
        + '\n'
        + 'Zoe\n',
    },
    {
      atMs: 2_000,
      host: 'mail.hosting.example',
      user: 'ann',
      argv: ['sendmail', 'nosuchuser@fruit.example', 'nosuchuser@tools.example', 'nosuchuser@books.example'],
      stdin: 'Subject: anyone there?\n\nhello\n',
    },
  ],
  outcomes: ['fruit.example', 'tools.example', 'books.example'].map((domain) => ({
    story: `ann's mail to an unknown user of ${domain} bounces`,
    host: 'mail.hosting.example', recipient: `nosuchuser@${domain}`, statuses: ['bounced'],
  })),
};
