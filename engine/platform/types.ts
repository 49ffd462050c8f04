// The platform seam (DESIGN.md section 2): everything that differs between Node.js and the
// simulation arrives in one Platform value. The engine reads time, waits, touches files,
// opens connections, resolves names and draws random numbers only through it.
// Implemented by platform/sim (memfs, virtual clock, scheduler) and platform/node (node:fs,
// real clock). Callers trust nothing beyond these signatures; errors are PlatformError.

import type { TraceSink } from '../global/trace.ts';

/** Milliseconds since the Unix epoch; virtual in the simulation. */
export interface Clock {
  nowMs(): number;
}

/** A function that cancels a pending timer; calling it twice is harmless. */
export type Cancel = () => void;

/** The only way the engine waits. */
export interface Timers {
  after(delayMs: number, fn: () => void): Cancel;
}

/** A seeded stream of numbers. fork(label) gives an independent stream per subsystem, so a
 *  draw added in one subsystem never shifts another (CONVENTIONS.md rule 10). */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  fork(label: string): Random;
}

export interface FileStat {
  size: number;
  /** Permission bits and file type, as st_mode. */
  mode: number;
  uid: number;
  gid: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
  /** Wall-clock stamped by memfs in sim: show it, never decide from it (DESIGN.md section 2). */
  mtimeMs: number;
  nlink: number;
  /** The inode number, as st_ino: Postfix derives queue ids from it (mail_queue_enter). */
  ino: number;
}

/** open() flags, named as fopen/Node name them. */
export type OpenFlags = 'r' | 'r+' | 'w' | 'wx' | 'a' | 'ax';

export interface FileHandle {
  /** Writes at `position`, or at the current offset when it is undefined. */
  write(data: Uint8Array, position?: number): Promise<number>;
  /** Reads up to `length` bytes at `position` (or the current offset); returns what was read. */
  read(length: number, position?: number): Promise<Uint8Array>;
  /** Flushes to stable storage (fsync); a 250 reply waits for this. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<FileStat>;
  close(): Promise<void>;
}

export interface MkdirOptions {
  recursive?: boolean;
  mode?: number;
}

export interface WriteOptions {
  mode?: number;
}

/** A small promise-style file system. Paths are absolute POSIX paths. */
export interface FileSystem {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array | string, options?: WriteOptions): Promise<void>;
  appendFile(path: string, data: Uint8Array | string, options?: WriteOptions): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options?: MkdirOptions): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** Entry names, sorted by code unit order so that listings are deterministic. */
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<FileStat>;
  lstat(path: string): Promise<FileStat>;
  open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle>;
  link(existing: string, newPath: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /** chown(2). Optional: postdrop gives a maildrop file to the submitting user, whose uid
   *  pickup then logs; a file system without it leaves files to the process's uid. */
  chown?(path: string, uid: number, gid: number): Promise<void>;
  /** readlink(2): a symbolic link's target. */
  readlink?(path: string): Promise<string>;
  utimes(path: string, atimeMs: number, mtimeMs: number): Promise<void>;
  /** mknod(2) of a UNIX-domain socket file, as bind(2) leaves one (S_IFSOCK, `mode`,
   *  owned by uid/gid): what master's listeners are in the file system. EEXIST when the
   *  name is taken. Optional: only the simulation has it; real mode's sockets are made by
   *  listening on them (engine/cli/control-channel.ts). Opening one as a file fails with
   *  ENXIO, as on Linux. */
  mknodSocket?(path: string, mode: number, uid: number, gid: number): Promise<void>;
}

/** Error codes the file system, network and resolver report, as errno names. */
export type PlatformErrorCode =
  | 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'EACCES' | 'EPERM' | 'ENOSPC'
  | 'EBADF' | 'EINVAL' | 'EXDEV' | 'EMFILE' | 'ELOOP' | 'ENXIO'
  | 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EADDRINUSE' | 'EADDRNOTAVAIL'
  | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EPIPE'
  | 'NXDOMAIN' | 'SERVFAIL' | 'NODATA'
  | 'EIO';

/** An environment failure (CONVENTIONS.md rule 6): typed, with data, JSON-safe. */
export class PlatformError extends Error {
  readonly code: PlatformErrorCode;
  readonly syscall: string;
  readonly path: string | undefined;

  constructor(code: PlatformErrorCode, syscall: string, path?: string, detail?: string) {
    super(`${code}: ${detail ?? describeCode(code)}, ${syscall}${path === undefined ? '' : ` '${path}'`}`);
    this.name = 'PlatformError';
    this.code = code;
    this.syscall = syscall;
    this.path = path;
  }

  toJSON(): { name: string; code: string; syscall: string; path?: string; message: string } {
    return { name: this.name, code: this.code, syscall: this.syscall, path: this.path, message: this.message };
  }
}

/** Error's V8 knob for how many frames a new Error captures; other engines ignore it. */
const errorConstructor = Error as unknown as { stackTraceLimit?: number };

