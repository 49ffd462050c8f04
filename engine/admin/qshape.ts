// qshape(1): the shape of the queue as a table of recipient domains (or, with -s, sender
// domains) by message age. Ages come from each queue file's arrival time record (never
// the file time, except for maildrop files that have none, as qshape does), counted into
// buckets of -t minutes that double in width (or stay equal with -l), -b of them, the
// last one open-ended. -p adds parent domains (".example.com") with at least -m
// subdomains. Default queues: incoming and active; relative names are under
// queue_directory. Domains sort by total count, then by length; ties (which Perl leaves
// to hash order) by name, so the table is the same on every run. At a terminal, like the
// real one, only the top -n (20) domains show, after a screen clear, every -N messages.
// Called through the command table (engine/admin/index.ts). Trusts nothing in the files.
// Models postfix/auxiliary/qshape/qshape.pl (Postfix 3.7).

import type { CommandContext, CommandMain } from './command.ts';
import { readMainConfig } from '../global/config/main-cf.ts';
import { createReporter, FatalExit } from '../global/msg.ts';
import { PlatformError, describeCode, type FileStat, type FileSystem } from '../platform/types.ts';
import { RecordReader, RecordType, latin1, type QueueRecord } from '../global/queue/record.ts';
import { latin1Bytes } from '../global/queue/record-text.ts';
import { walkQueue, statOrMissing } from '../global/queue/scan-dir.ts';

/** Perl's die: exit status 255. */
const DIE_EXIT = 255;
const DEFAULT_QUEUES = ['incoming', 'active'];
const WIDTH_MIN = 80;
const DOMAIN_WIDTH_MIN = 18;
/** What `clear` writes for TERM=xterm-256color. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J\x1b[3J';
/** Records read per queue file before qshape gives up on it. */
export const QSHAPE_RECORDS_MAX = 1_000_000;
/** Parent-domain steps per address (a name has at most 127 dots). */
const PARENT_STEPS_MAX = 128;

interface Options {
  linear: boolean;
  senders: boolean;
  parents: boolean;
  configDirectory?: string;
  width: number;
  buckets: number;
  tickMinutes: number;
  subdomainsMin: number;
  batchMessages?: number;
  batchDomains?: number;
  queues: string[];
}

/** Perl's numeric reading of a string: its leading number, else 0. */
function perlNumber(text: string | undefined): number {
  const value = Number.parseFloat(text ?? '');
  return Number.isFinite(value) ? value : 0;
}

function usageText(program: string): string {
  return `Usage: ${program} [ -s ] [ -p ] [ -m <min_subdomains> ] [ -l ]\n`
    + '\t[ -b <bucket_count> ] [ -t <bucket_time> ] [ -w <terminal_width> ]\n'
    + '\t[ -N <batch_msg_count> ] [ -n <batch_top_domains> ]\n'
    + '\t[ -c <config_directory> ] [ <queue_name> ... ]\n'
    + "The 's' option shows sender domain counts.\n"
    + "The 'p' option shows address counts by for parent domains.\n"
    + "Parent domains are shown with a leading '.' before the domain name.\n"
    + 'Parent domains are only shown if the domain is not a TLD, and at\n'
    + 'least <min_subdomains> (default 5) subdomains are shown in the output.\n\n'
    + 'The bucket age ranges in units of <bucket_time> minutes are\n'
    + '[0,1), [1,2), [2,4), [4,8), [8, 16), ... i.e.:\n'
    + '\tthe first bucket is [0, bucket_time) minutes\n'
    + '\tthe second bucket is [bucket_time, 2*bucket_time) minutes\n'
    + '\tthe third bucket is [2*bucket_time, 4*bucket_time) minutes...\n'
    + "'-l' makes the ages linear, the number of buckets shown is <bucket_count>\n\n"
    + 'The default summary is for the incoming and active queues. An explicit\n'
    + 'list of queue names can be given on the command line. Non-absolute queue\n'
    + 'names are interpreted relative to the Postfix queue directory. Use\n'
    + '<config_directory> to specify a non-default Postfix instance.  Values of\n'
    + 'the main.cf queue_directory parameter that use variable expansions are\n'
    + 'not supported. If necessary, use explicit absolute paths for all queues.\n';
}

