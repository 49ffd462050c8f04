// The "{ ... }" syntax that inline:, static:, unionmap: and pipemap: names use: balanced
// braces, and lists split at commas or whitespace outside braces. Models Postfix's balpar,
// mystrtokq/argv_splitq with CHARS_BRACE, extpar and split_qnameval (util/). Pure text
// functions; called by the small table modules.

/** Length of the balanced "{...}" group at the start of text, or 0 when unbalanced. */
export function balancedLength(text: string): number {
  if (!text.startsWith('{')) return 0;
  let level = 0;
  for (let index = 0; index < text.length; index++) {
    if (text[index] === '{') level++;
    else if (text[index] === '}') {
      level--;
      if (level === 0) return index + 1;
    }
  }
  return 0;
}

/** Splits at commas and whitespace that are outside braces; empty pieces are dropped. */
export function splitOutsideBraces(text: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let level = 0;
  for (const character of text) {
    if (character === '{') level++;
    if (character === '}' && level > 0) level--;
    if (level === 0 && /[,\s]/.test(character)) {
      if (current !== '') pieces.push(current);
      current = '';
      continue;
    }
    current += character;
  }
  if (current !== '') pieces.push(current);
  return pieces;
}

/** extpar with stripping: "{ text }" -> "text", or Postfix's error text. */
export function extractBraced(text: string): { ok: true; text: string } | { ok: false; error: string } {
  if (!text.startsWith('{')) return { ok: false, error: `no '{' at start of text in "${text}"` };
  const length = balancedLength(text);
  if (length === 0) return { ok: false, error: `missing '}' in "${text}"` };
  if (length !== text.length) return { ok: false, error: `syntax error after '}' in "${text}"` };
  return { ok: true, text: text.slice(1, length - 1).trim() };
}

/** split_qnameval: "name = value" with quotes and backslashes protecting the name. */
export function splitNameValue(text: string): { ok: true; name: string; value: string } | { ok: false; error: string } {
  const start = text.search(/\S/);
  if (start < 0) return { ok: false, error: 'no key found; expected format: key = value' };
  let end = start;
  let inQuotes = false;
  for (; end < text.length; end++) {
    const character = text[end] ?? '';
    if (character === '\\') {
      end++;
      if (end >= text.length) break;
    } else if (/\s/.test(character) || character === '=') {
      if (!inQuotes) break;
    } else if (character === '"') {
      inQuotes = !inQuotes;
    }
  }
  if (inQuotes) return { ok: false, error: 'unbalanced \'"\'' };
  let valueStart = end;
  while (valueStart < text.length && /\s/.test(text[valueStart] ?? '')) valueStart++;
  if (text[valueStart] !== '=') return { ok: false, error: 'missing \'=\' after attribute name' };
  return { ok: true, name: text.slice(start, end), value: text.slice(valueStart + 1).trim() };
}
