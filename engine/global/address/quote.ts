// Internal and external address forms. Inside the mail system an address is kept in
// internal (unquoted) form: `john doe@example.com`. On the wire and in headers it has
// external (quoted) form: `"john doe"@example.com`. quoteLocalPart makes the external
// form by quoting a local part that is not an RFC 822 dot-string; unquoteLocalPart undoes
// it. Only the local part (before the last '@') is touched, and a leading source route
// ("@a,@b:") is left as it is. Called by the token renderers, trivial-rewrite, and later
// cleanup, smtpd and the delivery agents. Trusts nothing; loops run over the input once.
// Models src/global/quote_822_local.c (quote_822_local_flags, unquote_822_local).

export interface QuoteOptions {
  /** Leave 8-bit characters alone (Postfix's default); otherwise they force quoting
   *  and are backslash-escaped. */
  eightBitClean?: boolean;
  /** Treat '@' in the local part as ordinary text. */
  exposeAt?: boolean;
  /** The whole text is a local part; do not look for '@domain'. */
  bareLocalPart?: boolean;
}

const DOT_STRING_SPECIALS = '()<>,;:\\"[]';
/** DOT_STRING_SPECIALS by character code (all are ASCII). */
const DOT_STRING_SPECIAL_CODES = new Uint8Array(128);
for (let index = 0; index < DOT_STRING_SPECIALS.length; index++) DOT_STRING_SPECIAL_CODES[DOT_STRING_SPECIALS.charCodeAt(index)] = 1;

const isControl = (code: number): boolean => code < 32 || code === 127;

/** Whether `localPart` is a sequence of atoms separated by single dots. */
export function isDotString(localPart: string, options: QuoteOptions = {}): boolean {
  const eightBitClean = options.eightBitClean ?? true;
  if (localPart === '' || localPart.startsWith('.') || localPart.endsWith('.')) return false;
  for (let index = 0; index < localPart.length; index++) {
    const character = localPart.charAt(index);
    const code = localPart.charCodeAt(index);
    if (character === '.' && localPart.charAt(index + 1) === '.') return false;
    if (code > 127 && !eightBitClean) return false;
    if (character === ' ' || isControl(code)) return false;
    if (code < 128 && DOT_STRING_SPECIAL_CODES[code] === 1) return false;
    if (character === '@' && !options.exposeAt) return false;
  }
  return true;
}

function quotedString(localPart: string, eightBitClean: boolean): string {
  let result = '"';
  for (let index = 0; index < localPart.length; index++) {
    const character = localPart.charAt(index);
    const code = localPart.charCodeAt(index);
    if ((code > 127 && !eightBitClean) || character === '"' || character === '\\' || character === '\r') result += '\\';
    result += character;
  }
  return `${result}"`;
}

/** Where the local part starts: after a source route "@a,@b:" if there is one. */
function localPartStart(address: string): number {
  if (!address.startsWith('@')) return 0;
  const colon = address.indexOf(':');
  return colon < 0 ? 0 : colon + 1;
}

/** Internal form to external form: quotes the local part when it needs quoting. */
export function quoteLocalPart(address: string, options: QuoteOptions = {}): string {
  const start = localPartStart(address);
  const lastAt = options.bareLocalPart ? -1 : address.lastIndexOf('@');
  const end = lastAt >= start ? lastAt : address.length;
  const localPart = address.slice(start, end);
  if (isDotString(localPart, options)) return address;
  return address.slice(0, start) + quotedString(localPart, options.eightBitClean ?? true) + address.slice(end);
}

/** External form to internal form: removes quotes and backslash escapes from the local
 *  part; text after the last unquoted '@' is kept as it is. */
export function unquoteLocalPart(address: string): string {
  // Without a quote or a backslash every character is kept: the text is its own result.
  if (address.indexOf('"') < 0 && address.indexOf('\\') < 0) return address;
  const start = localPartStart(address);
  let result = address.slice(0, start);
  let inQuote = false;
  let bareAtResult = -1;
  let bareAtSource = -1;
  for (let index = start; index < address.length; index++) {
    const character = address.charAt(index);
    if (character === '"') {
      inQuote = !inQuote;
      continue;
    }
    if (character === '@') {
      if (!inQuote) {
        bareAtResult = result.length;
        bareAtSource = index;
      }
    } else if (character === '\\') {
      if (index + 1 >= address.length) continue;
      index++;
    }
    result += address.charAt(index);
  }
  if (bareAtResult >= 0) return result.slice(0, bareAtResult) + address.slice(bareAtSource);
  return result;
}
