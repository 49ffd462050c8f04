// $name expansion in parameter values, with Postfix's exact syntax and diagnostics:
// $name, ${name}, $(name), $$, ${name?value}, ${name:value}, ${name?{value}},
// ${name:{value}}, ${name?{a}:{b}}, and Postfix 3's relational forms
// ${{text} == {text} ? {a} : {b}} (==, !=, <, <=, >=, > and the <level ... compatibility
// level variants). Called by main-cf.ts (values, getters) and postconf (-x, unused-name
// scans). Trusts nothing about the text: syntax errors become warnings plus an error flag,
// never exceptions. Models Postfix's mac_parse(3) and mac_expand(3).

/** How a name is looked up: 'use' for $name, 'test' for ${name?..} and ${name:..}. */
export type LookupMode = 'use' | 'test';

export interface ExpandOptions {
  /** Returns a parameter's (raw) value, or undefined when it has none. */
  lookup(name: string, mode: LookupMode): string | undefined;
  /** Expand $name inside looked-up values too (Postfix's MAC_EXP_FLAG_RECURSE). */
  recurse?: boolean;
  /** Walk both branches and report every name to lookup, producing no text (MAC_EXP_FLAG_SCAN). */
  scan?: boolean;
  /** Receives Postfix's warning texts ("truncated macro reference: ..."). */
  warn(text: string): void;
}

export interface ExpandResult {
  text: string;
  /** A syntax error or runaway nesting: Postfix's MAC_PARSE_ERROR. */
  error: boolean;
  /** Some $name had no value (MAC_PARSE_UNDEF). */
  undefinedName: boolean;
}

/** Postfix gives up beyond this depth of nested expansions ($a -> $b -> ...). */
export const NESTING_LIMIT = 100;

const WHITESPACE = ' \t\r\n';
const OPERATOR_CHARACTERS = '<>!=?+-*/~&|%';
const ANY_OPERATOR = '"==" or "!="" or "<"" or "<="" or ">="" or ">"';
const TRUE_VALUE = 'true';
const FALSE_VALUE = '';

type Operator = '==' | '!=' | '<' | '<=' | '>=' | '>';
const OPERATORS: readonly string[] = ['==', '!=', '<', '<=', '>=', '>'];

/** One ASCII letter or digit (an empty or longer text is neither). */
const isAlphanumeric = (character: string): boolean => {
  if (character.length !== 1) return false;
  const code = character.charCodeAt(0);
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
};
const isWordCharacter = (character: string): boolean => character === '_' || isAlphanumeric(character);
const isAllDigits = (text: string): boolean => /^[0-9]+$/.test(text);

function spanOf(text: string, at: number, characters: string): number {
  let end = at;
  while (end < text.length && characters.includes(text.charAt(end))) end++;
  return end - at;
}

interface Context {
  readonly options: ExpandOptions;
  result: string;
  error: boolean;
  undefinedName: boolean;
  level: number;
}

type Token = { kind: 'literal' | 'expression'; text: string };

/** Splits a value into literal text and $-expressions, calling `action` for each, in the
 *  order mac_parse does. Returns false after a syntax error (already warned). */
function parseValue(value: string, context: Context, action: (token: Token) => void): void {
  let literal = '';
  let at = 0;
  while (at < value.length) {
    // The text up to the next '$' is literal, taken as one slice.
    const dollar = value.indexOf('$', at);
    if (dollar < 0) {
      literal += value.slice(at);
      break;
    }
    if (dollar > at) literal += value.slice(at, dollar);
    at = dollar;
    if (value.charAt(at + 1) === '$') {
      literal += '$';
      at += 2;
      continue;
    }
    if (literal.length > 0) {
      action({ kind: 'literal', text: literal });
      literal = '';
    }
    at += 1;
    let name: string;
    const open = value.charAt(at);
    if (open === '{' || open === '(') {
      const close = open === '{' ? '}' : ')';
      let level = 1;
      let end = at + 1;
      for (; level > 0; end++) {
        if (end >= value.length) {
          context.options.warn(`truncated macro reference: "${value}"`);
          context.error = true;
          return;
        }
        const here = value.charAt(end);
        if (here === open) level++;
        if (here === close) level--;
      }
      name = value.slice(at + 1, end - 1);
      at = end;
    } else {
      let end = at;
      while (end < value.length && isWordCharacter(value.charAt(end))) end++;
      name = value.slice(at, end);
      at = end;
    }
    if (name.length === 0) {
      context.error = true;
      context.options.warn(`empty macro name: "${value}"`);
      return;
    }
    action({ kind: 'expression', text: name });
  }
  if (literal.length > 0 && !context.error) action({ kind: 'literal', text: literal });
}

function parseError(context: Context, text: string): void {
  context.options.warn(text);
  context.error = true;
}

