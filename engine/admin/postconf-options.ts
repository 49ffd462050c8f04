// postconf's command line: getopt with Postfix's option string, the mode bits, and the
// two compatibility tables that reject option combinations with Postfix's exact words
// ("specify one of -d -n", "with option -m, do not specify -d"). Called by postconf.ts.
// Trusts nothing in argv. Models the option handling of postconf.c.

import type { Reporter } from '../global/msg.ts';
import { forEachOption } from './getopt.ts';

/** Mode bits, in the order of Postfix's name table (which orders the names it prints). */
export const Mode = {
  showSaslServer: 1 << 0, showSaslClient: 1 << 1, expandTemplates: 1 << 2, paramClass: 1 << 3,
  showDefaults: 1 << 4, edit: 1 << 5, fold: 1 << 6, masterFields: 1 << 7, hideName: 1 << 8,
  hideValue: 1 << 9, showLocks: 1 << 10, showMaps: 1 << 11, masterEntries: 1 << 12,
  showNonDefault: 1 << 13, mainOverride: 1 << 14, mainParameters: 1 << 15, masterParameters: 1 << 16,
  dumpTemplates: 1 << 17, showTls: 1 << 18, expand: 1 << 19, exclude: 1 << 20, commentOut: 1 << 21,
} as const;

const modeNames: readonly [number, string][] = [
  [Mode.showSaslServer, '-a'], [Mode.showSaslClient, '-A'], [Mode.expandTemplates, '-b'], [Mode.paramClass, '-C'],
  [Mode.showDefaults, '-d'], [Mode.edit, '-e'], [Mode.fold, '-f'], [Mode.masterFields, '-F'], [Mode.hideName, '-h'],
  [Mode.hideValue, '-H'], [Mode.showLocks, '-l'], [Mode.showMaps, '-m'], [Mode.masterEntries, '-M'],
  [Mode.showNonDefault, '-n'], [Mode.mainOverride, '-o'], [Mode.mainParameters, '-p'], [Mode.masterParameters, '-P'],
  [Mode.dumpTemplates, '-t'], [Mode.showTls, '-T'], [Mode.expand, '-x'], [Mode.exclude, '-X'], [Mode.commentOut, '-#'],
];

const majorModes = Mode.showSaslServer | Mode.showSaslClient | Mode.expandTemplates | Mode.showLocks | Mode.showMaps
  | Mode.dumpTemplates | Mode.mainParameters | Mode.masterEntries | Mode.masterFields | Mode.masterParameters | Mode.showTls;

const editModes = Mode.edit | Mode.commentOut | Mode.exclude;

/** Groups of options of which at most one may be given. */
const exclusiveGroups: readonly number[] = [
  majorModes,
  Mode.showDefaults | Mode.showNonDefault | editModes,
  Mode.fold | editModes,
  Mode.expand | editModes,
  Mode.mainOverride | Mode.showDefaults | editModes,
  Mode.hideName | editModes | Mode.hideValue,
];

/** Each major mode and the modifiers it accepts. */
const compatibleModifiers: readonly [number, number][] = [
  [Mode.showSaslServer, 0], [Mode.showSaslClient, 0], [Mode.expandTemplates, 0], [Mode.showLocks, 0],
  [Mode.showMaps, 0], [Mode.showTls, 0], [Mode.dumpTemplates, 0],
  [Mode.mainParameters, editModes | Mode.fold | Mode.hideName | Mode.paramClass | Mode.expand | Mode.showDefaults
    | Mode.showNonDefault | Mode.mainOverride | Mode.hideValue],
  [Mode.masterEntries, editModes | Mode.fold | Mode.mainOverride | Mode.expand],
  [Mode.masterFields, Mode.edit | Mode.fold | Mode.hideName | Mode.mainOverride | Mode.expand | Mode.hideValue],
  [Mode.masterParameters, Mode.edit | Mode.exclude | Mode.fold | Mode.hideName | Mode.mainOverride | Mode.expand | Mode.hideValue],
  [Mode.paramClass, Mode.mainParameters | Mode.showDefaults | Mode.showNonDefault],
];

export interface PostconfOptions {
  mode: number;
  configDirectory?: string;
  /** -C: which classes of parameters to show. */
  parameterClasses: Set<'builtin' | 'service' | 'user'>;
  overrides: string[];
  tlsArgument?: string;
  operands: string[];
}

const OPTION_LETTERS = 'aAbc:C:deEfFhHlmMno:pPtT:vxX#';

