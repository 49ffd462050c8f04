// RFC 822 tokens and the scanner that turns an address string into them, the way Postfix's
// tok822 tokenizer does: atoms, quoted strings, comments (which nest), domain literals and
// single-character operators, including the non-RFC operators %, ! and | that Postfix also
// treats as specials. The scanner is permissive: unterminated quotes, literals and comments
// run to the end of the text; nothing is thrown away, so the tokens convert back to text.
// Called by the address parser (parse.ts), trivial-rewrite's rewrite and resolve, and later
// by cleanup and smtpd. Trusts nothing in the text; every loop is bounded by the input
// length and by ADDRESS_TOKENS_MAX. Models src/global/tok822_parse.c (tok822_scan_limit).

/** The most tokens one scan produces; Postfix's header_address_token_limit default. */
export const ADDRESS_TOKENS_MAX = 10240;
/** The longest text the scanner reads; the rest is ignored (header_size_limit default). */
export const ADDRESS_TEXT_LENGTH_MAX = 102400;

/** Single-character operators: RFC 822 specials plus Postfix's extra %, ! and |. */
export const OPERATOR_CHARACTERS = '|%!()<>@,;:\\".[]';

export type WordKind = 'atom' | 'quoted' | 'comment' | 'literal';

/** A word-like token. `text` is the content without its delimiters, except for comments,
 *  which keep their parentheses and backslashes (their external form). */
export interface WordToken {
  readonly kind: WordKind;
  readonly text: string;
}

/** A single-character operator such as '@', '.', '<', ',', '%', '!'. */
export interface OperatorToken {
  readonly kind: 'operator';
  readonly text: string;
}

/** The ':' that opens a named group ("undisclosed-recipients:;"). */
export interface GroupStartToken {
  readonly kind: 'group-start';
  readonly text: ':';
}

/** What the parser makes of the tokens that form one address. */
export interface AddressNode {
  readonly kind: 'address';
  readonly tokens: readonly Token[];
}

export type Token = WordToken | OperatorToken | GroupStartToken | AddressNode;

export const isSpaceTabCrLf = (character: string): boolean =>
  character === ' ' || character === '\t' || character === '\r' || character === '\n';

/** OPERATOR_CHARACTERS by character code (all are ASCII). */
const OPERATOR_CODES = new Uint8Array(128);
for (let index = 0; index < OPERATOR_CHARACTERS.length; index++) OPERATOR_CODES[OPERATOR_CHARACTERS.charCodeAt(index)] = 1;

const isOperatorCode = (code: number): boolean => code < 128 && OPERATOR_CODES[code] === 1;

export const isOperatorCharacter = (character: string): boolean =>
  character.length === 1 && isOperatorCode(character.charCodeAt(0));

/** Whether a token is a word (atom, quoted string, comment, literal) or an address group,
 *  the tokens between which the text forms put a space. */
export const isNonOperator = (token: Token): boolean =>
  token.kind === 'atom' || token.kind === 'quoted' || token.kind === 'comment'
  || token.kind === 'literal' || token.kind === 'address';

export const operator = (text: string): OperatorToken => ({ kind: 'operator', text });
export const word = (kind: WordKind, text: string): WordToken => ({ kind, text });

export interface ScanOptions {
  /** At most this many tokens (0: no limit other than ADDRESS_TOKENS_MAX). */
  tokensMax?: number;
}

/** What collect() takes: up to a closing quote or bracket, or an atom's characters. */
const enum Take { untilQuote, untilBracket, atom }

/** Whether collect() takes `character` in mode `take` (the atom mode stops at whitespace
 *  and operators). */
function takes(take: Take, character: string): boolean {
  if (take === Take.untilQuote) return character !== '"';
  if (take === Take.untilBracket) return character !== ']';
  return !isSpaceTabCrLf(character) && !isOperatorCode(character.charCodeAt(0));
}

/** Collects characters from `start` while `take` accepts them; a backslash takes the next
 *  character literally; whitespace becomes a plain space. Returns the text and sets
 *  `collectedEnd` to the index of the first character not taken. */
let collectedEnd = 0;
function collect(text: string, start: number, take: Take): string {
  // Plain characters are taken as one slice; the loop below goes on from the first
  // backslash or tab/CR/LF (which need rewriting), character by character.
  let index = start;
  while (index < text.length) {
    const character = text.charAt(index);
    if (character === '\\' || character === '\t' || character === '\r' || character === '\n' || !takes(take, character)) break;
    index++;
  }
  let value = text.slice(start, index);
  while (index < text.length) {
    let character = text.charAt(index);
    if (character === '\\') {
      index++;
      if (index >= text.length) break;
      character = text.charAt(index);
    } else if (!takes(take, character)) {
      break;
    }
    value += isSpaceTabCrLf(character) ? ' ' : character;
    index++;
  }
  collectedEnd = index;
  return value;
}

/** A comment from just after its '(' to its matching ')', nested parentheses and
 *  backslash pairs included, stored with its parentheses. */
function collectComment(text: string, start: number): { value: string; end: number } {
  let value = '(';
  let depth = 1;
  let index = start;
  while (index < text.length) {
    const character = text.charAt(index);
    value += character;
    index++;
    if (character === '(') {
      depth++;
    } else if (character === ')') {
      depth--;
      if (depth === 0) break;
    } else if (character === '\\') {
      if (index >= text.length) break;
      value += text.charAt(index);
      index++;
    }
  }
  return { value, end: index };
}

/** An atom that holds a space, a control character or a special (because of backslash
 *  escapes) must be quoted when written out, so it becomes a quoted string. 8-bit
 *  characters are left alone, as RFC 822 text is taken 8-bit clean. */
function atomOrQuoted(value: string): WordToken {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code === 0x20 || code < 32 || code === 127 || isOperatorCode(code)) return word('quoted', value);
  }
  return word('atom', value);
}

/** Splits external-form text into a flat token list (tok822_scan). */
export function scanTokens(input: string, options: ScanOptions = {}): Token[] {
  const text = input.length > ADDRESS_TEXT_LENGTH_MAX ? input.slice(0, ADDRESS_TEXT_LENGTH_MAX) : input;
  const limit = Math.min(options.tokensMax && options.tokensMax > 0 ? options.tokensMax : ADDRESS_TOKENS_MAX, ADDRESS_TOKENS_MAX);
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length && tokens.length < limit) {
    const character = text.charAt(index);
    index++;
    if (isSpaceTabCrLf(character)) continue;
    if (character === '(') {
      const comment = collectComment(text, index);
      tokens.push(word('comment', comment.value));
      index = comment.end;
    } else if (character === '[' || character === '"') {
      const value = collect(text, index, character === '[' ? Take.untilBracket : Take.untilQuote);
      tokens.push(word(character === '[' ? 'literal' : 'quoted', value));
      index = collectedEnd < text.length ? collectedEnd + 1 : collectedEnd;
    } else if (character !== '\\' && isOperatorCode(character.charCodeAt(0))) {
      tokens.push(operator(character));
    } else {
      const value = collect(text, index - 1, Take.atom);
      tokens.push(atomOrQuoted(value));
      index = collectedEnd;
    }
  }
  return tokens;
}
