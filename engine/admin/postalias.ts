// postalias(1) and newaliases(1): build an aliases(5) table's index ("name: value" source,
// keys folded to lower case, stored null-terminated, plus the "@:@" and NIS YP_LAST_MODIFIED
// and YP_MASTER_NAME entries Postfix adds), query it (-q key, -q -) and list it (-s, as
// "key:<TAB>value"). newaliases is postalias run on every table in $alias_database.
// Called through the command table; tables come from engine/global/maps.
// Models src/postalias/postalias.c and sendmail's newaliases mode.

import type { CommandContext } from './command.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import {
  entriesOrFatal, lookupOrFatal, mapContextFor, openForCommand, operandSpec, parseOptions,
  readCommandConfig, readInputLines, warnEmptyResult,
} from '../global/maps/command-support.ts';
import { parseAliasLine } from '../global/maps/aliases-source.ts';
import { isIndexedType } from '../global/maps/indexed.ts';
import { IndexWriter } from '../global/maps/index-writer.ts';
import { readLogicalLines } from '../global/maps/source-lines.ts';
import { resolvePath, type LookupTable, type MapFlags } from '../global/maps/types.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { printEntries } from './postmap.ts';

const optionSpec = 'Nc:d:finopq:rsuvw';

function programName(argv0: string | undefined, fallback: string): string {
  const name = (argv0 ?? fallback).split('/').pop() ?? fallback;
  return name === '' ? fallback : name;
}

export async function postaliasMain(context: CommandContext): Promise<number> {
  const program = programName(context.argv[0], 'postalias');
  const reporter = createReporter({ program, host: context.host, pid: context.host.nextPid(), stderr: context.stderr });
  const usage = (): never => reporter.fatal(`usage: ${program} [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...`);
  const { flags, operands } = parseOptions(context.argv, optionSpec, program, context.stderr, usage);
  const modes = ['q', 's', 'd', 'i'].filter((letter) => flags.has(letter));
  if (modes.length > 1) reporter.fatal('specify only one of -d -i -q or -s');
  const mapFlags: MapFlags = {
    foldFixed: !flags.has('f'),
    duplicates: flags.has('r') ? 'replace' : flags.has('w') ? 'ignore' : 'warn',
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
    printEntries(context, table, await entriesOrFatal(table, reporter), reporter, ':\t');
    return 0;
  }
  if (operands.length === 0) usage();
  for (const operand of operands) {
    await buildAliases(context, config, operand, defaultType, { incremental: flags.has('i'), mapFlags }, reporter);
  }
  return 0;
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
      context.stdout.write(`${key}:\t${value}\n`);
      found = true;
      break;
    }
  }
  return found ? 0 : 1;
}

/** Builds one alias table (also used by newaliases). */
export async function buildAliases(
  context: CommandContext, config: MainConfig, operand: string, defaultType: string,
  options: { incremental: boolean; mapFlags: MapFlags }, reporter: Reporter,
): Promise<void> {
  const spec = operandSpec(operand, defaultType);
  if (spec.type === 'proxy') reporter.fatal("can't create maps via the proxy service");
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
      reporter.fatal(`open ${spec.name}: ${code === 'ENOENT' ? 'No such file or directory' : code === 'EISDIR' ? 'Is a directory' : 'Permission denied'}`);
    }
  }
  if (!isIndexedType(spec.type)) {
    const known = ['texthash', 'regexp', 'pcre', 'cidr', 'static', 'inline', 'fail', 'unionmap', 'pipemap'];
    if (known.includes(spec.type)) reporter.fatal(`unsupported dictionary type: ${spec.type} does not support bulk-mode creation.`);
    reporter.fatal(`unsupported dictionary type: ${spec.type}. Is the postfix-${spec.type} package installed?`);
  }
  const writer = await IndexWriter.open({ fs, reporter, type: spec.type, name: spec.name, path, incremental: options.incremental, nullTerminated: true });
  writer.foldCase = options.mapFlags.foldFixed ?? true;
  writer.duplicates = options.mapFlags.duplicates ?? 'warn';
  for (const line of readLogicalLines(text, shownPath, reporter)) {
    const entry = parseAliasLine(line, shownPath, reporter);
    if (entry !== undefined) writer.append(entry.name, entry.value);
  }
  // The signatures are updated in place on every run, so they never count as duplicates.
  writer.duplicates = 'replace';
  writer.append('@', '@');
  writer.nullTerminated = false;
  writer.foldCase = false;
  const seconds = Math.floor(context.host.platform.clock.nowMs() / 1000);
  writer.append('YP_LAST_MODIFIED', String(seconds).padStart(10, '0'));
  writer.append('YP_MASTER_NAME', config.get('myhostname') ?? context.host.name);
  await writer.close();
}

/** newaliases: postalias on each table named by alias_database. */
export async function newaliasesMain(context: CommandContext): Promise<number> {
  const program = programName(context.argv[0], 'newaliases');
  const reporter = createReporter({ program, host: context.host, pid: context.host.nextPid(), stderr: context.stderr });
  const directory = context.argv.includes('-C') ? context.argv[context.argv.indexOf('-C') + 1] : undefined;
  const config = await readCommandConfig(context, reporter, directory);
  const defaultType = config.get('default_database_type') ?? 'hash';
  for (const operand of config.getList('alias_database')) {
    await buildAliases(context, config, operand, defaultType, { incremental: false, mapFlags: {} }, reporter);
  }
  return 0;
}