/** Extracts "{payload}" starting at text[at] === '{'; returns the payload and the index
 *  after the closing brace and any whitespace, or undefined after a warning. */
function curlyPayload(context: Context, text: string, at: number): { payload: string; next: number } | undefined {
  let level = 1;
  let end = at + 1;
  for (; ; end++) {
    if (end >= text.length) {
      parseError(context, `unbalanced {} in attribute expression: "${text.slice(at)}"`);
      return undefined;
    }
    const here = text.charAt(end);
    if (here === '{') level++;
    else if (here === '}' && --level <= 0) break;
  }
  const next = end + 1;
  return { payload: text.slice(at + 1, end), next: next + spanOf(text, next, WHITESPACE) };
}

/** Index of a '{' after optional whitespace at text[at], or -1. */
function findLeftCurly(text: string, at: number): number {
  const here = at + spanOf(text, at, WHITESPACE);
  return text.charAt(here) === '{' ? here : -1;
}

/** Postfix's compatibility level "major[.minor[.patch]]" as one comparable number. */
function compatibilityLevel(text: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+)(?:\.(\d+))?)?$/.exec(text);
  if (!match) return undefined;
  const minor = Number(match[2] ?? 0);
  const patch = Number(match[3] ?? 0);
  if (minor > 1023 || patch > 1023) return undefined;
  return Number(match[1]) * 1024 * 1024 + minor * 1024 + patch;
}

function compare(delta: number, operator: Operator): boolean {
  switch (operator) {
    case '==': return delta === 0;
    case '!=': return delta !== 0;
    case '<': return delta < 0;
    case '<=': return delta <= 0;
    case '>=': return delta >= 0;
    case '>': return delta > 0;
  }
}

function evaluateRelation(context: Context, left: string, operator: Operator, suffix: string, right: string): boolean | undefined {
  if (suffix === 'level') {
    const leftLevel = compatibilityLevel(left);
    if (leftLevel === undefined) context.options.warn(`malformed compatibility level syntax: "${left}"`);
    const rightLevel = leftLevel === undefined ? undefined : compatibilityLevel(right);
    if (leftLevel !== undefined && rightLevel === undefined) context.options.warn(`malformed compatibility level syntax: "${right}"`);
    if (leftLevel === undefined || rightLevel === undefined) return undefined;
    return compare(leftLevel - rightLevel, operator);
  }
  const delta = isAllDigits(left) && isAllDigits(right)
    ? Number(left) - Number(right)
    : left < right ? -1 : left > right ? 1 : 0;
  return compare(delta, operator);
}

/** Parses "{left} op {right}" at text[at]; returns the fake lookup result and where parsing
 *  stopped, or undefined after an error. */
function parseRelation(context: Context, text: string, at: number): { lookup: string | undefined; next: number } | undefined {
  const left = curlyPayload(context, text, at);
  if (!left) return undefined;
  let cursor = left.next;
  const operatorLength = spanOf(text, cursor, OPERATOR_CHARACTERS);
  const operatorText = text.slice(cursor, cursor + operatorLength);
  if (!OPERATORS.includes(operatorText)) {
    parseError(context, `${ANY_OPERATOR} expected at: "...${left.payload}}>>>${text.slice(cursor, cursor + 20)}"`);
    return undefined;
  }
  const operatorAt = cursor;
  cursor += operatorLength;
  let suffix = '';
  if (isAlphanumeric(text.charAt(cursor))) {
    let suffixLength = 1;
    while (isAlphanumeric(text.charAt(cursor + suffixLength))) suffixLength++;
    suffix = text.slice(cursor, cursor + suffixLength);
    cursor += suffixLength;
    if (suffix !== 'level') {
      parseError(context, `bad operator suffix at: "...${operatorText}>>>${suffix}"`);
      return undefined;
    }
  }
  const rightAt = findLeftCurly(text, cursor);
  if (rightAt < 0) {
    parseError(context, `"{expression}" expected at: "...{${left.payload}} ${text.slice(operatorAt, operatorAt + operatorLength)}>>>${text.slice(cursor, cursor + 20)}"`);
    return undefined;
  }
  const right = curlyPayload(context, text, rightAt);
  if (!right) return undefined;
  const leftValue = expandNested(context, left.payload);
  const rightValue = expandNested(context, right.payload);
  let outcome: boolean | undefined = false;
  if (!context.options.scan) {
    outcome = evaluateRelation(context, leftValue, operatorText as Operator, suffix, rightValue);
    if (outcome === undefined) context.error = true;
  }
  if (context.error) return undefined;
  return { lookup: context.options.scan ? undefined : outcome ? TRUE_VALUE : FALSE_VALUE, next: right.next };
}

