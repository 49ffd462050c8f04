// dig and host: DNS questions from the shell, answered by the host's resolver (Platform.dns;
// in the simulation the World's zone, with its injected NXDOMAIN, SERVFAIL and timeouts).
// Types A, AAAA, MX, TXT, CNAME, PTR (dig -x, or host ADDRESS) and ANY; an alias is shown
// as its CNAME record before the target's answers. The zone carries no TTLs, so every
// record shows RECORD_TTL_SECONDS. Called through engine/shell/builtins/index.ts. Trusts the
// resolver's answers; every loop is bounded (CNAME chains by CNAME_HOPS_MAX). Models the
// output of BIND 9.18's dig and host (Debian's bind9-dnsutils and bind9-host).

import type { MxRecord, Resolver } from '../../platform/types.ts';
import { PlatformError } from '../../platform/types.ts';
import { civilTime } from '../time-format.ts';
import { isAddressLiteral, resolveHost } from './net.ts';
import type { Builtin, BuiltinContext } from './types.ts';

export const RECORD_TTL_SECONDS = 300;
/** Aliases followed before the answer stops, as a resolver gives up on a loop. */
export const CNAME_HOPS_MAX = 8;
const DIG_VERSION = '9.18.33-1~deb12u2-Debian';
const TYPES = ['A', 'AAAA', 'MX', 'TXT', 'CNAME', 'PTR', 'ANY', 'NS', 'SOA'] as const;
type RecordType = (typeof TYPES)[number];

interface ResourceRecord {
  /** Owner name with its trailing dot. */
  name: string;
  type: RecordType;
  data: string;
}

type Status = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'timeout';

interface Answer {
  status: Status;
  records: ResourceRecord[];
  /** Virtual milliseconds the lookup took. */
  elapsedMs: number;
}

const absolute = (name: string) => (name.endsWith('.') ? name : `${name}.`);
const bare = (name: string) => (name.endsWith('.') && name.length > 1 ? name.slice(0, -1) : name);

function statusOf(error: unknown): Status | 'NODATA' {
  if (!(error instanceof PlatformError)) throw error;
  if (error.code === 'NXDOMAIN' || error.code === 'NODATA' || error.code === 'SERVFAIL') return error.code;
  if (error.code === 'ETIMEDOUT') return 'timeout';
  return 'SERVFAIL';
}

/** 12.100.51.198.in-addr.arpa -> 198.51.100.12 (the resolver's ptr() takes addresses). */
function reverseToAddress(name: string): string | undefined {
  const match = /^((?:\d{1,3}\.){3}\d{1,3})\.in-addr\.arpa\.?$/i.exec(name);
  if (match !== null) return match[1]!.split('.').reverse().join('.');
  const six = /^((?:[0-9a-f]\.){32})ip6\.arpa\.?$/i.exec(name);
  if (six === null) return undefined;
  const nibbles = six[1]!.split('.').filter((part) => part !== '').reverse().join('');
  return (nibbles.match(/.{4}/g) ?? []).join(':');
}

export function reverseOf(address: string): string {
  if (address.includes(':')) {
    const halves = address.split('::');
    const head = halves[0] ? halves[0].split(':') : [];
    const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
    const groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
    return `${groups.map((group) => group.padStart(4, '0')).join('').split('').reverse().join('.')}.ip6.arpa`;
  }
  return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
}

function txtData(text: string): string {
  const chunks = text.match(/[^]{1,255}/g) ?? [''];
  return chunks.map((chunk) => `"${chunk.replace(/(["\\])/g, '\\$1')}"`).join(' ');
}

