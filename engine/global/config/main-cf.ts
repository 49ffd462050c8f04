// main.cf: reading the file the way Postfix does (comments, continuation lines, blank and
// comment lines inside a continued entry, "name = value", last entry wins with a warning),
// and the MainConfig every program reads parameters through: expanded values, defaults
// from the parameter table, typed getters that fail with Postfix's fatal texts.
// Called by postconf, the services and the admin commands. Trusts nothing in the file:
// a broken file gives Postfix's warning or fatal, never an exception of our own.
// Models Postfix's readlline(3), split_nameval(3), dict_load_fp(3) and mail_conf(3).

import type { FileSystem } from '../../platform/types.ts';
import { PlatformError, describeCode } from '../../platform/types.ts';
import type { Reporter } from '../msg.ts';
import type { Host } from '../host.ts';
import { expandValue } from './expand.ts';
import { ValueError, parseBoolean, parseInteger, parseLong, parseTimeSeconds, splitList } from './values.ts';
import { builtinParameter, DEFAULT_INTERFACES, type MachineFacts } from '../params/index.ts';
import { computedDefault, serviceDefault } from './defaults.ts';

export const MAIN_CF = 'main.cf';

/** One "name = value" of main.cf. */
export interface MainCfEntry {
  readonly name: string;
  readonly value: string;
  /** The line the logical line starts on (1-based). */
  readonly line: number;
}

/** Where to send what the parser has to say; main.cf problems are warnings or fatals. */
export interface ParseDiagnostics {
  warn(text: string): void;
  fatal(text: string): never;
}

/** A logical line: its text and the number of its first physical line. */
interface LogicalLine {
  text: string;
  line: number;
}

/** Limits on what one file may contain, so a runaway file cannot hang a host. */
export const MAIN_CF_LINES_MAX = 1_000_000;

const isSpace = (character: string): boolean => character === ' ' || character === '\t' || character === '\n'
  || character === '\r' || character === '\v' || character === '\f';

/** Splits a file into logical lines as readllines() does: a line that starts with
 *  whitespace or '#' continues the entry above; comment and blank lines are dropped
 *  wherever they are; an entry that starts with whitespace is skipped with a warning. */
export function logicalLines(text: string, path: string, diagnostics: Pick<ParseDiagnostics, 'warn'>): LogicalLine[] {
  const physical = text.split('\n');
  const lastIsTerminated = physical[physical.length - 1] === '';
  if (lastIsTerminated) physical.pop();
  if (physical.length > MAIN_CF_LINES_MAX) physical.length = MAIN_CF_LINES_MAX;
  const result: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  const finish = (): void => {
    if (current === undefined) return;
    if (isSpace(current.text.charAt(0))) {
      const shown = current.text.slice(0, 30);
      diagnostics.warn(`${path}: logical line must not start with whitespace: "${shown}${current.text.length > 30 ? '...' : ''}"`);
    } else {
      result.push(current);
    }
    current = undefined;
  };
  physical.forEach((lineText, index) => {
    let first = 0;
    while (first < lineText.length && isSpace(lineText.charAt(first))) first++;
    const isContent = first < lineText.length && lineText.charAt(first) !== '#';
    const startsLogicalLine = lineText.length > 0 && !isSpace(lineText.charAt(0)) && lineText.charAt(0) !== '#';
    if (startsLogicalLine) finish();
    if (!isContent) return;
    if (current === undefined) current = { text: lineText, line: index + 1 };
    else current.text += lineText;
  });
  finish();
  return result;
}

