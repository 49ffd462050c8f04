// What postmap(1) and postalias(1) share as commands: the option skeleton (-c, -q key,
// -q -, -s, -d key, -d -, the build of each operand), the query, delete and listing
// output, and the start of
// a build (reading the source file or stdin, refusing types that cannot be built in bulk,
// opening the index writer with the command's case folding and duplicate handling). Each
// command supplies its option letters, its messages, its -s/-q separator and how a source
// line becomes an entry. Called by engine/admin/postmap.ts and engine/admin/postalias.ts.
// Trusts engine/global/maps. Models the common parts of src/postmap/postmap.c and
// src/postalias/postalias.c.

import type { CommandContext } from './command.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import {
  entriesOrFatal, lookupOrFatal, mapContextFor, openForCommand, operandSpec, programName,
  readCommandConfig, readInputLines, warnEmptyResult,
} from '../global/maps/command-support.ts';
import { openTableForUpdate, type UpdatableTable } from '../global/maps/delete.ts';
import { forEachOption } from './getopt.ts';
import { isIndexedType } from '../global/maps/indexed.ts';
import { IndexWriter } from '../global/maps/index-writer.ts';
import { resolvePath, type LookupTable, type MapContext, type MapFlags } from '../global/maps/types.ts';
import { PlatformError, describeCode } from '../platform/types.ts';

/** Types Postfix knows but cannot create from a source file ("postmap regexp:..."). */
const READ_ONLY_TYPES = ['texthash', 'regexp', 'pcre', 'cidr', 'static', 'inline', 'fail', 'unionmap', 'pipemap'];

/** One build request: an operand and the options that shape its index. */
export interface BuildRequest {
  context: CommandContext;
  config: MainConfig;
  operand: string;
  defaultType: string;
  flags: Map<string, string[]>;
  mapFlags: MapFlags;
  reporter: Reporter;
}

export interface TableCommand {
  /** argv[0] when it is missing. */
  fallbackName: string;
  /** getopt's option string. */
  optionSpec: string;
  /** The bracketed flag letters in the usage line, e.g. "[-Nfinoprsuvw]". */
  usageFlags: string;
  /** What -r/-w ask for (each command settles a conflict its own way). */
  duplicates(flags: Map<string, string[]>): MapFlags['duplicates'];
  /** Between key and value in -s and "-q -" output. */
  separator: string;
  build(request: BuildRequest): Promise<void>;
}

/** The main of postmap or postalias: parse, then query, list or build. */
export async function runTableCommand(context: CommandContext, command: TableCommand): Promise<number> {
  const program = programName(context.argv[0], command.fallbackName);
  const reporter = createReporter({ program, host: context.host, pid: context.host.nextPid(), stderr: context.stderr });
  const usage = (): never => reporter.fatal(`usage: ${program} ${command.usageFlags} [-c config_dir] [-d key] [-q key] [map_type:]file...`);
  const flags = new Map<string, string[]>();
  const operands = forEachOption(context.argv, command.optionSpec, { program, complain: (text) => context.stderr.write(text), usage }, (letter, value) => {
    // -s, -q and -d exclude each other, checked as each option is met (3.7's wording).
    const moded = ['s', 'q', 'd'].filter((mode) => flags.has(mode));
    if ((letter === 'q' || letter === 'd') && moded.length > 0) reporter.fatal('specify only one of -s -q or -d');
    if (letter === 's' && moded.some((mode) => mode !== 's')) reporter.fatal('specify only one of -s or -q or -d');
    flags.set(letter, [...(flags.get(letter) ?? []), value]);
  });
  const mapFlags: MapFlags = { foldFixed: !flags.has('f'), duplicates: command.duplicates(flags) };
  const config = await readCommandConfig(context, reporter, flags.get('c')?.at(-1));
  const defaultType = config.get('default_database_type') ?? 'hash';
  const mapContext = mapContextFor(context, reporter, mapFlags);
  const lookup = { context, operands, defaultType, mapContext, reporter, separator: command.separator };
  const deleteKey = flags.get('d')?.at(-1);
  if (deleteKey !== undefined) {
    if (operands.length === 0) usage();
    return deleteKey === '-' ? deleteStdin(lookup) : deleteOne(lookup, deleteKey);
  }
  const query = flags.get('q')?.at(-1);
  if (query !== undefined) {
    if (operands.length === 0) usage();
    return query === '-' ? queryStdin(lookup) : queryOne(lookup, query);
  }
  if (flags.has('s')) {
    const first = operands[0];
    if (first === undefined) return 1;
    const table = await openForCommand(first, defaultType, mapContext);
    printEntries(context, table, await entriesOrFatal(table, reporter), reporter, command.separator);
    return 0;
  }
  if (operands.length === 0) usage();
  for (const operand of operands) {
    await command.build({ context, config, operand, defaultType, flags, mapFlags, reporter });
  }
  return 0;
}

interface Lookup {
  context: CommandContext;
  operands: string[];
  defaultType: string;
  mapContext: MapContext;
  reporter: Reporter;
  separator: string;
}