class PerlDie extends Error {}

/** Getopt::Std's getopts("lhc:psw:b:t:m:n:N:"): bundles, values attached or next. */
function parseArguments(context: CommandContext, program: string): Options {
  const values = new Map<string, string | undefined>();
  const argv = context.argv.slice(1);
  let problem: string | undefined;
  while (argv.length > 0 && /^-./s.test(argv[0] ?? '')) {
    const argument = argv.shift() ?? '';
    if (argument === '--') break;
    let rest = argument.slice(1);
    while (rest !== '') {
      const letter = rest[0] ?? '';
      rest = rest.slice(1);
      if ('cwbtmnN'.includes(letter)) {
        values.set(letter, rest !== '' ? rest : argv.shift());
        rest = '';
      } else if ('lhps'.includes(letter)) {
        values.set(letter, '1');
      } else {
        problem ??= `Unknown option: ${letter}\n`;
      }
    }
  }
  if (values.has('h')) problem = 'Help message';
  if (problem !== undefined) {
    if (!values.has('h')) context.stderr.write(`${program}: ${problem}`);
    context.stderr.write(usageText(program));
    throw new PerlDie();
  }
  const numeric = (letter: string): number => perlNumber(values.get(letter));
  return {
    linear: values.has('l'), senders: values.has('s'), parents: values.has('p'),
    configDirectory: values.get('c'),
    width: numeric('w') > WIDTH_MIN ? numeric('w') : WIDTH_MIN,
    buckets: numeric('b') > 0 ? numeric('b') : 10,
    tickMinutes: numeric('t') > 0 ? numeric('t') : 5,
    subdomainsMin: numeric('m') > 0 ? numeric('m') : 5,
    batchMessages: values.has('N') ? numeric('N') : undefined,
    batchDomains: values.has('n') ? numeric('n') : undefined,
    queues: argv.length > 0 ? argv : DEFAULT_QUEUES,
  };
}

export const qshapeMain: CommandMain = async (context) => {
  const argv0 = context.argv[0] ?? 'qshape';
  const program = argv0.includes('/') ? argv0 : `/usr/sbin/${argv0}`;
  try {
    const options = parseArguments(context, program);
    const queueDirectory = await queueDirectoryOf(context, options, program);
    const table = new ShapeTable(options, Math.floor(context.host.platform.clock.nowMs() / 1000));
    const batch = context.stdout.isTty ? { messages: options.batchMessages ?? 1000, domains: options.batchDomains ?? 20, clear: CLEAR_SCREEN } : { messages: 0, domains: 0, clear: '' };
    const print = (): void => { context.stdout.write(latin1Bytes(batch.clear + table.render(batch.domains))); };
    let messages = 0;
    for (const name of options.queues) {
      const path = name.startsWith('/') ? name : `${queueDirectory}/${name}`;
      const files = await filesBelow(context.host.platform.fs, path);
      if (files === undefined) {
        context.stderr.write(`Can't stat ${name}: No such file or directory\n at ${program} line 375.\n`);
        continue;
      }
      for (const file of files) {
        const envelope = await readEnvelope(context.host.platform.fs, file);
        if (envelope === undefined) continue;
        table.add(envelope);
        if (batch.messages > 0 && ++messages % batch.messages === 0) print();
      }
    }
    print();
    return 0;
  } catch (error) {
    if (error instanceof PerlDie) return DIE_EXIT;
    throw error;
  }
};

/** `postconf -h queue_directory` (with -c as MAIL_CONFIG), needed only for relative names. */
async function queueDirectoryOf(context: CommandContext, options: Options, program: string): Promise<string> {
  if (options.queues.every((name) => name.startsWith('/'))) return '/';
  const host = context.host;
  const explicit = options.configDirectory ?? context.env.get('MAIL_CONFIG');
  const reporter = createReporter({ program: 'postconf', host, pid: host.nextPid(), stderr: context.stderr });
  let directory: string;
  try {
    const config = await readMainConfig({ fs: host.platform.fs, directory: explicit ?? host.defaultConfigDirectory, reporter, host, directoryIsExplicit: explicit !== undefined });
    directory = config.get('queue_directory') ?? '/var/spool/postfix';
  } catch (error) {
    if (!(error instanceof FatalExit)) throw error;
    context.stderr.write(`${program}: postconf failed\n`);
    throw new PerlDie();
  }
  if (directory.includes('$')) context.stderr.write(`${program}: 'queue_directory' variable expansion not supported: ${directory}\n`);
  try {
    if (!(await host.platform.fs.stat(directory)).isDirectory) throw new PlatformError('ENOTDIR', 'chdir', directory);
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    context.stderr.write(`${program}: chdir(${directory}): ${describeCode(error.code)}\n`);
    throw new PerlDie();
  }
  return directory;
}

