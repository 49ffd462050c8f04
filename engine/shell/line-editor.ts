// The prompt's line editor: echo, cursor movement, insertion in the middle of a line,
// deletion, history recall, Tab completion and Ctrl-C/Ctrl-L, drawn with ANSI sequences
// that stay right when the line wraps past the terminal's width.
// Called by engine/shell/shell.ts once per prompt; reads keys from the KeyQueue and writes
// to the terminal. Trusts the key decoder; assumes one column per character. Models the
// emacs-mode editing of GNU readline as bash uses it.

import type { History } from './history.ts';
import type { KeyQueue } from './key-queue.ts';
import type { KeyName } from './keys.ts';

/** Characters accepted on one line; further typing is ignored, as a bound on memory. */
export const LINE_CHARACTERS_MAX = 8192;
/** Candidates listed after an ambiguous Tab before the list is cut short. */
export const COMPLETIONS_SHOWN_MAX = 200;

export interface Completion {
  /** Where the word being completed starts in the line. */
  start: number;
  /** Full replacements for line.slice(start, cursor); a trailing '/' means "directory". */
  candidates: string[];
}

export type Completer = (line: string, cursor: number) => Promise<Completion>;

export type EditorResult = { kind: 'line'; text: string } | { kind: 'interrupt' };

export interface EditorOptions {
  write(data: string): void;
  keys: KeyQueue;
  history: History;
  complete: Completer;
  columns(): number;
}

export class LineEditor {
  private line = '';
  private cursor = 0;
  private prompt = '';
  private historyIndex = 0;
  private draft = '';

  constructor(private readonly options: EditorOptions) {}

  /** Shows the prompt and edits one line until Enter or Ctrl-C. */
  async readLine(prompt: string): Promise<EditorResult> {
    this.prompt = prompt;
    this.line = '';
    this.cursor = 0;
    this.historyIndex = this.options.history.length;
    this.draft = '';
    this.write(prompt);
    for (;;) {
      const key = await this.options.keys.next();
      if (key.kind === 'char') { this.insert(key.char); continue; }
      const result = await this.handle(key.name);
      if (result !== undefined) return result;
    }
  }

  private write(data: string): void {
    this.options.write(data);
  }

  private async handle(name: KeyName): Promise<EditorResult | undefined> {
    switch (name) {
      case 'enter':
        this.moveTo(this.line.length);
        this.write('\r\n');
        return { kind: 'line', text: this.line };
      case 'interrupt':
        this.moveTo(this.line.length);
        this.write('^C\r\n');
        return { kind: 'interrupt' };
      case 'backspace': if (this.cursor > 0) this.deleteRange(this.cursor - 1, this.cursor); break;
      case 'delete': case 'end-of-file':
        if (this.cursor < this.line.length) this.deleteRange(this.cursor, this.cursor + 1);
        break;
      case 'left': this.moveTo(Math.max(0, this.cursor - 1)); break;
      case 'right': this.moveTo(Math.min(this.line.length, this.cursor + 1)); break;
      case 'home': this.moveTo(0); break;
      case 'end': this.moveTo(this.line.length); break;
      case 'word-left': this.moveTo(this.wordStartBefore(this.cursor)); break;
      case 'word-right': this.moveTo(this.wordEndAfter(this.cursor)); break;
      case 'kill-line-before': this.deleteRange(0, this.cursor); break;
      case 'kill-line-after': this.deleteRange(this.cursor, this.line.length); break;
      case 'kill-word-before': this.deleteRange(this.wordStartBefore(this.cursor), this.cursor); break;
      case 'up': this.recall(-1); break;
      case 'down': this.recall(1); break;
      case 'clear-screen': this.clearScreen(); break;
      case 'tab': await this.completeWord(); break;
      case 'ignored': case 'escape-character': break;
    }
    return undefined;
  }

