// postcat(1): show the records of Postfix queue files. Files come from the command line,
// from the queue by id (-q, searching maildrop incoming active deferred hold saved, twice),
// or from stdin. -e envelope, -h header, -b body (all three by default), -o offsets,
// -d decimal record types, -v raw records with their names (and verbose diagnostics),
// -r no pointer following, -s OFFSET start there, -c DIR configuration directory.
// Output is byte for byte postcat 3.7.11's, including its quirks: a header/body state
// machine that skips what is not printed, C-string truncation at NUL, asctime(3) dates
// (UTC here: the engine has no time zone), and "record read error" on a damaged file.
// Called through the command table (engine/admin/index.ts). Trusts nothing in the files.
// Models src/postcat/postcat.c.

import type { CommandContext } from './command.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import { readMainConfig } from '../global/config/main-cf.ts';
import { PlatformError, describeCode, type FileSystem } from '../platform/types.ts';
import {
  RecordReader, RecordError, RecordType, recordTypeName, cStringBytes, cString, latin1,
  bytesSource, ENVELOPE_RECORD_TYPES, type ByteSource, type QueueRecord,
} from '../global/queue/record.ts';
import { splitNameValue } from '../global/queue/queue-fields.ts';
import { isQueueIdSyntaxOk } from '../global/queue/queue-id.ts';
import { mailQueue, findQueueFile } from '../global/queue/mail-queue.ts';

const enum Print {
  offset = 1 << 1, envelope = 1 << 2, header = 1 << 3, body = 1 << 4, decimalType = 1 << 5, raw = 1 << 7,
}
const PRINT_TEXT = Print.header | Print.body;
const PRINT_ALL = Print.envelope | PRINT_TEXT;

const enum State { envelope, header, body }

/** Records shown per file before postcat gives up on a runaway (pointer loops are caught
 *  by the reader; this bounds everything else). */
export const POSTCAT_RECORDS_MAX = 50_000_000;
/** Bytes of stdin postcat reads. */
export const POSTCAT_STDIN_BYTES_MAX = 256 * 1024 * 1024;

interface Options {
  flags: number;
  searchQueue: boolean;
  configDirectory?: string;
  startOffset: number;
  verbose: number;
  operands: string[];
}

const encoder = new TextEncoder();
const NEWLINE = encoder.encode('\n');

export async function postcatMain(context: CommandContext): Promise<number> {
  const program = context.argv[0] ?? 'postcat';
  const reporter = createReporter({ program, host: context.host, pid: context.host.nextPid(), stderr: context.stderr });
  const options = parseArguments(context, program, reporter);
  const directory = options.configDirectory ?? context.env.get('MAIL_CONFIG') ?? context.host.defaultConfigDirectory;
  const config = await readMainConfig({
    fs: context.host.platform.fs, directory: absolute(context.cwd, directory), reporter, host: context.host,
    directoryIsExplicit: options.configDirectory !== undefined || context.env.has('MAIL_CONFIG'),
  });
  if (options.verbose > 0) reporter.info(`name_mask: ${config.get('inet_protocols') ?? 'all'}`);
  const fs = context.host.platform.fs;
  // Like VSTREAM_OUT, output reaches stdout only where postcat flushes it: a fatal error
  // or the end of the program loses what is still buffered.
  const pending: Array<string | Uint8Array> = [];
  const out = (data: string | Uint8Array): void => { pending.push(data); };
  const flush = (): void => {
    for (const chunk of pending) context.stdout.write(chunk);
    pending.length = 0;
  };
  const show = (source: ByteSource, path: string, isStdin: boolean): Promise<void> =>
    postcat({ source, path, isStdin, flags: options.flags, verbose: options.verbose, startOffset: options.startOffset, out, flush, reporter });

  if (options.operands.length === 0) {
    const input = await context.stdin.readAll();
    if (input.length > POSTCAT_STDIN_BYTES_MAX) reporter.fatal(`stdin: input exceeds ${POSTCAT_STDIN_BYTES_MAX} bytes`);
    await show(bytesSource(input), 'stdin', true);
  } else if (options.searchQueue) {
    const queueDirectory = config.get('queue_directory') ?? '/var/spool/postfix';
    await checkDirectory(fs, queueDirectory, reporter);
    const queue = mailQueue(fs, queueDirectory, {
      hashQueueNames: config.getList('hash_queue_names'), hashQueueDepth: config.getInt('hash_queue_depth'),
    });
    for (const id of options.operands) {
      if (!isQueueIdSyntaxOk(id)) reporter.fatal(`bad mail queue ID: ${id}`);
      const found = await findQueueFile(queue, id).catch((error: unknown) => reporter.fatal(`open queue file ${id}: ${reasonOf(error)}`));
      try {
        await show(handleSource(found.handle), found.relativePath, false);
      } finally {
        await found.handle.close();
      }
    }
  } else {
    for (const path of options.operands) {
      const handle = await fs.open(absolute(context.cwd, path), 'r').catch((error: unknown) => reporter.fatal(`open ${path}: ${reasonOf(error)}`));
      try {
        await show(handleSource(handle), path, false);
      } finally {
        await handle.close();
      }
    }
  }
  return 0;
}

