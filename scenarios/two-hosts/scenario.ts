// Two mail hosts on two networks, talking SMTP: a.example.test (192.0.2.11, users alice and
// carol) and b.example.test (198.51.100.12, users bob and dave), each a Postfix with smtpd on
// port 25 of its address, delivering its own domain to /var/mail and sending every other
// domain by MX. One second after boot alice sends bob a message with sendmail; the path
// a: pickup -> cleanup -> qmgr -> smtp -> b: smtpd -> cleanup -> qmgr -> local shows in both
// maillogs, joined by b's "queued as" id. Used by test/sim, `mtalab sim two-hosts` and the
// page. Files are real text under hosts/a and hosts/b.

import type { ScenarioDefinition } from '../../engine/sim/scenario.ts';
import { mailHost } from '../../engine/sim/scenario-hosts.ts';

export const twoHosts: ScenarioDefinition = {
  id: 'two-hosts',
  title: 'Two mail hosts',
  description: 'a.example.test and b.example.test each run Postfix and find each other by MX. '
    + 'One second in, alice@a.example.test sends a message to bob@b.example.test: follow it '
    + 'through both maillogs (the "queued as" id joins them) into bob\'s mailbox.',
  seed: 2,
  hosts: [
    mailHost('a.example.test', '192.0.2.11', { directory: 'a', users: ['alice', 'carol'] }),
    mailHost('b.example.test', '198.51.100.12', { directory: 'b', users: ['bob', 'dave'] }),
  ],
  dns: {
    records: {
      'a.example.test': { a: ['192.0.2.11'], mx: [{ preference: 10, exchange: 'a.example.test' }] },
      'b.example.test': { a: ['198.51.100.12'], mx: [{ preference: 10, exchange: 'b.example.test' }] },
      '192.0.2.11': { ptr: ['a.example.test'] },
      '198.51.100.12': { ptr: ['b.example.test'] },
      'example.test': { txt: ['v=spf1 ip4:192.0.2.11 ip4:198.51.100.12 -all'] },
      'mail.b.example.test': { cname: 'b.example.test' },
    },
  },
  actions: [
    {
      atMs: 1_000,
      host: 'a.example.test',
      user: 'alice',
      argv: ['sendmail', '-t'],
      stdin: 'From: Alice <alice@a.example.test>\n'
        + 'To: Bob <bob@b.example.test>\n'
        + 'Subject: Hello from a\n'
        + '\n'
        + 'Hi Bob,\n'
        + '\n'
        + 'this message crossed from a.example.test to b.example.test by SMTP.\n'
        + '\n'
        + 'Alice\n',
    },
  ],
};