interface FoundFile { name: string; path: string; stat: FileStat }

/** File::Find over one queue: every file below it (any depth), or undefined if missing. */
async function filesBelow(fs: FileSystem, path: string): Promise<FoundFile[] | undefined> {
  const top = await statOrMissing(fs, path);
  if (top === undefined) return undefined;
  if (!top.isDirectory) return [{ name: path.slice(path.lastIndexOf('/') + 1), path, stat: top }];
  const slash = path.lastIndexOf('/');
  const entries = await walkQueue(fs, path.slice(0, slash) || '/', path.slice(slash + 1), { recurse: true });
  const files: FoundFile[] = [];
  for (const entry of entries) {
    const stat = await statOrMissing(fs, entry.path);
    if (stat !== undefined) files.push({ name: entry.name, path: entry.path, stat });
  }
  return files;
}

interface Envelope { arrivalSeconds: number; sender: string; recipients: string[] }

/** qenv(): the arrival time, sender and recipients of a complete queue file, or nothing. */
async function readEnvelope(fs: FileSystem, file: FoundFile): Promise<Envelope | undefined> {
  if (!/^[A-Za-z0-9]{6,}$/.test(file.name)) return undefined;
  if (!file.stat.isFile || (file.stat.mode & 0o733) !== 0o700) return undefined;
  let handle;
  try {
    handle = await fs.open(file.path, 'r');
  } catch {
    return undefined;
  }
  try {
    return await envelopeOf(new RecordReader(handle, { path: file.path }), file.stat);
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

async function envelopeOf(reader: RecordReader, stat: FileStat): Promise<Envelope | undefined> {
  const text = (record: QueueRecord): string => latin1(record.payload);
  let record = await reader.next();
  let arrival: number | undefined;
  let sender: string | undefined;
  let contentBytes: number | undefined;
  if (record?.type === RecordType.size) {
    const match = /^\s*(\d+)\s+\d+\s+\d+/.exec(text(record));
    contentBytes = match ? Number(match[1]) : undefined;
    record = await reader.next();
    if (record?.type !== RecordType.time) return undefined;
    arrival = perlNumber(text(record).split(/\s+/)[0]);
  } else if (record?.type === RecordType.sender || record?.type === RecordType.fullName) {
    // A maildrop file has no time record: qshape takes the file's modification time.
    arrival = Math.floor(stat.mtimeMs / 1000);
    if (record.type === RecordType.fullName) record = await reader.next();
    if (record?.type !== RecordType.sender) return undefined;
    sender = text(record);
  } else {
    return undefined;
  }
  const recipients: string[] = [];
  for (let count = 0; count < QSHAPE_RECORDS_MAX; count++) {
    record = await reader.next();
    if (record === null) return undefined;
    if (record.type === RecordType.recipient) recipients.push(text(record));
    else if (record.type === RecordType.sender) sender = text(record);
    else if (record.type === RecordType.messageContentStart) {
      if (sender === undefined) return undefined;
      if (contentBytes !== undefined) {
        reader.seek(reader.position + contentBytes);
        record = await reader.next();
      } else {
        do record = await reader.next();
        while (record !== null && (record.type === RecordType.normalText || record.type === RecordType.continuedText));
      }
      if (record?.type !== RecordType.extractedStart) return undefined;
    } else if (record.type === RecordType.end) {
      return arrival !== undefined && sender !== undefined && recipients.length > 0 ? { arrivalSeconds: arrival, sender, recipients } : undefined;
    }
  }
  return undefined;
}

/** Perl's lc() without a locale: ASCII letters only. */
const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

/** The counts: per domain, [total, bucket 1, ..., bucket N]. */
class ShapeTable {
  private readonly counts = new Map<string, number[]>();
  private readonly subdomains = new Map<string, number>();

  constructor(private readonly options: Options, private readonly nowSeconds: number) {}

  private bucket(arrivalSeconds: number): number {
    const ticks = (this.nowSeconds - arrivalSeconds) / (60 * this.options.tickMinutes);
    if (ticks < 1) return 1;
    const bucket = this.options.linear ? Math.trunc(ticks + 1) : 2 + Math.trunc(Math.log(ticks) / Math.log(2));
    return bucket < this.options.buckets ? bucket : this.options.buckets;
  }

  private bump(key: string, bucket: number): number {
    let row = this.counts.get(key);
    if (row === undefined) {
      row = [];
      this.counts.set(key, row);
    }
    row[0] = (row[0] ?? 0) + 1;
    row[bucket] = (row[bucket] ?? 0) + 1;
    return row[0];
  }

  add(envelope: Envelope): void {
    const bucket = this.bucket(envelope.arrivalSeconds);
    const addresses = this.options.senders ? [envelope.sender] : envelope.recipients;
    for (const address of addresses.map(asciiLower)) {
      this.bump('TOTAL', bucket);
      let domain = address === '' ? 'MAILER-DAEMON' : address;
      domain = domain.replace(/^.*@/s, '').replace(/\.\./g, '.').replace(/\.?(.+?)\.?$/, '$1');
      let isNew = false;
      for (let step = 0; step < PARENT_STEPS_MAX; step++) {
        const old = this.bump(domain, bucket) > 1;
        if (isNew) this.subdomains.set(domain, (this.subdomains.get(domain) ?? 0) + 1);
        isNew = !old;
        const parent = /^(?:\.)?[^.]+\.(.*\.)/.exec(domain);
        if (!this.options.parents || parent === null) break;
        domain = `.${parent[1]}${domain.slice(parent[0].length)}`;
      }
    }
  }

  /** results(): the heading line and one line per domain, `domainsMax` of them (0: all). */
  render(domainsMax: number): string {
    const { buckets, tickMinutes, linear, width } = this.options;
    // Perl's `$q{"TOTAL"}->[$i] ||= 0` brings the TOTAL row into being on an empty queue.
    if (!this.counts.has('TOTAL')) this.counts.set('TOTAL', []);
    const total = this.counts.get('TOTAL') ?? [];
    const headings: string[] = [];
    const widths: number[] = [];
    let domainWidth = width;
    let tick = 0;
    let lastHeading = '';
    for (let index = 0; index <= buckets;) {
      const heading = index === 0 ? 'T' : lastHeading;
      const length = Math.max(String(total[index] ?? 0).length, heading.length);
      const columnWidth = length > 2 ? length + 1 : 3;
      headings.push(heading);
      widths.push(columnWidth);
      domainWidth -= columnWidth;
      if (++index < buckets) {
        tick += tick !== 0 && !linear ? tick : tickMinutes;
        lastHeading = String(tick);
      } else {
        lastHeading = `${tick}+`;
      }
    }
    domainWidth = Math.max(domainWidth, DOMAIN_WIDTH_MIN);
    const line = (domain: string, cells: ReadonlyArray<string | number | undefined>): string => {
      const shown = domain.length <= domainWidth ? domain.padStart(domainWidth, ' ')
        : domain.startsWith('.') ? `.+${domain.slice(domain.length - domainWidth + 2)}` : `+${domain.slice(domain.length - domainWidth + 1)}`;
      return shown + widths.map((columnWidth, index) => String(cells[index] ?? 0).padStart(columnWidth, ' ')).join('') + '\n';
    };
    let text = line('', headings);
    const domains = [...this.counts.keys()].sort((a, b) =>
      (this.counts.get(b)?.[0] ?? 0) - (this.counts.get(a)?.[0] ?? 0) || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    let shown = 0;
    for (const domain of domains) {
      if (domain.startsWith('.') && (this.subdomains.get(domain) ?? 0) < this.options.subdomainsMin) continue;
      if (domainsMax > 0 && ++shown > domainsMax) break;
      text += line(domain, this.counts.get(domain) ?? []);
    }
    return text;
  }
}
