// Real TCP for real mode: node:net sockets behind the Connection seam, as Uint8Array chunks,
// with STARTTLS upgrading the socket in place through tls.TLSSocket. Errors become
// PlatformError (ECONNREFUSED, ETIMEDOUT, ...). Called through Platform.net by smtpd/smtp in a
// live host and by the conformance tests on 127.0.0.1. Trusts node:net and node:tls.
// Models the sockets Postfix's smtpd and smtp open.
// Writes made in one turn of the event loop's callbacks (before node's next tick) go out as
// one socket write, as a VSTREAM's buffer gathers them until it is flushed: the smtp client's
// pipelined MAIL, RCPT and DATA leave in one segment as Postfix's do. end() and destroy() send
// what is gathered first. An accepted connection's end() closes the socket once everything
// written has reached the kernel, as smtpd's close() after QUIT does (a half-close waited
// for the client's FIN or, as smtp-source does, its RST, which node turns into an error with
// a stack trace); an outgoing or TLS connection half-closes as before.

import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ConnectOptions, Connection, Listener, Network, TlsInfo, TlsOptions } from '../types.ts';
import { PlatformError } from '../types.ts';
import type { TraceSink } from '../../global/trace.ts';
import { toPlatformError } from '../sim/errors.ts';

export const defaultConnectTimeoutMs = 30_000;
/** Writes gathered before they are sent at once, whatever the tick. */
const WRITES_GATHERED_MAX = 64;

class NodeConnection implements Connection {
  private socket: net.Socket;
  private dataHandler: ((chunk: Uint8Array) => void) | undefined;
  private closeHandler: ((error?: PlatformError) => void) | undefined;
  private closeError: PlatformError | undefined;
  private closed = false;
  private closeReported = false;
  private readonly early: Uint8Array[] = [];
  /** Bytes written this turn, sent together on the next tick (at most WRITES_GATHERED_MAX). */
  private readonly gathered: Uint8Array[] = [];
  private gatheredBytes = 0;
  private sendScheduled = false;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;