/** "name = value" with whitespace trimmed; a string is Postfix's error text. */
export function splitNameValue(text: string): { name: string; value: string } | string {
  let at = 0;
  while (at < text.length && isSpace(text.charAt(at))) at++;
  if (at === text.length || text.charAt(at) === '=') return 'missing attribute name';
  let end = at;
  while (end < text.length && !isSpace(text.charAt(end)) && text.charAt(end) !== '=') end++;
  let equals = end;
  while (equals < text.length && isSpace(text.charAt(equals))) equals++;
  if (text.charAt(equals) !== '=') return "missing '=' after attribute name";
  let valueStart = equals + 1;
  while (valueStart < text.length && isSpace(text.charAt(valueStart))) valueStart++;
  let valueEnd = text.length;
  while (valueEnd > valueStart && isSpace(text.charAt(valueEnd - 1))) valueEnd--;
  return { name: text.slice(at, end), value: text.slice(valueStart, valueEnd) };
}

/** Parses main.cf text into entries (insertion order, last value wins). `initial` holds
 *  entries set before the file is read, such as config_directory from -c. */
export function parseMainCf(text: string, path: string, diagnostics: ParseDiagnostics,
  initial: ReadonlyMap<string, string> = new Map()): Map<string, MainCfEntry> {
  const entries = new Map<string, MainCfEntry>();
  for (const [name, value] of initial) entries.set(name, { name, value, line: 0 });
  for (const logical of logicalLines(text, path, diagnostics)) {
    const split = splitNameValue(logical.text);
    if (typeof split === 'string') diagnostics.fatal(`${path}, line ${logical.line}: ${split}: "${logical.text}"`);
    const old = entries.get(split.name);
    if (old !== undefined && old.value !== split.value) {
      diagnostics.warn(`${path}, line ${logical.line}: overriding earlier entry: ${split.name}=${old.value}`);
    }
    entries.set(split.name, { name: split.name, value: split.value, line: logical.line });
  }
  return entries;
}

export interface MainConfig {
  readonly configDirectory: string;
  /** The path of the main.cf that was read. */
  readonly path: string;
  /** The value with $name expanded; explicit settings first, then defaults. */
  get(name: string): string | undefined;
  /** The value as written (or the default's text), without expansion. */
  getRaw(name: string): string | undefined;
  getBool(name: string): boolean;
  getInt(name: string): number;
  getTimeSeconds(name: string): number;
  getSize(name: string): number;
  getList(name: string): string[];
  /** Whether main.cf (or an override) sets the name. */
  isSet(name: string): boolean;
  /** Names set in main.cf or by overrides, in file order. */
  explicitNames(): string[];
  /** The entries as read (overrides applied), for postconf and the UI. */
  entries(): ReadonlyMap<string, MainCfEntry>;
}

export interface ReadMainConfigOptions {
  fs: FileSystem;
  directory: string;
  reporter: Reporter;
  /** -o name=value settings (postconf -o, master.cf -o): they win over main.cf. */
  overrides?: ReadonlyMap<string, string>;
  /** Supplies the host name for myhostname's default, and the pid. */
  host?: Host;
  /** Interfaces and other machine facts; defaults: loopback only. */
  machine?: Partial<MachineFacts>;
  /** Set config_directory as an explicit entry first, as Postfix does when -c or
   *  MAIL_CONFIG names the directory. */
  directoryIsExplicit?: boolean;
}

/** Reads DIRECTORY/main.cf. A missing file is fatal, as for every Postfix program. */
export async function readMainConfig(options: ReadMainConfigOptions): Promise<MainConfig> {
  const path = `${options.directory.replace(/\/+$/, '') || ''}/${MAIN_CF}`;
  const text = await readTextFile(options.fs, path, options.reporter);
  const initial = new Map<string, string>();
  if (options.directoryIsExplicit) initial.set('config_directory', options.directory);
  const entries = parseMainCf(text, path, options.reporter, initial);
  for (const [name, value] of options.overrides ?? []) entries.set(name, { name, value, line: 0 });
  const machine: MachineFacts = {
    hostName: options.machine?.hostName ?? options.host?.name ?? 'localhost',
    interfaces: options.machine?.interfaces ?? DEFAULT_INTERFACES,
    pid: options.machine?.pid ?? 0,
    processName: options.machine?.processName ?? options.reporter.program,
    defaultConfigDirectory: options.machine?.defaultConfigDirectory ?? options.host?.defaultConfigDirectory ?? '/etc/postfix',
  };
  return createMainConfig(options.directory, path, entries, machine, options.reporter);
}

