// Parses one command line the way a POSIX shell does, for the small shell behind each
// terminal: words with '…', "…" and backslash quoting, $NAME / ${NAME} / $? expansion
// points, ';' '&&' '||' lists, '|' pipelines and the redirections > >> < 2> 2>> 2>&1 >&2.
// Called by engine/shell/execute.ts. Expansion happens later, at run time, so that
// "false; echo $?" sees the status of the command before it. Trusts nothing about the
// line: unterminated quotes and misplaced operators become bash-style syntax errors.
// Models the parts of bash(1)'s grammar a Postfix administrator types.

/** A piece of a word: literal text, a variable reference, or a leading ~. */
export type Segment =
  | { kind: 'text'; text: string; quoted: boolean }
  | { kind: 'variable'; name: string; quoted: boolean }
  | { kind: 'tilde' };

export type Word = Segment[];

export interface Redirection {
  /** The file descriptor redirected: 0 for <, 1 for > and >>, or the digit before it. */
  fd: number;
  operator: '<' | '>' | '>>' | '>&';
  /** The file name for < > >>. */
  target?: Word;
  /** The descriptor duplicated for >&, e.g. 1 in 2>&1. */
  sourceFd?: number;
}

export interface SimpleCommand {
  words: Word[];
  redirections: Redirection[];
}

export interface Pipeline {
  commands: SimpleCommand[];
}

/** How a pipeline joins the one before it. */
export type Connector = ';' | '&&' | '||';

export interface ListItem {
  connector: Connector;
  pipeline: Pipeline;
}

export type ParseResult = { ok: true; list: ListItem[] } | { ok: false; error: string };

/** Words in one line; a longer line is a syntax error rather than an unbounded array. */
export const WORDS_PER_LINE_MAX = 4096;

type Token =
  | { kind: 'word'; word: Word }
  | { kind: 'operator'; operator: '|' | ';' | '&&' | '||' }
  | { kind: 'redirect'; redirection: Redirection };

class SyntaxError extends Error {}

export function parseLine(line: string): ParseResult {
  try {
    return { ok: true, list: buildList(tokenize(line)) };
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: false, error: error.message };
    throw error;
  }
}

function unexpected(token: string): never {
  throw new SyntaxError(`syntax error near unexpected token \`${token}'`);
}

function buildList(tokens: Token[]): ListItem[] {
  const list: ListItem[] = [];
  let connector: Connector = ';';
  let commands: SimpleCommand[] = [];
  let current: SimpleCommand = { words: [], redirections: [] };
  const isEmpty = (command: SimpleCommand) => command.words.length === 0 && command.redirections.length === 0;
  let awaitingTarget: Redirection | undefined;
  for (const token of tokens) {
    if (awaitingTarget !== undefined) {
      if (token.kind !== 'word') unexpected(token.kind === 'operator' ? token.operator : redirectText(token.redirection));
      awaitingTarget.target = token.word;
      awaitingTarget = undefined;
      continue;
    }
    if (token.kind === 'word') current.words.push(token.word);
    else if (token.kind === 'redirect') {
      current.redirections.push(token.redirection);
      if (token.redirection.operator !== '>&') awaitingTarget = token.redirection;
    }
    else if (token.operator === '|') {
      if (isEmpty(current)) unexpected('|');
      commands.push(current);
      current = { words: [], redirections: [] };
    } else {
      if (isEmpty(current)) {
        // A lone trailing ';' is fine ("ls;"); anything else with nothing before it is not.
        if (token.operator !== ';' || commands.length > 0 || list.length === 0) unexpected(token.operator);
        connector = ';';
        continue;
      }
      commands.push(current);
      list.push({ connector, pipeline: { commands } });
      connector = token.operator;
      commands = [];
      current = { words: [], redirections: [] };
    }
  }
  if (awaitingTarget !== undefined) unexpected('newline');
  if (!isEmpty(current)) {
    commands.push(current);
    list.push({ connector, pipeline: { commands } });
  } else if (commands.length > 0 || connector !== ';') {
    throw new SyntaxError('syntax error: unexpected end of file');
  }
  return list;
}

function redirectText(redirection: Redirection): string {
  return redirection.operator === '>&' ? `>&${redirection.sourceFd}` : redirection.operator;
}

