// master.cf as Postfix 3.7 reads it: logical lines (a line that starts with whitespace
// continues the one before; comment and blank lines vanish, even inside an entry), eight
// fixed fields, then the command and its arguments, with "-o name=value" and
// "-o { name = value with spaces }" normalised the way postconf(1) normalises them.
// Callers: postconf -M/-F/-P (engine/admin/postconf-master.ts), master(8) and `postfix
// check` later. Trusts nothing in the file: every check postconf makes is made here, with
// postconf's wording, and a bad entry is fatal just as it is for the real command.
// Models Postfix's postconf_master.c (parsing side), readlline.c and master_ent.c.

import type { FileSystem } from '../../platform/types.ts';
import { PlatformError, describeCode } from '../../platform/types.ts';
import type { Reporter } from '../msg.ts';
import { extractBraced, splitNameValue, splitQuoted } from './master-cf-text.ts';

export const masterServiceTypes = ['unix', 'fifo', 'inet', 'pass', 'unix-dgram'] as const;
export type MasterServiceType = (typeof masterServiceTypes)[number];

/** The names postconf -F uses for the eight columns, in column order. */
export const masterFieldNames = [
  'service', 'type', 'private', 'unprivileged', 'chroot', 'wakeup', 'process_limit', 'command',
] as const;
export type MasterFieldName = (typeof masterFieldNames)[number];

/** Column index of each field; the command column holds the program name only. */
export const commandField = 7;
export const masterFieldsMin = 8;

/** Blanks that separate master.cf fields (postconf also splits on CR and LF). */
export const masterBlanks = ' \t\r\n';

/** Daemon options that take a value (only -o, as in Postfix 3.7). */
export const optionsExpectingValue = 'o';

/** One master.cf entry as written, after postconf's normalisation of daemon arguments. */
export interface MasterEntry {
  /** Service name, or [host:]port for inet. */
  readonly service: string;
  readonly type: MasterServiceType;
  /** The single-letter columns as written: "y", "n" or "-". */
  readonly private: string;
  readonly unprivileged: string;
  readonly chroot: string;
  /** As written: "-", digits, optionally followed by "?" (or "?" / "-?" alone). */
  readonly wakeup: string;
  /** As written: "-" (meaning $default_process_limit) or digits. */
  readonly processLimit: string;
  /** Column 8: the program in $daemon_directory, as written. */
  readonly command: string;
  /** Everything after the command, normalised ("-o" and its value are separate words). */
  readonly arguments: readonly string[];
  /** The "-o name=value" settings, in file order; a later one replaces an earlier one. */
  readonly overrides: ReadonlyMap<string, string>;
  /** All words: the eight columns, then the arguments (what postconf prints). */
  readonly words: readonly string[];
  readonly file: string;
  /** Line number of the entry's first line. */
  readonly line: number;
  /** The logical line as read (continuation lines joined, newlines dropped). */
  readonly text: string;
}

/** One logical line: the text of its physical lines joined, and where it started. */
export interface LogicalLine {
  text: string;
  line: number;
}

/** Limits so that a hostile file cannot make the parser run away. */
export const masterLinesMax = 100_000;
export const masterEntryWordsMax = 10_000;

/**
 * Splits file text into logical lines the way readllines() does. A line that starts with
 * whitespace continues the current entry; a comment or blank line is dropped wherever it
 * is. Physical lines are joined without a separator (the continuation's own leading
 * whitespace separates the words). Text that continues nothing is warned about, with
 * the first 30 characters, and skipped.
 */
export function readLogicalLines(text: string, file: string, reporter: Reporter): LogicalLine[] {
  const physical = text.split('\n');
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  if (physical.length > masterLinesMax) reporter.fatal(`file ${file}: too many lines`);
  const logical: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  const finish = (): void => {
    if (current === undefined) return;
    if (/^[ \t\r\n\v\f]/.test(current.text)) {
      const shown = current.text.slice(0, 30) + (current.text.length > 30 ? '...' : '');
      reporter.warn(`${file}: logical line must not start with whitespace: "${shown}"`);
    } else {
      logical.push(current);
    }
    current = undefined;
  };
  physical.forEach((lineText, index) => {
    const firstVisible = lineText.search(/[^ \t\r\n\v\f]/);
    if (firstVisible < 0 || lineText[firstVisible] === '#') return;
    const startsWithSpace = firstVisible > 0;
    if (startsWithSpace && current !== undefined) {
      current.text += lineText;
      return;
    }
    finish();
    current = { text: lineText, line: index + 1 };
  });
  finish();
  return logical;
}

