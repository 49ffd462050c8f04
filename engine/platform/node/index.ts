// createNodePlatform: the Platform for real mode on a machine: real clock and timers,
// node:fs/promises with real fsync, node:net/node:tls sockets, node:dns with an optional
// override table, and a Random seeded from node:crypto (or a fixed seed for tests). Called by
// the CLI (engine/cli) and by live hosts. Trusts the operating system.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Platform, Random } from '../types.ts';
import { createTraceSink, type TraceSink } from '../../global/trace.ts';
import type { SimZone } from '../sim/resolver.ts';
import { createNodeFileSystem } from './fs.ts';
import { createNodeNetwork } from './net.ts';
import { createNodeResolver } from './dns.ts';
import { createSeededRandom } from '../sim/random.ts';

export { createNodeFileSystem } from './fs.ts';
export { createNodeNetwork } from './net.ts';
export { createNodeResolver, type NodeResolverOptions } from './dns.ts';

export interface NodePlatformOptions {
  /** Static DNS answers consulted before real DNS (same shape as a sim zone). */
  dnsOverrides?: SimZone;
  /** Answer DNS only from dnsOverrides. */
  dnsOffline?: boolean;
  trace?: TraceSink;
  /** A fixed seed makes Random repeatable (tests); by default it is seeded from the OS. */
  seed?: number;
  /** The name used in trace events; the machine's host name by default. */
  hostName?: string;
}

export interface NodePlatform extends Platform {
  readonly kind: 'node';
}

function osSeed(): number {
  return randomBytes(4).readUInt32BE(0);
}

export function createNodePlatform(options: NodePlatformOptions = {}): NodePlatform {
  const clock = { nowMs: () => Date.now() };
  const trace = options.trace ?? createTraceSink(clock);
  const random: Random = createSeededRandom(options.seed ?? osSeed());
  return {
    kind: 'node',
    clock,
    timers: {
      after(delayMs, fn) {
        const timer = setTimeout(fn, Math.max(0, delayMs));
        return () => clearTimeout(timer);
      },
    },
    fs: createNodeFileSystem(),
    net: createNodeNetwork(trace, options.hostName ?? hostname()),
    dns: createNodeResolver({ overrides: options.dnsOverrides, offline: options.dnsOffline }),
    random,
    trace,
  };
}
