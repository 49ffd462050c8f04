// Command history for the terminal shell: the lines typed at the prompt, recalled with
// Up/Down and listed by the `history` builtin. Called by engine/shell/line-editor.ts and
// engine/shell/builtins. Models bash's history list with HISTSIZE as its bound.

/** Lines kept; the oldest go first, as with bash's HISTSIZE (default 500). */
export const HISTORY_LINES_MAX = 500;

export class History {
  private readonly lines: string[] = [];
  /** bash numbers entries from 1 and keeps counting after old ones are dropped. */
  private firstNumber = 1;

  constructor(private readonly linesMax = HISTORY_LINES_MAX) {}

  add(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(line);
    while (this.lines.length > this.linesMax) {
      this.lines.shift();
      this.firstNumber++;
    }
  }

  get length(): number {
    return this.lines.length;
  }

  at(index: number): string | undefined {
    return this.lines[index];
  }

  clear(): void {
    this.firstNumber += this.lines.length;
    this.lines.length = 0;
  }

  /** Entries with bash's numbers, oldest first. */
  entries(): Array<{ number: number; line: string }> {
    return this.lines.map((line, index) => ({ number: this.firstNumber + index, line }));
  }
}
