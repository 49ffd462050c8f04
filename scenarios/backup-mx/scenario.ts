// A backup MX: corp.example's MX records name mx1.corp.example (preference 10, the
// primary and final destination) and mx2.corp.example (preference 20, on another network,
// relay_domains = corp.example with transport_maps sending the domain to [mx1.corp.example]).
// The primary is dead from the start: its links to the backup and the sender are down
// (scripted faults) until 8 min after boot. sender.example.org writes to pat@corp.example
// at 1 s; the sender's smtp times out on mx1 and falls back to mx2, which queues the
// message, defers it (connect to mx1 timed out) and retries; after the primary is back,
// the backup's next retry delivers it to mx1 and pat's mailbox. The scenario declares that
// outcome (mx2: deferred, then sent) and runs 20 min, so a plain `mtalab sim backup-mx`
// shows the whole story; test/sim/scenario-backup-mx.test.ts follows it step by step.
// Files are under hosts/<dir>/.

import type { ScenarioDefinition } from '../../engine/sim/scenario.ts';
import { addressRecords, mailHost } from '../../engine/sim/scenario-hosts.ts';

const HOSTS = [
  mailHost('mx1.corp.example', '192.0.2.40', { directory: 'mx1', users: ['pat', 'lou'] }),
  mailHost('mx2.corp.example', '198.51.100.41', { directory: 'mx2', users: ['pat'] }),
  mailHost('sender.example.org', '203.0.113.7', { directory: 'sender', users: ['val'] }),
];

/** When the primary's links come back, after boot. */
export const PRIMARY_BACK_MS = 480_000;

export const backupMx: ScenarioDefinition = {
  id: 'backup-mx',
  title: 'A backup MX for a dead primary',
  description: 'corp.example has two MX hosts: mx1 (primary) and mx2 (backup). mx1 is cut off '
    + 'for the first 8 minutes; sender.example.org writes to pat@corp.example at 1 s: watch mx2 '
    + 'queue the message and deliver it to mx1 when its links come back.',
  seed: 3,
  hosts: HOSTS,
  dns: {
    records: {
      'corp.example': { mx: [{ preference: 10, exchange: 'mx1.corp.example' }, { preference: 20, exchange: 'mx2.corp.example' }] },
      ...addressRecords(HOSTS),
    },
  },
  faults: [
    { atMs: 0, kind: 'link-down', between: ['mx1.corp.example', ['mx2.corp.example', 'sender.example.org']] },
    { atMs: PRIMARY_BACK_MS, kind: 'link-up', between: ['mx1.corp.example', ['mx2.corp.example', 'sender.example.org']] },
  ],
  runMs: 1_200_000,
  outcomes: [
    { story: 'the sender hands val\'s message to the backup MX', host: 'sender.example.org', recipient: 'pat@corp.example', statuses: ['sent'] },
    { story: 'the backup queues it while the primary is dead, then delivers it', host: 'mx2.corp.example', recipient: 'pat@corp.example', statuses: ['deferred', 'sent'] },
    { story: 'the primary delivers it to pat\'s mailbox', host: 'mx1.corp.example', recipient: 'pat@corp.example', statuses: ['sent'] },
  ],
  actions: [
    {
      atMs: 1_000,
      host: 'sender.example.org',
      user: 'val',
      argv: ['sendmail', '-t'],
      stdin: 'From: Val Sender <val@sender.example.org>\n'
        + 'To: Pat <pat@corp.example>\n'
        + 'Subject: Contract\n'
        + '\n'
        + 'Pat, the signed contract is on its way.\n'
        + '\n'
        + 'Val\n',
    },
  ],
};
