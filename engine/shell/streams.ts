// The stdio a command sees inside the terminal shell: the terminal itself (output with "\n"
// turned into CRLF, input through a cooked-mode line discipline with echo, erase, Ctrl-U
// and Ctrl-D), and bounded pipe buffers between the commands of a pipeline.
// Called by engine/shell/execute.ts. Trusts nothing about what a command writes: bytes are
// decoded as UTF-8 for the screen and every buffer has a limit. Models a Unix tty in
// canonical mode (termios ICANON|ECHO) and a pipe(2).

import type { InputStream, OutputStream } from '../admin/command.ts';
import { joinChunks, toBytes, toText } from '../admin/stdio.ts';
import { InterruptedRead, type KeyQueue } from './key-queue.ts';

/** Bytes a pipe or an output redirection holds before further writes are dropped. */
export const PIPE_BYTES_MAX = 1024 * 1024;
/** Characters in one line typed to a running command (Linux's N_TTY buffer is 4096). */
export const TTY_LINE_CHARACTERS_MAX = 4096;
/** Lines one readAll() takes from the terminal before it stops. */
export const TTY_READ_ALL_LINES_MAX = 100000;

/** Turns a lone "\n" into "\r\n", as the tty's ONLCR output flag does. */
export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** Output to the terminal. After detach() (the command was interrupted) writes are dropped. */
export class TerminalOutput implements OutputStream {
  readonly isTty = true;
  private readonly decoder = new TextDecoder();
  private attached = true;

  constructor(private readonly writeTerminal: (data: string) => void) {}

  write(data: string | Uint8Array): void {
    if (!this.attached) return;
    const text = typeof data === 'string' ? data : this.decoder.decode(data, { stream: true });
    if (text !== '') this.writeTerminal(toCrlf(text));
  }

  detach(): void {
    this.attached = false;
  }
}

/** A bounded in-memory pipe or file buffer; `overflowed` tells that bytes were dropped. */
export class PipeOutput implements OutputStream {
  readonly isTty = false;
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  overflowed = false;

  constructor(private readonly bytesMax = PIPE_BYTES_MAX) {}

  write(data: string | Uint8Array): void {
    const bytes = toBytes(data);
    const room = this.bytesMax - this.length;
    if (bytes.length > room) this.overflowed = true;
    const kept = bytes.length > room ? bytes.subarray(0, Math.max(room, 0)) : bytes;
    if (kept.length === 0) return;
    this.chunks.push(kept.slice());
    this.length += kept.length;
  }

  bytes(): Uint8Array {
    return joinChunks(this.chunks);
  }

  text(): string {
    return toText(this.bytes());
  }
}

/** What TerminalInput.readEvent returns. */
export type TerminalEvent =
  | { kind: 'line'; text: string }
  | { kind: 'end' }
  | { kind: 'escape' }
  | { kind: 'cancelled' };

/** stdin from the terminal: reads keys, echoes them, hands the command whole lines. */
export class TerminalInput implements InputStream {
  readonly isTty = true;
  private endOfInput = false;
  /** A partial line pushed out by Ctrl-D, returned before the next read waits. */
  private pending: string | undefined;
  /** Text typed before a cancelled or escaped read, continued by the next one. */
  private carried = '';

  constructor(private readonly keys: KeyQueue, private readonly echo: (data: string) => void) {}

  async readLine(): Promise<string | null> {
    for (let count = 0; count < TTY_READ_ALL_LINES_MAX; count++) {
      const event = await this.readEvent();
      if (event.kind === 'line') return event.text;
      if (event.kind === 'end') return null;
    }
    return null;
  }

  /** One read for a program that also waits on something else (telnet, nc): a whole line,
   *  the end of input (Ctrl-D), Ctrl-] ('escape', the text typed so far stays for the next
   *  read) or 'cancelled' when `cancel` settles first (the keyboard is let go, typed keys
   *  stay queued). Ctrl-C throws InterruptedRead, as readLine does. */
  async readEvent(cancel?: Promise<unknown>): Promise<TerminalEvent> {
    if (this.pending !== undefined) {
      const line = this.pending;
      this.pending = undefined;
      return { kind: 'line', text: line };
    }
    if (this.endOfInput) return { kind: 'end' };
    const state = { active: true, cancelled: false };
    void cancel?.then(() => {
      if (!state.active) return;
      state.cancelled = true;
      this.keys.cancelWait();
    }, () => undefined);
    try {
      return await this.collectLine(state);
    } finally {
      state.active = false;
    }
  }

  private async collectLine(state: { cancelled: boolean }): Promise<TerminalEvent> {
    let line = this.carried;
    this.carried = '';
    for (;;) {
      let key;
      try {
        if (state.cancelled) throw new InterruptedRead();
        key = await this.keys.next();
      } catch (error) {
        if (state.cancelled && error instanceof InterruptedRead) { this.carried = line; return { kind: 'cancelled' }; }
        throw error;
      }
      if (key.kind === 'char') {
        if (line.length < TTY_LINE_CHARACTERS_MAX) { line += key.char; this.echo(key.char); }
        continue;
      }
      switch (key.name) {
        case 'enter':
          this.echo('\r\n');
          return { kind: 'line', text: line };
        case 'backspace':
          if (line.length > 0) { line = line.slice(0, -1); this.echo('\b \b'); }
          break;
        case 'kill-line-before':
          this.echo('\b \b'.repeat(line.length));
          line = '';
          break;
        case 'tab':
          if (line.length < TTY_LINE_CHARACTERS_MAX) { line += '\t'; this.echo('\t'); }
          break;
        case 'end-of-file':
          // Ctrl-D on an empty line is end of input; after some text it sends that text
          // on without a newline, as a tty does.
          if (line === '') { this.endOfInput = true; return { kind: 'end' }; }
          return { kind: 'line', text: line };
        case 'escape-character':
          this.carried = line;
          return { kind: 'escape' };
        case 'interrupt':
          throw new InterruptedRead();
        default:
          break;
      }
    }
  }

  async readAll(): Promise<Uint8Array> {
    const lines: string[] = [];
    for (let count = 0; count < TTY_READ_ALL_LINES_MAX; count++) {
      const line = await this.readLine();
      if (line === null) break;
      lines.push(`${line}\n`);
    }
    return toBytes(lines.join(''));
  }
}
