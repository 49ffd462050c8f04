// A backup MX: corp.example's MX records name mx1.corp.example (preference 10, the
// primary and final destination) and mx2.corp.example (preference 20, on another network,
// relay_domains = corp.example with transport_maps sending the domain to [mx1.corp.example]).
// sender.example.org writes to pat@corp.example at 1 s. With the primary alive the message
// goes straight to it; take the primary's links down (World.network.setLinkUp, or the
// page's faults) before that and the sender's smtp falls back to mx2, which queues the
// message and retries until the primary is back -- test/sim/scenario-backup-mx.test.ts
// does exactly that. The primary boots alive because the determinism run expects every
// message delivered without a deferral. Files are under hosts/<dir>/.

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

export const backupMx: ScenarioDefinition = {
  id: 'backup-mx',
  title: 'A backup MX for a dead primary',
  description: 'corp.example has two MX hosts: mx1 (primary) and mx2 (backup). Take mx1\'s links '
    + 'down, let sender.example.org write to pat@corp.example, and watch mx2 queue the message '
    + 'and deliver it to mx1 when its links come back.',
  seed: 3,
  hosts: [
    mailHost('mx1', 'mx1.corp.example', '192.0.2.40', ['pat', 'lou']),
    mailHost('mx2', 'mx2.corp.example', '198.51.100.41', ['pat']),
    mailHost('sender', 'sender.example.org', '203.0.113.7', ['val']),
  ],
  dns: {
    records: {
      'corp.example': { mx: [{ preference: 10, exchange: 'mx1.corp.example' }, { preference: 20, exchange: 'mx2.corp.example' }] },
      'mx1.corp.example': { a: ['192.0.2.40'] },
      'mx2.corp.example': { a: ['198.51.100.41'] },
      'sender.example.org': { a: ['203.0.113.7'] },
      '192.0.2.40': { ptr: ['mx1.corp.example'] },
      '198.51.100.41': { ptr: ['mx2.corp.example'] },
      '203.0.113.7': { ptr: ['sender.example.org'] },
    },
  },
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
