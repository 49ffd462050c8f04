// postconf -M/-F/-P with -e, -X or -#: edits master.cf in place. An edited entry is
// written back in postconf -Mf's folded layout on the line where it started (its
// continuation lines dropped), -X drops it, -# puts '#' before each of its physical
// lines; comments, blank lines and untouched entries are copied as they are, and a new
// -Me entry goes at the end. Called by runPostconfMaster (postconf-master.ts); trusts
// master-cf.ts for parsing. Models the master.cf half of Postfix's postconf_edit.c.

import type { FileSystem } from '../platform/types.ts';
import type { Reporter } from '../global/msg.ts';
import {
  commandField, entryFromWords, masterFieldNames, masterFieldsMin, parseMasterCf, readMasterConfig,
} from '../global/config/master-cf.ts';
import type { MasterEntry } from '../global/config/master-cf.ts';

export type MasterEditKind = 'edit' | 'exclude' | 'comment-out';
export type MasterEditMode = 'entries' | 'fields' | 'parameters';

/** What becomes of one entry: new words, removal, or commenting out. */
type Fate = { words: readonly string[] } | 'exclude' | 'comment-out';

/** Postfix's master.cf line limit applies; this bounds the number of physical lines. */
const physicalLinesMax = 1_000_000;

/** Applies the edits in OPERANDS to DIRECTORY/master.cf and writes it back. */
export async function editMasterCf(
  fs: FileSystem, directory: string, mode: MasterEditMode, kind: MasterEditKind,
  operands: readonly string[], reporter: Reporter, format: (entry: MasterEntry) => string,
): Promise<void> {
  const path = `${directory}/master.cf`;
  const entries = await readMasterConfig(fs, directory, reporter);
  const fates = new Map<MasterEntry, Fate>();
  const appended: MasterEntry[] = [];
  const current = (entry: MasterEntry): readonly string[] => {
    const fate = fates.get(entry);
    return typeof fate === 'object' ? fate.words : entry.words;
  };
  for (const operand of operands) {
    applyOperand({ entries, fates, appended, current, reporter, path }, mode, kind, operand);
  }
  const text = new TextDecoder().decode(await fs.readFile(path));
  const output = rewrite(text, entries, fates, format) + appended.map(format).join('');
  await fs.writeFile(path, new TextEncoder().encode(output));
}

interface EditState {
  entries: readonly MasterEntry[];
  fates: Map<MasterEntry, Fate>;
  appended: MasterEntry[];
  current(entry: MasterEntry): readonly string[];
  reporter: Reporter;
  path: string;
}

function splitAssignment(operand: string, reporter: Reporter): { key: string; value: string } {
  const equals = operand.indexOf('=');
  if (equals < 0) reporter.fatal(`missing '=' after attribute name: "${operand}"`);
  return { key: operand.slice(0, equals).trim(), value: operand.slice(equals + 1).trim() };
}

function applyOperand(state: EditState, mode: MasterEditMode, kind: MasterEditKind, operand: string): void {
  const { reporter } = state;
  const partsWanted = mode === 'entries' ? 2 : 3;
  if (kind !== 'edit' && operand.includes('=')) reporter.fatal('specify one of -e -X');
  const assignment = kind === 'edit' ? splitAssignment(operand, reporter) : { key: operand.trim(), value: '' };
  const parts = assignment.key.split('/');
  const badPart = (part: string): boolean => part === '' || (part !== '*' && part.includes('*'));
  if (parts.length !== partsWanted || parts.some(badPart)) reporter.fatal(usageFor(mode));
  const matchesPart = (part: string | undefined, value: string): boolean => part === '*' || part === value;
  const matches = state.entries.filter((entry) => matchesPart(parts[0], entry.service) && matchesPart(parts[1], entry.type));
  if (mode === 'entries') {
    if (kind !== 'edit') {
      for (const entry of matches) state.fates.set(entry, kind);
      return;
    }
    const replacement = parseReplacement(assignment.value, operand, state);
    if (matches.length === 0) state.appended.push(replacement);
    for (const entry of matches) state.fates.set(entry, { words: replacement.words });
    return;
  }
  if (matches.length === 0) {
    reporter.warn(`unmatched service_name/type: "${operand}"`);
    return;
  }
  const name = parts[2] ?? '';
  for (const entry of matches) {
    const words = mode === 'fields'
      ? editField(state.current(entry), name, assignment.value, kind, reporter)
      : editParameter(state.current(entry), name, assignment.value, kind, reporter);
    state.fates.set(entry, { words });
  }
}

