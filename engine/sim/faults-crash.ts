// Host crash and restart in a running World. At boot every host's platform is wrapped in a
// "life" (armHost): its timers, trace, listeners and connections belong to that boot, so
// that a crash can end all of them at once, as power going off ends every process of a
// machine: timers of the dead boot never fire, its late trace events are dropped, its
// listeners close and its connections are reset, and its disk keeps only what was synced
// (SimFileSystem.faults: unsynced content reverts, then the old file system answers EIO).
// A restart boots a fresh machine on the same volume -- a new platform and Host (new pid
// range, a random stream of its own), `postfix start` as the init system runs it -- exactly
// as test/crash/crash-host.ts does with a scheduler per boot, here on the world's shared
// scheduler and network. Called by engine/sim/faults.ts and engine/sim/world.ts. Trusts the
// loaded scenario; models nothing in Postfix (a machine's power switch).

import { createHost, type Host } from '../global/host.ts';
import type { TraceSink } from '../global/trace.ts';
import { PlatformError, type Connection, type Listener, type Network } from '../platform/types.ts';
import { createSimPlatform, type Scheduler, type SimPlatform } from '../platform/sim/index.ts';
import type { LoadedHost, LoadedScenario } from './scenario.ts';

/** One boot of one host: what dies with it. */
export interface HostLife {
  alive: boolean;
  /** Which boot of the host this is (0: the world's first). */
  readonly generation: number;
  readonly listeners: Set<Listener>;
  readonly connections: Set<Connection>;
}

/** Wraps the platform's timers, trace and network so that they belong to one life. Events
 *  keep their order and labels: an armed world runs exactly as an unarmed one. */
export function armHost(platform: SimPlatform, scheduler: Scheduler, generation: number): HostLife {
  const life: HostLife = { alive: true, generation, listeners: new Set(), connections: new Set() };
  platform.timers = { after: (delayMs, fn) => scheduler.after(delayMs, () => { if (life.alive) fn(); }) };
  platform.trace = gatedTrace(platform.trace, life, scheduler);
  platform.net = gatedNetwork(platform.net, life);
  return life;
}

function gatedTrace(sink: TraceSink, life: HostLife, scheduler: Scheduler): TraceSink {
  return {
    // A dead process's event goes nowhere; the caller gets a stamped copy it can ignore.
    emit: (input) => (life.alive ? sink.emit(input) : { ...input, seq: 0, atMs: scheduler.nowMs() } as ReturnType<TraceSink['emit']>),
    subscribe: (listener) => sink.subscribe(listener),
  };
}

/** Tracks a connection while it is open (its onClose forgets it). */
function track(life: HostLife, connection: Connection): Connection {
  life.connections.add(connection);
  const onClose = connection.onClose.bind(connection);
  connection.onClose = (handler) => onClose((error) => {
    life.connections.delete(connection);
    handler(error);
  });
  return connection;
}

function gatedNetwork(net: Network, life: HostLife): Network {
  return {
    listen: async (address, port, onConnection) => {
      if (!life.alive) throw new PlatformError('EIO', 'bind', `${address}:${port}`);
      const listener = await net.listen(address, port, (connection) => {
        if (!life.alive) return void connection.destroy();
        onConnection(track(life, connection));
      });
      const wrapped: Listener = {
        address: listener.address, port: listener.port,
        close: () => { life.listeners.delete(wrapped); return listener.close(); },
      };
      life.listeners.add(wrapped);
      return wrapped;
    },
    connect: async (address, port, options) => {
      if (!life.alive) throw new PlatformError('ECONNRESET', 'connect', `${address}:${port}`);
      const connection = await net.connect(address, port, options);
      if (!life.alive) {
        connection.destroy();
        throw new PlatformError('ECONNRESET', 'connect', `${address}:${port}`);
      }
      return track(life, connection);
    },
  };
}

/** Ends a life as a power cut does; returns the unsynced files the disk threw away. */
export async function crashHost(entry: LoadedHost, life: HostLife): Promise<string[]> {
  if (!life.alive) return [];
  life.alive = false;
  const lost = entry.platform.fs.faults.unsyncedPaths();
  entry.platform.fs.faults.crashAfterOperations(0);
  for (const connection of [...life.connections]) connection.destroy();
  life.connections.clear();
  for (const listener of [...life.listeners]) await listener.close();
  life.listeners.clear();
  return lost;
}

/** A fresh machine on the crashed host's volume: replaces entry.platform and entry.host
 *  (the World reads them through the entry) and arms the new life. Postfix is not started
 *  here: the caller runs `postfix start` as the init system would. */
export function rebootHost(loaded: LoadedScenario, entry: LoadedHost, previous: HostLife): { host: Host; life: HostLife } {
  const generation = previous.generation + 1;
  const old = entry.platform;
  const platform = createSimPlatform({
    hostName: entry.name, seed: loaded.seed + generation, scheduler: loaded.scheduler, network: loaded.network,
    addresses: [...entry.addresses], dns: loaded.scenario.dns ?? { records: {} }, trace: loaded.trace,
    volume: old.fs.volume, ...(old.fs.faults.bytesMax === undefined ? {} : { diskBytesMax: old.fs.faults.bytesMax }),
  });
  const life = armHost(platform, loaded.scheduler, generation);
  const host = createHost({ name: entry.name, platform, defaultConfigDirectory: entry.host.defaultConfigDirectory, firstPid: entry.host.nextPid() });
  entry.platform = platform;
  entry.host = host;
  return { host, life };
}