/** Reads a whole file as UTF-8 text; "open PATH: reason" is fatal. */
export async function readTextFile(fs: FileSystem, path: string, reporter: Reporter): Promise<string> {
  try {
    return new TextDecoder().decode(await fs.readFile(path));
  } catch (error) {
    const reason = error instanceof PlatformError ? describeCode(error.code) : String(error);
    return reporter.fatal(`open ${path}: ${reason}`);
  }
}

/** Expanded values one MainConfig keeps (parameter names: ~850 built-ins plus the user's). */
export const EXPANDED_CACHE_MAX = 10_000;

/** A MainConfig over already-parsed entries (also used by tests and postconf). */
export function createMainConfig(directory: string, path: string, entries: ReadonlyMap<string, MainCfEntry>,
  machine: MachineFacts, reporter: Reporter): MainConfig {
  const rawValue = (name: string): string | undefined => {
    const entry = entries.get(name);
    if (entry !== undefined) return entry.value;
    return computedDefault(name, machine, (other) => entries.get(other)?.value, expandWith)
      ?? builtinParameter(name)?.defaultValue ?? serviceDefault(name);
  };
  function expandWith(value: string): string {
    const result = expandValue(value, {
      recurse: true,
      lookup: (name) => rawValue(name),
      warn: (text) => reporter.warn(text),
    });
    if (result.error) reporter.fatal('dictionary mail_dict: macro processing error');
    return result.text;
  }
  // Expanded values, computed once per name: a MainConfig never changes (a reload makes a
  // new one), and programs read the same parameters on every request.
  const expanded = new Map<string, string | undefined>();
  const get = (name: string): string | undefined => {
    if (expanded.has(name)) return expanded.get(name);
    const raw = rawValue(name);
    const value = raw === undefined || builtinParameter(name)?.details.raw ? raw : expandWith(raw);
    if (expanded.size < EXPANDED_CACHE_MAX) expanded.set(name, value);
    return value;
  };
  const convert = <T>(name: string, conversion: (value: string) => T): T => {
    const value = get(name) ?? '';
    try {
      return conversion(value);
    } catch (error) {
      if (error instanceof ValueError) return reporter.fatal(error.message);
      throw error;
    }
  };
  const bounds = (name: string): { min?: number; max?: number } => {
    const details = builtinParameter(name)?.details;
    return { min: details?.min, max: details?.max };
  };
  return {
    configDirectory: directory,
    path,
    get,
    getRaw: rawValue,
    getBool: (name) => convert(name, (value) => parseBoolean(name, value)),
    getInt: (name) => convert(name, (value) => parseInteger(name, value, bounds(name))),
    getTimeSeconds: (name) => convert(name, (value) => parseTimeSeconds(name, value, timeUnitOf(name, rawValue, expandWith), bounds(name))),
    getSize: (name) => convert(name, (value) => parseLong(name, value, bounds(name))),
    getList: (name) => splitList(get(name) ?? ''),
    isSet: (name) => entries.has(name),
    explicitNames: () => [...entries.keys()],
    entries: () => entries,
  };
}

/** A time parameter's default unit: the first letter of its expanded default. */
function timeUnitOf(name: string, rawValue: (name: string) => string | undefined, expand: (value: string) => string): string {
  const info = builtinParameter(name);
  if (info?.details.unit !== undefined) return info.details.unit;
  const fallback = serviceDefault(name);
  if (fallback === undefined) return 's';
  const match = /[A-Za-z]/.exec(expand(fallback));
  void rawValue;
  return match ? match[0] : 's';
}
