// Small text tools for master.cf words, with Postfix's exact edge cases: splitting on
// blanks while keeping "{...}" groups whole, taking the text out of a "{...}" group, and
// splitting "name = value". Called by master-cf.ts and postconf-master.ts. Pure functions
// over strings; models Postfix's mystrtokq(), extpar(), balpar() and split_nameval().

const spaceCharacters = ' \t\n\v\f\r';

export function isSpace(character: string | undefined): boolean {
  return character !== undefined && character !== '' && spaceCharacters.includes(character);
}

/**
 * Splits on any of `blanks`, but not inside "{...}" (nesting counts; an unclosed "{"
 * runs to the end of the text). Empty words never appear.
 */
export function splitQuoted(text: string, blanks: string, open = '{', close = '}'): string[] {
  const words: string[] = [];
  let index = 0;
  while (index < text.length) {
    while (index < text.length && blanks.includes(text[index] ?? '')) index++;
    if (index >= text.length) break;
    const start = index;
    let level = 0;
    for (; index < text.length; index++) {
      const character = text[index] ?? '';
      if (character === open) level++;
      else if (level > 0 && character === close) level--;
      else if (level === 0 && blanks.includes(character)) break;
    }
    words.push(text.slice(start, index));
    index++;
  }
  return words;
}

/** Length of the balanced "{...}" group at the start of text, or 0 if it never closes. */
export function balancedLength(text: string, open = '{', close = '}'): number {
  if (text[0] !== open) return 0;
  let level = 1;
  for (let index = 1; index < text.length; index++) {
    const character = text[index];
    if (character === close) {
      if (--level === 0) return index + 1;
    } else if (character === open) {
      level++;
    }
  }
  return 0;
}

/**
 * The text inside a leading "{...}", blanks trimmed at both ends. Problems are returned
 * in Postfix's words, with a best-effort text, as extpar() does: an unclosed group
 * yields everything after "{", and text after the closing "}" is dropped.
 */
export function extractBraced(word: string, open = '{', close = '}'): { text: string; error?: string } {
  let text: string;
  let error: string | undefined;
  if (word[0] !== open) {
    return { text: trimSpace(word), error: `no '${open}' at start of text in "${word}"` };
  }
  const length = balancedLength(word, open, close);
  if (length === 0) {
    error = `missing '${close}' in "${word}"`;
    text = word.slice(1);
  } else {
    if (length < word.length) error = `syntax error after '${close}' in "${word}"`;
    text = word.slice(1, length - 1);
  }
  return error === undefined ? { text: trimSpace(text) } : { text: trimSpace(text), error };
}

export function trimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text[start])) start++;
  while (end > start && isSpace(text[end - 1])) end--;
  return text.slice(start, end);
}

/** "name = value" split as Postfix does; a string result is the error text. */
export function splitNameValue(text: string): { name: string; value: string } | string {
  let index = 0;
  while (index < text.length && isSpace(text[index])) index++;
  if (index >= text.length || text[index] === '=') return 'missing attribute name';
  const nameStart = index;
  while (index < text.length && !isSpace(text[index]) && text[index] !== '=') index++;
  const nameEnd = index;
  while (index < text.length && isSpace(text[index])) index++;
  if (text[index] !== '=') return "missing '=' after attribute name";
  return { name: text.slice(nameStart, nameEnd), value: trimSpace(text.slice(index + 1)) };
}