/** A PlatformError that captures no stack trace, for errors that are an expected answer
 *  (ENOENT from an existence check on the simulated disk): capturing a stack costs more
 *  than the lookup that failed. Everything else about the error is the same. */
export function quietPlatformError(code: PlatformErrorCode, syscall: string, path?: string, detail?: string): PlatformError {
  const limit = errorConstructor.stackTraceLimit;
  errorConstructor.stackTraceLimit = 0;
  try {
    return new PlatformError(code, syscall, path, detail);
  } finally {
    errorConstructor.stackTraceLimit = limit;
  }
}

/** strerror(3)-style text, the way Postfix prints "%m". */
export function describeCode(code: PlatformErrorCode): string {
  switch (code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EEXIST': return 'File exists';
    case 'ENOTDIR': return 'Not a directory';
    case 'EISDIR': return 'Is a directory';
    case 'ENOTEMPTY': return 'Directory not empty';
    case 'EACCES': return 'Permission denied';
    case 'EPERM': return 'Operation not permitted';
    case 'ENOSPC': return 'No space left on device';
    case 'EBADF': return 'Bad file descriptor';
    case 'EINVAL': return 'Invalid argument';
    case 'EXDEV': return 'Invalid cross-device link';
    case 'EMFILE': return 'Too many open files';
    case 'ELOOP': return 'Too many levels of symbolic links';
    case 'ENXIO': return 'No such device or address';
    case 'ECONNREFUSED': return 'Connection refused';
    case 'ECONNRESET': return 'Connection reset by peer';
    case 'ETIMEDOUT': return 'Connection timed out';
    case 'EADDRINUSE': return 'Address already in use';
    case 'EADDRNOTAVAIL': return 'Cannot assign requested address';
    case 'EHOSTUNREACH': return 'No route to host';
    case 'ENETUNREACH': return 'Network is unreachable';
    case 'EPIPE': return 'Broken pipe';
    case 'NXDOMAIN': return 'Host not found';
    case 'SERVFAIL': return 'Host not found, try again';
    case 'NODATA': return 'No address associated with hostname';
    case 'EIO': return 'Input/output error';
  }
}

/** A byte stream between two endpoints: SMTP travels as bytes (DESIGN.md section 3). */
export interface Connection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Called with each chunk as it arrives; set once, before data flows. */
  onData(handler: (chunk: Uint8Array) => void): void;
  /** Called once when the peer closes or the connection fails. */
  onClose(handler: (error?: PlatformError) => void): void;
  write(chunk: Uint8Array): void;
  /** Upgrades in place (STARTTLS). In sim the handshake is simulated and traced. */
  startTls(options: TlsOptions): Promise<TlsInfo>;
  /** Closes after pending writes are flushed. */
  end(): void;
  /** Closes at once, dropping pending writes. */
  destroy(): void;
}

export interface TlsOptions {
  role: 'server' | 'client';
  certPem?: string;
  keyPem?: string;
  serverName?: string;
  /** Client side: whether a certificate that does not verify aborts the handshake. */
  verifyPeer?: boolean;
}

export interface TlsInfo {
  protocol: string;
  cipher: string;
  peerVerified: boolean;
  /** What Postfix logs after the cipher when the platform can tell: the key exchange
   *  ("X25519"), the server's signature ("RSA-PSS"), its key size and digest ("SHA256"). */
  keyExchange?: string;
  serverSignature?: string;
  serverSignatureBits?: number;
  serverDigest?: string;
}

export interface Listener {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Source address to bind, as smtp_bind_address. */
  localAddress?: string;
  timeoutMs?: number;
  /** Bytes the client writes the moment the connection is up, before the caller holds it:
   *  they are at the server with the connection (in the sim, before its accept handler
   *  returns), as for a client that talks before the greeting on a real network, where the
   *  server process gets going well after the bytes have arrived. */
  earlyData?: Uint8Array;
}

export interface Network {
  /** Port 0 asks for any free port; Listener.port tells which one. */
  listen(address: string, port: number, onConnection: (connection: Connection) => void): Promise<Listener>;
  connect(address: string, port: number, options?: ConnectOptions): Promise<Connection>;
}

export interface MxRecord {
  preference: number;
  exchange: string;
}

/** DNS as the MTA needs it. Failures are PlatformError with NXDOMAIN, SERVFAIL, NODATA or
 *  ETIMEDOUT, mirroring Postfix's "Host not found" / "Host not found, try again". */
export interface Resolver {
  mx(name: string): Promise<MxRecord[]>;
  a(name: string): Promise<string[]>;
  aaaa(name: string): Promise<string[]>;
  ptr(address: string): Promise<string[]>;
  txt(name: string): Promise<string[]>;
}

export interface Platform {
  /** 'sim' or 'node': shown to users, never branched on by the engine's logic. */
  readonly kind: 'sim' | 'node';
  clock: Clock;
  timers: Timers;
  fs: FileSystem;
  net: Network;
  dns: Resolver;
  random: Random;
  trace: TraceSink;
}