/** -q key: the first table that has the key answers; exit 0 when found, 1 when not. */
async function queryOne(lookup: Lookup, key: string): Promise<number> {
  for (const operand of lookup.operands) {
    const table = await openForCommand(operand, lookup.defaultType, lookup.mapContext);
    const value = await lookupOrFatal(table, key, lookup.reporter);
    if (value === undefined) continue;
    if (value === '') warnEmptyResult(table, key, lookup.reporter);
    lookup.context.stdout.write(`${value}\n`);
    return 0;
  }
  return 1;
}

/** -q -: keys on stdin, "key<separator>value" for each found; tables opened on first use. */
async function queryStdin(lookup: Lookup): Promise<number> {
  const { context, operands, reporter } = lookup;
  const tables: Array<LookupTable | undefined> = operands.map(() => undefined);
  let found = false;
  for (const key of await readInputLines(context)) {
    for (let index = 0; index < operands.length; index++) {
      const table = tables[index] ?? await openForCommand(operands[index] ?? '', lookup.defaultType, lookup.mapContext);
      tables[index] = table;
      const value = await lookupOrFatal(table, key, reporter);
      if (value === undefined) continue;
      if (value === '') warnEmptyResult(table, key, reporter);
      context.stdout.write(`${key}${lookup.separator}${value}\n`);
      found = true;
      break;
    }
  }
  return found ? 0 : 1;
}

function openForDelete(lookup: Lookup, operand: string): Promise<UpdatableTable> {
  const spec = operandSpec(operand, lookup.defaultType);
  if (spec.type === '' || spec.name === '') {
    lookup.reporter.fatal(`open dictionary: expecting "type:name" form instead of "${spec.type}:${spec.name}"`);
  }
  return openTableForUpdate(spec.type, spec.name, lookup.mapContext);
}

/** -d key: deleted from every table in turn (each opened, changed and closed before the
 *  next); exit 0 when some table had it, 1 when none did. */
async function deleteOne(lookup: Lookup, key: string): Promise<number> {
  let found = false;
  for (const operand of lookup.operands) {
    const table = await openForDelete(lookup, operand);
    if (await table.delete(key)) found = true;
    await table.close();
  }
  return found ? 0 : 1;
}

/** -d -: every table opened first, then each key on stdin deleted from all of them. */
async function deleteStdin(lookup: Lookup): Promise<number> {
  const tables: UpdatableTable[] = [];
  for (const operand of lookup.operands) tables.push(await openForDelete(lookup, operand));
  let found = false;
  for (const key of await readInputLines(lookup.context)) {
    for (const table of tables) if (await table.delete(key)) found = true;
  }
  for (const table of tables) await table.close();
  return found ? 0 : 1;
}

/** Prints -s output: "key<separator>value" lines, warning about empty keys and values. */
function printEntries(
  context: CommandContext, table: LookupTable, entries: Array<[string, string]>, reporter: Reporter, separator: string,
): void {
  for (const [key, value] of entries) {
    if (key === '') reporter.warn(`table ${table.type}:${table.name}: empty lookup key value is not allowed`);
    else if (value === '') warnEmptyResult(table, key, reporter);
    context.stdout.write(`${key}${separator}${value}\n`);
  }
}

/** A build's source text and the name its diagnostics use ("stdin" for -i). */
export interface TableSource {
  text: string;
  shownPath: string;
}

/** The start of a build as Postfix orders it: refuse the proxy type, read the source (the
 *  file, or stdin for -i), then refuse types that cannot be built in bulk, and open the
 *  index with the command's case folding and duplicate handling. */
export async function openTableBuild(
  request: BuildRequest, options: { incremental: boolean; nullTerminated: boolean },
): Promise<{ source: TableSource; writer: IndexWriter }> {
  // Annotated so that the never-returning reporter.fatal() narrows the flow below.
  const reporter: Reporter = request.reporter;
  const context = request.context;
  const spec = operandSpec(request.operand, request.defaultType);
  if (spec.type === 'proxy') reporter.fatal("can't create maps via the proxy service");
  const fs = context.host.platform.fs;
  const path = resolvePath(context.cwd, spec.name);
  let source: TableSource;
  if (options.incremental) {
    source = { text: (await readInputLines(context)).map((line) => `${line}\n`).join(''), shownPath: 'stdin' };
  } else {
    try {
      source = { text: new TextDecoder().decode(await fs.readFile(path)), shownPath: spec.name };
    } catch (error) {
      const text = error instanceof PlatformError ? describeCode(error.code) : String(error);
      reporter.fatal(`open ${spec.name}: ${text}`);
    }
  }
  if (!isIndexedType(spec.type)) {
    if (READ_ONLY_TYPES.includes(spec.type)) reporter.fatal(`unsupported dictionary type: ${spec.type} does not support bulk-mode creation.`);
    reporter.fatal(`unsupported dictionary type: ${spec.type}. Is the postfix-${spec.type} package installed?`);
  }
  const writer = await IndexWriter.open({
    fs, reporter, type: spec.type, name: spec.name, path, incremental: options.incremental, nullTerminated: options.nullTerminated,
  });
  writer.foldCase = request.mapFlags.foldFixed ?? true;
  writer.duplicates = request.mapFlags.duplicates ?? 'warn';
  return { source, writer };
}
