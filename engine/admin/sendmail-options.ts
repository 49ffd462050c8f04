// sendmail(1)'s command line: Postfix's getopt loop over Sendmail's many options, with the
// special cases it handles before getopt ("-q" alone, the deprecated "-V xx"/"-Vxx" VERP
// spellings, "-XV"), the modes (-bp -bd -bi -bs -bv -q ...), the DSN options (-N -R -V)
// and the conflicts Postfix refuses. Every diagnostic is Postfix's text; fatals go through
// the caller's reporter (sendmail exits 75 for all of them).
// Called by engine/admin/sendmail.ts; tests. Trusts nothing in argv.
// Models main() of src/sendmail/sendmail.c, dsn_mask.c and GNU getopt's "+" mode.

import type { Reporter } from '../global/msg.ts';

export type SendmailMode = 'enqueue' | 'newaliases' | 'mailq' | 'daemon' | 'user' | 'flush' | 'ignore';

/** sendmail's getopt string: a letter followed by ':' takes a value. */
export const SENDMAIL_GETOPT = 'A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx';

/** DSN NOTIFY and RET bits (dsn_mask.h). */
export const DsnNotify = { never: 1, success: 2, failure: 4, delay: 8 } as const;
export const DsnReturn = { full: 1, hdrs: 2 } as const;

/** -V envelope ids longer than this are ignored. */
export const ENVELOPE_ID_LENGTH_MAX = 100;
/** verp_filter's default: the characters -XV delimiters may use. */
export const VERP_FILTER_DEFAULT = '-=+';

export interface SendmailOptions {
  mode: SendmailMode;
  /** -t */
  extractRecipients: boolean;
  /** Cleared by -i and -oi. */
  archaicEof: boolean;
  /** -bv */
  userVerify: boolean;
  sender?: string;
  fullName?: string;
  dsnNotify: number;
  dsnReturn: number;
  dsnEnvelopeId?: string;
  encoding?: string;
  rewriteContext: 'local' | 'remote';
  /** -XV / -V xx: the delimiters, or true for verp_delimiters from main.cf. */
  verp?: string | true;
  /** -qR site, -qI id, -q<time>. */
  siteToFlush?: string;
  idToFlush?: string;
  queueTime?: string;
  aliasMapFromArguments?: string;
  verbose: number;
  /** What is left of argv: recipients (or an error for the modes that take none). */
  operands: string[];
}

interface GetoptState {
  index: number;
  /** Position inside a cluster like "-ti"; 0 between arguments. */
  position: number;
}

/** One step of GNU getopt with a leading '+': the option letter and its value, '?' for an
 *  error (already printed), or undefined at the first operand or after "--". */
function getopt(argv: string[], state: GetoptState, program: string, stderr: { write(text: string): void }):
  { letter: string; value?: string } | undefined {
  if (state.position === 0) {
    const argument = argv[state.index];
    if (argument === undefined || !argument.startsWith('-') || argument === '-') return undefined;
    if (argument === '--') { state.index += 1; return undefined; }
    state.position = 1;
  }
  const argument = argv[state.index] ?? '';
  const letter = argument[state.position] ?? '';
  state.position += 1;
  const atEnd = state.position >= argument.length;
  const at = SENDMAIL_GETOPT.indexOf(letter);
  if (at < 0 || letter === ':') {
    stderr.write(`${program}: invalid option -- '${letter}'\n`);
    if (atEnd) { state.index += 1; state.position = 0; }
    return { letter: '?' };
  }
  if (SENDMAIL_GETOPT[at + 1] !== ':') {
    if (atEnd) { state.index += 1; state.position = 0; }
    return { letter };
  }
  let value: string | undefined;
  if (!atEnd) value = argument.slice(state.position);
  else value = argv[state.index + 1];
  state.index += atEnd ? 2 : 1;
  state.position = 0;
  if (value === undefined) {
    state.index = argv.length;
    stderr.write(`${program}: option requires an argument -- '${letter}'\n`);
    return { letter: '?' };
  }
  return { letter, value };
}