/** mac_expand() of an operand: a fresh result, the same flags and lookup. */
function expandNested(context: Context, text: string): string {
  const inner = expandInto(text, context.options);
  if (inner.error) context.error = true;
  if (inner.undefinedName) context.undefinedName = true;
  return inner.text;
}

function handleExpression(context: Context, expression: string): void {
  let lookup: string | undefined;
  let cursor: number;
  let operator = '';
  const curlyAt = findLeftCurly(expression, 0);
  if (curlyAt >= 0) {
    const relation = parseRelation(context, expression, curlyAt);
    if (!relation) return;
    lookup = relation.lookup;
    cursor = relation.next;
    operator = expression.charAt(cursor);
    if (operator !== '') {
      if (operator !== '?' && operator !== ':') {
        parseError(context, `"?" or ":" expected at: "...}>>>${expression.slice(cursor, cursor + 20)}"`);
        return;
      }
      cursor++;
    }
  } else {
    const start = spanOf(expression, 0, WHITESPACE);
    cursor = start;
    let mode: LookupMode = 'use';
    for (; ; cursor++) {
      const whitespace = spanOf(expression, cursor, WHITESPACE);
      const next = expression.charAt(cursor + whitespace);
      if (next === '') break;
      if (next === '?' || next === ':') {
        operator = next;
        mode = 'test';
        break;
      }
      if (!isWordCharacter(expression.charAt(cursor))) {
        parseError(context, `attribute name syntax error at: "...${expression.slice(0, cursor)}>>>${expression.slice(cursor, cursor + 20)}"`);
        return;
      }
    }
    const name = expression.slice(start, cursor);
    if (operator !== '') cursor += spanOf(expression, cursor, WHITESPACE) + 1;
    lookup = context.options.lookup(name, mode);
  }
  const scan = context.options.scan === true;
  const hasValue = lookup !== undefined && lookup !== '';
  if (operator === '?') {
    const branch = takeBranch(context, expression, cursor);
    if (!branch) return;
    if (hasValue || scan) parseValue(branch.text, context, (token) => handleToken(context, token));
    if (branch.next >= expression.length) return;
    if (expression.charAt(branch.next) !== ':') {
      parseError(context, `":" expected at: "...${branch.text}}>>>${expression.slice(branch.next, branch.next + 20)}"`);
      return;
    }
    cursor = branch.next + 1;
    operator = ':';
  }
  if (operator === ':') {
    const branch = takeBranch(context, expression, cursor);
    if (!branch) return;
    if (!hasValue || scan) parseValue(branch.text, context, (token) => handleToken(context, token));
    if (branch.next < expression.length) {
      parseError(context, `unexpected input at: "...${branch.text}}>>>${expression.slice(branch.next, branch.next + 20)}"`);
    }
    return;
  }
  if (lookup === undefined) {
    context.undefinedName = true;
  } else if (lookup === '' || scan) {
    // nothing to insert
  } else if (context.options.recurse) {
    parseValue(lookup, context, (token) => handleToken(context, token));
  } else {
    context.result += lookup;
  }
}

/** The operand after ? or :: "{text}" (braces removed) or the rest of the expression. */
function takeBranch(context: Context, expression: string, at: number): { text: string; next: number } | undefined {
  const curlyAt = findLeftCurly(expression, at);
  if (curlyAt >= 0) {
    const payload = curlyPayload(context, expression, curlyAt);
    return payload ? { text: payload.payload, next: payload.next } : undefined;
  }
  return { text: expression.slice(at), next: expression.length };
}

function handleToken(context: Context, token: Token): void {
  if (context.level++ > NESTING_LIMIT) parseError(context, `unreasonable macro call nesting: "${token.text}"`);
  if (context.error) return;
  if (token.kind === 'expression') handleExpression(context, token.text);
  else if (!context.options.scan) context.result += token.text;
  context.level--;
}

function expandInto(pattern: string, options: ExpandOptions): ExpandResult {
  const context: Context = { options, result: '', error: false, undefinedName: false, level: 0 };
  parseValue(pattern, context, (token) => handleToken(context, token));
  return { text: context.result, error: context.error, undefinedName: context.undefinedName };
}

/** Expands $name in `pattern` as Postfix's mac_expand() does. */
export function expandValue(pattern: string, options: ExpandOptions): ExpandResult {
  // A value without '$' is one literal token (or none when empty), which expands to
  // itself: no parse state, token or closure needed. (A scan produces no text: parsed.)
  if (options.scan !== true && !pattern.includes('$')) return { text: pattern, error: false, undefinedName: false };
  return expandInto(pattern, options);
}

/** Every $name a value mentions, in both branches of every condition (postconf's scan). */
export function referencedNames(pattern: string, warn: (text: string) => void = () => {}): string[] {
  const names: string[] = [];
  expandInto(pattern, {
    scan: true, warn,
    lookup: (name) => { names.push(name); return undefined; },
  });
  return names;
}
