// The simulated network of a world: which host owns which address, who listens where, and
// the latency and up/down state of each link between two hosts. Each host attaches and gets
// its own Network (Platform.net); connections between them are pairs of SimConnection that
// carry bytes through the world's Scheduler. Loopback (127.0.0.0/8, ::1) stays inside a host.
// Called by createSimPlatform and by the World (faults: link down, latency). Trusts its
// callers to register addresses before using them. Models TCP/IP between Postfix hosts.

import type { ConnectOptions, Connection, Listener, Network } from '../types.ts';
import { PlatformError, quietPlatformError } from '../types.ts';
import type { TraceSink } from '../../global/trace.ts';
import type { Scheduler } from './scheduler.ts';
import { SimConnection, type LinkView } from './connection.ts';

export const defaultLatencyMs = 1;
export const defaultConnectTimeoutMs = 30_000;
/** The ephemeral port range, as Linux's ip_local_port_range. */
export const ephemeralPortFirst = 32_768;
export const ephemeralPortLast = 60_999;

export interface SimNetworkOptions {
  latencyMs?: number;
  connectTimeoutMs?: number;
}

interface ListenerEntry {
  hostName: string;
  address: string;
  port: number;
  onConnection: (connection: Connection) => void;
}

const wildcardAddresses: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost';
}

function linkKey(one: string, other: string): string {
  return one < other ? `${one}\u0000${other}` : `${other}\u0000${one}`;
}

export class SimNetwork {
  private readonly owners = new Map<string, string>();
  private readonly listeners = new Map<string, ListenerEntry>();
  private readonly latencies = new Map<string, number>();
  private readonly downLinks = new Set<string>();
  private readonly liveConnections = new Set<SimConnection>();
  private readonly nextPorts = new Map<string, number>();
  private readonly latencyDefaultMs: number;
  private readonly connectTimeoutMs: number;

  constructor(readonly scheduler: Scheduler, options: SimNetworkOptions = {}) {
    this.latencyDefaultMs = options.latencyMs ?? defaultLatencyMs;
    this.connectTimeoutMs = options.connectTimeoutMs ?? defaultConnectTimeoutMs;
  }

  /** Gives `hostName` these addresses (in addition to loopback). */
  addAddresses(hostName: string, addresses: readonly string[]): void {
    for (const address of addresses) {
      const owner = this.owners.get(address);
      if (owner !== undefined && owner !== hostName) throw new PlatformError('EADDRINUSE', 'ip addr add', address, `address already on ${owner}`);
      this.owners.set(address, hostName);
    }
  }

  ownerOf(address: string): string | undefined { return this.owners.get(address); }

  addressesOf(hostName: string): string[] {
    return [...this.owners].filter(([, owner]) => owner === hostName).map(([address]) => address);
  }

  setLatency(hostOne: string, hostOther: string, latencyMs: number): void {
    this.latencies.set(linkKey(hostOne, hostOther), latencyMs);
  }

  latencyBetween(hostOne: string, hostOther: string): number {
    return this.latencies.get(linkKey(hostOne, hostOther)) ?? this.latencyDefaultMs;
  }

  /** Takes a link down (new connections time out, bytes are held) or brings it back up. */
  setLinkUp(hostOne: string, hostOther: string, up: boolean): void {
    const key = linkKey(hostOne, hostOther);
    if (up) this.downLinks.delete(key);
    else this.downLinks.add(key);
    if (!up) return;
    for (const connection of this.liveConnections) {
      const other = connection.peer.hostName;
      if (linkKey(connection.hostName, other) === key) connection.flushHeld();
    }
  }

  isLinkUp(hostOne: string, hostOther: string): boolean {
    return hostOne === hostOther || !this.downLinks.has(linkKey(hostOne, hostOther));
  }

  /** The Network a host sees; its trace receives the host's TLS events. */
  attach(hostName: string, trace: TraceSink): Network {
    this.traces.set(hostName, trace);
    return {
      listen: (address, port, onConnection) => this.listen(hostName, address, port, onConnection),
      connect: (address, port, options) => this.connect(hostName, trace, address, port, options),
    };
  }

  private readonly traces = new Map<string, TraceSink>();

  private listen(hostName: string, address: string, port: number, onConnection: (connection: Connection) => void): Promise<Listener> {
    if (!wildcardAddresses.has(address) && !isLoopback(address) && this.owners.get(address) !== hostName) {
      return Promise.reject(new PlatformError('EADDRNOTAVAIL', 'bind', `${address}:${port}`));
    }
    const chosenPort = port === 0 ? this.ephemeralPort(hostName) : port;
    const key = `${hostName}|${address}|${chosenPort}`;
    if (this.listeners.has(key)) return Promise.reject(new PlatformError('EADDRINUSE', 'bind', `${address}:${chosenPort}`));
    this.listeners.set(key, { hostName, address, port: chosenPort, onConnection });
    return Promise.resolve({
      address,
      port: chosenPort,
      close: () => {
        this.listeners.delete(key);
        return Promise.resolve();
      },
    });
  }

