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
  /** What parsing main.cf warned about (an entry that overrides an earlier one): every
   *  Postfix program that reads the file says it again (postdrop after sendmail, the
   *  helpers postfix-script runs). */
  readonly parseWarnings?: readonly string[];
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
  const explicitDirectory = options.directoryIsExplicit ? options.directory : undefined;
  const parsed = parseMainCfOnce(text, path, options.reporter, explicitDirectory);
  const overrides = options.overrides;
  const hasOverrides = overrides !== undefined && overrides.size > 0;
  let entries: ReadonlyMap<string, MainCfEntry>;
  if (hasOverrides || parsed.file === undefined) {
    const own = new Map(parsed.entries);
    for (const [name, value] of overrides ?? []) own.set(name, { name, value, line: 0 });
    entries = own;
  } else {
    entries = parsed.entries;
  }
  const machine: MachineFacts = {
    hostName: options.machine?.hostName ?? options.host?.name ?? 'localhost',
    interfaces: options.machine?.interfaces ?? DEFAULT_INTERFACES,
    pid: options.machine?.pid ?? 0,
    processName: options.machine?.processName ?? options.reporter.program,
    defaultConfigDirectory: options.machine?.defaultConfigDirectory ?? options.host?.defaultConfigDirectory ?? '/etc/postfix',
  };
  const shared = hasOverrides || parsed.file === undefined ? undefined : sharedExpansionsOf(parsed.file, options.directory, machine);
  const config = createMainConfig(options.directory, path, entries, machine, options.reporter, shared);
  return parsed.warnings.length === 0 ? config : Object.assign(config, { parseWarnings: parsed.warnings });
}

/** Values expanded by earlier MainConfigs over the same parsed file, directory and machine
 *  facts (the pid aside): every sendmail run reads the same main.cf and asks the same
 *  parameters. Only values whose computation printed nothing and never asked the process
 *  id are kept here, so each MainConfig still answers what its own expansion would. */
export interface SharedExpansions {
  readonly expanded: Map<string, string | undefined>;
  readonly typed: Map<string, number | boolean>;
  readonly lists: Map<string, readonly string[]>;
}

interface SharedSlot {
  readonly directory: string;
  readonly hostName: string;
  readonly interfaces: readonly string[];
  readonly processName: string;
  readonly defaultConfigDirectory: string;
  readonly expansions: SharedExpansions;
}

/** Machine variants kept per parsed file (a world's hosts and their program names). */
export const SHARED_SLOTS_MAX = 32;

function sharedExpansionsOf(file: ParsedFile, directory: string, machine: MachineFacts): SharedExpansions {
  for (const slot of file.slots) {
    if (slot.directory === directory && slot.hostName === machine.hostName && slot.processName === machine.processName
      && slot.defaultConfigDirectory === machine.defaultConfigDirectory && sameList(slot.interfaces, machine.interfaces)) {
      return slot.expansions;
    }
  }
  const expansions: SharedExpansions = { expanded: new Map(), typed: new Map(), lists: new Map() };
  if (file.slots.length >= SHARED_SLOTS_MAX) file.slots.shift();
  file.slots.push({
    directory, hostName: machine.hostName, interfaces: machine.interfaces, processName: machine.processName,
    defaultConfigDirectory: machine.defaultConfigDirectory, expansions,
  });
  return expansions;
}

function sameList(left: readonly string[], right: readonly string[]): boolean {
  if (left === right) return true;
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}

/** Files parsed without a diagnostic, kept with the text they were parsed from. */
interface ParsedFile {
  readonly text: string;
  readonly explicitDirectory: string | undefined;
  readonly entries: ReadonlyMap<string, MainCfEntry>;
  readonly slots: SharedSlot[];
}

/** Parsed files kept (a world's hosts, their services and commands read a few). */
export const PARSED_FILES_MAX = 16;
const parsedFiles: ParsedFile[] = [];

