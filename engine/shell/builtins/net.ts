// telnet and nc for a hand-typed dialog with a server, SMTP above all: "telnet b.example.test
// 25", then EHLO, MAIL FROM, RCPT TO, DATA as a student types them. The host name resolves
// through the host's /etc/hosts and Platform.dns, the connection goes through Platform.net
// (in the simulation: over the World's links, so the dialog advances as the scheduler
// runs). Lines typed go out with CRLF (telnet; nc -C) or LF (nc); what the server sends is
// shown as it arrives, while the keyboard stays live. Ctrl-] then `quit` leaves telnet;
// Ctrl-C or Ctrl-D leaves nc. Called through engine/shell/builtins/index.ts. Trusts nothing
// the server sends: output and typed lines are bounded. Models netkit telnet 0.17 and
// OpenBSD netcat (Debian's netcat-openbsd) in their output and exit statuses.

import { toBytes } from '../../admin/stdio.ts';
import type { Connection } from '../../platform/types.ts';
import { PlatformError, describeCode } from '../../platform/types.ts';
import { InterruptedRead } from '../key-queue.ts';
import { TerminalInput, type TerminalEvent } from '../streams.ts';
import { parseOptions, type Builtin, type BuiltinContext } from './types.ts';

/** Bytes of server output one session shows; past it the connection is dropped. */
export const RECEIVED_BYTES_MAX = 8 * 1024 * 1024;
/** Lines one session sends before it stops reading the keyboard. */
export const SENT_LINES_MAX = 100_000;
/** Host names and addresses /etc/hosts may hold that we read. */
const HOSTS_LINES_MAX = 10_000;

const TELNET_PORT = 23;
const WELL_KNOWN_PORTS: Record<string, number> = {
  smtp: 25, submission: 587, submissions: 465, smtps: 465, telnet: 23, domain: 53, http: 80, pop3: 110, imap: 143,
  imaps: 993, pop3s: 995, lmtp: 24, ssh: 22,
};
const PORT_NAMES: Record<number, string> = { 25: 'smtp', 587: 'submission', 465: 'submissions', 23: 'telnet', 53: 'domain', 80: 'http', 110: 'pop3', 143: 'imap', 993: 'imaps', 995: 'pop3s', 22: 'ssh' };

export function isAddressLiteral(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text) || (text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text));
}

/** The addresses /etc/hosts gives a name, in file order. */
async function hostsFileAddresses(context: BuiltinContext, name: string): Promise<string[]> {
  let text: string;
  try {
    text = new TextDecoder().decode(await context.host.platform.fs.readFile('/etc/hosts'));
  } catch {
    return [];
  }
  const wanted = name.toLowerCase().replace(/\.$/, '');
  const found: string[] = [];
  for (const line of text.split('\n').slice(0, HOSTS_LINES_MAX)) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length < 2) continue;
    if (fields.slice(1).some((field) => field.toLowerCase() === wanted)) found.push(fields[0]!);
  }
  return found;
}

/** getaddrinfo as the host sees it: an address literal, /etc/hosts, then DNS (A, AAAA).
 *  Returns the addresses or the error code (NXDOMAIN, SERVFAIL, NODATA, ETIMEDOUT). */
export async function resolveHost(context: BuiltinContext, name: string): Promise<string[] | PlatformError> {
  if (isAddressLiteral(name)) return [name];
  const fromFile = await hostsFileAddresses(context, name);
  if (fromFile.length > 0) return fromFile;
  const dns = context.host.platform.dns;
  let firstError: PlatformError | undefined;
  const addresses: string[] = [];
  for (const lookup of [dns.a, dns.aaaa]) {
    try {
      addresses.push(...await lookup.call(dns, name));
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      firstError ??= error;
    }
  }
  return addresses.length > 0 ? addresses : firstError ?? new PlatformError('NODATA', 'getaddrinfo', name);
}

