// Splits an SMTP command line into words as smtpd does: whitespace separates words,
// <...> and "..." keep their spaces (with nesting and backslash escapes), and "FROM:" /
// "TO:" end a word so that "MAIL FROM:<a>" gives MAIL, FROM:, <a>. A quoted word without
// its closing character is marked as an error (501 Bad sender/recipient address syntax).
// Called by the protocol core (api.ts). Models src/smtpd/smtpd_token.c.

export interface Word {
  text: string;
  /** SMTPD_TOK_ERROR: an unbalanced < or ". */
  error: boolean;
}

/** The most words one command may have; a longer line is cut (a line is at most
 *  line_length_limit bytes anyway). */
export const COMMAND_WORDS_MAX = 1024;

const isSpace = (character: string): boolean => character === ' ' || character === '\t' || character === '\r'
  || character === '\n' || character === '\v' || character === '\f';

/** Where the run of characters from `from` that no rule of quoted() looks at ends: none of
 *  backslash, '"', '<' or '>' (text copied as it is, one slice instead of a character at a time). */
function quotedRunEnd(line: string, from: number): number {
  let end = from;
  for (; end < line.length; end++) {
    const code = line.charCodeAt(end);
    if (code === 0x5c || code === 0x22 || code === 0x3c || code === 0x3e) break;
  }
  return end;
}

/** Where the run of plain word characters from `from` ends: none of the whitespace of
 *  isSpace(), '<', '"', ':' or backslash. */
function plainRunEnd(line: string, from: number): number {
  let end = from;
  for (; end < line.length; end++) {
    const code = line.charCodeAt(end);
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x3c || code === 0x22 || code === 0x3a || code === 0x5c) break;
  }
  return end;
}

/** smtp_quoted(): copies a quoted run starting at `from` (just after the opening character). */
function quoted(line: string, from: number, opening: string, closing: string): { text: string; next: number; error: boolean } {
  const stack = [closing];
  let text = opening;
  let index = from;
  while (index < line.length) {
    const runEnd = quotedRunEnd(line, index);
    if (runEnd > index) {
      text += line.slice(index, runEnd);
      index = runEnd;
      continue;
    }
    const character = line[index++] as string;
    text += character;
    const wanted = stack[stack.length - 1];
    if (character === '\\') {
      if (index >= line.length) break;
      text += line[index++];
    } else if (character === wanted) {
      if (stack.length === 1) return { text, next: index, error: false };
      stack.pop();
    } else if (character === '"') {
      stack.push('"');
    } else if (character === '<' && wanted === '>') {
      stack.push('>');
    }
  }
  return { text, next: index, error: true };
}

export function tokenize(line: string): Word[] {
  const words: Word[] = [];
  let index = 0;
  while (index < line.length && words.length < COMMAND_WORDS_MAX) {
    let text = '';
    let error = false;
    while (index < line.length) {
      const character = line[index++] as string;
      if (isSpace(character)) {
        while (index < line.length && isSpace(line[index] as string)) index++;
        if (text.length > 0) break;
      } else if (character === '<' || character === '"') {
        const run = quoted(line, index, character, character === '<' ? '>' : '"');
        text += run.text;
        index = run.next;
        error ||= run.error;
      } else if (character === ':') {
        text += character;
        const lower = text.toLowerCase();
        if (lower === 'to:' || lower === 'from:') break;
      } else {
        if (character === '\\') {
          text += character;
          if (index >= line.length) break;
          text += line[index++];
          continue;
        }
        const runEnd = plainRunEnd(line, index);
        text += runEnd === index ? character : line.slice(index - 1, runEnd);
        index = runEnd;
      }
    }
    if (text.length === 0) break;
    words.push({ text, error });
  }
  return words;
}
