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
import { asctime, atol, isHeader, latin1Bytes, scanLongs } from '../global/queue/record-text.ts';
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
  const reader = new RecordReader(run.source, { path: run.path, transparent: run.verbose === 0 });
  if (run.startOffset > 0) await skipTo(reader, run);
  if (run.startOffset === 0) {
    const first = await reader.readByte();
    if (first > 0 && !ENVELOPE_RECORD_TYPES.includes(String.fromCharCode(first))) {
      run.reporter.warn(`${run.path}: input is not a valid queue file`);
      return;
    }
    reader.seek(0);
    if (run.flags & Print.envelope) run.out(`*** ENVELOPE RECORDS ${run.path} ***\n`);
  }
  const machine = new Display(run, reader);
  for (let count = 0; count < POSTCAT_RECORDS_MAX; count++) {
    const offset = reader.position;
    const record = await readOrFatal(reader, run.reporter);
    if (record === null || machine.step(record, offset) === 'stop') return;
  }
  run.reporter.fatal(`${run.path}: too many records`);
}

/** postcat's (envelope, header, body) state machine over one file's records. */
class Display {
  private state = State.envelope;
  private doPrint: boolean;
  private dataOffset = -1;
  private dataSize = -1;
  private previousType = 0;

  constructor(private readonly run: PostcatRun, private readonly reader: RecordReader) {
    this.doPrint = (run.flags & Print.envelope) !== 0;
  }

  /** Handles one record; 'stop' ends the file as postcat's loop breaks. */
  step(record: QueueRecord, offset: number): 'go' | 'stop' {
    switch (record.type) {
      case RecordType.normalText:
      case RecordType.continuedText:
        if (this.textStartsBody(record) === 'stop') return 'stop';
        break;
      case RecordType.messageContentStart: return this.contentStart(record, offset);
      case RecordType.extractedStart: return this.extractedStart(record, offset);
      case RecordType.end: return this.end(record, offset);
      case RecordType.pointer: return this.pointer(record, offset);
      case RecordType.size: return this.size(record, offset);
    }
    if (!this.doPrint) return 'go';
    this.run.out(this.prefix(offset, record.type));
    this.previousType = printBody(record, this.state, this.run) ? 0 : record.type;
    this.run.flush();
    return 'go';
  }

  private prefix(offset: number, type: number): string {
    const flags = this.run.flags;
    return (flags & Print.offset ? `${String(offset).padStart(9, ' ')} ` : '')
      + (flags & Print.decimalType ? `${String(type).padStart(3, ' ')} ` : '');
  }

  private marker(offset: number, type: number, text: string): void {
    this.run.out(`${this.prefix(offset, type)}*** ${text} ${this.run.path} ***\n`);
    this.run.flush();
  }

  private printRecord(offset: number, record: QueueRecord): void {
    this.run.out(`${this.prefix(offset, record.type)}${recordTypeName(record.type)}: `);
    this.run.out(cStringBytes(record.payload));
    this.run.out(NEWLINE);
    this.run.flush();
  }

  private seekOrFatal(offset: number): void {
    if (offset < 0) this.run.reporter.fatal('seek error: Invalid argument');
    this.reader.seek(offset);
  }

  /** Skips the rest of the content, when the size record said where it ends. */
  private skipContent(): void {
    if (this.dataOffset >= 0 && this.dataSize >= 0) this.seekOrFatal(this.dataOffset + this.dataSize);
  }

  /** The first text line that is neither a header nor its continuation starts the body
   *  (wrong when a body starts with white space, as Postfix's own comment says). */
  private textStartsBody(record: QueueRecord): 'go' | 'stop' {
    const flags = this.run.flags;
    const payload = record.payload;
    if (this.state !== State.header || (flags & PRINT_TEXT) === 0 || this.previousType === RecordType.continuedText) return 'go';
    if (isHeader(cStringBytes(payload)) || payload[0] === 0x20 || payload[0] === 0x09) return 'go';
    this.state = State.body;
    this.doPrint = (flags & Print.body) !== 0;
    if (!this.doPrint && !(flags & Print.envelope)) return 'stop';
    if (!this.doPrint) this.skipContent();
    return 'go';
  }

  private contentStart(record: QueueRecord, offset: number): 'go' {
    const flags = this.run.flags;
    if (this.state !== State.envelope) this.run.reporter.warn(`${this.run.path}: out-of-order message content marker`);
    if (flags & Print.envelope) this.marker(offset, record.type, 'MESSAGE CONTENTS');
    if ((flags & PRINT_TEXT) === 0) this.skipContent();
    this.state = State.header;
    this.doPrint = (flags & Print.header) !== 0;
    return 'go';
  }

  private extractedStart(record: QueueRecord, offset: number): 'go' | 'stop' {
    const flags = this.run.flags;
    if (this.state === State.envelope) this.run.reporter.warn(`${this.run.path}: out-of-order extracted segment marker`);
    if (this.doPrint && this.previousType === RecordType.continuedText) this.run.out(NEWLINE);
    if (flags & Print.envelope) this.marker(offset, record.type, 'HEADER EXTRACTED');
    this.state = State.envelope;
    this.doPrint = (flags & Print.envelope) !== 0;
    return this.doPrint ? 'go' : 'stop';
  }

  private end(record: QueueRecord, offset: number): 'go' | 'stop' {
    if (this.state !== State.envelope) this.run.reporter.warn(`${this.run.path}: out-of-order message end marker`);
    if (this.run.flags & Print.envelope) this.marker(offset, record.type, 'MESSAGE FILE END');
    return this.run.flags & Print.raw ? 'go' : 'stop';
  }

  /** Seen only when reading raw (-v); followed unless -r. */
  private pointer(record: QueueRecord, offset: number): 'go' {
    if (this.doPrint) this.printRecord(offset, record);
    if (this.run.flags & Print.raw) return 'go';
    try {
      this.reader.follow(record);
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      this.run.reporter.warn(error.message);
      this.run.reporter.fatal('bad pointer record, or input is not seekable');
    }
    return 'go';
  }

  /** Remembers where the content is; without -e, goes straight to it. */
  private size(record: QueueRecord, offset: number): 'go' {
    if (this.doPrint) this.printRecord(offset, record);
    if (this.dataSize >= 0 || this.dataOffset >= 0) {
      this.run.reporter.warn('file contains multiple size records');
      return 'go';
    }
    const text = cString(record.payload);
    const numbers = scanLongs(text, 2);
    this.dataSize = numbers[0] ?? this.dataSize;
    this.dataOffset = numbers[1] ?? this.dataOffset;
    if (numbers.length !== 2 || this.dataOffset <= 0 || this.dataSize <= 0) {
      this.run.reporter.warn(`invalid size record: ${text.slice(0, 100)}`);
    }
    if ((this.run.flags & Print.envelope) === 0) {
      this.seekOrFatal(this.dataOffset);
      this.state = State.header;
      this.doPrint = (this.run.flags & Print.header) !== 0;
    }
    return 'go';
  }
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