function usageFor(mode: MasterEditMode): string {
  if (mode === 'entries') return '-Me, -MX or -M# requires service_name/type';
  if (mode === 'fields') return '-Fe or -FX requires service_name/type/field_name';
  return '-Pe or -PX requires service_name/type/parameter';
}

function parseReplacement(value: string, operand: string, state: EditState): MasterEntry {
  const words = value.split(/[ \t\r\n]+/).filter((word) => word !== '');
  if (words.length < masterFieldsMin) state.reporter.fatal(`bad field count: "${operand}"`);
  const parsed = parseMasterCf(`${value}\n`, state.path, state.reporter);
  const entry = parsed[0];
  if (entry === undefined) return state.reporter.fatal(`bad field count: "${operand}"`);
  return entryFromWords(entry.words, state.path, 0, value);
}

function editField(
  words: readonly string[], name: string, value: string, kind: MasterEditKind, reporter: Reporter,
): string[] {
  const field = (masterFieldNames as readonly string[]).indexOf(name);
  if (field < 0) reporter.fatal(`invalid service attribute name: "${name}"`);
  if (kind !== 'edit') reporter.fatal(`-F does not support -${kind === 'exclude' ? 'X' : '#'}`);
  const valueWords = value.split(/[ \t\r\n]+/).filter((word) => word !== '');
  if (field === commandField) return [...words.slice(0, commandField), ...valueWords];
  if (valueWords.length > 1) reporter.fatal('-Fe does not accept whitespace in non-command field');
  const result = [...words];
  result[field] = valueWords[0] ?? '';
  return result;
}

function editParameter(
  words: readonly string[], name: string, value: string, kind: MasterEditKind, reporter: Reporter,
): string[] {
  if (kind === 'edit' && /[ \t\r\n]/.test(value)) reporter.fatal('-Pe does not accept whitespace in parameter value');
  const result: string[] = [...words.slice(0, masterFieldsMin)];
  let replaced = false;
  let inOptions = true;
  let optionsEnd = masterFieldsMin;
  for (let index = masterFieldsMin; index < words.length; index++) {
    const word = words[index] ?? '';
    if (inOptions && (!word.startsWith('-') || word === '--')) {
      inOptions = false;
      optionsEnd = result.length;
    }
    const next = words[index + 1];
    if (inOptions && word === '-o' && next !== undefined) {
      index += 1;
      if (next.split('=')[0] === name) {
        if (kind === 'edit' && !replaced) result.push('-o', `${name}=${value}`);
        replaced = true;
        continue;
      }
      result.push(word, next);
      continue;
    }
    result.push(word);
  }
  if (inOptions) optionsEnd = result.length;
  if (kind === 'edit' && !replaced) result.splice(optionsEnd, 0, '-o', `${name}=${value}`);
  return result;
}

/** Copies TEXT line by line, replacing, dropping or commenting out the entries with a fate. */
function rewrite(
  text: string, entries: readonly MasterEntry[], fates: ReadonlyMap<MasterEntry, Fate>,
  format: (entry: MasterEntry) => string,
): string {
  const byLine = new Map(entries.map((entry) => [entry.line, entry]));
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length > physicalLinesMax) throw new Error('postconf: master.cf has too many lines');
  let output = '';
  let fate: Fate | undefined;
  // An edited entry is written when it ends, after any comment lines inside it.
  let pending = '';
  lines.forEach((line, index) => {
    const firstVisible = line.search(/[^ \t\r\n\v\f]/);
    if (firstVisible < 0 || line[firstVisible] === '#') {
      output += `${line}\n`;
      return;
    }
    if (firstVisible === 0) {
      output += pending;
      pending = '';
      const entry = byLine.get(index + 1);
      fate = entry === undefined ? undefined : fates.get(entry);
      if (typeof fate === 'object' && entry !== undefined) {
        pending = format(entryFromWords(fate.words, entry.file, entry.line, entry.text));
        return;
      }
    }
    if (fate === undefined) output += `${line}\n`;
    else if (fate === 'comment-out') output += `#${line}\n`;
  });
  return output + pending;
}