/** glibc's gai_strerror text for a failed lookup. */
export function lookupFailureText(error: PlatformError): string {
  if (error.code === 'SERVFAIL' || error.code === 'ETIMEDOUT') return 'Temporary failure in name resolution';
  if (error.code === 'NODATA') return 'No address associated with hostname';
  return 'Name or service not known';
}

function parsePort(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    return port > 0 && port < 65536 ? port : undefined;
  }
  return WELL_KNOWN_PORTS[text.toLowerCase()];
}

type Ending = 'foreign' | 'quit' | 'input-end' | 'interrupted' | 'overflow';

interface Session {
  connection: Connection;
  /** Resolves when the peer closes or the connection fails. */
  closed: Promise<void>;
  isClosed(): boolean;
}

/** Wires the connection's output to stdout, bounded. */
function openSession(context: BuiltinContext, connection: Connection): Session {
  const decoder = new TextDecoder();
  let received = 0;
  let closed = false;
  let markClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => { markClosed = resolve; });
  connection.onData((chunk) => {
    received += chunk.length;
    if (received > RECEIVED_BYTES_MAX) {
      context.stderr.write(`\n(more than ${RECEIVED_BYTES_MAX} bytes received: connection dropped)\n`);
      connection.destroy();
      return;
    }
    context.stdout.write(decoder.decode(chunk, { stream: true }));
  });
  connection.onClose(() => { closed = true; markClosed(); });
  return { connection, closed: closedPromise, isClosed: () => closed };
}

/** Sends typed lines until the peer closes, the user leaves, or input ends. `escape`
 *  handles Ctrl-] (telnet's command prompt); it returns true to leave. */
async function converse(
  context: BuiltinContext, session: Session, lineEnd: string,
  escape?: (input: TerminalInput) => Promise<boolean>,
): Promise<Ending> {
  const input = context.stdin;
  const stop = Promise.race([session.closed, context.interrupted ?? new Promise<void>(() => undefined)]);
  for (let count = 0; count < SENT_LINES_MAX; count++) {
    if (session.isClosed()) return 'foreign';
    let event: TerminalEvent;
    try {
      if (input instanceof TerminalInput) {
        event = await input.readEvent(stop);
      } else {
        const line = await input.readLine();
        event = line === null ? { kind: 'end' } : { kind: 'line', text: line };
      }
    } catch (error) {
      if (error instanceof InterruptedRead) return 'interrupted';
      throw error;
    }
    if (event.kind === 'cancelled') return session.isClosed() ? 'foreign' : 'interrupted';
    if (event.kind === 'end') return 'input-end';
    if (event.kind === 'escape') {
      if (escape !== undefined && await escape(input as TerminalInput)) return 'quit';
      continue;
    }
    session.connection.write(toBytes(`${event.text}${lineEnd}`));
  }
  return 'input-end';
}

/** telnet's command mode after Ctrl-]: one command, then back to the connection. */
async function telnetPrompt(context: BuiltinContext, input: TerminalInput): Promise<boolean> {
  context.stdout.write('^]\ntelnet> ');
  let event: TerminalEvent;
  try {
    event = await input.readEvent();
  } catch (error) {
    if (error instanceof InterruptedRead) return true;
    throw error;
  }
  if (event.kind !== 'line') return event.kind === 'end';
  const command = event.text.trim().toLowerCase();
  if (command === '') return false;
  if ('quit'.startsWith(command) || 'close'.startsWith(command)) {
    context.stdout.write('Connection closed.\n');
    return true;
  }
  if (command === '?' || 'help'.startsWith(command)) {
    context.stdout.write('Commands may be abbreviated.  Commands are:\n\n'
      + 'close\t\tclose current connection\nquit\t\texit telnet\nhelp\t\tprint help information\n'
      + '?\t\tprint help information\n');
    return false;
  }
  context.stdout.write('?Invalid command\n');
  return false;
}