/** Records of one type at a name that is no alias; NODATA as an empty list. */
async function recordsOf(resolver: Resolver, name: string, type: RecordType): Promise<ResourceRecord[]> {
  const owner = absolute(name);
  const make = (data: string): ResourceRecord => ({ name: owner, type, data });
  switch (type) {
    case 'A': return (await resolver.a(name)).map(make);
    case 'AAAA': return (await resolver.aaaa(name)).map(make);
    case 'MX': return (await resolver.mx(name)).map((mx: MxRecord) => make(`${mx.preference} ${absolute(mx.exchange)}`));
    case 'TXT': return (await resolver.txt(name)).map((text) => make(txtData(text)));
    case 'PTR': {
      const address = reverseToAddress(name);
      return (await resolver.ptr(address ?? name)).map((target) => make(absolute(target)));
    }
    default:
      // NS, SOA: the simulated zone has none; asking for A tells whether the name exists.
      await resolver.a(name).catch((error: unknown) => { if (statusOf(error) !== 'NODATA') throw error; });
      return [];
  }
}

type AliasLookup = (name: string) => Promise<string[]>;

function aliasLookup(resolver: Resolver): AliasLookup | undefined {
  const withAlias = resolver as Resolver & { cname?: AliasLookup };
  return withAlias.cname?.bind(resolver);
}

/** Asks the resolver one question, the way a recursive server answers it. */
export async function ask(context: BuiltinContext, name: string, type: RecordType): Promise<Answer> {
  const { dns: resolver, clock } = context.host.platform;
  const started = clock.nowMs();
  const records: ResourceRecord[] = [];
  const done = (status: Status): Answer => ({ status, records, elapsedMs: clock.nowMs() - started });
  const alias = aliasLookup(resolver);
  let current = name;
  if (alias !== undefined && type !== 'PTR') {
    for (let hop = 0; hop <= CNAME_HOPS_MAX; hop++) {
      if (hop === CNAME_HOPS_MAX) return done('SERVFAIL');
      let targets: string[];
      try {
        targets = await alias(current);
      } catch (error) {
        const status = statusOf(error);
        if (status === 'NODATA') break;
        return done(status);
      }
      records.push({ name: absolute(current), type: 'CNAME', data: absolute(targets[0]!) });
      if (type === 'CNAME' || type === 'ANY') return done('NOERROR');
      current = bare(targets[0]!);
    }
  }
  if (type === 'CNAME') return done('NOERROR');
  const wanted: RecordType[] = type === 'ANY' ? ['A', 'AAAA', 'MX', 'TXT'] : [type];
  for (const kind of wanted) {
    try {
      records.push(...await recordsOf(resolver, current, kind));
    } catch (error) {
      const status = statusOf(error);
      if (status !== 'NODATA') return done(status);
    }
  }
  return done('NOERROR');
}

/** Wire size of a name: a length byte per label, the labels, the root byte. */
function nameBytes(name: string): number {
  const labels = bare(name).split('.').filter((label) => label !== '');
  return labels.reduce((sum, label) => sum + label.length + 1, 1);
}

function dataBytes(record: ResourceRecord): number {
  switch (record.type) {
    case 'A': return 4;
    case 'AAAA': return 16;
    case 'MX': return 2 + nameBytes(record.data.split(' ')[1] ?? '');
    case 'TXT': return (record.data.match(/"((?:[^"\\]|\\.)*)"/g) ?? []).reduce((sum, part) => sum + part.length - 1, 0);
    default: return nameBytes(record.data);
  }
}

/** The reply's size: header, question, answers (owner names compressed when they repeat
 *  the question), the OPT record. */
function messageBytes(question: string, records: ResourceRecord[]): number {
  const answers = records.reduce((sum, record) =>
    sum + (bare(record.name) === bare(question) ? 2 : nameBytes(record.name)) + 10 + dataBytes(record), 0);
  return 12 + nameBytes(question) + 4 + answers + 11;
}

function recordLine(record: ResourceRecord): string {
  return tabbed([record.name, String(RECORD_TTL_SECONDS), 'IN', record.type, record.data], [24, 32, 40, 48]);
}

/** Joins fields with tabs so that each next field starts at its stop (tab stops every 8
 *  columns), or after one space when the field before ran past it, as BIND prints. */
export function tabbed(fields: string[], stops: number[]): string {
  let line = '';
  let column = 0;
  for (const [index, field] of fields.entries()) {
    line += field;
    column += field.length;
    const stop = stops[index];
    if (stop === undefined || index === fields.length - 1) continue;
    if (column >= stop) { line += ' '; column += 1; continue; }
    for (let guard = 0; column < stop && guard < 16; guard++) {
      line += '\t';
      column = (Math.floor(column / 8) + 1) * 8;
    }
  }
  return line;
}