/**
 * Parses master.cf text. Fatal (through reporter.fatal) on the first entry postconf
 * rejects; warnings for brace and name=value problems it tolerates.
 */
export function parseMasterCf(text: string, file: string, reporter: Reporter): MasterEntry[] {
  const entries: MasterEntry[] = [];
  for (const logical of readLogicalLines(text, file, reporter)) {
    const words = splitQuoted(logical.text, masterBlanks);
    if (words.length < masterFieldsMin) {
      reporter.fatal(`file ${file}: line ${logical.line}: bad field count`);
    }
    if (words.length > masterEntryWordsMax) {
      reporter.fatal(`file ${file}: line ${logical.line}: too many fields`);
    }
    checkMasterWords(words, logical.text, reporter);
    normalizeDaemonArguments(words, reporter);
    entries.push(entryFromWords(words, file, logical.line, logical.text));
  }
  return entries;
}

/** Reads DIRECTORY/master.cf; a file that cannot be opened is fatal, as for postconf -M. */
export async function readMasterConfig(
  fs: FileSystem, directory: string, reporter: Reporter,
): Promise<MasterEntry[]> {
  const path = `${directory}/master.cf`;
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (error) {
    if (error instanceof PlatformError) reporter.fatal(`open ${path}: ${describeCode(error.code)}`);
    throw error;
  }
  return parseMasterCf(new TextDecoder().decode(bytes), path, reporter);
}

/** Builds an entry from checked, normalised words. */
export function entryFromWords(words: readonly string[], file: string, line: number, text: string): MasterEntry {
  const field = (index: number): string => words[index] ?? '-';
  const argumentsAfter = words.slice(masterFieldsMin);
  return {
    service: field(0),
    type: field(1) as MasterServiceType,
    private: field(2),
    unprivileged: field(3),
    chroot: field(4),
    wakeup: field(5),
    processLimit: field(6),
    command: field(commandField),
    arguments: argumentsAfter,
    overrides: collectOverrides(argumentsAfter),
    words: [...words],
    file, line, text,
  };
}

/** The -o name=value pairs among the daemon options (before the first non-option). */
export function collectOverrides(argumentsAfter: readonly string[]): Map<string, string> {
  const overrides = new Map<string, string>();
  for (let index = 0; index < argumentsAfter.length; index++) {
    const word = argumentsAfter[index] ?? '';
    if (!word.startsWith('-') || word === '--') break;
    const value = argumentsAfter[index + 1];
    if (!optionsExpectingValue.includes(word[1] ?? '\0') || value === undefined) continue;
    if (word === '-o') {
      const pair = splitNameValue(value);
      if (typeof pair !== 'string') overrides.set(pair.name, pair.value);
    }
    index += 1;
  }
  return overrides;
}

/** Postfix's "fix fatal": a multi-line text is shown on one line. */
function fatalOneLine(reporter: Reporter, text: string): never {
  return reporter.fatal(text.replace(/\n/g, ' '));
}

/** The per-field checks postconf makes; `shown` is the text quoted in the message. */
export function checkMasterWords(words: readonly string[], shown: string, reporter: Reporter): void {
  const type = words[1] ?? '';
  if (!(masterServiceTypes as readonly string[]).includes(type)) {
    fatalOneLine(reporter, `invalid type field "${type}" in "${shown}"`);
  }
  for (let index = 2; index <= 4; index++) {
    const value = words[index] ?? '';
    if (value.length !== 1 || !'yn-'.includes(value)) {
      fatalOneLine(reporter, `invalid ${masterFieldNames[index]} field "${value}" in "${shown}"`);
    }
  }
  const wakeup = words[5] ?? '';
  const wakeupBody = wakeup.endsWith('?') ? wakeup.slice(0, -1) : wakeup;
  if (!(wakeup[0] === '-' && wakeupBody.length === 1) && !/^[0-9]*$/.test(wakeupBody)) {
    fatalOneLine(reporter, `invalid wakeup field "${wakeup}" in "${shown}"`);
  }
  const processLimit = words[6] ?? '';
  if (processLimit !== '-' && !/^[0-9]*$/.test(processLimit)) {
    fatalOneLine(reporter, `invalid process_limit field "${processLimit}" in "${shown}"`);
  }
}

/**
 * Brings daemon arguments into postconf's canonical form, in place: "-stuffo" becomes
 * "-stuff" "-o" (any 'o' after the first letter starts a new option, even inside a word,
 * a quirk kept on purpose), "-oname=value" becomes "-o" "name=value", a value in braces
 * loses its braces and "name = value" inside them becomes "name=value". After the first
 * non-option word, only braces are removed.
 */