/** parseMainCf for text read from the file just now: the text is compared with texts
 *  parsed before, and one that parsed without a warning is not parsed again (any change
 *  of the bytes parses anew). A text that warned is parsed, and warns, every time. The
 *  entries of a kept file are shared: read them, never change them. */
function parseMainCfOnce(text: string, path: string, reporter: Reporter, explicitDirectory: string | undefined):
  { entries: ReadonlyMap<string, MainCfEntry>; file: ParsedFile | undefined; warnings: readonly string[] } {
  for (const parsed of parsedFiles) {
    if (parsed.explicitDirectory === explicitDirectory && parsed.text === text) return { entries: parsed.entries, file: parsed, warnings: NO_WARNINGS };
  }
  const initial = new Map<string, string>();
  if (explicitDirectory !== undefined) initial.set('config_directory', explicitDirectory);
  const warnings: string[] = [];
  const diagnostics: ParseDiagnostics = {
    warn: (warning) => {
      if (warnings.length < PARSE_WARNINGS_MAX) warnings.push(warning);
      reporter.warn(warning);
    },
    fatal: (problem) => reporter.fatal(problem),
  };
  const entries = parseMainCf(text, path, diagnostics, initial);
  if (warnings.length > 0) return { entries, file: undefined, warnings };
  if (parsedFiles.length >= PARSED_FILES_MAX) parsedFiles.shift();
  const file: ParsedFile = { text, explicitDirectory, entries, slots: [] };
  parsedFiles.push(file);
  return { entries, file, warnings: NO_WARNINGS };
}

const NO_WARNINGS: readonly string[] = [];
/** Parse warnings one MainConfig keeps for the programs that repeat them. */
const PARSE_WARNINGS_MAX = 1000;

const utf8Decoder = new TextDecoder();

/** Reads a whole file as UTF-8 text; "open PATH: reason" is fatal. */
export async function readTextFile(fs: FileSystem, path: string, reporter: Reporter): Promise<string> {
  try {
    return utf8Decoder.decode(await fs.readFile(path));
  } catch (error) {
    const reason = error instanceof PlatformError ? describeCode(error.code) : String(error);
    return reporter.fatal(`open ${path}: ${reason}`);
  }
}

/** Expanded values one MainConfig keeps (parameter names: ~850 built-ins plus the user's). */
export const EXPANDED_CACHE_MAX = 10_000;

/** A MainConfig over already-parsed entries (also used by tests and postconf). `shared`:
 *  values other MainConfigs over the same entries and machine facts expanded already. */
