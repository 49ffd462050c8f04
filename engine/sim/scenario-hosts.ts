// The scaffolding every mail host of a scenario shares (scenarios/*/scenario.ts): a Debian
// host with Postfix started at boot, its files under hosts/<directory>/, and the empty
// directories a file tree in git cannot carry -- /root, one home per user (uids from 1001
// in order), /tmp, /var/log, Postfix's data and spool directories and /var/mail -- plus
// any the scenario adds; and the DNS records that name a host (A) and its address (PTR).
// Called by the scenario definitions; pure data, no I/O. Trusts its arguments.

import type { ScenarioDirectory, ScenarioHostDefinition } from './scenario.ts';
import type { SimZone } from '../platform/sim/index.ts';

/** The first uid (and gid) of a mail host's users, as Debian's adduser gives them. */
export const FIRST_USER_ID = 1001;

export interface MailHostOptions {
  /** The directory under hosts/ that holds the host's files. */
  directory: string;
  /** Login users, each with a home directory owned by them (uid FIRST_USER_ID + index). */
  users?: readonly string[];
  /** More directories, after the standard ones. */
  directories?: readonly ScenarioDirectory[];
}

/** A mail host: `name` on `address`, Postfix started at boot. */
export function mailHost(name: string, address: string, options: MailHostOptions): ScenarioHostDefinition {
  const users = options.users ?? [];
  return {
    name,
    addresses: [address],
    directory: `hosts/${options.directory}`,
    startPostfix: true,
    directories: [
      { path: '/root', mode: 0o700 },
      ...users.map((user, index) => ({ path: `/home/${user}`, mode: 0o755, uid: FIRST_USER_ID + index, gid: FIRST_USER_ID + index })),
      { path: '/tmp', mode: 0o1777 },
      { path: '/var/log', mode: 0o755 },
      { path: '/var/lib/postfix', mode: 0o700, uid: 101, gid: 103 },
      { path: '/var/spool/postfix', mode: 0o755 },
      { path: '/var/mail', mode: 0o2775, gid: 8 },
      ...(options.directories ?? []),
    ],
  };
}

type ZoneRecords = SimZone['records'];

/** An A record for each host's name and a PTR record for its address (the host's first
 *  address), hosts first, then addresses, in the hosts' order. */
export function addressRecords(hosts: readonly ScenarioHostDefinition[]): ZoneRecords {
  const records: ZoneRecords = {};
  for (const host of hosts) records[host.name] = { a: [...host.addresses] };
  for (const host of hosts) {
    const address = host.addresses[0];
    if (address !== undefined) records[address] = { ptr: [host.name] };
  }
  return records;
}