export function normalizeDaemonArguments(words: string[], reporter: Reporter): void {
  let index = masterFieldsMin;
  for (; index < words.length && index < masterEntryWordsMax; index++) {
    let word = words[index] ?? '';
    if (!word.startsWith('-') || word === '--') break;
    const split = word.slice(2).search(new RegExp(`[${optionsExpectingValue}]`));
    if (split >= 0) {
      const at = split + 2;
      words.splice(index + 1, 0, `-${word.slice(at)}`);
      word = word.slice(0, at);
      words[index] = word;
    }
    if (!optionsExpectingValue.includes(word[1] ?? '\0')) continue;
    let extract: boolean;
    if (word.length > 2) {
      words.splice(index + 1, 0, word.slice(2));
      words[index] = word.slice(0, 2);
      index += 1;
      extract = (words[index] ?? '').startsWith('{');
    } else if (index + 1 < words.length) {
      index += 1;
      extract = (words[index] ?? '').startsWith('{');
    } else {
      extract = false;
    }
    if (extract) {
      words[index] = extractField(words[index] ?? '', reporter);
      if (words[index - 1]?.[1] === 'o') words[index] = normalizeNameValue(words[index] ?? '', reporter);
    }
  }
  for (; index < words.length; index++) {
    if ((words[index] ?? '').startsWith('{')) words[index] = extractField(words[index] ?? '', reporter);
  }
}

function extractField(word: string, reporter: Reporter): string {
  const result = extractBraced(word);
  if (result.error !== undefined) reporter.warn(`master.cf: ${result.error}`);
  return result.text;
}

function normalizeNameValue(word: string, reporter: Reporter): string {
  const pair = splitNameValue(word);
  if (typeof pair === 'string') {
    reporter.warn(`master.cf: ${pair}: "${word}"`);
    return word;
  }
  return `${pair.name}=${pair.value}`;
}

/** What master(8) makes of an entry: defaults applied, numbers parsed. */
export interface MasterService {
  readonly entry: MasterEntry;
  readonly privateService: boolean;
  readonly unprivileged: boolean;
  readonly chroot: boolean;
  readonly wakeupSeconds: number;
  /** "?" after the wakeup time: no wakeup until the service has been used. */
  readonly wakeupConditional: boolean;
  /** 0 means no limit. */
  readonly processLimit: number;
}

export interface MasterDefaults {
  /** $default_process_limit. */
  defaultProcessLimit: number;
  /** The chroot default: "y" below compatibility level 1, "n" from level 1 on. */
  chrootDefault: boolean;
}

/**
 * Applies master(8)'s defaults to an entry postconf already accepted. The only check
 * left is the one postconf does not make: an inet service cannot be private.
 */
export function resolveMasterEntry(entry: MasterEntry, defaults: MasterDefaults, reporter: Reporter): MasterService {
  const context = `${entry.file}: line ${entry.line}`;
  const flag = (value: string, fallback: boolean): boolean => (value === '-' ? fallback : value === 'y');
  const privateService = flag(entry.private, true);
  if (entry.type === 'inet' && privateService) reporter.fatal(`${context}: inet service cannot be private`);
  const wakeupText = entry.wakeup.replace(/\?$/, '');
  const wakeupSeconds = wakeupText === '-' || wakeupText === '' ? 0 : Number.parseInt(wakeupText, 10);
  const processLimit = entry.processLimit === '-' ? defaults.defaultProcessLimit : Number.parseInt(entry.processLimit, 10);
  return {
    entry,
    privateService,
    unprivileged: flag(entry.unprivileged, true),
    chroot: flag(entry.chroot, defaults.chrootDefault),
    wakeupSeconds,
    wakeupConditional: wakeupSeconds > 0 && entry.wakeup.endsWith('?'),
    processLimit,
  };
}

/**
 * master(8) keeps one service per endpoint and type; a repeated one replaces the earlier
 * one with a warning. Returns those warnings' texts in file order.
 */
export function duplicateServiceWarnings(entries: readonly MasterEntry[]): string[] {
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const entry of entries) {
    const privateService = entry.private !== 'n';
    const internal = entry.type === 'inet' ? entry.service : `${privateService ? 'private' : 'public'}/${entry.service}`;
    const key = `${entry.type} ${internal}`;
    if (seen.has(key)) {
      warnings.push(`duplicate master.cf entry for service "${entry.service}" (${internal}) -- using the last entry`);
    }
    seen.add(key);
  }
  return warnings;
}