  private ephemeralPort(hostName: string): number {
    const span = ephemeralPortLast - ephemeralPortFirst + 1;
    let next = this.nextPorts.get(hostName) ?? ephemeralPortFirst;
    for (let tries = 0; tries < span; tries++) {
      const port = next;
      next = port >= ephemeralPortLast ? ephemeralPortFirst : port + 1;
      const taken = [...this.listeners.values()].some((entry) => entry.hostName === hostName && entry.port === port);
      if (!taken) {
        this.nextPorts.set(hostName, next);
        return port;
      }
    }
    throw new PlatformError('EADDRINUSE', 'bind', undefined, 'no free ephemeral port');
  }

  private findListener(hostName: string, address: string, port: number): ListenerEntry | undefined {
    const exact = this.listeners.get(`${hostName}|${address}|${port}`);
    if (exact !== undefined) return exact;
    for (const wildcard of wildcardAddresses) {
      const entry = this.listeners.get(`${hostName}|${wildcard}|${port}`);
      if (entry !== undefined) return entry;
    }
    if (address === 'localhost') return this.listeners.get(`${hostName}|127.0.0.1|${port}`);
    return undefined;
  }

  private connect(hostName: string, trace: TraceSink, address: string, port: number, options: ConnectOptions = {}): Promise<Connection> {
    const target = isLoopback(address) ? hostName : this.owners.get(address);
    const localAddress = options.localAddress ?? (isLoopback(address) ? '127.0.0.1' : (this.addressesOf(hostName)[0] ?? '127.0.0.1'));
    if (options.localAddress !== undefined && !isLoopback(localAddress) && this.owners.get(localAddress) !== hostName) {
      return Promise.reject(new PlatformError('EADDRNOTAVAIL', 'connect', `${address}:${port}`));
    }
    return new Promise<Connection>((resolve, reject) => {
      const latency = target === undefined ? this.latencyDefaultMs : this.latencyBetween(hostName, target);
      const fail = (code: 'EHOSTUNREACH' | 'ETIMEDOUT' | 'ECONNREFUSED', delayMs: number) =>
        this.scheduler.after(delayMs, () => reject(quietPlatformError(code, 'connect', `${address}:${port}`)), 'net.connect');
      if (target === undefined) return void fail('EHOSTUNREACH', latency);
      if (!this.isLinkUp(hostName, target)) return void fail('ETIMEDOUT', options.timeoutMs ?? this.connectTimeoutMs);
      this.scheduler.after(latency, () => {
        const listener = this.findListener(target, address, port);
        if (listener === undefined || !this.isLinkUp(hostName, target)) return void fail('ECONNREFUSED', latency);
        const [client, server] = this.pair(hostName, localAddress, target, address, port, trace);
        listener.onConnection(server);
        // What the client sends as soon as it is connected is already there when the
        // server's accept handler has set up its reader.
        if (options.earlyData !== undefined && options.earlyData.length > 0) server.receive(options.earlyData.slice());
        this.scheduler.after(latency, () => resolve(client), 'net.connect');
      }, 'net.connect');
    });
  }

  private pair(clientHost: string, clientAddress: string, serverHost: string, serverAddress: string, serverPort: number, clientTrace: TraceSink): [SimConnection, SimConnection] {
    // latencyBetween and isLinkUp with the link's key made once (each write asks both).
    const key = linkKey(clientHost, serverHost);
    const loopback = clientHost === serverHost;
    const link: LinkView = {
      scheduler: this.scheduler,
      latencyMs: () => this.latencies.get(key) ?? this.latencyDefaultMs,
      isUp: () => loopback || !this.downLinks.has(key),
    };
    const clientPort = this.ephemeralPort(clientHost);
    const serverTrace = this.traces.get(serverHost) ?? clientTrace;
    const client = new SimConnection(clientHost, clientAddress, clientPort, serverAddress, serverPort, link, clientTrace);
    const server = new SimConnection(serverHost, serverAddress, serverPort, clientAddress, clientPort, link, serverTrace);
    client.peer = server;
    server.peer = client;
    for (const end of [client, server]) {
      this.liveConnections.add(end);
      end.onCloseInternal = () => this.liveConnections.delete(end);
    }
    return [client, server];
  }
}
