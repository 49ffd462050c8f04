// postconf -M, -F and -P: master.cf shown as entries (in Postfix's column layout, with
// -f folding), as service/type/field = value lines, or as service/type/parameter = value
// lines for the "-o" settings, with -x expansion, -h/-H, and service patterns such as
// "smtp/inet" or "*/*/chroot". Called by postconf (engine/admin/postconf.ts) once it has
// parsed the command line and chosen a master.cf mode. Trusts master-cf.ts for parsing;
// prints byte for byte what Postfix 3.7's postconf prints. Models postconf_master.c.

import type { CommandContext } from './command.ts';
import type { Reporter } from '../global/msg.ts';
import {
  commandField, masterFieldNames, masterFieldsMin, optionsExpectingValue, readMasterConfig,
} from '../global/config/master-cf.ts';
import type { MasterEntry } from '../global/config/master-cf.ts';
import {
  analyzeParameters, expandInEntry, flagUnusedMasterParameters,
} from './postconf-master-params.ts';
import type { EntryScope, MainScope, ParameterAnalysis } from './postconf-master-params.ts';
import { loadMainScope } from './postconf-master-main.ts';
import { editMasterCf } from './postconf-master-edit.ts';

export type { MainScope } from './postconf-master-params.ts';

/** The master.cf part of postconf's command line, as postconf.ts parsed it. */
export interface PostconfMasterFlags {
  /** -M entries, -F fields, -P parameters. */
  mode: 'entries' | 'fields' | 'parameters';
  /** -f */
  fold: boolean;
  /** -x */
  expand: boolean;
  /** -h: values only. */
  hideName: boolean;
  /** -H: names only. */
  hideValue: boolean;
  /** -o name=value settings that override main.cf. */
  overrides: readonly string[];
  /** -e, -X, -#: editing master.cf in place (postconf-master-edit.ts). */
  edit?: boolean;
  exclude?: boolean;
  commentOut?: boolean;
}

/** Optional seams; postconf.ts passes none, tests may pass a main.cf view of their own. */
export interface PostconfMasterSeams {
  loadMain?: (directory: string) => Promise<MainScope>;
}

const lineLimit = 80;
const indentText = '    ';
const indentLength = indentText.length;
const columnGoals = [0, 11, 17, 25, 33, 41, 49, 57];
const masterBlanksPattern = /[ \t\r\n]/;

/** Runs postconf's master.cf modes; returns the exit status (fatal errors throw FatalExit). */
export async function runPostconfMaster(
  flags: PostconfMasterFlags, operands: readonly string[], context: CommandContext,
  configDirectory: string, reporter: Reporter, seams: PostconfMasterSeams = {},
): Promise<number> {
  const fs = context.host.platform.fs;
  if (flags.edit || flags.exclude || flags.commentOut) {
    const kind = flags.edit ? 'edit' : flags.exclude ? 'exclude' : 'comment-out';
    await editMasterCf(fs, configDirectory, flags.mode, kind, operands, reporter, formatFoldedEntry);
    return 0;
  }
  const entries = await readMasterConfig(fs, configDirectory, reporter);
  const loadMain = seams.loadMain ?? ((directory: string) => loadMainScope(fs, directory, flags.overrides, reporter, context));
  const main = await loadMain(configDirectory);
  const analysis = analyzeParameters(entries, main, configDirectory, reporter);
  const view: View = { flags, analysis, main, reporter, write: (text) => context.stdout.write(text) };
  if (flags.mode === 'fields') showFields(view, operands);
  else if (flags.mode === 'parameters') showParameters(view, operands);
  else showEntries(view, operands);
  flagUnusedMasterParameters(analysis, configDirectory, reporter);
  return 0;
}

interface View {
  flags: PostconfMasterFlags;
  analysis: ParameterAnalysis;
  main: MainScope;
  reporter: Reporter;
  write(text: string): void;
}

/** A service pattern "name[/type[/more]]": '*' matches anything, but only on its own. */
export function parseServicePattern(pattern: string, partsMin: number, partsMax: number): string[] | undefined {
  if (pattern.startsWith('/')) return undefined;
  const parts = pattern.split('/').filter((part) => part !== '');
  if (parts.length < partsMin || parts.length > partsMax) return undefined;
  if (parts.some((part) => part !== '*' && part.includes('*'))) return undefined;
  while (parts.length < partsMax) parts.push('*');
  return parts;
}