/** Scans the line into words, operators and redirections. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word: Word = [];
  let inWord = false;
  let index = 0;
  const appendText = (text: string, quoted: boolean) => {
    inWord = true;
    const last = word[word.length - 1];
    if (last !== undefined && last.kind === 'text' && last.quoted === quoted) last.text += text;
    else word.push({ kind: 'text', text, quoted });
  };
  const finishWord = () => {
    if (!inWord) return;
    if (tokens.length >= WORDS_PER_LINE_MAX) throw new SyntaxError('line has too many words');
    tokens.push({ kind: 'word', word });
    word = [];
    inWord = false;
  };
  while (index < line.length) {
    const char = line[index]!;
    if (char === ' ' || char === '\t' || char === '\n') {
      finishWord();
      index++;
    } else if (char === '#' && !inWord) {
      break;
    } else if (char === '\\') {
      const next = line[index + 1];
      if (next === undefined) { index++; continue; }
      if (next !== '\n') appendText(next, true);
      index += 2;
    } else if (char === "'") {
      const end = line.indexOf("'", index + 1);
      if (end < 0) throw new SyntaxError("unexpected EOF while looking for matching `''");
      appendText(line.slice(index + 1, end), true);
      index = end + 1;
    } else if (char === '"') {
      index = scanDoubleQuoted(line, index + 1, word, appendText);
      inWord = true;
    } else if (char === '$') {
      index = scanVariable(line, index, false, word, appendText);
      inWord = true;
    } else if (char === '~' && !inWord && isTildeEnd(line[index + 1])) {
      word.push({ kind: 'tilde' });
      inWord = true;
      index++;
    } else if (char === ';' || char === '|' || char === '&') {
      finishWord();
      index = scanOperator(line, index, tokens);
    } else if (char === '>' || char === '<') {
      const fd = takeDescriptorPrefix(word, inWord);
      if (fd !== undefined) { word = []; inWord = false; }
      finishWord();
      index = scanRedirection(line, index, fd, tokens);
    } else {
      appendText(char, false);
      index++;
    }
  }
  finishWord();
  return tokens;
}

function isTildeEnd(next: string | undefined): boolean {
  return next === undefined || next === '/' || next === ' ' || next === '\t' || next === ';' || next === '|';
}

/** In "2>file" the 2 names a descriptor only when it is an unquoted run of digits. */
function takeDescriptorPrefix(word: Word, inWord: boolean): number | undefined {
  if (!inWord || word.length !== 1) return undefined;
  const only = word[0]!;
  if (only.kind !== 'text' || only.quoted || !/^[0-9]$/.test(only.text)) return undefined;
  return Number(only.text);
}

function scanOperator(line: string, index: number, tokens: Token[]): number {
  const char = line[index]!;
  const next = line[index + 1];
  if (char === ';') {
    if (next === ';') unexpected(';;');
    tokens.push({ kind: 'operator', operator: ';' });
    return index + 1;
  }
  if (char === '|') {
    if (next === '|') { tokens.push({ kind: 'operator', operator: '||' }); return index + 2; }
    tokens.push({ kind: 'operator', operator: '|' });
    return index + 1;
  }
  if (next === '&') { tokens.push({ kind: 'operator', operator: '&&' }); return index + 2; }
  // Background jobs do not exist here; a lone '&' runs the command in the foreground.
  tokens.push({ kind: 'operator', operator: ';' });
  return index + 1;
}

function scanRedirection(line: string, index: number, fd: number | undefined, tokens: Token[]): number {
  const char = line[index]!;
  if (char === '<') {
    tokens.push({ kind: 'redirect', redirection: { fd: fd ?? 0, operator: '<' } });
    return index + 1;
  }
  if (line[index + 1] === '>') {
    tokens.push({ kind: 'redirect', redirection: { fd: fd ?? 1, operator: '>>' } });
    return index + 2;
  }
  if (line[index + 1] === '&') {
    const digits = /^[0-9]/.exec(line.slice(index + 2, index + 3));
    if (digits === null) unexpected('&');
    tokens.push({ kind: 'redirect', redirection: { fd: fd ?? 1, operator: '>&', sourceFd: Number(digits[0]) } });
    return index + 3;
  }
  tokens.push({ kind: 'redirect', redirection: { fd: fd ?? 1, operator: '>' } });
  return index + 1;
}

/** Reads "…" starting after the opening quote; returns the index after the closing one. */
function scanDoubleQuoted(
  line: string, start: number, word: Word, appendText: (text: string, quoted: boolean) => void,
): number {
  let index = start;
  // An empty "" still makes a word.
  appendText('', true);
  while (index < line.length) {
    const char = line[index]!;
    if (char === '"') return index + 1;
    if (char === '\\' && index + 1 < line.length && '$`"\\\n'.includes(line[index + 1]!)) {
      if (line[index + 1] !== '\n') appendText(line[index + 1]!, true);
      index += 2;
    } else if (char === '$') {
      index = scanVariable(line, index, true, word, appendText);
    } else {
      appendText(char, true);
      index++;
    }
  }
  throw new SyntaxError('unexpected EOF while looking for matching `"\'');
}

/** Reads $NAME, ${NAME}, $? or $$ at `index`; a '$' that starts none of them is literal. */
function scanVariable(
  line: string, index: number, quoted: boolean, word: Word, appendText: (text: string, quoted: boolean) => void,
): number {
  const rest = line.slice(index + 1);
  const special = /^[?$#0-9]/.exec(rest);
  if (special !== null) {
    word.push({ kind: 'variable', name: special[0], quoted });
    return index + 2;
  }
  const braced = /^\{([A-Za-z_][A-Za-z0-9_]*|[?$#0-9])\}/.exec(rest);
  if (braced !== null) {
    word.push({ kind: 'variable', name: braced[1]!, quoted });
    return index + 1 + braced[0].length;
  }
  if (rest.startsWith('{')) throw new SyntaxError(`${line.slice(index)}: bad substitution`);
  const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
  if (name !== null) {
    word.push({ kind: 'variable', name: name[0], quoted });
    return index + 1 + name[0].length;
  }
  appendText('$', quoted);
  return index + 1;
}
