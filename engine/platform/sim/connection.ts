// One end of a simulated TCP connection. Bytes written on one end reach the other through
// the world's Scheduler after the link's latency, in order; end() closes after what was
// written has arrived, destroy() drops what is still in flight. STARTTLS is simulated: both
// ends must call startTls, the handshake completes one latency later and is traced; the
// bytes themselves pass unchanged. Made by sim/network.ts; used by the engine as Connection.
// Models a TCP socket (and an SSL_accept/SSL_connect) as Postfix's smtpd/smtp see them.

import type { Cancel, Connection, TlsInfo, TlsOptions } from '../types.ts';
import { PlatformError } from '../types.ts';
import type { TraceSink } from '../../global/trace.ts';
import type { Scheduler } from './scheduler.ts';

/** What a simulated handshake reports: the protocol, cipher, key exchange and signature a
 *  modern Postfix with an RSA certificate settles on. */
export const simulatedTls = {
  protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384',
  keyExchange: 'X25519', serverSignature: 'RSA-PSS', serverSignatureBits: 2048, serverDigest: 'SHA256',
} as const;

/** Chunks held while the link is down, per direction, before they count as lost. */
export const heldChunksMax = 10_000;

/** What an end needs from the network it belongs to. */
export interface LinkView {
  readonly scheduler: Scheduler;
  latencyMs(): number;
  isUp(): boolean;
}

interface PendingTls {
  options: TlsOptions;
  resolve: (info: TlsInfo) => void;
  reject: (error: PlatformError) => void;
}

export class SimConnection implements Connection {
  peer!: SimConnection;
  /** The network's bookkeeping hook, called once when this end closes. */
  onCloseInternal: (() => void) | undefined;
  private state: 'open' | 'ending' | 'closed' = 'open';
  private dataHandler: ((chunk: Uint8Array) => void) | undefined;
  private closeHandler: ((error?: PlatformError) => void) | undefined;
  private readonly early: Uint8Array[] = [];
  private closeSeen: { error?: PlatformError } | undefined;
  private closeReported = false;
  private readonly inFlight = new Set<Cancel>();
  private readonly held: Uint8Array[] = [];
  /** Deliveries never overtake each other even when the latency changes. */
  private lastDeliveryMs = 0;
  private tls: PendingTls | undefined;
  private tlsActive = false;

  constructor(
    readonly hostName: string,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly link: LinkView,
    private readonly trace: TraceSink,
  ) {}