/** getopt("bc:dehoqrs:v") as glibc does it: options may follow operands; "--" ends them. */
function parseArguments(context: CommandContext, program: string, reporter: Reporter): Options {
  const options: Options = { flags: 0, searchQueue: false, startOffset: 0, verbose: 0, operands: [] };
  const usage = (): never => reporter.fatal(`usage: ${program} [-b (body text)] [-c config_dir] [-d (decimal record type)] [-e (envelope records)] [-h (header text)] [-q (access queue)] [-v] [file(s)...]`);
  const letters: Record<string, number> = { b: Print.body, d: Print.decimalType, e: Print.envelope, h: Print.header, o: Print.offset, r: Print.raw };
  const argv = context.argv;
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    if (argument === '--') { options.operands.push(...argv.slice(index + 1)); break; }
    if (!argument.startsWith('-') || argument === '-') { options.operands.push(argument); continue; }
    for (let position = 1; position < argument.length; position++) {
      const letter = argument[position] ?? '';
      if (letter === 'c' || letter === 's') {
        let value = argument.slice(position + 1);
        if (value === '') {
          if (index + 1 >= argv.length) {
            context.stderr.write(`${program}: option requires an argument -- '${letter}'\n`);
            usage();
          }
          value = argv[++index] ?? '';
        }
        if (letter === 'c') options.configDirectory = value;
        else options.startOffset = parseOffset(value, reporter);
        break;
      }
      const flag = letters[letter];
      if (flag !== undefined) options.flags |= flag;
      else if (letter === 'q') options.searchQueue = true;
      else if (letter === 'v') options.verbose++;
      else {
        context.stderr.write(`${program}: invalid option -- '${letter}'\n`);
        usage();
      }
    }
  }
  if ((options.flags & PRINT_ALL) === 0) options.flags |= PRINT_ALL;
  return options;
}

function parseOffset(value: string, reporter: Reporter): number {
  const offset = /^\d*$/.test(value) ? atol(value) : -1;
  if (offset < 0 || !Number.isSafeInteger(offset)) reporter.fatal(`bad offset: ${value}`);
  return offset;
}

function absolute(cwd: string, path: string): string {
  return path.startsWith('/') ? path : `${cwd.replace(/\/+$/, '')}/${path}`;
}

function reasonOf(error: unknown): string {
  if (error instanceof PlatformError) return describeCode(error.code);
  throw error;
}

/** postcat -q starts with chdir(queue_directory). */
async function checkDirectory(fs: FileSystem, directory: string, reporter: Reporter): Promise<void> {
  let reason: string | undefined;
  try {
    if (!(await fs.stat(directory)).isDirectory) reason = describeCode('ENOTDIR');
  } catch (error) {
    reason = reasonOf(error);
  }
  if (reason !== undefined) reporter.fatal(`chdir ${directory}: ${reason}`);
}

/** A file handle as a byte source; a read error ends the data, as a VSTREAM's does. */
function handleSource(handle: { read(length: number, position?: number): Promise<Uint8Array> }): ByteSource {
  return {
    read: async (length, position) => {
      try {
        return await handle.read(length, position);
      } catch (error) {
        if (error instanceof PlatformError) return new Uint8Array(0);
        throw error;
      }
    },
  };
}

