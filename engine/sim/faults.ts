// Faults of a simulated world (issue 5, DESIGN.md section 5): a link between two hosts (or
// two groups of hosts: networks) going down and up, latency on a link, a DNS name failing
// (SERVFAIL, NXDOMAIN, timeout) or answering again, a host's disk budget (disk full, as
// SimFileSystem.faults.setBytesMax), and a host crash and restart (faults-crash.ts). Each
// takes effect at once through WorldFaults, or at a virtual time from the scenario's data
// (`faults: [{ atMs, kind, ... }]`), and emits one 'sim.fault' trace event saying what
// happened. A remote that answers 4xx/5xx is an actor (engine/sim/actors/responder.ts).
// Called by engine/sim/world.ts (scheduleFaults at boot, World.faults) and tests. Trusts the
// scenario; a fault naming a host or address the world lacks is refused with an Error.

import type { TraceSink } from '../global/trace.ts';
import type { SimFaultKind } from '../global/trace-sim.ts';
import { createSimFileSystem, type SimDnsFailure, type SimFileSystem, type SimZone } from '../platform/sim/index.ts';
import { runAs } from './actions.ts';
import { armHost, crashHost, rebootHost, type HostLife } from './faults-crash.ts';
import type { LoadedHost, LoadedScenario } from './scenario.ts';

/** Faults one scenario may script. */
export const SCENARIO_FAULTS_MAX = 10_000;

/** One side of a link: a host name or one of its addresses, or several (a network). */
export type LinkSide = string | readonly string[];

/** A fault as scenario data; atMs counts from the world's boot. */
export type FaultSpec =
  /** New connections across the link time out (smtp: "Connection timed out"); bytes in
   *  flight are held until it comes up again. */
  | { atMs: number; kind: 'link-down' | 'link-up'; between: readonly [LinkSide, LinkSide] }
  | { atMs: number; kind: 'latency'; between: readonly [LinkSide, LinkSide]; latencyMs: number }
  /** A name fails as `failure` says; 'ok' takes the failure away. */
  | { atMs: number; kind: 'dns'; name: string; failure: SimDnsFailure | 'ok' }
  /** The host's disk holds usedBytes + freeBytes from now on (freeBytes 0: full);
   *  freeBytes undefined lifts the limit. */
  | { atMs: number; kind: 'disk'; host: string; freeBytes?: number }
  | { atMs: number; kind: 'crash' | 'restart'; host: string };

/** What `postfix start` said on a restarted host. */
export interface RestartReport {
  host: string;
  exitCode: number | undefined;
  output: string;
}

export interface WorldFaults {
  linkDown(one: LinkSide, other: LinkSide): void;
  linkUp(one: LinkSide, other: LinkSide): void;
  latency(one: LinkSide, other: LinkSide, latencyMs: number): void;
  dns(name: string, failure: SimDnsFailure | 'ok'): void;
  /** The disk keeps freeBytes more than it holds now; undefined: no limit. */
  disk(host: string, freeBytes: number | undefined): void;
  /** Power off: memory lost, unsynced writes lost; returns the files the disk dropped. */
  crash(host: string): Promise<string[]>;
  /** Power on: a fresh machine on the same disk runs `postfix start`. */
  restart(host: string): Promise<RestartReport>;
  /** Applies one fault now (its atMs is ignored). */
  apply(fault: FaultSpec): Promise<void>;
  /** Whether the host is up (not crashed). */
  isUp(host: string): boolean;
}

export interface FaultHooks {
  /** Called with the new Host after a restart (the world's actions then run on it). */
  onRestart?(entry: LoadedHost, report: RestartReport): void;
}

/** Arms every host (faults-crash.ts) and returns the world's fault controls. Call before
 *  any host starts, so that a crash can end everything its first boot begins. */
