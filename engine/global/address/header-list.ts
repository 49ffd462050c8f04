// Header address lists (To:, Cc:, From:, Reply-To:, Resent-To: ...) as a list of
// addresses with their display names and named groups, for cleanup (recipients from
// `sendmail -t`, rewriting of header addresses), smtpd and the UI. The addresses are those
// Postfix's parser finds (every address group of tok822_parse), in internal and external
// form; an empty "<>" has no address and is skipped, as cleanup skips it.
// Called by cleanup and sendmail -t (later), tests. Trusts nothing; bounded by the
// scanner's token limit. Models the use of tok822_parse + tok822_grep(TOK822_ADDR) in
// src/cleanup/cleanup_addr.c and cleanup_message.c.

import { parseAddressTokens } from './parse.ts';
import { externalizeAddress, internalize } from './render.ts';
import type { ScanOptions, Token } from './tokens.ts';

export interface HeaderAddress {
  /** Internal (unquoted) form, e.g. `john doe@example.com`. */
  address: string;
  /** External (quoted) form, e.g. `"john doe"@example.com`. */
  external: string;
  /** The phrase before "<...>", or the text of a comment after the address. */
  displayName?: string;
  /** The name of the named group the address belongs to ("team: a@x, b@y;"). */
  group?: string;
}

const isOperator = (token: Token, text: string): boolean => token.kind === 'operator' && token.text === text;

/** Words of a phrase joined as a reader writes them: "John Q. Public". */
function phraseText(tokens: readonly Token[]): string | undefined {
  let text = '';
  for (const token of tokens) {
    if (token.kind === 'atom' || token.kind === 'quoted') {
      text += (text === '' || text.endsWith(' ') ? '' : ' ') + token.text;
    } else if (isOperator(token, '.')) {
      text += '. ';
    }
  }
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A comment's text without its outer parentheses. */
function commentText(token: Token): string | undefined {
  if (token.kind !== 'comment') return undefined;
  const inner = token.text.replace(/^\(/, '').replace(/\)$/, '').trim();
  return inner === '' ? undefined : inner;
}

/** The internal forms of a value's addresses, in order: what parseAddressList(value)
 *  gives as `address`, without the external forms and display names. */
export function parseAddressListInternal(value: string, options?: ScanOptions): string[] {
  const addresses: string[] = [];
  for (const token of parseAddressTokens(value, options)) {
    if (token.kind === 'address') addresses.push(internalize(token.tokens, undefined, true));
  }
  return addresses;
}

/** Parses a header value into its addresses, in order. */
export function parseAddressList(value: string, options: ScanOptions = {}): HeaderAddress[] {
  const tokens = parseAddressTokens(value, options);
  const result: HeaderAddress[] = [];
  let phrase: Token[] = [];
  let groupName: string | undefined;
  let last: HeaderAddress | undefined;
  for (const token of tokens) {
    if (token.kind === 'address') {
      const entry: HeaderAddress = { address: internalize(token.tokens, {}, true), external: externalizeAddress(token) };
      const name = phraseText(phrase);
      if (name !== undefined) entry.displayName = name;
      if (groupName !== undefined) entry.group = groupName;
      result.push(entry);
      last = entry;
      phrase = [];
    } else if (token.kind === 'group-start') {
      groupName = phraseText(phrase);
      phrase = [];
    } else if (isOperator(token, ';')) {
      groupName = undefined;
      phrase = [];
      last = undefined;
    } else if (isOperator(token, ',')) {
      phrase = [];
      last = undefined;
    } else if (token.kind === 'comment') {
      const text = commentText(token);
      if (last !== undefined && last.displayName === undefined && text !== undefined) last.displayName = text;
    } else if (!isOperator(token, '<') && !isOperator(token, '>')) {
      phrase.push(token);
    }
  }
  return result;
}