function matchesService(pattern: readonly string[], entry: MasterEntry): boolean {
  const matches = (part: string | undefined, value: string): boolean => part === '*' || part === value;
  return matches(pattern[0], entry.service) && matches(pattern[1], entry.type);
}

interface Request {
  raw: string;
  pattern: string[];
  matchCount: number;
}

function parseRequests(operands: readonly string[], partsMax: number, usage: string, reporter: Reporter): Request[] {
  return operands.map((raw) => {
    const pattern = parseServicePattern(raw, 1, partsMax);
    if (pattern === undefined) reporter.fatal(usage);
    return { raw, pattern, matchCount: 0 };
  });
}

function warnUnmatched(requests: readonly Request[], reporter: Reporter): void {
  for (const request of requests) {
    if (request.matchCount === 0) reporter.warn(`unmatched request: "${request.raw}"`);
  }
}

function scopeOf(view: View, entry: MasterEntry): EntryScope {
  const scope = view.analysis.scopes.find((candidate) => candidate.entry === entry);
  if (scope === undefined) throw new Error(`postconf: no name space for ${entry.service}/${entry.type}`);
  return scope;
}

// ---- -M ----

function showEntries(view: View, operands: readonly string[]): void {
  const requests = parseRequests(operands, 2, '-M option requires service_name[/type]', view.reporter);
  for (const scope of view.analysis.scopes) {
    if (requests.length === 0) {
      view.write(formatEntry(view, scope));
      continue;
    }
    for (const request of requests) {
      if (!matchesService(request.pattern, scope.entry)) continue;
      request.matchCount++;
      view.write(formatEntry(view, scope));
    }
  }
  warnUnmatched(requests, view.reporter);
}

/** Tracks the output line being built: its text and Postfix's idea of its length. */
class LineBuilder {
  text = '';
  length = 0;
  add(text: string): void {
    this.text += text;
    this.length += text.length;
  }
  breakLine(): void {
    this.text += `\n${indentText}`;
    this.length = indentLength;
  }
}

/** An entry as an edit writes it back into master.cf: -Mf's layout, unexpanded. */
function formatFoldedEntry(entry: MasterEntry): string {
  const flags: PostconfMasterFlags = { mode: 'entries', fold: true, expand: false, hideName: false, hideValue: false, overrides: [] };
  const analysis = { scopes: [] } as unknown as ParameterAnalysis;
  const view: View = { flags, analysis, main: {} as MainScope, reporter: undefined as unknown as Reporter, write: () => undefined };
  return formatEntry(view, { entry } as EntryScope);
}

/** One entry in postconf -M's layout: columns at fixed goals, then the arguments. */
export function formatEntry(view: View, scope: EntryScope): string {
  const words = scope.entry.words;
  const line = new LineBuilder();
  for (let field = 0; field < masterFieldsMin; field++) {
    if (line.length > 0) {
      do line.add(' '); while (line.length < (columnGoals[field] ?? 0));
    }
    line.add(words[field] ?? '');
  }
  appendArguments(view, scope, line, masterFieldsMin, 3);
  return `${line.text}\n`;
}

/**
 * The daemon options and arguments after the command: an option with a value sits on a
 * line of its own when folding, a value with blanks is put back in braces, and so is any
 * non-option argument with blanks except the first one (as Postfix does).
 */
function appendArguments(view: View, scope: EntryScope, line: LineBuilder, first: number, valueExtra: number): void {
  const words = scope.entry.words;
  let inDaemonOptions = true;
  for (let field = first; field < words.length; field++) {
    const word = words[field] ?? '';
    let wordLength = word.length;
    let value: string | undefined;
    let needBraces = false;
    if (inDaemonOptions) {
      if (!word.startsWith('-') || word === '--') {
        inDaemonOptions = false;
      } else if (optionsExpectingValue.includes(word[1] ?? '\0') && field + 1 < words.length) {
        value = words[field + 1] ?? '';
        line.length = lineLimit;
        if (word === '-o' && view.flags.expand) value = expandInEntry(value, scope, view.analysis, view.main, view.reporter);
        wordLength += value.length + valueExtra;
        needBraces = masterBlanksPattern.test(value);
        if (needBraces) wordLength += 2;
      }
    } else {
      needBraces = masterBlanksPattern.test(word);
    }
    if (line.length > indentLength) {
      if (!view.flags.fold || line.length + 1 + wordLength < lineLimit) line.add(' ');
      else line.breakLine();
    }
    const braced = !inDaemonOptions && needBraces;
    line.add(braced ? `{${word}}` : word);
    if (value !== undefined) {
      line.add(' ');
      line.add(needBraces ? `{${value}}` : value);
      field += 1;
      line.length = lineLimit;
    }
  }
}