  /** Screen offset of line position `index`, counting the prompt. */
  private offset(index: number): number {
    return visibleLength(this.prompt) + index;
  }

  /** Cursor motion between two screen offsets of this line, across wrapped rows. */
  private motion(from: number, to: number): string {
    const columns = Math.max(1, this.options.columns());
    const rowDelta = Math.floor(to / columns) - Math.floor(from / columns);
    const fromColumn = from % columns;
    const toColumn = to % columns;
    let out = '';
    if (rowDelta < 0) out += `\x1b[${-rowDelta}A`;
    if (rowDelta > 0) out += `\x1b[${rowDelta}B`;
    if (toColumn === 0 && fromColumn !== 0) out += '\r';
    else if (toColumn > fromColumn) out += `\x1b[${toColumn - fromColumn}C`;
    else if (toColumn < fromColumn) out += `\x1b[${fromColumn - toColumn}D`;
    return out;
  }

  private moveTo(index: number): void {
    if (index === this.cursor) return;
    this.write(this.motion(this.offset(this.cursor), this.offset(index)));
    this.cursor = index;
  }

  /** After text that ends exactly at the right margin the terminal waits to wrap; a space
   *  and a carriage return make the wrap happen so that cursor arithmetic stays true. */
  private wrapFix(endOffset: number): string {
    const columns = Math.max(1, this.options.columns());
    return endOffset > 0 && endOffset % columns === 0 ? ' \r' : '';
  }

  private insert(text: string): void {
    const room = LINE_CHARACTERS_MAX - this.line.length;
    if (room <= 0) return;
    const inserted = text.slice(0, room);
    const after = this.line.slice(this.cursor);
    this.line = this.line.slice(0, this.cursor) + inserted + after;
    const end = this.offset(this.line.length);
    this.write(inserted + after + this.wrapFix(end));
    const cursor = this.cursor + inserted.length;
    this.write(this.motion(end, this.offset(cursor)));
    this.cursor = cursor;
  }

  /** Removes line[from, to) and redraws the rest of the line. */
  private deleteRange(from: number, to: number): void {
    if (to <= from) return;
    this.moveTo(from);
    const oldEnd = this.offset(this.line.length);
    this.line = this.line.slice(0, from) + this.line.slice(to);
    this.redrawTail(oldEnd);
  }

  /** Rewrites the line from the cursor, erases what is left of a longer old line (ending at
   *  screen offset oldEnd), and puts the cursor back. */
  private redrawTail(oldEnd: number): void {
    const columns = Math.max(1, this.options.columns());
    const end = this.offset(this.line.length);
    const sameRow = Math.floor(oldEnd / columns) === Math.floor(this.offset(this.cursor) / columns);
    const erase = sameRow ? '\x1b[K' : '\x1b[J';
    this.write(this.line.slice(this.cursor) + this.wrapFix(end) + erase);
    this.write(this.motion(end, this.offset(this.cursor)));
  }

  private replaceLine(text: string): void {
    const oldEnd = this.offset(this.line.length);
    this.moveTo(0);
    this.line = text.slice(0, LINE_CHARACTERS_MAX);
    this.redrawTail(oldEnd);
    this.moveTo(this.line.length);
  }

  private recall(step: -1 | 1): void {
    const history = this.options.history;
    const index = this.historyIndex + step;
    if (index < 0 || index > history.length) return;
    if (this.historyIndex === history.length) this.draft = this.line;
    this.historyIndex = index;
    this.replaceLine(index === history.length ? this.draft : history.at(index) ?? '');
  }

  private clearScreen(): void {
    this.write('\x1b[H\x1b[2J');
    this.redrawAll();
  }

  private redrawAll(): void {
    const end = this.offset(this.line.length);
    this.write(this.prompt + this.line + this.wrapFix(end));
    this.write(this.motion(end, this.offset(this.cursor)));
  }

