// The one bridge to xterm.js (CONVENTIONS.md rule 15): the only file that imports
// @xterm/xterm and its fit addon. Components open a terminal through openTerminal() and
// get back a small interface: write output, focus, read the screen as text (for the browser
// test and for copying), and dispose. Trusts xterm to render; trusts nothing else.

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

export interface TerminalSize {
  columns: number;
  rows: number;
}

export interface TerminalOptions {
  /** Raw input from the keyboard or a paste, as the shell should receive it. */
  onInput(data: string): void;
  onResize(size: TerminalSize): void;
  /** An accessible name for the screen reader and the focus target. */
  label: string;
}

export interface TerminalBridge {
  write(data: string): void;
  /** Clears the screen and the scrollback and resets the terminal's modes, then writes data. */
  reset(data: string): void;
  focus(): void;
  /** Fits the grid to the element's current size; returns the new size. */
  fit(): TerminalSize;
  size(): TerminalSize;
  /** The whole buffer (scrollback and screen) as lines of text, right-trimmed. */
  text(): string;
  dispose(): void;
}

/** Bounds the scrollback: a runaway command cannot grow the page's memory without limit. */
const scrollbackLinesMax = 5000;

const palette = {
  background: '#0f172a',
  foreground: '#e2e8f0',
  cursor: '#fbbf24',
  cursorAccent: '#0f172a',
  selectionBackground: '#334155',
  scrollbarSliderBackground: 'rgba(148, 163, 184, 0.18)',
  scrollbarSliderHoverBackground: 'rgba(148, 163, 184, 0.35)',
  scrollbarSliderActiveBackground: 'rgba(148, 163, 184, 0.5)',
  black: '#1e293b', red: '#f87171', green: '#4ade80', yellow: '#facc15',
  blue: '#60a5fa', magenta: '#c084fc', cyan: '#22d3ee', white: '#e2e8f0',
  brightBlack: '#64748b', brightRed: '#fca5a5', brightGreen: '#86efac', brightYellow: '#fde047',
  brightBlue: '#93c5fd', brightMagenta: '#d8b4fe', brightCyan: '#67e8f9', brightWhite: '#f8fafc',
};

export function openTerminal(element: HTMLElement, options: TerminalOptions): TerminalBridge {
  const terminal = new Terminal({
    cursorBlink: true,
    convertEol: false,
    scrollback: scrollbackLinesMax,
    fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    lineHeight: 1.2,
    theme: palette,
    screenReaderMode: false,
  });
  const fitAddon = new FitAddon();
  terminal.loadAddon(fitAddon);
  // Shift+Tab is the way out of the terminal for keyboard users: Tab itself goes to the
  // shell for completion, so without this the terminal would trap focus.
  terminal.attachCustomKeyEventHandler((event) => !(event.key === 'Tab' && event.shiftKey));
  terminal.open(element);
  terminal.textarea?.setAttribute('aria-label', options.label);
  const inputSubscription = terminal.onData((data) => options.onInput(data));
  const resizeSubscription = terminal.onResize(({ cols, rows }) => options.onResize({ columns: cols, rows }));
  const size = (): TerminalSize => ({ columns: terminal.cols, rows: terminal.rows });

  return {
    write: (data) => terminal.write(data),
    reset(data) {
      terminal.reset();
      terminal.write(data);
    },
    focus: () => terminal.focus(),
    fit() {
      fitAddon.fit();
      return size();
    },
    size,
    text() {
      const buffer = terminal.buffer.active;
      const lines: string[] = [];
      for (let index = 0; index < buffer.length; index += 1) {
        const line = buffer.getLine(index);
        const text = line?.translateToString(true) ?? '';
        if (line?.isWrapped === true && lines.length > 0) lines[lines.length - 1] += text;
        else lines.push(text);
      }
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      return lines.join('\n');
    },
    dispose() {
      inputSubscription.dispose();
      resizeSubscription.dispose();
      terminal.dispose();
    },
  };
}