/** atol(3): optional blanks and sign, then digits; 0 when there are none. */
function atol(text: string): number {
  const match = /^[ \t\n\r\f\v]*([+-]?\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MS_PER_DAY = 86_400_000;

/** asctime(localtime(t)) in UTC: "Sun Nov 22 09:28:08 2026\n". */
export function asctime(seconds: number): string {
  const ms = seconds * 1000;
  const days = Math.floor(ms / MS_PER_DAY);
  const secondsOfDay = Math.floor((ms - days * MS_PER_DAY) / 1000);
  const { year, month, day } = civilFromDays(days);
  const weekday = DAYS[(((days + 4) % 7) + 7) % 7] ?? '';
  const two = (value: number): string => String(value).padStart(2, '0');
  const clock = `${two(Math.floor(secondsOfDay / 3600))}:${two(Math.floor(secondsOfDay / 60) % 60)}:${two(secondsOfDay % 60)}`;
  return `${weekday} ${MONTHS[month - 1] ?? ''}${String(day).padStart(3, ' ')} ${clock} ${year}\n`;
}

/** Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm). */
function civilFromDays(daysSinceEpoch: number): { year: number; month: number; day: number } {
  const z = daysSinceEpoch + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthPrime = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthPrime + 2) / 5) + 1;
  const month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** is_header(): a name of printable non-blank ASCII, optional blanks, then ':'. */
export function isHeader(line: Uint8Array): boolean {
  let state: 'start' | 'name' | 'blank' = 'start';
  for (const byte of line) {
    if (byte === 0x3a) return state !== 'start';
    if (byte === 0x20 || byte === 0x09) {
      if (state === 'start') return false;
      state = 'blank';
      continue;
    }
    if (byte === 0 || byte > 0x7e || byte < 0x20 || state === 'blank') return false;
    state = 'name';
  }
  return false;
}

interface PostcatRun {
  source: ByteSource;
  path: string;
  isStdin: boolean;
  flags: number;
  verbose: number;
  startOffset: number;
  out: (data: string | Uint8Array) => void;
  /** vstream_fflush(VSTREAM_OUT). */
  flush: () => void;
  reporter: Reporter;
}

/** Shows one file, as postcat.c's postcat(). */
async function postcat(run: PostcatRun): Promise<void> {
  const { path, flags, out, flush, reporter } = run;
  const reader = new RecordReader(run.source, { path, transparent: run.verbose === 0 });
  if (run.startOffset > 0) await skipTo(reader, run);
  if (run.startOffset === 0) {
    const first = await reader.readByte();
    if (first > 0 && !ENVELOPE_RECORD_TYPES.includes(String.fromCharCode(first))) {
      reporter.warn(`${path}: input is not a valid queue file`);
      return;
    }
    reader.seek(0);
    if (flags & Print.envelope) out(`*** ENVELOPE RECORDS ${path} ***\n`);
  }
  let state = State.envelope;
  let doPrint = (flags & Print.envelope) !== 0;
  let dataOffset = -1;
  let dataSize = -1;
  let previousType = 0;
  const seekOrFatal = (offset: number): void => {
    if (offset < 0) reporter.fatal('seek error: Invalid argument');
    reader.seek(offset);
  };
  const prefix = (offset: number, type: number): string =>
    (flags & Print.offset ? `${String(offset).padStart(9, ' ')} ` : '') + (flags & Print.decimalType ? `${String(type).padStart(3, ' ')} ` : '');
  const marker = (offset: number, type: number, text: string): void => {
    out(`${prefix(offset, type)}*** ${text} ${path} ***\n`);
    flush();
  };
  const printRecord = (offset: number, record: QueueRecord): void => {
    out(`${prefix(offset, record.type)}${recordTypeName(record.type)}: `);
    out(cStringBytes(record.payload));
    out(NEWLINE);
    flush();
  };

  for (let count = 0; count < POSTCAT_RECORDS_MAX; count++) {
    const offset = reader.position;
    const record = await readOrFatal(reader, reporter);
    if (record === null) return;
    const type = record.type;
    const payload = record.payload;
    if (type === RecordType.normalText || type === RecordType.continuedText) {
      if (state === State.header && (flags & PRINT_TEXT) && previousType !== RecordType.continuedText
        && !(isHeader(cStringBytes(payload)) || payload[0] === 0x20 || payload[0] === 0x09)) {
        state = State.body;
        doPrint = (flags & Print.body) !== 0;
        if (!doPrint && !(flags & Print.envelope)) return;
        if (!doPrint && (flags & Print.envelope) && dataOffset >= 0 && dataSize >= 0) seekOrFatal(dataOffset + dataSize);
      }
    } else if (type === RecordType.messageContentStart) {
      if (state !== State.envelope) reporter.warn(`${path}: out-of-order message content marker`);
      if (flags & Print.envelope) marker(offset, type, 'MESSAGE CONTENTS');
      if ((flags & PRINT_TEXT) === 0 && dataOffset >= 0 && dataSize >= 0) seekOrFatal(dataOffset + dataSize);
      state = State.header;
      doPrint = (flags & Print.header) !== 0;
      continue;
    } else if (type === RecordType.extractedStart) {
      if (state !== State.header && state !== State.body) reporter.warn(`${path}: out-of-order extracted segment marker`);
      if (doPrint && previousType === RecordType.continuedText) out(NEWLINE);
      if (flags & Print.envelope) marker(offset, type, 'HEADER EXTRACTED');
      state = State.envelope;
      doPrint = (flags & Print.envelope) !== 0;
      if (!doPrint) return;
      continue;
    } else if (type === RecordType.end) {
      if (state !== State.envelope) reporter.warn(`${path}: out-of-order message end marker`);
      if (flags & Print.envelope) marker(offset, type, 'MESSAGE FILE END');
      if (flags & Print.raw) continue;
      return;
    } else if (type === RecordType.pointer) {
      if (doPrint) printRecord(offset, record);
      if ((flags & Print.raw) === 0) {
        try {
          reader.follow(record);
        } catch (error) {
          if (!(error instanceof RecordError)) throw error;
          reporter.warn(error.message);
          reporter.fatal('bad pointer record, or input is not seekable');
        }
      }
      continue;
    } else if (type === RecordType.size) {
      if (doPrint) printRecord(offset, record);
      if (dataSize >= 0 || dataOffset >= 0) {
        reporter.warn('file contains multiple size records');
      } else {
        const text = cString(payload);
        const numbers = scanLongs(text, 2);
        dataSize = numbers[0] ?? dataSize;
        dataOffset = numbers[1] ?? dataOffset;
        if (numbers.length !== 2 || dataOffset <= 0 || dataSize <= 0) {
          reporter.warn(`invalid size record: ${text.slice(0, 100)}`);
        }
        if ((flags & Print.envelope) === 0) {
          seekOrFatal(dataOffset);
          state = State.header;
          doPrint = (flags & Print.header) !== 0;
        }
      }
      continue;
    }
    if (!doPrint) continue;
    out(prefix(offset, type));
    previousType = printBody(record, state, run) ? 0 : type;
    flush();
  }
  reporter.fatal(`${path}: too many records`);
}

/** -s: skip bytes (stdin must have them) or seek. */
async function skipTo(reader: RecordReader, run: PostcatRun): Promise<void> {
  if (run.isStdin) {
    for (let skipped = 0; skipped < run.startOffset; skipped++) {
      if ((await reader.readByte()) < 0) run.reporter.fatal(`${run.path}: skip ${run.startOffset} bytes failed after ${skipped}`);
    }
  } else {
    reader.seek(run.startOffset);
  }
}

async function readOrFatal(reader: RecordReader, reporter: Reporter): Promise<QueueRecord | null> {
  try {
    return await reader.next();
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    reporter.warn(error.message);
    return reporter.fatal('record read error');
  }
}

/** sscanf("%ld %ld ..."): the numbers it could convert, up to `count`. */
function scanLongs(text: string, count: number): number[] {
  const numbers: number[] = [];
  let rest = text;
  for (let index = 0; index < count; index++) {
    const match = /^\s*([+-]?\d+)/.exec(rest);
    if (match === null) break;
    numbers.push(Number(match[1]));
    rest = rest.slice(match[0].length);
  }
  return numbers;
}

/** The switch at the end of postcat()'s loop. Returns true when the record counts as
 *  "no type" for the next one (a continued-text line that was terminated). */
function printBody(record: QueueRecord, state: State, run: PostcatRun): boolean {
  const { out, verbose, flags } = run;
  const name = recordTypeName(record.type);
  const payload = record.payload;
  switch (record.type) {
    case RecordType.time:
    case RecordType.warningTime:
      out(`${name}: ${asctime(atol(cString(payload)))}`);
      return false;
    case RecordType.continuedText: {
      if (state === State.envelope) out(`${name}: `);
      else if (verbose) out('unterminated_text: ');
      out(payload);
      const terminate = state === State.envelope || verbose > 0 || (flags & Print.offset) !== 0;
      if (terminate) out(NEWLINE);
      return terminate;
    }
    case RecordType.normalText:
      if (verbose) out(`${name}: `);
      out(payload);
      out(NEWLINE);
      return false;
    case RecordType.padding:
      out(`${name}: `);
      out(payload);
      out(NEWLINE);
      return false;
    case RecordType.attribute: {
      const split = splitNameValue(latin1(cStringBytes(payload)));
      if (typeof split === 'string') {
        run.reporter.warn(`${run.path}: malformed attribute: ${split}: ${cString(payload).slice(0, 100)}`);
      } else if (split.name === 'create_time') {
        out(`create_time: ${asctime(atol(split.value))}`);
      } else {
        out(`${name}: `);
        out(latin1Bytes(`${split.name}=${split.value}`));
        out(NEWLINE);
      }
      return false;
    }
    default:
      out(`${name}: `);
      out(cStringBytes(payload));
      out(NEWLINE);
      return false;
  }
}

/** Text made by latin1() back to its bytes. */
function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index) & 0xff;
  return bytes;
}