  private wordStartBefore(index: number): number {
    let position = index;
    while (position > 0 && !isWordChar(this.line[position - 1]!)) position--;
    while (position > 0 && isWordChar(this.line[position - 1]!)) position--;
    return position;
  }

  private wordEndAfter(index: number): number {
    let position = index;
    while (position < this.line.length && !isWordChar(this.line[position]!)) position++;
    while (position < this.line.length && isWordChar(this.line[position]!)) position++;
    return position;
  }

  private async completeWord(): Promise<void> {
    const { start, candidates } = await this.options.complete(this.line, this.cursor);
    if (candidates.length === 0) return;
    const typed = this.line.slice(start, this.cursor);
    if (candidates.length === 1) {
      const only = candidates[0]!;
      const suffix = only.endsWith('/') || this.line[this.cursor] === ' ' ? '' : ' ';
      this.insert(only.slice(typed.length) + suffix);
      return;
    }
    const prefix = commonPrefix(candidates);
    if (prefix.length > typed.length) {
      this.insert(prefix.slice(typed.length));
      return;
    }
    this.listCandidates(candidates);
  }

  /** Prints an ambiguous completion's candidates in columns below the line, then the
   *  prompt and line again, as readline does on a second Tab. */
  private listCandidates(candidates: string[]): void {
    this.moveTo(this.line.length);
    const shown = candidates.slice(0, COMPLETIONS_SHOWN_MAX).map(displayName);
    const rows = formatColumns(shown, this.options.columns());
    if (candidates.length > shown.length) rows.push(`... and ${candidates.length - shown.length} more`);
    this.write(`\r\n${rows.join('\r\n')}\r\n`);
    this.redrawAll();
  }
}

/** The last path component of a candidate, as readline lists file names. */
function displayName(candidate: string): string {
  const trimmed = candidate.endsWith('/') ? candidate.slice(0, -1) : candidate;
  const slash = trimmed.lastIndexOf('/');
  return slash < 0 ? candidate : candidate.slice(slash + 1);
}

function isWordChar(char: string): boolean {
  return /[A-Za-z0-9_]/.test(char);
}

export function commonPrefix(words: readonly string[]): string {
  let prefix = words[0] ?? '';
  for (const word of words) {
    let length = 0;
    while (length < prefix.length && length < word.length && prefix[length] === word[length]) length++;
    prefix = prefix.slice(0, length);
  }
  return prefix;
}

/** Strips ANSI escape sequences to measure what a prompt occupies on screen. */
export function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;?]*[@-~]/g, '').length;
}

/** Lays names out in columns, filled top to bottom, as ls and readline do. */
export function formatColumns(names: readonly string[], width: number): string[] {
  if (names.length === 0) return [];
  const separator = 2;
  const columnsMax = Math.max(1, Math.min(names.length, Math.floor(width / (1 + separator))));
  for (let columnCount = columnsMax; columnCount > 1; columnCount--) {
    const rowCount = Math.ceil(names.length / columnCount);
    const widths: number[] = [];
    for (let column = 0; column < columnCount; column++) {
      const slice = names.slice(column * rowCount, (column + 1) * rowCount);
      widths.push(Math.max(0, ...slice.map((name) => name.length)));
    }
    const total = widths.reduce((sum, value) => sum + value, 0) + separator * (columnCount - 1);
    if (total < width && widths.every((value) => value > 0)) {
      return layoutRows(names, rowCount, widths, separator);
    }
  }
  return [...names];
}

function layoutRows(names: readonly string[], rowCount: number, widths: number[], separator: number): string[] {
  const rows: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    let text = '';
    for (let column = 0; column < widths.length; column++) {
      const name = names[column * rowCount + row];
      if (name === undefined) break;
      const isLast = column === widths.length - 1 || names[(column + 1) * rowCount + row] === undefined;
      text += isLast ? name : name.padEnd(widths[column]! + separator);
    }
    rows.push(text);
  }
  return rows;
}