/** The first pass: only -C matters (it picks main.cf), but getopt's complaints show. */
export function prescanConfigDirectory(argv: readonly string[], program: string, stderr: { write(text: string): void }): string | undefined {
  const args = [...argv];
  const state: GetoptState = { index: 1, position: 0 };
  let directory: string | undefined;
  for (let steps = 0; steps <= args.length * 4 && state.index < args.length; steps++) {
    if (state.position === 0 && args[state.index] === '-q') { state.index += 1; continue; }
    const option = getopt(args, state, program, stderr);
    if (option === undefined) break;
    if (option.letter === 'C' && option.value !== undefined) {
      const value = option.value;
      const base = value.replace(/\/+$/, '').split('/').pop();
      directory = base === 'main.cf' ? (value.replace(/\/+[^/]*\/*$/, '') || '/') : value;
    }
  }
  return directory;
}

/** dsn_notify_mask: a comma/space list of NEVER, SUCCESS, FAILURE, DELAY (any case);
 *  NEVER only alone. 0 means bad (after name_mask's warning for an unknown word). */
export function dsnNotifyMask(text: string, reporter: Reporter): number {
  let mask = 0;
  for (const word of text.split(/[, \t\r\n]+/).filter((part) => part !== '')) {
    const bit = (DsnNotify as Record<string, number>)[word.toLowerCase()];
    if (bit === undefined) {
      reporter.warn(`unknown DSN NOTIFY command value "${word}" in "${text}"`);
      return 0;
    }
    mask |= bit;
  }
  const any = DsnNotify.success | DsnNotify.failure | DsnNotify.delay;
  return mask === DsnNotify.never || mask === (mask & any) ? mask : 0;
}

/** dsn_ret_code: FULL or HDRS in any case; 0 for anything else. */
export function dsnReturnCode(text: string): number {
  const code = (DsnReturn as Record<string, number>)[text.toLowerCase()];
  return code ?? 0;
}

/** -V's envelope id must be printable ASCII (allprint). */
function isAllPrintable(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

function initialMode(program: string): SendmailMode {
  if (program === 'mailq') return 'mailq';
  if (program === 'newaliases') return 'newaliases';
  if (program === 'smtpd') return 'daemon';
  return 'enqueue';
}

/** The second pass over argv, after main.cf was read. */
export function parseSendmailOptions(argv: readonly string[], program: string, reporter: Reporter,
  stderr: { write(text: string): void }, verpFilter = VERP_FILTER_DEFAULT): SendmailOptions {
  const args = [...argv];
  const options: SendmailOptions = {
    mode: initialMode(program), extractRecipients: false, archaicEof: true, userVerify: false,
    dsnNotify: 0, dsnReturn: 0, rewriteContext: 'local', verbose: 0, operands: [],
  };
  const state: GetoptState = { index: 1, position: 0 };
  for (let steps = 0; steps <= args.length * 4 && state.index < args.length; steps++) {
    if (state.position === 0 && !rewriteSpecial(args, state, options, reporter)) continue;
    const option = getopt(args, state, program, stderr);
    if (option === undefined) break;
    applyOption(option.letter, option.value ?? '', options, reporter, verpFilter, program);
  }
  options.operands = args.slice(state.index);
  checkConflicts(options, reporter);
  return options;
}

/** The cases Postfix handles before getopt. Returns false when the argument was consumed. */
function rewriteSpecial(args: string[], state: GetoptState, options: SendmailOptions, reporter: Reporter): boolean {
  const argument = args[state.index];
  if (argument === '-q') {
    if (options.mode === 'daemon') reporter.warn('ignoring -q option in daemon mode');
    else options.mode = 'flush';
    state.index += 1;
    return false;
  }
  const next = args[state.index + 1];
  if (argument === '-V' && next !== undefined && next.length === 2) {
    reporter.warn('option -V is deprecated with Postfix 2.3; specify -XV instead');
    args[state.index] = '-XV';
  } else if (argument !== undefined && argument.startsWith('-V') && argument.length === 4) {
    reporter.warn(`option ${argument} is deprecated with Postfix 2.3; specify -X${argument.slice(1)} instead`);
    args[state.index] = `-X${argument.slice(1)}`;
  }
  if (args[state.index] === '-XV') {
    options.verp = true;
    state.index += 1;
    return false;
  }
  return true;
}

function applyOption(letter: string, value: string, options: SendmailOptions, reporter: Reporter, verpFilter: string, program: string): void {
  switch (letter) {
    case 'n': reporter.fatal('-n option not supported');
    // falls through (fatal never returns)
    case 'B':
      if (value === '8BITMIME') options.encoding = '8bit';
      else if (value === '7BIT') options.encoding = '7bit';
      else reporter.fatal('-B option needs 8BITMIME or 7BIT');
      return;
    case 'F': options.fullName = value; return;
    case 'G': options.rewriteContext = 'remote'; return;
    case 'I': options.mode = 'newaliases'; return;
    case 'N':
      options.dsnNotify = dsnNotifyMask(value, reporter);
      if (options.dsnNotify === 0) reporter.warn('bad -N option value -- ignored');
      return;
    case 'R':
      options.dsnReturn = dsnReturnCode(value);
      if (options.dsnReturn === 0) reporter.warn('bad -R option value -- ignored');
      return;
    case 'V':
      if (value.length > ENVELOPE_ID_LENGTH_MAX) reporter.warn('too long -V option value -- ignored');
      else if (!isAllPrintable(value)) reporter.warn('bad syntax in -V option value -- ignored');
      else options.dsnEnvelopeId = value;
      return;
    case 'X':
      if (value[0] !== 'V') reporter.fatal(`unsupported: -X${value[0] ?? ''}`);
      if (!isVerpDelimiters(value.slice(1), verpFilter)) reporter.fatal(`-V requires two characters from ${verpFilter}`);
      options.verp = value.slice(1);
      return;
    case 'b': applyModeOption(value, options, reporter); return;
    case 'f': case 'r': options.sender = value; return;
    case 'i': options.archaicEof = false; return;
    case 'o': applyOldStyleOption(value, options, reporter); return;
    case 'q': applyQueueOption(value, options, reporter); return;
    case 't': options.extractRecipients = true; return;
    case 'v': options.verbose += 1; return;
    case '?': reporter.fatal(`usage: ${program} [options]`);
    // falls through (fatal never returns)
    default: return; // Sendmail options Postfix accepts and ignores (-A -c -e -h -m -x ...).
  }
}

function isVerpDelimiters(delimiters: string, filter: string): boolean {
  return delimiters.length === 2 && [...delimiters].every((character) => filter.includes(character));
}

function applyModeOption(value: string, options: SendmailOptions, reporter: Reporter): void {
  switch (value[0]) {
    case 'd': case 'l':
      if (options.mode === 'flush') reporter.warn('ignoring -q option in daemon mode');
      options.mode = 'daemon';
      return;
    case 'h': case 'H': options.mode = 'ignore'; return;
    case 'i': options.mode = 'newaliases'; return;
    case 'm': options.mode = 'enqueue'; return;
    case 'p': options.mode = 'mailq'; return;
    case 's': options.mode = 'user'; return;
    case 'v': options.userVerify = true; return;
    default: reporter.fatal(`unsupported: -b${value[0] ?? ''}`);
  }
}

function applyOldStyleOption(value: string, options: SendmailOptions, reporter: Reporter): void {
  if (value[0] === 'A') {
    if (value.length === 1) reporter.fatal('-oA requires pathname');
    options.aliasMapFromArguments = value.slice(1);
  } else if (value[0] === 'i') {
    options.archaicEof = false;
  }
}

function applyQueueOption(value: string, options: SendmailOptions, reporter: Reporter): void {
  const first = value[0] ?? '';
  if (/[0-9]/.test(first)) {
    options.queueTime = value;
  } else if (first === 'R') {
    if (value.length === 1) reporter.fatal('specify: -qRsitename');
    options.siteToFlush = value.slice(1);
  } else if (first === 'I') {
    if (value.length === 1) reporter.fatal('specify: -qIqueueid');
    options.idToFlush = value.slice(1);
  } else {
    reporter.fatal(`-q${first} is not implemented`);
  }
}

/** The option combinations Postfix refuses, in its order. */
function checkConflicts(options: SendmailOptions, reporter: Reporter): void {
  if (options.extractRecipients && options.mode !== 'enqueue') reporter.fatal('-t can be used only in delivery mode');
  if (options.siteToFlush !== undefined && options.mode !== 'enqueue') reporter.fatal('-qR can be used only in delivery mode');
  if (options.idToFlush !== undefined && options.mode !== 'enqueue') reporter.fatal('-qI can be used only in delivery mode');
  if (options.userVerify) {
    if (options.extractRecipients) reporter.fatal('-t option cannot be used with -bv');
    if (options.dsnNotify) reporter.fatal('-N option cannot be used with -bv');
    if (options.dsnReturn) reporter.fatal('-R option cannot be used with -bv');
    if (options.verbose === 1) reporter.fatal('-v option cannot be used with -bv');
  }
}
