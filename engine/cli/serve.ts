// `mtalab serve`: serves the built page (ui/dist, made by `vite build`) over HTTP on the
// loopback address, so a student opens the lab in a browser with nothing else installed.
// Called by the CLI dispatcher (engine/cli/main.ts) and by the browser test. Trusts only the
// files under ui/dist: every request path is decoded, normalised and checked to stay inside
// that directory (no "..", no NUL, no symbolic link leading out). Static files only: GET and
// HEAD. Postfix has no counterpart; this is the teaching UI's web server.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const defaultPort = 5180;
export const defaultAddress = '127.0.0.1';
const defaultRoot = fileURLToPath(new URL('../../ui/dist', import.meta.url));

/** Longest request path accepted; anything longer is not a file we built. */
const requestPathLengthMax = 2048;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.cf': 'text/plain; charset=utf-8',
};

export function contentTypeFor(path: string): string {
  return contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface ServeOptions {
  /** The directory to serve; ui/dist of this checkout by default. */
  root?: string;
  address?: string;
  /** 0 asks the system for a free port. */
  port?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly root: string;
  close(): Promise<void>;
}

export class ServeError extends Error {
  override readonly name = 'ServeError';
}

/**
 * Maps a request URL's path to a file under `root`, or undefined when the path is not one
 * we serve. `root` must already be a real path (no symbolic links).
 */
export async function resolveRequestPath(root: string, rawPath: string): Promise<string | undefined> {
  if (rawPath.length > requestPathLengthMax) return undefined;
  const queryStart = rawPath.search(/[?#]/);
  let decoded: string;
  try {
    decoded = decodeURIComponent(queryStart < 0 ? rawPath : rawPath.slice(0, queryStart));
  } catch {
    return undefined;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/');
  if (segments.some((segment) => segment === '..')) return undefined;
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const candidate = resolve(root, `.${relative}`);
  if (candidate !== root && !candidate.startsWith(root + sep)) return undefined;
  try {
    const real = await realpath(candidate);
    if (!real.startsWith(root + sep)) return undefined;
    const info = await stat(real);
    if (info.isDirectory()) return resolveRequestPath(root, `${decoded}/`);
    return info.isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function sendText(response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  });
  response.end(text);
}

async function handleRequest(root: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendText(response, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  const file = await resolveRequestPath(root, request.url ?? '/');
  if (file === undefined) {
    sendText(response, 404, 'not found\n');
    return;
  }
  const info = await stat(file);
  // Built assets carry a content hash in their names; the page itself must always be fresh.
  const cacheControl = file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  response.writeHead(200, {
    'Content-Type': contentTypeFor(file),
    'Content-Length': info.size,
    'Cache-Control': cacheControl,
    'X-Content-Type-Options': 'nosniff',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

/** Starts serving; resolves once the server listens. */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const requestedRoot = resolve(options.root ?? defaultRoot);
  let root: string;
  try {
    root = await realpath(requestedRoot);
    if (!(await stat(join(root, 'index.html'))).isFile()) throw new Error('no index.html');
  } catch {
    throw new ServeError(`${requestedRoot} has no built page; run \`npm run build\` first`);
  }
  const address = options.address ?? defaultAddress;
  const server: Server = createServer((request, response) => {
    handleRequest(root, request, response).catch(() => {
      if (!response.headersSent) sendText(response, 500, 'internal error\n');
      else response.destroy();
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? defaultPort, address, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : (options.port ?? defaultPort);
  const shownAddress = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${shownAddress}:${port}/`,
    port,
    root,
    close: () => new Promise<void>((resolveClose) => {
      server.closeAllConnections();
      server.close(() => resolveClose());
    }),
  };
}

interface ServeArguments {
  port: number;
  address: string;
  root?: string;
}

const usage = 'usage: mtalab serve [--port N] [--host ADDRESS] [--root DIR]';

export function parseServeArguments(argv: string[]): ServeArguments | string {
  const parsed: ServeArguments = { port: defaultPort, address: defaultAddress };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index] ?? '';
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = inline ?? argv[index + 1];
    if (name !== '--port' && name !== '--host' && name !== '--root') return `mtalab serve: unknown option ${flag}\n${usage}`;
    if (value === undefined) return `mtalab serve: ${name} needs a value\n${usage}`;
    if (inline === undefined) index += 1;
    if (name === '--port') {
      const port = Number(value);
      if (!/^\d+$/.test(value) || port > 65535) return `mtalab serve: bad port: ${value}`;
      parsed.port = port;
    } else if (name === '--host') {
      parsed.address = value;
    } else {
      parsed.root = value;
    }
  }
  return parsed;
}

/** The `mtalab serve` command: runs until SIGINT or SIGTERM; returns the exit status. */
export async function serveMain(argv: string[]): Promise<number> {
  const parsed = parseServeArguments(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\n`);
    return 2;
  }
  let server: RunningServer;
  try {
    server = await startServer({ port: parsed.port, address: parsed.address, root: parsed.root });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mtalab: ${text}\n`);
    return 1;
  }
  process.stdout.write(`mtalab: serving on ${server.url}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    const onSignal = (received: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolveSignal(received);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await server.close();
  process.stdout.write(`mtalab: stopped (${signal})\n`);
  return 0;
}
