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

import type { ScenarioDefinition, ScenarioHostDefinition } from '../../engine/sim/scenario.ts';

function mailHost(directory: string, name: string, address: string, users: readonly string[], extra: ScenarioHostDefinition['directories'] = []): ScenarioHostDefinition {
  return {
    name,
    addresses: [address],
    directory: `hosts/${directory}`,
    startPostfix: true,
    directories: [
      { path: '/root', mode: 0o700 },
      ...users.map((user, index) => ({ path: `/home/${user}`, mode: 0o755, uid: 1001 + index, gid: 1001 + index })),
      { path: '/tmp', mode: 0o1777 },
      { path: '/var/log', mode: 0o755 },
      { path: '/var/lib/postfix', mode: 0o700, uid: 101, gid: 103 },
      { path: '/var/spool/postfix', mode: 0o755 },
      { path: '/var/mail', mode: 0o2775, gid: 8 },
      ...(extra ?? []),
    ],
  };
}

const MX = { preference: 10, exchange: 'mail.hosting.example' };

export const hosting: ScenarioDefinition = {
  id: 'hosting',
  title: 'Hosting several domains on one machine',
  description: 'mail.hosting.example hosts fruit.example (shared, system accounts), tools.example '
    + '(virtual alias domain to system accounts) and books.example (virtual mailboxes under '
    + '/var/vmail). zoe@shell.example.net writes to one address in each: see where each copy lands; '
    + 'ann\'s mail to an unknown user in each domain bounces.',
  seed: 5,
  hosts: [
    mailHost('mail', 'mail.hosting.example', '192.0.2.80', ['ann', 'ben'], [
      { path: '/var/vmail', mode: 0o750, uid: 5000, gid: 5000 },
    ]),
    mailHost('shell', 'shell.example.net', '198.51.100.7', ['zoe']),
  ],
  dns: {
    records: {
      'hosting.example': { mx: [MX] },
      'fruit.example': { mx: [MX] },
      'tools.example': { mx: [MX] },
      'books.example': { mx: [MX] },
      'mail.hosting.example': { a: ['192.0.2.80'] },
      'shell.example.net': { a: ['198.51.100.7'] },
      '192.0.2.80': { ptr: ['mail.hosting.example'] },
      '198.51.100.7': { ptr: ['shell.example.net'] },
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