// ---- -F ----

function showFields(view: View, operands: readonly string[]): void {
  const requests = parseRequests(operands, 3, '-F option requires service_name[/type[/field]]', view.reporter);
  const fieldOf = requests.map((request) => parseFieldPattern(request.pattern[2] ?? '*', view.reporter));
  const allFields = masterFieldNames.map((_, index) => index);
  for (const scope of view.analysis.scopes) {
    if (requests.length === 0) {
      for (const field of allFields) view.write(formatField(view, scope, field));
      continue;
    }
    requests.forEach((request, index) => {
      if (!matchesService(request.pattern, scope.entry)) return;
      request.matchCount++;
      const field = fieldOf[index];
      for (const each of field === undefined ? allFields : [field]) view.write(formatField(view, scope, each));
    });
  }
  warnUnmatched(requests, view.reporter);
}

/** A field name, or undefined for "*" (all fields); anything else is fatal. */
function parseFieldPattern(name: string, reporter: Reporter): number | undefined {
  if (name === '*') return undefined;
  const index = (masterFieldNames as readonly string[]).indexOf(name);
  if (index < 0) reporter.fatal(`invalid service attribute name: "${name}"`);
  return index;
}

function formatField(view: View, scope: EntryScope, field: number): string {
  const { hideName, hideValue } = view.flags;
  const entry = scope.entry;
  const line = new LineBuilder();
  if (!hideName) line.add(`${entry.service}/${entry.type}/${masterFieldNames[field]}`);
  if (!hideName && !hideValue) line.add(' = ');
  if (!hideValue) {
    const value = entry.words[field] ?? '';
    if (line.length > 0 && line.length + value.length > lineLimit) line.breakLine();
    line.add(value);
    if (field === commandField) appendArguments(view, scope, line, commandField + 1, 1);
  }
  return `${line.text}\n`;
}

// ---- -P ----

function showParameters(view: View, operands: readonly string[]): void {
  const requests = parseRequests(operands, 3, '-P option requires service_name[/type[/parameter]]', view.reporter);
  for (const scope of view.analysis.scopes) {
    const parameters = scope.parameters;
    if (parameters === undefined) continue;
    if (requests.length === 0) {
      showAllParameters(view, scope, parameters);
      continue;
    }
    for (const request of requests) {
      if (!matchesService(request.pattern, scope.entry)) continue;
      const name = request.pattern[2] ?? '*';
      if (name === '*') {
        showAllParameters(view, scope, parameters);
        request.matchCount++;
      } else {
        const value = parameters.get(name);
        if (value === undefined) continue;
        view.write(formatParameter(view, scope, name, value));
        request.matchCount++;
      }
    }
  }
  warnUnmatched(requests, view.reporter);
}

function showAllParameters(view: View, scope: EntryScope, parameters: ReadonlyMap<string, string>): void {
  const names = [...parameters.keys()].sort(compareBytes);
  for (const name of names) view.write(formatParameter(view, scope, name, parameters.get(name) ?? ''));
}

/** strcmp order (names are ASCII in practice; code units order the same way). */
function compareBytes(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function formatParameter(view: View, scope: EntryScope, name: string, rawValue: string): string {
  const entry = scope.entry;
  const prefix = `${entry.service}/${entry.type}/${name}`;
  if (view.flags.hideValue) return printLine(prefix, view.flags.fold);
  const value = view.flags.expand ? expandInEntry(rawValue, scope, view.analysis, view.main, view.reporter) : rawValue;
  return printLine(view.flags.hideName ? value : `${prefix} = ${value}`, view.flags.fold);
}

/** postconf's line printer: words joined by one space, folded at 80 columns with -f. */
export function printLine(text: string, fold: boolean): string {
  const words = text.split(/[ \t\r\n]+/).filter((word) => word !== '');
  let out = '';
  let length = 0;
  for (const word of words) {
    if (length > 0) {
      if (!fold || length + word.length < lineLimit) {
        out += ' ';
        length += 1;
      } else {
        out += `\n${indentText}`;
        length = indentLength;
      }
    }
    out += word;
    length += word.length;
  }
  return `${out}\n`;
}
