// Tokens back to text, in the two forms Postfix uses: internal (no quoting, for lookups,
// queue files and the resolver) and external (quoted where needed, for headers and the
// wire). Spaces go where Postfix puts them: after commas and group colons, before '<', and
// between two adjacent words at the top level of a list; tokens inside an address group
// are written without spaces. The external form can guard headers against long non-address
// text as Postfix does (over 250 bytes of comments and phrases per address, the address is
// reduced to "<address>" with a warning).
// Called by the address parser's users (cleanup, smtpd), trivial-rewrite and the tests.
// Trusts its tokens. Models tok822_internalize / tok822_externalize in tok822_parse.c.

import { quoteLocalPart } from './quote.ts';
import { isNonOperator, type AddressNode, type Token } from './tokens.ts';

/** The most non-address text one address expression may carry in a header. */
export const NON_ADDRESS_TEXT_LENGTH_MAX = 250;
/** How much of a stripped address expression the warning shows. */
const WARNING_EXCERPT_LENGTH = 100;

export interface RenderOptions {
  /** A line break after each comma instead of a space (header folding is up to the caller). */
  lineBreaks?: boolean;
  /** Enforce NON_ADDRESS_TEXT_LENGTH_MAX per address expression (external form only). */
  truncateNonAddress?: boolean;
  /** Receives "stripping too many comments from address: ..." warnings. */
  warn?: (text: string) => void;
}

/** Whether Postfix writes a space after tokens[index]. `grouped` is true for the members
 *  of an address group, which never get spaces. */
function spaceAfter(tokens: readonly Token[], index: number, grouped: boolean): boolean {
  const token = tokens[index];
  const next = tokens[index + 1];
  if (token === undefined || next === undefined || grouped) return false;
  if (token.kind === 'group-start' || (token.kind === 'operator' && token.text === ',')) return true;
  if (next.kind === 'operator' && next.text === '<') return true;
  return isNonOperator(token) && isNonOperator(next);
}

const isComma = (token: Token): boolean => token.kind === 'operator' && token.text === ',';

/** quoteLocalPart's options for header text (never changed). */
const EIGHT_BIT_CLEAN = Object.freeze({ eightBitClean: true });

/** Internal form: quoted strings lose their quotes, literals keep their brackets. */
export function internalize(tokens: readonly Token[], options: RenderOptions = NO_OPTIONS, grouped = false): string {
  let text = '';
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (isComma(token)) {
      text += ',';
      if (options.lineBreaks) {
        text += '\n';
        continue;
      }
    } else if (token.kind === 'address') {
      text += internalize(token.tokens, NO_OPTIONS, true);
    } else if (token.kind === 'literal') {
      text += `[${token.text}]`;
    } else {
      text += token.text;
    }
    if (spaceAfter(tokens, index, grouped)) text += ' ';
  }
  return text;
}

/** The options of a call that gives none (never changed). */
const NO_OPTIONS: RenderOptions = Object.freeze({});

/** Backslash-escapes the characters of `set` in `text`. */
function escapeCharacters(text: string, set: string): string {
  let result = '';
  for (const character of text) result += set.includes(character) ? `\\${character}` : character;
  return result;
}

/** Replaces characters that do not print with '?', as Postfix's printable() does. */
export function printable(text: string): string {
  let result = '';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    result += code < 32 || code === 127 ? '?' : character;
  }
  return result;
}

/** The external form of an address group: its internal form with the local part quoted. */
export function externalizeAddress(node: AddressNode): string {
  return quoteLocalPart(internalize(node.tokens, NO_OPTIONS, true), EIGHT_BIT_CLEAN);
}

/** External form: quoted strings and literals are re-escaped, addresses re-quoted. */
export function externalize(tokens: readonly Token[], options: RenderOptions = {}, grouped = false): string {
  let text = '';
  // State of the address expression being written, for the non-address text limit.
  let start = 0;
  let address: Token | undefined;
  let addressLength = 0;
  const reset = (): void => {
    start = text.length;
    address = undefined;
    addressLength = 0;
  };
  const enforce = (): void => {
    if (!options.truncateNonAddress || address === undefined) return;
    if (text.length - addressLength <= start + NON_ADDRESS_TEXT_LENGTH_MAX) return;
    const excerpt = printable(text.slice(start)).slice(0, WARNING_EXCERPT_LENGTH);
    options.warn?.(`stripping too many comments from address: ${excerpt}...`);
    const inner = address.kind === 'address' ? externalizeAddress(address) : '';
    text = `${text.slice(0, start)}<${inner}>`;
  };
  reset();
  tokens.forEach((token, index) => {
    if (isComma(token)) {
      enforce();
      text += options.lineBreaks ? ',\n' : ', ';
      reset();
      return;
    }
    if (token.kind === 'address') {
      address = token;
      const before = text.length;
      text += externalizeAddress(token);
      addressLength = text.length - before;
    } else if (token.kind === 'quoted') {
      text += `"${escapeCharacters(token.text, '"\\\r\n')}"`;
    } else if (token.kind === 'literal') {
      text += `[${escapeCharacters(token.text, '\\\r\n')}]`;
    } else {
      const next = tokens[index + 1];
      if (token.kind === 'operator' && token.text === '<' && next?.kind === 'operator' && next.text === '>') {
        address = token;
        addressLength = 0;
      }
      text += token.text;
    }
    if (spaceAfter(tokens, index, grouped)) text += ' ';
  });
  enforce();
  return text;
}
