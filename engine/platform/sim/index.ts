// createSimPlatform: one simulated host's Platform. Its file system is a memfs volume of its
// own; its clock and timers read the world's Scheduler; its network attaches to the world's
// SimNetwork; its resolver answers from the world's zone; its random stream is forked from
// the seed by host name. Called by the World (engine/sim) and by tests. Trusts its options.

import type { Network, Platform, PlatformErrorCode, Random, Resolver } from '../types.ts';
import { PlatformError } from '../types.ts';
import { createTraceSink, type TraceSink } from '../../global/trace.ts';
import { createSimFileSystem, type SimFileSystem } from './fs.ts';
import { Scheduler } from './scheduler.ts';
import { createSeededRandom } from './random.ts';

export { Scheduler } from './scheduler.ts';
export { createSimFileSystem, createVolume, type SimFileSystem } from './fs.ts';
export { createSeededRandom } from './random.ts';

export interface SimPlatformOptions {
  hostName: string;
  seed: number;
  /** The world's scheduler; a fresh one when the host stands alone. */
  scheduler?: Scheduler;
  network?: Network;
  dns?: Resolver;
  trace?: TraceSink;
  /** A byte budget for the host's disk (ENOSPC past it). */
  diskBytesMax?: number;
}

export interface SimPlatform extends Platform {
  readonly kind: 'sim';
  readonly fs: SimFileSystem;
  readonly scheduler: Scheduler;
  readonly hostName: string;
}

function unavailable(code: PlatformErrorCode, syscall: string): () => Promise<never> {
  return () => Promise.reject(new PlatformError(code, syscall, undefined, 'no simulated network attached'));
}

export function createSimPlatform(options: SimPlatformOptions): SimPlatform {
  const scheduler = options.scheduler ?? new Scheduler();
  const random: Random = createSeededRandom(options.seed).fork(`host:${options.hostName}`);
  return {
    kind: 'sim',
    hostName: options.hostName,
    scheduler,
    clock: { nowMs: () => scheduler.nowMs() },
    timers: { after: (delayMs, fn) => scheduler.after(delayMs, fn) },
    fs: createSimFileSystem({ diskBytesMax: options.diskBytesMax }),
    net: options.network ?? { listen: unavailable('EADDRNOTAVAIL', 'bind'), connect: unavailable('ENETUNREACH', 'connect') },
    dns: options.dns ?? {
      mx: unavailable('SERVFAIL', 'query'), a: unavailable('SERVFAIL', 'query'), aaaa: unavailable('SERVFAIL', 'query'),
      ptr: unavailable('SERVFAIL', 'query'), txt: unavailable('SERVFAIL', 'query'),
    },
    random,
    trace: options.trace ?? createTraceSink(scheduler),
  };
}