/** dig's WHEN: strftime("%a %b %d %H:%M:%S %Z %Y") in UTC. */
function whenText(epochMs: number): string {
  const time = civilTime(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (value: number) => String(value).padStart(2, '0');
  return `${time.weekday} ${months[time.month - 1]} ${two(time.day)} ${two(time.hour)}:${two(time.minute)}:${two(time.second)} UTC ${time.year}`;
}

/** The first nameserver of /etc/resolv.conf, 127.0.0.1 without one. */
async function defaultServer(context: BuiltinContext): Promise<string> {
  try {
    const text = new TextDecoder().decode(await context.host.platform.fs.readFile('/etc/resolv.conf'));
    const match = /^\s*nameserver\s+(\S+)/m.exec(text);
    if (match !== null) return match[1]!;
  } catch { /* no resolv.conf: the local resolver */ }
  return '127.0.0.1';
}

function parseType(word: string): RecordType | undefined {
  const upper = word.toUpperCase();
  return (TYPES as readonly string[]).includes(upper) ? upper as RecordType : undefined;
}

export const dig: Builtin = async (context) => {
  const args = context.argv.slice(1);
  let server: string | undefined;
  let name: string | undefined;
  let type: RecordType | undefined;
  let short = false;
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    if (word.startsWith('@')) { server = word.slice(1); continue; }
    if (word === '+short') { short = true; continue; }
    if (word.startsWith('+')) continue;
    if (word === '-x' || word === '-t') {
      const value = args[++index];
      if (value === undefined) { context.stderr.write(`dig: option requires an argument -- '${word.slice(1)}'\n`); return 1; }
      if (word === '-x') {
        if (!isAddressLiteral(value)) { context.stderr.write(`dig: '${value}' is not a legal IP address\n`); return 10; }
        name = reverseOf(value);
        type = 'PTR';
      } else {
        const parsed = parseType(value);
        if (parsed === undefined) { context.stderr.write(`dig: invalid type ${value}\n`); return 1; }
        type = parsed;
      }
      continue;
    }
    const asType = type === undefined ? parseType(word) : undefined;
    if (asType !== undefined && !(name === undefined && index === args.length - 1)) { type = asType; continue; }
    name ??= word;
  }
  const question = absolute(name ?? '.');
  const qtype: RecordType = type ?? (name === undefined ? 'NS' : 'A');
  let serverAddress = await defaultServer(context);
  if (server !== undefined) {
    const found = await resolveHost(context, server);
    if (found instanceof PlatformError) {
      context.stderr.write(`dig: couldn't get address for '${server}': not found\n`);
      return 10;
    }
    serverAddress = found[0]!;
  }
  const answer = name === undefined ? { status: 'NOERROR' as Status, records: [], elapsedMs: 0 } : await ask(context, bare(name), qtype);
  const out: string[] = [];
  if (short) {
    if (answer.status === 'timeout') out.push(';; connection timed out; no servers could be reached');
    else out.push(...answer.records.map((record) => record.data));
    context.stdout.write(out.length > 0 ? `${out.join('\n')}\n` : '');
    return answer.status === 'timeout' ? 9 : 0;
  }
  out.push('', `; <<>> DiG ${DIG_VERSION} <<>> ${args.join(' ')}`);
  if (server !== undefined) out.push('; (1 server found)');
  out.push(';; global options: +cmd');
  if (answer.status === 'timeout') {
    out.push(';; connection timed out; no servers could be reached');
    context.stdout.write(`${out.join('\n')}\n`);
    return 9;
  }
  const id = context.host.platform.random.fork(`dig:${context.host.platform.clock.nowMs()}`).int(65536);
  out.push(';; Got answer:');
  out.push(`;; ->>HEADER<<- opcode: QUERY, status: ${answer.status}, id: ${id}`);
  out.push(`;; flags: qr rd ra; QUERY: 1, ANSWER: ${answer.records.length}, AUTHORITY: 0, ADDITIONAL: 1`);
  out.push('', ';; OPT PSEUDOSECTION:', '; EDNS: version: 0, flags:; udp: 1232', ';; QUESTION SECTION:');
  out.push(tabbed([`;${question}`, '', 'IN', qtype], [24, 32, 40]));
  out.push('');
  if (answer.records.length > 0) {
    out.push(';; ANSWER SECTION:', ...answer.records.map(recordLine), '');
  }
  out.push(`;; Query time: ${Math.round(answer.elapsedMs)} msec`);
  out.push(`;; SERVER: ${serverAddress}#53(${server ?? serverAddress}) (UDP)`);
  out.push(`;; WHEN: ${whenText(context.host.platform.clock.nowMs())}`);
  out.push(`;; MSG SIZE  rcvd: ${messageBytes(question, answer.records)}`, '');
  context.stdout.write(`${out.join('\n')}\n`);
  return 0;
};

