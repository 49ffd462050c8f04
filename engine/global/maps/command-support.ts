// What postmap(1), postalias(1) and newaliases(1) share: getopt-style option parsing with
// glibc's diagnostics ("invalid option -- 'Z'"), finding the configuration directory
// (-c DIR, then $MAIL_CONFIG, then the host's default) and reading main.cf, opening tables
// with the command's flags, and printing query results the Postfix way (warnings for an
// empty result, "query error" for a table that fails). Called by engine/admin/postmap.ts
// and engine/admin/postalias.ts.

import type { CommandContext } from '../../admin/command.ts';
import { forEachOption } from '../../admin/getopt.ts';
import { readMainConfig, type MainConfig } from '../config/main-cf.ts';
import type { Reporter } from '../msg.ts';
import { openTypedTable, splitMapSpec } from './index.ts';
import { MapError, type LookupTable, type MapContext, type MapFlags } from './types.ts';

/** The command's name as invoked (argv[0]'s last part), or `fallback`. */
export function programName(argv0: string | undefined, fallback: string): string {
  const name = (argv0 ?? fallback).split('/').pop() ?? fallback;
  return name === '' ? fallback : name;
}

export interface ParsedOptions {
  flags: Map<string, string[]>;
  operands: string[];
}

/** POSIX getopt with a leading '+' (Postfix's GETOPT on Linux): options end at the first
 *  operand. `spec` is getopt's string ("c:d:fq:"). Bad options print glibc's line, then
 *  call `usage`. */
export function parseOptions(argv: string[], spec: string, program: string, stderr: { write(text: string): void }, usage: () => never): ParsedOptions {
  const flags = new Map<string, string[]>();
  const operands = forEachOption(argv, spec, { program, complain: (text) => stderr.write(text), usage }, (letter, value) => {
    flags.set(letter, [...(flags.get(letter) ?? []), value]);
  });
  return { flags, operands };
}

/** Reads main.cf from -c DIR, $MAIL_CONFIG or the host default. */
export async function readCommandConfig(context: CommandContext, reporter: Reporter, directoryOption: string | undefined): Promise<MainConfig> {
  const explicit = directoryOption ?? context.env.get('MAIL_CONFIG');
  const directory = explicit ?? context.host.defaultConfigDirectory;
  const absolute = directory.startsWith('/') ? directory : `${context.cwd.replace(/\/+$/, '')}/${directory}`;
  return readMainConfig({
    fs: context.host.platform.fs, directory: absolute, reporter, host: context.host,
    directoryIsExplicit: explicit !== undefined,
  });
}

export function mapContextFor(context: CommandContext, reporter: Reporter, flags: MapFlags): MapContext {
  return {
    fs: context.host.platform.fs, reporter, cwd: context.cwd, flags, allowSurrogate: false,
    libraryOutput: (text) => context.stderr.write(text),
  };
}

/** "type:name", or the default database type when the operand has no type. */
export function operandSpec(operand: string, defaultType: string): { type: string; name: string } {
  return splitMapSpec(operand) ?? (operand.includes(':') ? { type: operand.slice(0, operand.indexOf(':')), name: operand.slice(operand.indexOf(':') + 1) } : { type: defaultType, name: operand });
}

export async function openForCommand(operand: string, defaultType: string, mapContext: MapContext): Promise<LookupTable> {
  const spec = operandSpec(operand, defaultType);
  if (spec.type === '' || spec.name === '') {
    mapContext.reporter.fatal(`open dictionary: expecting "type:name" form instead of "${spec.type}:${spec.name}"`);
  }
  return openTypedTable(spec.type, spec.name, mapContext);
}

/** A lookup whose failure ends the command as Postfix's "table T:N: query error". */
export async function lookupOrFatal(table: LookupTable, key: string, reporter: Reporter): Promise<string | undefined> {
  try {
    return await table.lookup(key);
  } catch (error) {
    if (error instanceof MapError) {
      if (error.code === 'config') reporter.fatal(`table ${table.type}:${table.name}: query error`);
      reporter.fatal(`table ${table.type}:${table.name}: query error: Application error`);
    }
    throw error;
  }
}

export function warnEmptyResult(table: LookupTable, key: string, reporter: Reporter): void {
  reporter.warn(`table ${table.type}:${table.name}: key ${key}: empty string result is not allowed`);
  reporter.warn(`table ${table.type}:${table.name} should return NO RESULT in case of NOT FOUND`);
}

/** The entries for -s, or Postfix's fatal for tables that cannot be listed. */
export async function entriesOrFatal(table: LookupTable, reporter: Reporter): Promise<Array<[string, string]>> {
  if (table.entries === undefined) reporter.fatal(`table ${table.type}:${table.name}: sequence operation is not supported`);
  try {
    return await table.entries();
  } catch (error) {
    if (error instanceof MapError) reporter.fatal(`table ${table.type}:${table.name}: sequence error: Application error`);
    throw error;
  }
}

/** Reads stdin lines for "-q -" and "-i"; a named limit bounds the loop. */
export const inputLinesMax = 10_000_000;

export async function readInputLines(context: CommandContext): Promise<string[]> {
  const lines: string[] = [];
  for (let count = 0; count < inputLinesMax; count++) {
    const line = await context.stdin.readLine();
    if (line === null) break;
    lines.push(line);
  }
  return lines;
}
