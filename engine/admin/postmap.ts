// postmap(1): build a lookup table's index from its source ("postmap hash:access"), add to
// it from stdin (-i), query it (-q key, or -q - for keys on stdin, printing "key<TAB>value"),
// or list it (-s). Options as Postfix 3.7: -c DIR, -f (no case folding), -r/-w (replace or
// ignore duplicates instead of warning), -N/-n (null-terminated keys; recorded only),
// -v (accepted). Exit status: 0 when a query found something, 1 when not, 1 on fatal.
// Called through the command table (engine/admin/index.ts); tables come from
// engine/global/maps. Models src/postmap/postmap.c.

import type { CommandContext } from './command.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import {
  entriesOrFatal, lookupOrFatal, mapContextFor, openForCommand, operandSpec, parseOptions,
  readCommandConfig, readInputLines, warnEmptyResult,
} from '../global/maps/command-support.ts';
import { isIndexedType } from '../global/maps/indexed.ts';
import { IndexWriter } from '../global/maps/index-writer.ts';
import { readLogicalLines, splitKeyValue } from '../global/maps/source-lines.ts';
import { resolvePath, type MapFlags } from '../global/maps/types.ts';
import type { LookupTable } from '../global/maps/types.ts';

const optionSpec = 'bc:d:fFhimnNopq:rsuUvw';

function programName(argv0: string | undefined, fallback: string): string {
  const name = (argv0 ?? fallback).split('/').pop() ?? fallback;
  return name === '' ? fallback : name;
}

export async function postmapMain(context: CommandContext): Promise<number> {
  const program = programName(context.argv[0], 'postmap');
  const reporter = createReporter({ program, host: context.host, pid: context.host.nextPid(), stderr: context.stderr });
  const usage = (): never => reporter.fatal(`usage: ${program} [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...`);
  const { flags, operands } = parseOptions(context.argv, optionSpec, program, context.stderr, usage);
  const modes = ['q', 's', 'd'].filter((letter) => flags.has(letter));
  if (modes.length > 1) reporter.fatal('specify only one of -s or -q or -d');
  const mapFlags: MapFlags = {
    foldFixed: !flags.has('f'),
    duplicates: lastOf(flags, ['r', 'w']) === 'r' ? 'replace' : lastOf(flags, ['r', 'w']) === 'w' ? 'ignore' : 'warn',
  };
  const config = await readCommandConfig(context, reporter, flags.get('c')?.at(-1));
  const defaultType = config.get('default_database_type') ?? 'hash';
  const mapContext = mapContextFor(context, reporter, mapFlags);
  if (flags.has('d')) reporter.fatal('the -d option (delete) is not supported by mtalab');
  const query = flags.get('q')?.at(-1);
  if (query !== undefined) {
    if (operands.length === 0) usage();
    if (query === '-') return queryStdin(context, operands, defaultType, mapContext, reporter);
    for (const operand of operands) {
      const table = await openForCommand(operand, defaultType, mapContext);
      const value = await lookupOrFatal(table, query, reporter);
      if (value === undefined) continue;
      if (value === '') warnEmptyResult(table, query, reporter);
      context.stdout.write(`${value}\n`);
      return 0;
    }
    return 1;
  }
  if (flags.has('s')) {
    const first = operands[0];
    if (first === undefined) return 1;
    const table = await openForCommand(first, defaultType, mapContext);
    printEntries(context, table, await entriesOrFatal(table, reporter), reporter, '\t');
    return 0;
  }
  if (operands.length === 0) usage();
  for (const operand of operands) {
    await buildTable(context, operand, defaultType, { incremental: flags.has('i'), nullTerminated: lastOf(flags, ['N', 'n']) === 'N', mapFlags }, reporter);
  }
  return 0;
}

function lastOf(flags: Map<string, string[]>, letters: string[]): string | undefined {
  // Option order decides between conflicting letters; Map keeps first-seen order only, so
  // this picks the letter that appeared, preferring the later one in `letters` order when
  // both appear (a rare combination).
  const present = letters.filter((letter) => flags.has(letter));
  return present.at(-1);
}

async function queryStdin(
  context: CommandContext, operands: string[], defaultType: string,
  mapContext: ReturnType<typeof mapContextFor>, reporter: Reporter,
): Promise<number> {
  const tables: Array<LookupTable | undefined> = operands.map(() => undefined);
  let found = false;
  for (const key of await readInputLines(context)) {
    for (let index = 0; index < operands.length; index++) {
      const table = tables[index] ?? await openForCommand(operands[index] ?? '', defaultType, mapContext);
      tables[index] = table;
      const value = await lookupOrFatal(table, key, reporter);
      if (value === undefined) continue;
      if (value === '') warnEmptyResult(table, key, reporter);
      context.stdout.write(`${key}\t${value}\n`);
      found = true;
      break;
    }
  }
  return found ? 0 : 1;
}

/** Prints -s output: "key<separator>value" lines, warning about empty keys and values. */
export function printEntries(
  context: CommandContext, table: LookupTable, entries: Array<[string, string]>, reporter: Reporter, separator: string,
): void {
  for (const [key, value] of entries) {
    if (key === '') reporter.warn(`table ${table.type}:${table.name}: empty lookup key value is not allowed`);
    else if (value === '') warnEmptyResult(table, key, reporter);
    context.stdout.write(`${key}${separator}${value}\n`);
  }
}

async function buildTable(
  context: CommandContext, operand: string, defaultType: string,
  options: { incremental: boolean; nullTerminated: boolean; mapFlags: MapFlags }, reporter: Reporter,
): Promise<void> {
  const spec = operandSpec(operand, defaultType);
  if (spec.type === 'proxy') reporter.fatal("can't create maps via the proxy service");
  if (!isIndexedType(spec.type)) {
    const known = ['texthash', 'regexp', 'pcre', 'cidr', 'static', 'inline', 'fail', 'unionmap', 'pipemap'];
    if (known.includes(spec.type)) reporter.fatal(`unsupported dictionary type: ${spec.type} does not support bulk-mode creation.`);
    reporter.fatal(`unsupported dictionary type: ${spec.type}. Is the postfix-${spec.type} package installed?`);
  }
  const fs = context.host.platform.fs;
  const path = resolvePath(context.cwd, spec.name);
  let text: string;
  let shownPath = spec.name;
  if (options.incremental) {
    text = (await readInputLines(context)).map((line) => `${line}\n`).join('');
    shownPath = 'stdin';
  } else {
    try {
      text = new TextDecoder().decode(await fs.readFile(path));
    } catch (error) {
      const code = (error as { code?: string }).code;
      reporter.fatal(`open ${spec.name}: ${code === 'ENOENT' ? 'No such file or directory' : code === 'EISDIR' ? 'Is a directory' : code === 'EACCES' ? 'Permission denied' : String(error)}`);
    }
  }
  const writer = await IndexWriter.open({
    fs, reporter, type: spec.type, name: spec.name, path, incremental: options.incremental, nullTerminated: options.nullTerminated,
  });
  writer.foldCase = options.mapFlags.foldFixed ?? true;
  writer.duplicates = options.mapFlags.duplicates ?? 'warn';
  for (const line of readLogicalLines(text, shownPath, reporter)) {
    const pair = splitKeyValue(line, shownPath, reporter);
    if (pair !== undefined) writer.append(pair.key, pair.value);
  }
  await writer.close();
}
