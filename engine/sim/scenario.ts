// Scenarios: reusable simulated worlds (CONVENTIONS.md rule 13). A scenario names its hosts
// (name, addresses, the directory under scenarios/<id>/ that holds each host's files, and the
// empty directories and owners a file tree in git cannot carry), its DNS zone and its seed.
// createScenarioHosts builds each host on one shared scheduler, network, zone and trace sink
// (engine/platform/sim) and writes the scenario's file texts into the host's memfs volume.
// Called by the UI's engine worker, by engine/cli and by tests. The file texts arrive as a
// map of path (relative to scenarios/<id>/) to text, so that the browser (Vite's
// import.meta.glob with ?raw) and Node (scenarios/load-from-disk.ts) load the same way.
// Trusts the scenario definition; a file path that climbs out of its host is refused.

import { createHost, type Host } from '../global/host.ts';
import { createTraceSink, type TraceSink } from '../global/trace.ts';
import {
  createSimPlatform, Scheduler, SimNetwork, type SimFileSystem, type SimPlatform, type SimZone,
} from '../platform/sim/index.ts';
import { scenarios } from '../../scenarios/index.ts';
import type { FaultSpec } from './faults.ts';
import type { ActorSpec } from './actors/types.ts';

export interface ScenarioDirectory {
  path: string;
  /** Permission bits, e.g. 0o1777 for /tmp; 0o755 by default. */
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface ScenarioFileOwner {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface ScenarioHostDefinition {
  /** The fully qualified host name, as hostname(1) prints it. */
  name: string;
  /** Addresses on the simulated network besides loopback. */
  addresses: string[];
  /** Where this host's files live, relative to the scenario directory: "hosts/mail". */
  directory: string;
  /** Directories to create (empty ones, or ones that need an owner or mode). */
  directories?: ScenarioDirectory[];
  /** Modes and owners of particular files, by absolute path; files are 0644 root otherwise. */
  files?: Record<string, ScenarioFileOwner>;
  /** Run `postfix start` when the world boots (engine/sim/world.ts), as the host's init
   *  system would. */
  startPostfix?: boolean;
  /** false for an "outside" machine (a client on the Internet, a user's laptop): no Postfix
   *  installed, so it never starts and its shell has no Postfix commands -- only a terminal
   *  with telnet, nc, dig, host, ping. A mail host by default. */
  mta?: boolean;
}

export interface ScenarioDefinition {
  /** The directory name under scenarios/. */
  id: string;
  title: string;
  /** One or two sentences for the page header and `mtalab sim`. */
  description: string;
  seed: number;
  hosts: ScenarioHostDefinition[];
  dns?: SimZone;
  /** Scripted actions the world runs once booted (engine/sim/actions.ts): a user typing a
   *  command at a given virtual time, e.g. alice running sendmail one second in. */
  actions?: ScenarioAction[];
  /** Faults at virtual times after boot (engine/sim/faults.ts): link down/up, latency, DNS
   *  failures, disk full, host crash and restart. */
  faults?: FaultSpec[];
  /** Scripted actors (engine/sim/actors/): SMTP clients, spammers, scripted remote servers. */
  actors?: ActorSpec[];
  /** What the scenario's mail is meant to come to, where that is not simply "sent": a
   *  bounce, a deferral before a delivery. Every delivery a run logs that no outcome names
   *  must be "sent"; test/sim/determinism checks both. */
  outcomes?: ScenarioOutcome[];
  /** A plain run (World.runUntilQuiet: `mtalab sim`, the determinism test) lasts at least
   *  this long after boot before a quiet spell may end it: for an outcome that comes after
   *  one, such as a queued message retried once a scripted fault is over. */
  runMs?: number;
}

/** The delivery attempts one host logs for one recipient, in order, e.g. the backup MX's
 *  ['deferred', 'sent'] for a message it queues while the primary is down. */
export interface ScenarioOutcome {
  /** What happens, in a sentence: shown by the tests when the outcome differs. */
  story: string;
  /** The host that logs the attempts (its delivery.status trace events). */
  host: string;
  recipient: string;
  /** The status of each attempt, in order: 'sent', 'deferred', 'bounced'... */
  statuses: string[];
}

/** One command run on a host at a virtual time after boot, as `user`, with `stdin` as its
 *  input; the command's exit shows in the trace as a 'command.exit' event. */
export interface ScenarioAction {
  /** Milliseconds after the world has booted. */
  atMs: number;
  /** The host's name, as in hosts[].name. */
  host: string;
  /** Login name the command runs as (USER, LOGNAME, HOME); root by default. */
  user?: string;
  argv: string[];
  stdin?: string;
}

/** Paths (relative to scenarios/<id>/) to file text. */
export type ScenarioTexts = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface LoadedHost {
  name: string;
  host: Host;
  platform: SimPlatform;
  addresses: readonly string[];
}

export interface LoadedScenario {
  scenario: ScenarioDefinition;
  /** The seed the hosts were made with: LoadOptions.seed or the scenario's own. */
  seed: number;
  /** The virtual time the world started at (the scheduler's clock when it was made). */
  bootMs: number;
  title: string;
  description: string;
  scheduler: Scheduler;
  network: SimNetwork;
  trace: TraceSink;
  hosts: LoadedHost[];
}

export interface LoadOptions {
  /** Replaces the scenario's own seed. */
  seed?: number;
  /** Awaited after each scheduler event (SchedulerOptions.settle): the browser worker and
   *  Node tests pass a real macrotask turn, so that the promise chains an event starts
   *  finish at that event's virtual time. */
  settle?: () => Promise<void>;
}

/** Files one host may receive from a scenario. */
export const SCENARIO_FILES_MAX = 1000;

/** The scenario definitions shipped in scenarios/, by id. */
export function scenarioDefinition(id: string): ScenarioDefinition | undefined {
  return Object.hasOwn(scenarios, id) ? scenarios[id] : undefined;
}

export function scenarioIds(): string[] {
  return Object.keys(scenarios).sort();
}

export async function createScenarioHosts(
  scenarioOrId: ScenarioDefinition | string, texts: ScenarioTexts, options: LoadOptions = {},
): Promise<LoadedScenario> {
  const definition = typeof scenarioOrId === 'string' ? scenarioDefinition(scenarioOrId) : scenarioOrId;
  if (definition === undefined) throw new Error(`no scenario named ${String(scenarioOrId)}`);
  // Each world gets its own zone: faults and tests edit it (World.zone), and a definition
  // is shared by every world made from it in one process.
  const scenario: ScenarioDefinition = { ...definition, dns: structuredClone(definition.dns ?? { records: {} }) };
  const scheduler = new Scheduler(options.settle === undefined ? {} : { settle: options.settle });
  const bootMs = scheduler.nowMs();
  const network = new SimNetwork(scheduler);
  const trace = createTraceSink(scheduler);
  const dns: SimZone = scenario.dns ?? { records: {} };
  const entries = texts instanceof Map ? [...texts] : Object.entries(texts);
  const hosts: LoadedHost[] = [];
  for (const definition of scenario.hosts) {
    const platform = createSimPlatform({
      hostName: definition.name, seed: options.seed ?? scenario.seed, scheduler, network,
      addresses: definition.addresses, dns, trace,
    });
    const host = createHost({ name: definition.name, platform });
    await populateHost(platform, definition, hostFiles(definition, entries));
    hosts.push({ name: definition.name, host, platform, addresses: definition.addresses });
  }
  return {
    scenario, seed: options.seed ?? scenario.seed, bootMs, title: scenario.title, description: scenario.description,
    scheduler, network, trace, hosts,
  };
}

/** The texts under the host's directory, keyed by absolute path on the host. */
function hostFiles(definition: ScenarioHostDefinition, entries: Array<[string, string]>): Map<string, string> {
  const prefix = `${definition.directory.replace(/\/+$/, '')}/`;
  const files = new Map<string, string>();
  for (const [relative, text] of entries) {
    const path = relative.replace(/^\.\//, '');
    if (!path.startsWith(prefix)) continue;
    const inside = path.slice(prefix.length);
    if (inside.split('/').some((part) => part === '..' || part === '')) {
      throw new Error(`scenario file ${relative}: path leaves the host directory`);
    }
    if (files.size >= SCENARIO_FILES_MAX) throw new Error(`scenario host ${definition.name}: more than ${SCENARIO_FILES_MAX} files`);
    files.set(`/${inside}`, text);
  }
  return files;
}

async function populateHost(platform: SimPlatform, definition: ScenarioHostDefinition, files: Map<string, string>): Promise<void> {
  const fs = platform.fs;
  const touched: string[] = [];
  for (const directory of definition.directories ?? []) {
    await fs.mkdir(directory.path, { recursive: true, mode: 0o755 });
    await fs.chmod(directory.path, directory.mode ?? 0o755);
    chown(fs, directory.path, directory.uid, directory.gid);
    touched.push(directory.path);
  }
  for (const [path, text] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    await fs.mkdir(parent, { recursive: true, mode: 0o755 });
    const owner = definition.files?.[path];
    await fs.writeFile(path, text, { mode: owner?.mode ?? 0o644 });
    await fs.chmod(path, owner?.mode ?? 0o644);
    chown(fs, path, owner?.uid, owner?.gid);
    touched.push(path, parent);
  }
  // memfs stamps the wall clock; show the world's virtual time instead (never decided on).
  const nowMs = platform.clock.nowMs();
  for (const path of withAncestors(touched)) await fs.utimes(path, nowMs, nowMs);
}

/** The paths and every directory above them, "/" included, each once. */
function withAncestors(paths: readonly string[]): Set<string> {
  const all = new Set<string>(['/']);
  for (const path of paths) {
    for (let current = path; current !== '/' && current !== '' && !all.has(current);
      current = current.slice(0, current.lastIndexOf('/')) || '/') {
      all.add(current);
    }
  }
  return all;
}

/** Owners are set on the memfs volume itself: the Platform's FileSystem has no chown,
 *  because nothing in the engine changes owners. */
function chown(fs: SimFileSystem, path: string, uid: number | undefined, gid: number | undefined): void {
  if (uid === undefined && gid === undefined) return;
  fs.volume.chownSync(path, uid ?? 0, gid ?? 0);
}
