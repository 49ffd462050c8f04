// A tiny VT100 screen for the shell tests: applies the terminal output the shell writes
// (text, CR, LF, BS, cursor moves, erase in line/display, clear) to a grid, so tests can
// assert what a user would see and where the cursor is, rather than exact escape bytes.
// Models xterm's auto-wrap with a pending-wrap state at the right margin.

export class Screen {
  private lines: string[][] = [[]];
  row = 0;
  /** Equal to `columns` while a wrap is pending. */
  column = 0;

  constructor(private columns = 80) {}

  resize(columns: number): void {
    this.columns = columns;
  }

  write(data: string): void {
    let index = 0;
    while (index < data.length) {
      const char = data[index]!;
      if (char === '\x1b') {
        index = this.escape(data, index);
        continue;
      }
      if (char === '\r') this.column = 0;
      else if (char === '\n') this.moveRow(this.row + 1);
      else if (char === '\b') this.column = Math.max(0, Math.min(this.column, this.columns - 1) - 1);
      else if (char === '\x07') { /* bell */ }
      else if (char === '\t') this.column = Math.min(this.columns - 1, (Math.floor(this.column / 8) + 1) * 8);
      else this.put(char);
      index++;
    }
  }

  private moveRow(row: number): void {
    this.row = Math.max(0, row);
    while (this.lines.length <= this.row) this.lines.push([]);
  }

  private put(char: string): void {
    if (this.column >= this.columns) {
      this.column = 0;
      this.moveRow(this.row + 1);
    }
    const line = this.lines[this.row]!;
    while (line.length < this.column) line.push(' ');
    line[this.column] = char;
    this.column++;
  }

  private escape(data: string, start: number): number {
    const match = /^\x1b\[([0-9;?]*)([@-~])/.exec(data.slice(start, start + 16));
    if (match === null) return start + 1;
    const count = Number(match[1] || '1');
    const column = Math.min(this.column, this.columns - 1);
    switch (match[2]) {
      case 'A': this.moveRow(this.row - count); this.column = column; break;
      case 'B': this.moveRow(this.row + count); this.column = column; break;
      case 'C': this.column = Math.min(this.columns - 1, column + count); break;
      case 'D': this.column = Math.max(0, column - count); break;
      case 'K': this.lines[this.row]!.length = Math.min(this.lines[this.row]!.length, column); break;
      case 'J':
        if (match[1] === '2' || match[1] === '3') { if (match[1] === '2') this.clearAll(); }
        else {
          this.lines[this.row]!.length = Math.min(this.lines[this.row]!.length, column);
          this.lines.length = this.row + 1;
        }
        break;
      case 'H': this.row = 0; this.column = 0; break;
      default: break;
    }
    return start + match[0].length;
  }

  private clearAll(): void {
    this.lines = this.lines.map(() => []);
  }

  /** The visible text, trailing blanks and empty trailing lines removed. */
  text(): string {
    const rows = this.lines.map((line) => line.join('').replace(/ +$/, ''));
    while (rows.length > 1 && rows[rows.length - 1] === '') rows.pop();
    return rows.join('\n');
  }

  /** The row the cursor is on. */
  currentLine(): string {
    return (this.lines[this.row] ?? []).join('').replace(/ +$/, '');
  }

  /** The cursor's row up to the cursor, blanks kept: what has been typed so far. */
  beforeCursor(): string {
    const line = this.lines[this.row] ?? [];
    let text = '';
    for (let column = 0; column < Math.min(this.column, this.columns); column++) text += line[column] ?? ' ';
    return text;
  }

  clearHistory(): void {
    this.lines = [[]];
    this.row = 0;
    this.column = 0;
  }
}