export function createWorldFaults(loaded: LoadedScenario, zone: SimZone, hooks: FaultHooks = {}): WorldFaults {
  const lives = new Map<string, HostLife>();
  for (const entry of loaded.hosts) {
    // The scenario's files are the installed system: durable, as on a machine that was
    // installed and rebooted (a crash must not take main.cf with it).
    const disk = entry.platform.fs;
    (entry.platform as { fs: SimFileSystem }).fs = createSimFileSystem({
      volume: disk.volume, clock: loaded.scheduler,
      ...(disk.faults.bytesMax === undefined ? {} : { diskBytesMax: disk.faults.bytesMax }),
    });
    lives.set(entry.name, armHost(entry.platform, loaded.scheduler, 0));
  }
  const trace: TraceSink = loaded.trace;
  const emit = (fault: SimFaultKind, text: string, host = 'world', lost?: string[]): void => {
    trace.emit({ kind: 'sim.fault', fault, text, host, service: 'sim', pid: 0, ...(lost === undefined ? {} : { lost }) });
  };
  const entryOf = (name: string): LoadedHost => {
    const entry = loaded.hosts.find((candidate) => candidate.name === name || candidate.addresses.includes(name));
    if (entry === undefined) throw new Error(`fault: no host ${name} in scenario ${loaded.scenario.id}`);
    return entry;
  };
  /** Host names on one side: names or addresses (a pseudo host of an actor counts too). */
  const hostsOf = (side: LinkSide): string[] => (typeof side === 'string' ? [side] : [...side]).map((name) => {
    const owner = loaded.network.ownerOf(name);
    if (owner !== undefined) return owner;
    if (loaded.hosts.some((entry) => entry.name === name)) return name;
    throw new Error(`fault: no host or address ${name} in scenario ${loaded.scenario.id}`);
  });
  const sideText = (side: LinkSide): string => (typeof side === 'string' ? side : `{${side.join(', ')}}`);
  const eachPair = (one: LinkSide, other: LinkSide, act: (a: string, b: string) => void): void => {
    for (const a of hostsOf(one)) for (const b of hostsOf(other)) if (a !== b) act(a, b);
  };

  const faults: WorldFaults = {
    linkDown(one, other) {
      eachPair(one, other, (a, b) => loaded.network.setLinkUp(a, b, false));
      emit('link-down', `link ${sideText(one)} - ${sideText(other)} down`);
    },
    linkUp(one, other) {
      eachPair(one, other, (a, b) => loaded.network.setLinkUp(a, b, true));
      emit('link-up', `link ${sideText(one)} - ${sideText(other)} up`);
    },
    latency(one, other, latencyMs) {
      eachPair(one, other, (a, b) => loaded.network.setLatency(a, b, Math.max(0, latencyMs)));
      emit('latency', `link ${sideText(one)} - ${sideText(other)} latency ${Math.max(0, latencyMs)} ms`);
    },
    dns(name, failure) {
      const failures = zone.failures ?? (zone.failures = {});
      if (failure === 'ok') delete failures[name];
      else failures[name] = failure;
      emit('dns', failure === 'ok' ? `DNS ${name} answers again` : `DNS ${name} fails with ${failure}`);
    },
    disk(host, freeBytes) {
      const entry = entryOf(host);
      const disk = entry.platform.fs.faults;
      if (freeBytes === undefined) disk.setBytesMax(undefined);
      else disk.setBytesMax(disk.usedBytes() + Math.max(0, freeBytes));
      emit('disk', freeBytes === undefined ? `disk of ${entry.name} without limit`
        : `disk of ${entry.name} limited to ${disk.bytesMax} bytes (${Math.max(0, freeBytes)} free)`, entry.name);
    },
    async crash(host) {
      const entry = entryOf(host);
      const life = lives.get(entry.name)!;
      if (!life.alive) return [];
      const lost = await crashHost(entry, life);
      emit('crash', `host ${entry.name} crashed (${lost.length} unsynced file${lost.length === 1 ? '' : 's'} lost)`, entry.name, lost);
      return lost;
    },
    async restart(host) {
      const entry = entryOf(host);
      const previous = lives.get(entry.name)!;
      if (previous.alive) await faults.crash(entry.name);
      const { host: fresh, life } = rebootHost(loaded, entry, previous);
      lives.set(entry.name, life);
      emit('restart', `host ${entry.name} boots again (boot ${life.generation})`, entry.name);
      const definition = loaded.scenario.hosts.find((candidate) => candidate.name === entry.name);
      const started = definition?.startPostfix === true && definition.mta !== false;
      const result = started ? await runAs(fresh, 'root', ['postfix', 'start']) : { exitCode: 0, output: '' };
      const report: RestartReport = { host: entry.name, ...result };
      hooks.onRestart?.(entry, report);
      return report;
    },
    async apply(fault) {
      switch (fault.kind) {
        case 'link-down': return faults.linkDown(...fault.between);
        case 'link-up': return faults.linkUp(...fault.between);
        case 'latency': return faults.latency(fault.between[0], fault.between[1], fault.latencyMs);
        case 'dns': return faults.dns(fault.name, fault.failure);
        case 'disk': return faults.disk(fault.host, fault.freeBytes);
        case 'crash': return void await faults.crash(fault.host);
        case 'restart': return void await faults.restart(fault.host);
      }
    },
    isUp: (host) => lives.get(entryOf(host).name)?.alive === true,
  };
  return faults;
}

/** Schedules each fault at bootMs + atMs; a fault that fails is reported as a diagnostic
 *  trace event (never an exception out of the scheduler). */
export function scheduleFaults(specs: readonly FaultSpec[], faults: WorldFaults, loaded: LoadedScenario): void {
  if (specs.length > SCENARIO_FAULTS_MAX) throw new Error(`more than ${SCENARIO_FAULTS_MAX} scenario faults`);
  const bootMs = loaded.bootMs;
  for (const spec of specs) {
    loaded.scheduler.at(bootMs + Math.max(0, spec.atMs), () => {
      void faults.apply(spec).catch((error: unknown) => {
        loaded.trace.emit({ kind: 'diagnostic', severity: 'warning', text: `fault ${spec.kind}: ${String(error)}`, host: 'world', service: 'sim', pid: 0 });
      });
    }, `fault ${spec.kind}`);
  }
}