export const USAGE = 'usage: postconf [-a (server SASL types)] [-A (client SASL types)] [-b (bounce templates)]'
  + ' [-c config_dir] [-c param_class] [-d (parameter defaults)] [-e (edit configuration)] [-f (fold lines)]'
  + ' [-F (master.cf fields)] [-h (no names)] [-H (no values)] [-l (lock types)] [-m (map types)] [-M (master.cf)]'
  + ' [-n (non-default parameters)] [-o name=value (override parameter value)] [-p (main.cf, default)]'
  + ' [-P (master.cf parameters)] [-t (bounce templates)] [-T compile-version|run-version|public-key-algorithms]'
  + ' [-v (verbose)] [-x (expand parameter values)] [-X (exclude)] [-# (comment-out)] [name...]';

/** Names of the bits set in `bits`, in table order, separated by spaces. */
function namesOf(bits: number): string {
  return modeNames.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name).join(' ');
}

function parseClasses(text: string, reporter: Reporter): Set<'builtin' | 'service' | 'user'> {
  const classes = new Set<'builtin' | 'service' | 'user'>();
  for (const word of text.split(/[\s,]+/).filter((item) => item !== '')) {
    const lower = word.toLowerCase();
    if (lower === 'all') { classes.add('builtin'); classes.add('service'); classes.add('user'); }
    else if (lower === 'builtin' || lower === 'service' || lower === 'user') classes.add(lower);
    else reporter.fatal(`unknown -C option value "${word}" in "${text}"`);
  }
  return classes;
}

/** getopt(3) with a leading '+': options stop at the first operand or "--". */
export function parsePostconfOptions(argv: readonly string[], reporter: Reporter, stderr: (text: string) => void): PostconfOptions {
  const options: PostconfOptions = {
    mode: 0, parameterClasses: new Set(['builtin', 'service', 'user']), overrides: [], operands: [],
  };
  const output = { program: 'postconf', complain: stderr, usage: (): never => reporter.fatal(USAGE) };
  options.operands = forEachOption(argv, OPTION_LETTERS, output, (letter, value) => applyOption(options, letter, value, reporter));
  return options;
}

function applyOption(options: PostconfOptions, letter: string, value: string, reporter: Reporter): void {
  const flag: Record<string, number> = {
    a: Mode.showSaslServer, A: Mode.showSaslClient, d: Mode.showDefaults, e: Mode.edit, f: Mode.fold,
    F: Mode.masterFields, '#': Mode.commentOut, h: Mode.hideName, H: Mode.hideValue, l: Mode.showLocks,
    m: Mode.showMaps, M: Mode.masterEntries, n: Mode.showNonDefault, p: Mode.mainParameters,
    P: Mode.masterParameters, x: Mode.expand, X: Mode.exclude,
  };
  const bit = flag[letter];
  if (bit !== undefined) { options.mode |= bit; return; }
  switch (letter) {
    case 'b':
    case 't':
      if (options.mode & (Mode.expandTemplates | Mode.dumpTemplates)) reporter.fatal('specify one of -b and -t');
      options.mode |= letter === 'b' ? Mode.expandTemplates : Mode.dumpTemplates;
      return;
    case 'c': options.configDirectory = value; return;
    case 'C': options.parameterClasses = parseClasses(value, reporter); return;
    case 'o': options.mode |= Mode.mainOverride; options.overrides.push(value); return;
    case 'T':
      if (options.mode & Mode.showTls) reporter.fatal('At most one -T <mode> option may be specified');
      options.mode |= Mode.showTls;
      options.tlsArgument = value;
      return;
    default: return; // -E and -v change nothing that mtalab prints
  }
}

/** Makes the main mode explicit and rejects combinations as Postfix does. */
export function settleMode(options: PostconfOptions, reporter: Reporter): void {
  if ((options.mode & majorModes) === 0) options.mode |= Mode.mainParameters;
  const mainOrMaster = Mode.mainParameters | Mode.masterEntries | Mode.masterFields | Mode.masterParameters;
  if ((options.mode & mainOrMaster) && (options.operands[0] ?? '').includes('=')) options.mode |= Mode.edit;
  for (const group of exclusiveGroups) {
    const bits = group & options.mode;
    if (bits !== 0 && (bits & (bits - 1)) !== 0) reporter.fatal(`specify one of ${namesOf(bits)}`);
  }
  for (const [major, allowed] of compatibleModifiers) {
    const excess = options.mode & ~(major | allowed);
    if ((options.mode & major) !== 0 && excess !== 0) {
      reporter.fatal(`with option ${namesOf(major)}, do not specify ${namesOf(excess)}`);
    }
  }
  if ((options.mode & Mode.edit) && options.operands.length === 0) reporter.fatal('-e requires name=value argument');
}
