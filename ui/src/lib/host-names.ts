// Short names for a scenario's hosts, for the host tabs and the event list: each host's
// first label ("mx" for mx.campus.example) when those are distinct across the scenario, else
// the whole name. Called by HostTabs.svelte and EventList.svelte.

import type { HostSummary } from '../worker/protocol.ts';

export function shortHostNames(hosts: readonly HostSummary[]): Map<string, string> {
  const firsts = hosts.map((host) => host.name.split('.')[0] || host.name);
  const distinct = new Set(firsts).size === firsts.length;
  const names = new Map<string, string>();
  hosts.forEach((host, index) => names.set(host.id, distinct ? (firsts[index] ?? host.name) : host.name));
  return names;
}