/** host's sentence for one record. */
function hostLine(record: ResourceRecord): string {
  const owner = bare(record.name);
  switch (record.type) {
    case 'A': return `${owner} has address ${record.data}`;
    case 'AAAA': return `${owner} has IPv6 address ${record.data}`;
    case 'MX': return `${owner} mail is handled by ${record.data}`;
    case 'TXT': return `${owner} descriptive text ${record.data}`;
    case 'CNAME': return `${owner} is an alias for ${record.data}`;
    case 'PTR': return `${owner} domain name pointer ${record.data}`;
    default: return `${owner} has ${record.type} record ${record.data}`;
  }
}

const STATUS_CODES: Record<string, string> = { NXDOMAIN: '3(NXDOMAIN)', SERVFAIL: '2(SERVFAIL)' };

export const host: Builtin = async (context) => {
  const args = context.argv.slice(1);
  let type: RecordType | undefined;
  const operands: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    if (word === '-t') {
      const value = args[++index];
      const parsed = value === undefined ? undefined : parseType(value);
      if (parsed === undefined) { context.stderr.write(`host: invalid type: ${value ?? ''}\n`); return 1; }
      type = parsed;
    } else if (word === '-a') {
      type = 'ANY';
    } else if (word.startsWith('-')) {
      continue;
    } else {
      operands.push(word);
    }
  }
  const [typed, server] = operands;
  if (typed === undefined) {
    context.stderr.write('Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n'
      + '            [-R number] [-m flag] [-p port] hostname [server]\n');
    return 1;
  }
  const out: string[] = [];
  if (server !== undefined) {
    const found = await resolveHost(context, server);
    if (found instanceof PlatformError) {
      context.stderr.write(`host: couldn't get address for '${server}': not found\n`);
      return 1;
    }
    out.push('Using domain server:', `Name: ${server}`, `Address: ${found[0]}#53`, 'Aliases: ', '');
  }
  const reverse = isAddressLiteral(typed) && (type === undefined || type === 'PTR');
  const name = reverse ? reverseOf(typed) : bare(typed);
  const questions: RecordType[] = reverse ? ['PTR'] : type !== undefined ? [type] : ['A', 'AAAA', 'MX'];
  const seen = new Set<string>();
  let status = 0;
  for (const question of questions) {
    const answer = await ask(context, name, question);
    if (answer.status === 'timeout') {
      out.push(';; connection timed out; no servers could be reached');
      status = 1;
      break;
    }
    if (answer.status !== 'NOERROR') {
      out.push(`Host ${name} not found: ${STATUS_CODES[answer.status]}`);
      status = 1;
      break;
    }
    for (const record of answer.records) {
      const line = hostLine(record);
      if (seen.has(line)) continue;
      seen.add(line);
      out.push(line);
    }
    const direct = answer.records.filter((record) => record.type === question || question === 'ANY');
    if (type !== undefined && direct.length === 0) out.push(`${bare(answer.records.at(-1)?.data ?? name)} has no ${question} record`);
  }
  context.stdout.write(out.length > 0 ? `${out.join('\n')}\n` : '');
  return status;
};