/** Connects to the first address that answers; telnet says "Trying" before each. */
async function connectAny(
  context: BuiltinContext, addresses: string[], port: number, onTry?: (address: string) => void,
): Promise<Connection | PlatformError> {
  let lastError = new PlatformError('EHOSTUNREACH', 'connect');
  for (const address of addresses.slice(0, 16)) {
    onTry?.(address);
    try {
      return await context.host.platform.net.connect(address, port);
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      lastError = error;
    }
  }
  return lastError;
}

export const telnet: Builtin = async (context) => {
  const operands = context.argv.slice(1).filter((word) => !word.startsWith('-'));
  const [name, portText] = operands;
  if (name === undefined) {
    context.stderr.write('usage: telnet [-l user] [host-name [port]]\n');
    return 1;
  }
  const port = portText === undefined ? TELNET_PORT : parsePort(portText);
  if (port === undefined) {
    context.stderr.write(`telnet: could not resolve ${name}/${portText}: Servname not supported for ai_socktype\n`);
    return 1;
  }
  const addresses = await resolveHost(context, name);
  if (addresses instanceof PlatformError) {
    context.stderr.write(`telnet: could not resolve ${name}/${portText ?? 'telnet'}: ${lookupFailureText(addresses)}\n`);
    return 1;
  }
  const connection = await connectAny(context, addresses, port, (address) => context.stdout.write(`Trying ${address}...\n`));
  if (connection instanceof PlatformError) {
    context.stderr.write(`telnet: Unable to connect to remote host: ${describeCode(connection.code)}\n`);
    return 1;
  }
  context.stdout.write(`Connected to ${name}.\nEscape character is '^]'.\n`);
  const session = openSession(context, connection);
  const ending = await converse(context, session, '\r\n', (input) => telnetPrompt(context, input));
  if (ending === 'foreign') {
    context.stdout.write('Connection closed by foreign host.\n');
    return 1;
  }
  connection.destroy();
  return ending === 'interrupted' ? 130 : 0;
};

export const nc: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'vCNnz46', 'wq');
  if (options.invalid !== undefined) {
    context.stderr.write(`nc: invalid option -- '${options.invalid}'\nusage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n`);
    return 1;
  }
  const [name, portText] = options.operands;
  if (name === undefined || portText === undefined) {
    context.stderr.write('usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n');
    return 1;
  }
  const port = parsePort(portText);
  if (port === undefined) {
    context.stderr.write(`nc: port number invalid: ${portText}\n`);
    return 1;
  }
  const addresses = await resolveHost(context, name);
  if (addresses instanceof PlatformError) {
    context.stderr.write(`nc: getaddrinfo for host "${name}" port ${portText}: ${lookupFailureText(addresses)}\n`);
    return 1;
  }
  const connection = await connectAny(context, addresses, port);
  if (connection instanceof PlatformError) {
    context.stderr.write(`nc: connect to ${name} port ${port} (tcp) failed: ${describeCode(connection.code)}\n`);
    return 1;
  }
  if (options.flags.has('v') || options.flags.has('z')) {
    const service = PORT_NAMES[port] ?? '*';
    context.stderr.write(`Connection to ${name} (${connection.remoteAddress}) ${port} port [tcp/${service}] succeeded!\n`);
  }
  if (options.flags.has('z')) {
    connection.destroy();
    return 0;
  }
  const session = openSession(context, connection);
  const ending = await converse(context, session, options.flags.has('C') ? '\r\n' : '\n');
  // Piped input has ended: like nc without -N, keep showing what the server says until it
  // closes (or Ctrl-C); from the keyboard, Ctrl-D leaves at once.
  if (ending === 'input-end' && !(context.stdin instanceof TerminalInput) && !session.isClosed()) {
    const interrupted = context.interrupted ?? new Promise<void>(() => undefined);
    await Promise.race([session.closed, interrupted]);
  }
  if (!session.isClosed()) connection.destroy();
  return ending === 'interrupted' ? 130 : 0;
};
