// Translates POSIX regular expressions (as glibc's regcomp(3) reads them for Postfix's
// regexp: tables) into JavaScript RegExp source, and reports the errors regcomp would, in
// glibc's words ("Unmatched ( or \\(", "Invalid preceding regular expression", ...).
// Handles extended (the default) and basic syntax (the /x flag toggles REG_EXTENDED),
// bracket expressions with [:class:], GNU escapes (\w \s \b \< \>), intervals and back
// references. Known difference: POSIX picks the leftmost-longest alternative where
// JavaScript picks the first that matches, which can change what $1 captures.
// Called by regexp-table.ts.

export type TranslateResult = { ok: true; source: string; groups: number } | { ok: false; error: string };

/** A pattern may not be longer than this (a named limit on the translation loop). */
export const patternLengthMax = 100_000;

const posixClasses: Record<string, string> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: '0-9a-zA-Z', upper: 'A-Z', lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v', blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', print: ' -~',
  graph: '!-~', cntrl: '\\x00-\\x1f\\x7f', xdigit: '0-9A-Fa-f', word: '0-9a-zA-Z_',
};

/** Reads a bracket expression starting after '['; returns the JS class and the index after
 *  the closing ']', or an error. Shared with the pcre translator for [:class:]. */
export function translateBracket(pattern: string, start: number, backslashEscapes: boolean):
  { ok: true; source: string; next: number } | { ok: false; error: 'bracket' | 'class' | 'range' } {
  let position = start;
  let out = '[';
  if (pattern[position] === '^') { out += '^'; position++; }
  let first = true;
  while (position < pattern.length) {
    const character = pattern[position] ?? '';
    if (character === ']' && !first) return { ok: true, source: `${out}]`, next: position + 1 };
    first = false;
    if (character === '[' && (pattern[position + 1] === ':' || pattern[position + 1] === '=' || pattern[position + 1] === '.')) {
      const kind = pattern[position + 1] ?? ':';
      const close = pattern.indexOf(`${kind}]`, position + 2);
      if (close < 0) return { ok: false, error: 'bracket' };
      const name = pattern.slice(position + 2, close);
      if (kind === ':') {
        const members = posixClasses[name];
        if (members === undefined) return { ok: false, error: 'class' };
        out += members;
      } else {
        out += escapeClassCharacter(name);
      }
      position = close + 2;
      continue;
    }
    if (character === '\\' && backslashEscapes) {
      const next = pattern[position + 1];
      if (next === undefined) return { ok: false, error: 'bracket' };
      out += `\\${next}`;
      position += 2;
      continue;
    }
    if (pattern[position + 1] === '-' && pattern[position + 2] !== undefined && pattern[position + 2] !== ']'
      && (pattern[position + 2] ?? '') < character) {
      return { ok: false, error: 'range' };
    }
    out += character === '-' ? '-' : escapeClassCharacter(character);
    position++;
  }
  return { ok: false, error: 'bracket' };
}

function escapeClassCharacter(text: string): string {
  return text.replace(/[\\\]\[^]/g, (character) => `\\${character}`);
}

const quantifierBounds: Record<string, [boolean, boolean]> = { '*': [true, true], '+': [false, true], '?': [true, false] };

