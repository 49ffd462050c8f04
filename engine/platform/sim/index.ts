// createSimPlatform: one simulated host's Platform. Its file system is a memfs volume of its
// own; its clock and timers read the world's Scheduler; its network attaches to the world's
// SimNetwork; its resolver answers from the world's zone; its random stream is forked from
// the seed by host name. Called by the World (engine/sim) and by tests. Trusts its options.

import type { Volume } from 'memfs';
import type { Platform, Random, Resolver } from '../types.ts';
import { createTraceSink, type TraceSink } from '../../global/trace.ts';
import { createSimFileSystem, type SimFileSystem } from './fs.ts';
import { Scheduler } from './scheduler.ts';
import { createSeededRandom } from './random.ts';
import { SimNetwork } from './network.ts';
import { createSimResolver, type SimResolverOptions, type SimZone } from './resolver.ts';

export { Scheduler, type RunResult, type RunOptions, type SchedulerOptions } from './scheduler.ts';
export { createSimFileSystem, createVolume, type SimFileSystem } from './fs.ts';
export { createSeededRandom } from './random.ts';
export { SimNetwork, isLoopback, type SimNetworkOptions } from './network.ts';
export { SimConnection, simulatedTls } from './connection.ts';
export { createSimResolver, reverseName, type SimZone, type SimDnsRecords, type SimDnsFailure } from './resolver.ts';
export type { DiskFaults } from './durability.ts';

export interface SimPlatformOptions {
  hostName: string;
  seed: number;
  /** The world's scheduler; a fresh one when the host stands alone. */
  scheduler?: Scheduler;
  /** The world's network; a private one (loopback only) when the host stands alone. */
  network?: SimNetwork;
  /** Addresses this host owns on the network, besides loopback. */
  addresses?: string[];
  /** The world's zone (read live at every query), or a ready Resolver. Empty by default. */
  dns?: SimZone | Resolver;
  dnsOptions?: SimResolverOptions;
  trace?: TraceSink;
  /** A byte budget for the host's disk (ENOSPC past it). */
  diskBytesMax?: number;
  /** The disk of a host that crashed: a restart wraps the same volume anew (everything on
   *  it counts as durable). A fresh empty volume by default. */
  volume?: Volume;
}

export interface SimPlatform extends Platform {
  readonly kind: 'sim';
  readonly fs: SimFileSystem;
  readonly scheduler: Scheduler;
  readonly network: SimNetwork;
  readonly hostName: string;
}

function isZone(dns: SimZone | Resolver): dns is SimZone {
  return 'records' in dns;
}

export function createSimPlatform(options: SimPlatformOptions): SimPlatform {
  const scheduler = options.scheduler ?? new Scheduler();
  const network = options.network ?? new SimNetwork(scheduler);
  const trace = options.trace ?? createTraceSink(scheduler);
  network.addAddresses(options.hostName, options.addresses ?? []);
  const random: Random = createSeededRandom(options.seed).fork(`host:${options.hostName}`);
  const dns = options.dns ?? { records: {} };
  return {
    kind: 'sim',
    hostName: options.hostName,
    scheduler,
    network,
    clock: { nowMs: () => scheduler.nowMs() },
    timers: { after: (delayMs, fn) => scheduler.after(delayMs, fn) },
    fs: createSimFileSystem({ diskBytesMax: options.diskBytesMax, volume: options.volume, clock: scheduler }),
    net: network.attach(options.hostName, trace),
    dns: isZone(dns) ? createSimResolver(dns, scheduler, options.dnsOptions) : dns,
    random,
    trace,
  };
}