  get isOpen(): boolean { return this.state === 'open'; }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.dataHandler = handler;
    if (this.early.length > 0) {
      this.link.scheduler.after(0, () => {
        for (const chunk of this.early.splice(0, this.early.length)) handler(chunk);
        this.reportClose();
      }, 'net.data');
    }
  }

  onClose(handler: (error?: PlatformError) => void): void {
    this.closeHandler = handler;
    if (this.closeSeen !== undefined) this.link.scheduler.after(0, () => this.reportClose(), 'net.close');
  }

  write(chunk: Uint8Array): void {
    if (this.state !== 'open') return;
    const copy = chunk.slice();
    if (!this.link.isUp()) {
      if (this.held.length < heldChunksMax) this.held.push(copy);
      return;
    }
    this.sendChunk(copy);
  }

  /** Sends what was held while the link was down; the network calls this when it comes up. */
  flushHeld(): void {
    for (const chunk of this.held.splice(0, this.held.length)) this.sendChunk(chunk);
  }

  end(): void {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.send(() => {
      this.finish();
      this.peer.finish();
    });
  }

  destroy(): void {
    if (this.state === 'closed') return;
    for (const cancel of this.inFlight) cancel();
    this.inFlight.clear();
    this.held.length = 0;
    this.finish();
    this.link.scheduler.after(this.link.latencyMs(), () => this.peer.finish(), 'net.close');
  }

  startTls(options: TlsOptions): Promise<TlsInfo> {
    if (this.state !== 'open') return Promise.reject(new PlatformError('EPIPE', 'starttls'));
    if (this.tls !== undefined || this.tlsActive) return Promise.reject(new PlatformError('EINVAL', 'starttls', undefined, 'TLS already started'));
    return new Promise<TlsInfo>((resolve, reject) => {
      this.tls = { options, resolve, reject };
      if (this.peer.tls !== undefined) {
        this.link.scheduler.after(this.link.latencyMs(), () => SimConnection.handshake(this, this.peer), 'tls.handshake');
      }
    });
  }

  private static handshake(one: SimConnection, other: SimConnection): void {
    const first = one.tls;
    const second = other.tls;
    if (first === undefined || second === undefined) return;
    const client = first.options.role === 'client' ? one : other;
    const server = client === one ? other : one;
    const clientTls = client.tls as PendingTls;
    const serverTls = server.tls as PendingTls;
    const serverHasCertificate = serverTls.options.certPem !== undefined;
    const clientVerified = serverHasCertificate;
    const serverVerified = clientTls.options.certPem !== undefined;
    if (clientTls.options.role === serverTls.options.role || (clientTls.options.verifyPeer === true && !clientVerified)) {
      const text = clientTls.options.role === serverTls.options.role ? 'both ends took the same TLS role' : 'certificate verify failed';
      for (const end of [client, server]) end.failTls(text);
      return;
    }
    client.completeTls(clientVerified);
    server.completeTls(serverVerified);
  }

  private completeTls(peerVerified: boolean): void {
    const pending = this.tls as PendingTls;
    this.tls = undefined;
    this.tlsActive = true;
    const info: TlsInfo = { ...simulatedTls, peerVerified };
    this.traceTls(pending.options, { ok: true, ...info });
    pending.resolve(info);
  }

  private failTls(text: string): void {
    const pending = this.tls;
    if (pending === undefined) return;
    this.tls = undefined;
    this.traceTls(pending.options, { ok: false, error: text });
    pending.reject(new PlatformError('ECONNRESET', 'starttls', undefined, text));
    this.destroy();
  }

  private traceTls(options: TlsOptions, outcome: { ok: boolean; protocol?: string; cipher?: string; peerVerified?: boolean; error?: string }): void {
    this.trace.emit({
      kind: 'tls.handshake', role: options.role, host: this.hostName, service: 'tls', pid: 0,
      localAddress: this.localAddress, localPort: this.localPort,
      remoteAddress: this.remoteAddress, remotePort: this.remotePort,
      ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
      ...outcome,
    });
  }

  private send(deliver: () => void): void {
    const scheduler = this.link.scheduler;
    const atMs = this.nextDeliveryMs(scheduler);
    const cancel = scheduler.at(atMs, () => {
      this.inFlight.delete(cancel);
      deliver();
    }, 'net.data');
    this.inFlight.add(cancel);
  }

  /** send() of bytes for the peer, with one closure fewer per chunk. */
  private sendChunk(chunk: Uint8Array): void {
    const scheduler = this.link.scheduler;
    const atMs = this.nextDeliveryMs(scheduler);
    const cancel = scheduler.at(atMs, () => {
      this.inFlight.delete(cancel);
      this.peer.receive(chunk);
    }, 'net.data');
    this.inFlight.add(cancel);
  }

  /** When bytes sent now arrive: one latency on, never before earlier ones. */
  private nextDeliveryMs(scheduler: Scheduler): number {
    const atMs = Math.max(scheduler.nowMs() + this.link.latencyMs(), this.lastDeliveryMs);
    this.lastDeliveryMs = atMs;
    return atMs;
  }

  /** Bytes from the peer (and, from the network, a client's earlyData at accept). */
  receive(chunk: Uint8Array): void {
    if (this.state === 'closed') return;
    if (this.dataHandler === undefined) this.early.push(chunk);
    else this.dataHandler(chunk);
  }

  /** Marks this end closed and tells its owner once. */
  finish(error?: PlatformError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.onCloseInternal?.();
    this.closeSeen = error === undefined ? {} : { error };
    if (this.tls !== undefined) {
      const pending = this.tls;
      this.tls = undefined;
      pending.reject(new PlatformError('ECONNRESET', 'starttls', undefined, 'connection closed during handshake'));
    }
    this.reportClose();
  }

  private reportClose(): void {
    if (this.closeReported || this.closeHandler === undefined || this.closeSeen === undefined) return;
    // Data that arrived before onData() was set is delivered first; its flush reports the close.
    if (this.early.length > 0 && this.dataHandler !== undefined) return;
    this.closeReported = true;
    this.closeHandler(this.closeSeen.error);
  }
}