/** Translates one POSIX pattern; `extended` selects ERE (true) or BRE (false). */
export function translatePosix(pattern: string, extended: boolean): TranslateResult {
  if (pattern.length > patternLengthMax) return { ok: false, error: 'Regular expression too big' };
  let out = '';
  let depth = 0;
  let groups = 0;
  let atomStart = true; // nothing yet that a quantifier could repeat
  let lastWasQuantifier = false;
  let pendingQuantifier = '';
  const flushQuantifier = (): void => { out += pendingQuantifier; pendingQuantifier = ''; };
  const addQuantifier = (symbol: string): TranslateResult | undefined => {
    if (atomStart) {
      if (!extended) { out += `\\${symbol}`; atomStart = false; return undefined; }
      return { ok: false, error: 'Invalid preceding regular expression' };
    }
    if (lastWasQuantifier && pendingQuantifier.length === 1) {
      // POSIX stacks quantifiers ("a+?" is (a+)?, not lazy); merge them into one.
      const [firstZero, firstMany] = quantifierBounds[pendingQuantifier] ?? [true, true];
      const [secondZero, secondMany] = quantifierBounds[symbol] ?? [true, true];
      const zero = firstZero || secondZero;
      const many = firstMany || secondMany;
      pendingQuantifier = zero && many ? '*' : many ? '+' : '?';
      return undefined;
    }
    flushQuantifier();
    pendingQuantifier = symbol;
    lastWasQuantifier = true;
    return undefined;
  };
  const literal = (text: string): void => { flushQuantifier(); out += text; atomStart = false; lastWasQuantifier = false; };
  for (let position = 0; position < pattern.length; position++) {
    const character = pattern[position] ?? '';
    let special = character;
    if (character === '\\') {
      const next = pattern[position + 1];
      if (next === undefined) return { ok: false, error: 'Trailing backslash' };
      position++;
      if (!extended && '(){}|+?'.includes(next)) {
        special = next;
      } else {
        const escaped = translateEscape(next);
        if (escaped.anchor) { flushQuantifier(); out += escaped.text; lastWasQuantifier = false; } else literal(escaped.text);
        continue;
      }
    } else if (!extended && '(){}|+?'.includes(character)) {
      literal(`\\${character}`);
      continue;
    }
    switch (special) {
      case '(':
        flushQuantifier(); out += '('; depth++; groups++; atomStart = true; lastWasQuantifier = false; break;
      case ')':
        if (depth === 0) {
          if (extended) return { ok: false, error: 'Unmatched ) or \\)' };
          literal('\\)'); break;
        }
        flushQuantifier(); out += ')'; depth--; atomStart = false; lastWasQuantifier = false; break;
      case '|':
        flushQuantifier(); out += '|'; atomStart = true; lastWasQuantifier = false; break;
      case '*': case '+': case '?': {
        if (special === '*' && atomStart && !extended) { literal('\\*'); break; }
        const failure = addQuantifier(special);
        if (failure) return failure;
        break;
      }
      case '{': {
        const close = pattern.indexOf(extended ? '}' : '\\}', position);
        const body = close < 0 ? '' : pattern.slice(position + 1, close);
        if (close < 0 || !/^\d*(,\d*)?$/.test(body) || body === '' || body.startsWith(',')) {
          if (close < 0 && /^\d/.test(pattern.slice(position + 1))) return { ok: false, error: 'Unmatched \\{' };
          if (close >= 0 && /^\d/.test(body)) return { ok: false, error: 'Invalid content of \\{\\}' };
          if (extended && atomStart) return { ok: false, error: 'Invalid preceding regular expression' };
          literal('\\{'); break;
        }
        const [low, high] = body.split(',');
        if (high !== undefined && high !== '' && Number(high) < Number(low)) return { ok: false, error: 'Invalid content of \\{\\}' };
        if (atomStart) return { ok: false, error: 'Invalid preceding regular expression' };
        flushQuantifier(); out += `{${body}}`; lastWasQuantifier = true;
        position = close + (extended ? 0 : 1);
        break;
      }
      case '}':
        literal('\\}'); break;
      case '[': {
        const bracket = translateBracket(pattern, position + 1, false);
        if (!bracket.ok) {
          const reasons = { class: 'Invalid character class name', range: 'Invalid range end', bracket: 'Unmatched [, [^, [:, [., or [=' };
          return { ok: false, error: reasons[bracket.error] };
        }
        literal(bracket.source);
        position = bracket.next - 1;
        break;
      }
      case '^':
        flushQuantifier(); out += extended || atomStart ? '^' : '\\^'; lastWasQuantifier = false; break;
      case '$':
        flushQuantifier(); out += '$'; lastWasQuantifier = false; break;
      case '.':
        literal('.'); break;
      default:
        literal(/[\\\/\]\[{}()|*+?.^$]/.test(character) ? `\\${character}` : character);
    }
  }
  if (depth > 0) return { ok: false, error: 'Unmatched ( or \\(' };
  flushQuantifier();
  return { ok: true, source: out, groups };
}

/** GNU escapes; any other escaped character stands for itself. */
function translateEscape(next: string): { text: string; anchor: boolean } {
  switch (next) {
    case 'w': case 'W': case 's': case 'S': return { text: `\\${next}`, anchor: false };
    case 'b': case 'B': return { text: `\\${next}`, anchor: true };
    case '<': return { text: '\\b(?=\\w)', anchor: true };
    case '>': return { text: '\\b(?<=\\w)', anchor: true };
    case '`': return { text: '(?<![\\s\\S])', anchor: true };
    case '\'': return { text: '(?![\\s\\S])', anchor: true };
    default:
      if (/[1-9]/.test(next)) return { text: `\\${next}`, anchor: false };
      if (/[A-Za-z0-9_]/.test(next)) return { text: next, anchor: false };
      return { text: `\\${next}`, anchor: false };
  }
}
