// Macro expansion in a pipe(8) command's arguments: $name, ${name} and $(name) for
// sender, nexthop, recipient, original_recipient, user, extension, mailbox, domain, size,
// queue_id and the client_*/sasl_* attributes; "$$" is a dollar. An argument that uses a
// recipient macro is repeated once per recipient (as sendmail-style programs expect one
// argument per recipient); an empty ${user} drops that recipient's copy of the argument.
// An unknown or malformed macro is a configuration error (the caller defers 4.3.5).
// Called by api.ts. Pure apart from the warnings. Models expand_argv(), parse_callback()
// and morph_recipient() of src/pipe/pipe.c, mac_parse() of src/util/mac_parse.c and
// split_addr() of src/global/split_addr.c.

import { quoteLocalPart } from '../global/address/index.ts';
import type { DeliveryRecipient } from '../master/contracts.ts';
import type { PipeFlags } from './attributes.ts';

/** Macros that depend on the recipient, and those that do not. */
const RECIPIENT_MACROS = new Set(['recipient', 'original_recipient', 'user', 'extension', 'mailbox', 'domain']);
const REQUEST_MACROS = new Set([
  'nexthop', 'sender', 'size', 'client_address', 'client_hostname', 'client_port', 'client_protocol', 'client_helo',
  'sasl_method', 'sasl_username', 'sasl_sender', 'queue_id',
]);

/** Pieces of one argument: literal text and macro names. */
type Piece = { literal: string } | { name: string };

export interface ParseFailure {
  warning: string;
}

/** mac_parse(): splits text into literals and macro names. */
export function parseMacros(text: string): Piece[] | ParseFailure {
  const pieces: Piece[] = [];
  let literal = '';
  let index = 0;
  while (index < text.length) {
    const character = text[index]!;
    if (character !== '$') { literal += character; index++; continue; }
    if (text[index + 1] === '$') { literal += '$'; index += 2; continue; }
    if (literal !== '') { pieces.push({ literal }); literal = ''; }
    index++;
    let name: string;
    const open = text[index];
    if (open === '{' || open === '(') {
      const close = open === '{' ? '}' : ')';
      let level = 1;
      let end = index + 1;
      for (; level > 0; end++) {
        if (end >= text.length) return { warning: `truncated macro reference: "${text}"` };
        if (text[end] === open) level++;
        if (text[end] === close) level--;
      }
      name = text.slice(index + 1, end - 1);
      index = end;
    } else {
      const match = /^[A-Za-z0-9_]*/.exec(text.slice(index))!;
      name = match[0];
      index += name.length;
    }
    if (name === '') return { warning: `empty macro name: "${text}"` };
    pieces.push({ name });
  }
  if (literal !== '') pieces.push({ literal });
  return pieces;
}

/** fold_addr(): lower-case the local part (u), the domain (h), or both. */
function foldAddress(address: string, flags: Pick<PipeFlags, 'foldUser' | 'foldHost'>): string {
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const domain = at < 0 ? '' : address.slice(at);
  return `${flags.foldUser ? local.toLowerCase() : local}${flags.foldHost ? domain.toLowerCase() : domain}`;
}

/** morph_recipient(): quoted (q) and folded (u, h) as the flags say. */
export function morphRecipient(address: string, flags: PipeFlags, quote = flags.quoteLocal): string {
  return foldAddress(quote ? quoteLocalPart(address) : address, flags);
}

export interface SplitOptions {
  recipientDelimiter: string;
  doubleBounceSender: string;
  ownerRequestSpecial: boolean;
}

/** split_addr(): the extension of a local part, or undefined when it is not split. */
export function splitExtension(localPart: string, options: SplitOptions): { user: string; extension?: string } {
  const lower = localPart.toLowerCase();
  const delimiters = options.recipientDelimiter;
  if (delimiters === '' || lower === 'postmaster' || lower === 'mailer-daemon' || lower === options.doubleBounceSender.toLowerCase()) {
    return { user: localPart };
  }
  if (delimiters.includes('-') && options.ownerRequestSpecial) {
    if (lower.startsWith('owner-')) return { user: localPart };
    if (lower.length > 8 && lower.endsWith('-request')) return { user: localPart };
  }
  let index = 0;
  while (index < localPart.length && !delimiters.includes(localPart[index]!)) index++;
  if (index === 0 || index >= localPart.length) return { user: localPart };
  return { user: localPart.slice(0, index), extension: localPart.slice(index + 1) };
}

export interface ExpandContext {
  /** The request-wide values (sender, nexthop, size, client_*...). */
  values: ReadonlyMap<string, string>;
  flags: PipeFlags;
  split: SplitOptions;
  serviceName: string;
  configDirectory: string;
  warn(text: string): void;
}

function render(pieces: readonly Piece[], values: ReadonlyMap<string, string>): string {
  return pieces.map((piece) => ('literal' in piece ? piece.literal : values.get(piece.name) ?? '')).join('');
}

/** Splits at the rightmost '@', warning when there is none. */
function atRight(address: string, context: ExpandContext, original: string): { local: string; domain?: string } {
  const at = address.lastIndexOf('@');
  if (at < 0) {
    context.warn(`no @ in recipient address: ${original}`);
    return { local: address };
  }
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** The recipient macros for one recipient; undefined when ${user} is empty (skip). */
function recipientValues(recipient: DeliveryRecipient, used: ReadonlySet<string>, context: ExpandContext): Map<string, string> | undefined {
  const values = new Map(context.values);
  const folded = morphRecipient(recipient.address, context.flags, false);
  if (used.has('recipient')) values.set('recipient', morphRecipient(recipient.address, context.flags));
  if (used.has('original_recipient')) values.set('original_recipient', morphRecipient(recipient.originalRecipient, context.flags));
  if (used.has('user')) {
    const user = splitExtension(atRight(folded, context, recipient.address).local, context.split).user;
    if (user === '') return undefined;
    values.set('user', user);
  }
  if (used.has('extension')) {
    values.set('extension', splitExtension(atRight(folded, context, recipient.address).local, context.split).extension ?? '');
  }
  if (used.has('mailbox')) values.set('mailbox', atRight(folded, context, recipient.address).local);
  if (used.has('domain')) values.set('domain', atRight(folded, context, recipient.address).domain ?? '');
  return values;
}

/** expand_argv(): the command's arguments for these recipients, or undefined after a
 *  warning when an argument names an unknown macro. */
export function expandArguments(command: readonly string[], recipients: readonly DeliveryRecipient[], context: ExpandContext): string[] | undefined {
  const result: string[] = [];
  for (const argument of command) {
    const pieces = parseMacros(argument);
    if ('warning' in pieces) { context.warn(pieces.warning); return undefined; }
    const used = new Set<string>();
    for (const piece of pieces) {
      if (!('name' in piece)) continue;
      if (RECIPIENT_MACROS.has(piece.name)) used.add(piece.name);
      else if (!REQUEST_MACROS.has(piece.name)) {
        context.warn(`file ${context.configDirectory}/master.cf: service ${context.serviceName}: unknown macro name: "${piece.name}"`);
        return undefined;
      }
    }
    if (used.size === 0) { result.push(render(pieces, context.values)); continue; }
    for (const recipient of recipients) {
      const values = recipientValues(recipient, used, context);
      if (values !== undefined) result.push(render(pieces, values));
    }
  }
  return result;
}
