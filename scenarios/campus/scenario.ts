// A campus: mx.campus.example, the inbound MX gateway of cs.campus.example and
// math.campus.example (relay_domains + transport_maps smtp:[store.campus.example]), the
// internal mail store store.campus.example, the outbound gateway outbound.campus.example
// (relays for the lab subnet 10.20.10.0/24 and the server network, mynetworks), two lab
// machines that send through it (relayhost), an Internet host inet.example.org (the MX of
// example.org) and a spammer's machine bulk.example.net that pushes its mail through the
// campus MX. Scripted: grace@example.org writes to ada@cs.campus.example at 1 s (inet ->
// mx -> store), alan on lab1 writes to grace@example.org at 1.5 s (lab1 -> outbound ->
// inet). At 3 s a spammer actor (engine/sim/actors/) on bulk.example.net tries to relay
// through mx.campus.example to victim.example.com, plainly and with the %, ! and quoted-@
// tricks: each RCPT gets Postfix's 554 5.7.1 Relay access denied and a "NOQUEUE: reject:"
// line in mx's maillog. Files are under hosts/<dir>/.

import type { ScenarioDefinition } from '../../engine/sim/scenario.ts';
import { addressRecords, mailHost } from '../../engine/sim/scenario-hosts.ts';

const MX = { preference: 10, exchange: 'mx.campus.example' };

const HOSTS = [
  mailHost('mx.campus.example', '192.0.2.25', { directory: 'mx', users: ['sam'] }),
  mailHost('store.campus.example', '10.20.0.5', { directory: 'store', users: ['ada', 'emmy', 'sam'] }),
  mailHost('outbound.campus.example', '192.0.2.26', { directory: 'outbound', users: ['sam'] }),
  mailHost('lab1.cs.campus.example', '10.20.10.11', { directory: 'lab1', users: ['alan'] }),
  mailHost('lab2.math.campus.example', '10.20.10.12', { directory: 'lab2', users: ['kurt'] }),
  mailHost('inet.example.org', '198.51.100.25', { directory: 'inet', users: ['grace'] }),
  mailHost('bulk.example.net', '203.0.113.66', { directory: 'spammer', users: ['mallory'] }),
];

export const campus: ScenarioDefinition = {
  id: 'campus',
  title: 'A campus with inbound and outbound gateways',
  description: 'Mail for cs.campus.example and math.campus.example arrives at the MX gateway '
    + 'mx.campus.example, which relays it to the internal store store.campus.example; the lab '
    + 'machines send through outbound.campus.example. Follow grace@example.org\'s message to '
    + 'ada@cs.campus.example through inet, mx and store, and alan\'s reply out through outbound.',
  seed: 7,
  hosts: HOSTS,
  dns: {
    records: {
      'campus.example': { mx: [MX] },
      'cs.campus.example': { mx: [MX] },
      'math.campus.example': { mx: [MX] },
      'example.org': { mx: [{ preference: 10, exchange: 'inet.example.org' }] },
      ...addressRecords(HOSTS),
    },
  },
  actions: [
    {
      atMs: 1_000,
      host: 'inet.example.org',
      user: 'grace',
      argv: ['sendmail', '-t'],
      stdin: 'From: Grace Hopper <grace@example.org>\n'
        + 'To: Ada Lovelace <ada@cs.campus.example>\n'
        + 'Subject: Compilers\n'
        + '\n'
        + 'Ada, could your students try our new compiler?\n'
        + '\n'
        + 'Grace\n',
    },
    {
      atMs: 1_500,
      host: 'lab1.cs.campus.example',
      user: 'alan',
      argv: ['sendmail', '-t'],
      stdin: 'From: Alan Turing <alan@lab1.cs.campus.example>\n'
        + 'To: Grace Hopper <grace@example.org>\n'
        + 'Subject: Lab report\n'
        + '\n'
        + 'Grace, the lab machines are up again.\n'
        + '\n'
        + 'Alan\n',
    },
  ],
  actors: [
    {
      kind: 'spammer',
      name: 'relay-prober',
      atMs: 3_000,
      from: 'bulk.example.net',
      to: 'mx.campus.example',
      relayTo: 'victim.example.com',
      serverDomain: 'cs.campus.example',
      helo: 'bulk.example.net',
      sender: 'offers@bulk.example.net',
    },
  ],
};