export function createMainConfig(directory: string, path: string, entries: ReadonlyMap<string, MainCfEntry>,
  machine: MachineFacts, reporter: Reporter, shared?: SharedExpansions): MainConfig {
  // Warnings this configuration's expansions have printed: a value whose computation
  // printed one is not kept, so asking again prints it again, as before.
  let warningsPrinted = 0;
  const warn = (text: string): void => {
    warningsPrinted++;
    reporter.warn(text);
  };
  // Whether the expansion under way asked for process_id (a value others must not share).
  let askedPid = false;
  const explicitValue = (other: string): string | undefined => entries.get(other)?.value;
  const rawValue = (name: string): string | undefined => {
    const entry = entries.get(name);
    if (entry !== undefined) return entry.value;
    if (name === 'process_id') askedPid = true;
    return computedDefault(name, machine, explicitValue, expandWith)
      ?? builtinParameter(name)?.defaultValue ?? serviceDefault(name);
  };
  const expandOptions = { recurse: true, lookup: rawValue, warn };
  function expandWith(value: string): string {
    const result = expandValue(value, expandOptions);
    if (result.error) reporter.fatal('dictionary mail_dict: macro processing error');
    return result.text;
  }
  // Expanded values, computed once per name: a MainConfig never changes (a reload makes a
  // new one), and programs read the same parameters on every request. The typed getters
  // keep their results too, except one whose computation failed (fatal) or printed a
  // warning: it is computed (and printed) again next time, as before.
  const expanded = new Map<string, string | undefined>();
  const typed = new Map<string, number | boolean>();
  const lists = new Map<string, readonly string[]>();
  // Names whose value depends on this process's id: kept here only, never shared.
  const ownNames = new Set<string>();
  const get = (name: string): string | undefined => {
    const known = expanded.get(name);
    if (known !== undefined || expanded.has(name)) return known;
    if (shared !== undefined) {
      const common = shared.expanded.get(name);
      if (common !== undefined || shared.expanded.has(name)) return common;
    }
    const before = warningsPrinted;
    const outerAskedPid = askedPid;
    askedPid = false;
    const raw = rawValue(name);
    const value = raw === undefined || builtinParameter(name)?.details.raw ? raw : expandWith(raw);
    const ownAskedPid = askedPid;
    askedPid = outerAskedPid || ownAskedPid;
    if (shared !== undefined && !ownAskedPid && warningsPrinted === before) {
      if (shared.expanded.size < EXPANDED_CACHE_MAX) shared.expanded.set(name, value);
      return value;
    }
    if (ownAskedPid) ownNames.add(name);
    if (expanded.size < EXPANDED_CACHE_MAX) expanded.set(name, value);
    return value;
  };
  // Where a typed value or list of `name` may be kept: shared unless the value is this
  // process's own.
  const typedStore = (name: string): Map<string, number | boolean> =>
    shared === undefined || ownNames.has(name) || expanded.has(name) ? typed : shared.typed;
  const convert = <T extends number | boolean>(key: string, name: string, conversion: (name: string, value: string) => T): T => {
    const known = typed.get(key) ?? shared?.typed.get(key);
    if (known !== undefined) return known as T;
    const before = warningsPrinted;
    const value = get(name) ?? '';
    let result: T;
    try {
      result = conversion(name, value);
    } catch (error) {
      if (error instanceof ValueError) return reporter.fatal(error.message);
      throw error;
    }
    const store = typedStore(name);
    if (warningsPrinted === before && store.size < EXPANDED_CACHE_MAX) store.set(key, result);
    return result;
  };
  const toSeconds = (name: string, value: string): number =>
    parseTimeSeconds(name, value, timeUnitOf(name, expandWith), bounds(name));
  return {
    configDirectory: directory,
    path,
    get,
    getRaw: rawValue,
    // One map for the typed values: a prefix keeps a name read as two types apart.
    getBool: (name) => convert(`b:${name}`, name, toBool),
    getInt: (name) => convert(`i:${name}`, name, toInt),
    getTimeSeconds: (name) => convert(`t:${name}`, name, toSeconds),
    getSize: (name) => convert(`s:${name}`, name, toSize),
    getList: (name) => {
      let list = lists.get(name) ?? shared?.lists.get(name);
      if (list === undefined) {
        const before = warningsPrinted;
        list = splitList(get(name) ?? '');
        const store = shared === undefined || ownNames.has(name) || expanded.has(name) ? lists : shared.lists;
        if (warningsPrinted === before && store.size < EXPANDED_CACHE_MAX) store.set(name, list);
      }
      // Callers own the array they get.
      return list.slice();
    },
    isSet: (name) => entries.has(name),
    explicitNames: () => [...entries.keys()],
    entries: () => entries,
  };
}

function toBool(name: string, value: string): boolean { return parseBoolean(name, value); }
function toInt(name: string, value: string): number { return parseInteger(name, value, bounds(name)); }
function toSize(name: string, value: string): number { return parseLong(name, value, bounds(name)); }

/** A parameter's bounds from the table (none for names it does not know). */
function bounds(name: string): { min?: number; max?: number } {
  const details = builtinParameter(name)?.details;
  return { min: details?.min, max: details?.max };
}

/** A time parameter's default unit: the first letter of its expanded default. */
function timeUnitOf(name: string, expand: (value: string) => string): string {
  const info = builtinParameter(name);
  if (info?.details.unit !== undefined) return info.details.unit;
  const fallback = serviceDefault(name);
  if (fallback === undefined) return 's';
  const match = /[A-Za-z]/.exec(expand(fallback));
  return match ? match[0] : 's';
}