  constructor(socket: net.Socket, private readonly trace: TraceSink, private readonly hostName: string,
    /** Accepted by a listener (the server side of the session). */
    private readonly accepted = false,
    /** Told once when the socket has closed (the listener's set of open sockets). */
    private readonly onSocketClosed?: (socket: net.Socket) => void) {
    this.socket = socket;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.deliver(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    socket.on('error', (error) => { this.closeError ??= toPlatformError(error, 'socket'); });
    socket.on('close', () => {
      this.onSocketClosed?.(socket);
      if (socket !== this.socket) return;
      this.closed = true;
      this.reportClose();
    });
  }

  private deliver(chunk: Uint8Array): void {
    if (this.dataHandler === undefined) this.early.push(chunk);
    else this.dataHandler(chunk);
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.dataHandler = handler;
    for (const chunk of this.early.splice(0, this.early.length)) handler(chunk);
  }

  onClose(handler: (error?: PlatformError) => void): void {
    this.closeHandler = handler;
    this.reportClose();
  }

  private reportClose(): void {
    if (!this.closed || this.closeReported || this.closeHandler === undefined) return;
    this.closeReported = true;
    this.closeHandler(this.closeError);
  }

  write(chunk: Uint8Array): void {
    if (this.closed || this.socket.writableEnded || this.socket.destroyed) return;
    this.gathered.push(chunk);
    this.gatheredBytes += chunk.length;
    if (this.gathered.length >= WRITES_GATHERED_MAX) this.sendGathered();
    else if (!this.sendScheduled) {
      this.sendScheduled = true;
      process.nextTick(this.sendOnTick);
    }
  }

  private readonly sendOnTick = (): void => {
    this.sendScheduled = false;
    this.sendGathered();
  };

  /** One socket write of everything gathered (nothing once the socket is closed). */
  private sendGathered(): void {
    const count = this.gathered.length;
    if (count === 0) return;
    let data = this.gathered[0]!;
    if (count > 1) {
      data = new Uint8Array(this.gatheredBytes);
      let offset = 0;
      for (const chunk of this.gathered) {
        data.set(chunk, offset);
        offset += chunk.length;
      }
    }
    this.gathered.length = 0;
    this.gatheredBytes = 0;
    if (this.closed || this.socket.writableEnded || this.socket.destroyed) return;
    this.socket.write(data);
  }

  end(): void {
    this.sendGathered();
    if (this.accepted && !(this.socket instanceof tls.TLSSocket) && !this.socket.destroyed && this.socket.writableLength === 0) {
      this.socket.destroy();
      return;
    }
    this.socket.end();
  }

  destroy(): void {
    this.sendGathered();
    this.socket.destroy();
  }

  startTls(options: TlsOptions): Promise<TlsInfo> {
    const plain = this.socket;
    return new Promise<TlsInfo>((resolve, reject) => {
      this.sendGathered();
      plain.removeAllListeners('data');
      const secure = options.role === 'server'
        ? new tls.TLSSocket(plain, {
          isServer: true,
          secureContext: tls.createSecureContext({ cert: options.certPem, key: options.keyPem }),
        })
        : tls.connect({
          socket: plain,
          servername: options.serverName,
          rejectUnauthorized: options.verifyPeer ?? false,
          ...(options.certPem === undefined ? {} : { cert: options.certPem, key: options.keyPem }),
        });
      this.socket = secure;
      this.attach(secure);
      const fail = (error: Error) => {
        const wrapped = toPlatformError(error, 'starttls');
        this.traceTls(options, { ok: false, error: error.message });
        reject(wrapped);
      };
      secure.once('error', fail);
      secure.once('secure', () => this.settleTls(secure, options, fail, resolve));
      if (options.role === 'client') secure.once('secureConnect', () => this.settleTls(secure, options, fail, resolve));
    });
  }

  private settled = false;

  private settleTls(secure: tls.TLSSocket, options: TlsOptions, fail: (error: Error) => void, resolve: (info: TlsInfo) => void): void {
    if (this.settled) return;
    this.settled = true;
    secure.removeListener('error', fail);
    const info: TlsInfo = {
      protocol: secure.getProtocol() ?? 'unknown',
      cipher: secure.getCipher()?.standardName ?? 'unknown',
      peerVerified: secure.authorized,
    };
    this.traceTls(options, { ok: true, ...info });
    resolve(info);
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
}

export function createNodeNetwork(trace: TraceSink, hostName: string): Network {
  return {
    listen: (address, port, onConnection) => new Promise<Listener>((resolve, reject) => {
      const sockets = new Set<net.Socket>();
      const forget = (socket: net.Socket): void => { sockets.delete(socket); };
      const server = net.createServer((socket) => {
        sockets.add(socket);
        onConnection(new NodeConnection(socket, trace, hostName, true, forget));
      });
      let listening = false;
      // Before listening an error is the bind's; afterwards it is an accept's (EMFILE, say),
      // which a server survives, as Postfix's servers log "accept connection" and go on:
      // without a handler Node would end the process and every session in it.
      server.on('error', (error) => {
        if (!listening) return void reject(toPlatformError(error, 'bind', `${address}:${port}`));
        process.stderr.write(`warning: accept connection: ${toPlatformError(error, 'accept', `${address}:${port}`).message}\n`);
      });
      server.listen(port, address, () => {
        listening = true;
        const bound = server.address() as net.AddressInfo;
        resolve({
          address: bound.address,
          port: bound.port,
          close: () => new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          }),
        });
      });
    }),
    connect: (address, port, options: ConnectOptions = {}) => new Promise<Connection>((resolve, reject) => {
      const socket = net.connect({ host: address, port, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
      const timeoutMs = options.timeoutMs ?? defaultConnectTimeoutMs;
      socket.setTimeout(timeoutMs, () => {
        socket.destroy();
        reject(new PlatformError('ETIMEDOUT', 'connect', `${address}:${port}`));
      });
      socket.once('error', (error) => reject(toPlatformError(error, 'connect', `${address}:${port}`)));
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.removeAllListeners('error');
        socket.removeAllListeners('timeout');
        const connection = new NodeConnection(socket, trace, hostName);
        if (options.earlyData !== undefined && options.earlyData.length > 0) connection.write(options.earlyData);
        resolve(connection);
      });
    }),
  };
}
