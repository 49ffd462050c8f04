// The first scenario: one Debian-style mail server, mail.example.test, that accepts mail
// for example.test and delivers it to local mailboxes. Users root, alice and bob; aliases
// in a texthash table so that edits take effect without a rebuild; a hosted (virtual)
// domain, shop.example.test, with Maildirs under /var/vmail. Postfix starts when the world
// boots. Used by the UI's first page, by the shell tests and as the base of the first
// labs. Its files are real text under hosts/mail/ (main.cf, master.cf, aliases, passwd...).

import type { ScenarioDefinition } from '../../engine/sim/scenario.ts';
import { mailHost } from '../../engine/sim/scenario-hosts.ts';

export const singleHost: ScenarioDefinition = {
  id: 'single-host',
  title: 'One mail server',
  description: 'mail.example.test receives mail for example.test and delivers it to the mailboxes '
    + 'of its local users, alice and bob, and for the hosted domain shop.example.test. Postfix is '
    + 'running: send with sendmail or mail -s, read with mail, watch mailq and /var/log/maillog.',
  seed: 1,
  hosts: [
    mailHost('mail.example.test', '192.0.2.10', {
      directory: 'mail', users: ['alice', 'bob'], directories: [{ path: '/var/vmail', mode: 0o755, uid: 5000, gid: 5000 }],
    }),
  ],
  dns: {
    records: {
      'example.test': { mx: [{ preference: 10, exchange: 'mail.example.test' }] },
      'mail.example.test': { a: ['192.0.2.10'] },
      'shop.example.test': { mx: [{ preference: 10, exchange: 'mail.example.test' }] },
      '192.0.2.10': { ptr: ['mail.example.test'] },
    },
  },
};
