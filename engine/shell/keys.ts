// Decodes raw terminal input (what xterm.js sends: printable text, control characters and
// ANSI escape sequences for arrows, Home/End, Delete) into keys for the shell's line editor
// and for the terminal line discipline that feeds a running command's stdin.
// Called by engine/shell/shell.ts for every input chunk. Trusts nothing: unknown sequences
// are consumed and dropped, and a chunk is decoded on its own (xterm sends each sequence
// whole). Models the input side of a VT100-style terminal as bash's readline reads it.

export type KeyName =
  | 'enter' | 'backspace' | 'delete' | 'tab'
  | 'left' | 'right' | 'up' | 'down' | 'home' | 'end'
  | 'word-left' | 'word-right'
  | 'interrupt' | 'end-of-file' | 'clear-screen' | 'kill-line-before' | 'kill-line-after'
  | 'kill-word-before' | 'escape-character' | 'ignored';

export type Key = { kind: 'char'; char: string } | { kind: 'key'; name: KeyName };

/** Keys decoded from one chunk at most; the rest of a larger paste is dropped. */
export const KEYS_PER_CHUNK_MAX = 65536;

const ESC = '\x1b';

/** Control characters (0x00-0x1f, 0x7f) the editor acts on. */
const CONTROL_KEYS: Record<string, KeyName> = {
  '\r': 'enter',
  '\n': 'enter',
  '\x7f': 'backspace',
  '\b': 'backspace',
  '\t': 'tab',
  '\x01': 'home',
  '\x05': 'end',
  '\x02': 'left',
  '\x06': 'right',
  '\x10': 'up',
  '\x0e': 'down',
  '\x03': 'interrupt',
  '\x04': 'end-of-file',
  '\x0c': 'clear-screen',
  '\x15': 'kill-line-before',
  '\x0b': 'kill-line-after',
  '\x17': 'kill-word-before',
  // Ctrl-] (GS): telnet's escape character; the line editor ignores it.
  '\x1d': 'escape-character',
};

/** The final byte of a CSI or SS3 sequence without parameters. */
const FINAL_KEYS: Record<string, KeyName> = {
  A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end',
};

/** CSI n ~ sequences (VT220 editing keys). */
const TILDE_KEYS: Record<string, KeyName> = {
  '1': 'home', '7': 'home', '4': 'end', '8': 'end', '3': 'delete',
};

const key = (name: KeyName): Key => ({ kind: 'key', name });

export function decodeKeys(data: string): Key[] {
  const keys: Key[] = [];
  let index = 0;
  while (index < data.length && keys.length < KEYS_PER_CHUNK_MAX) {
    const char = data[index]!;
    if (char === ESC) {
      const [decoded, length] = decodeEscape(data, index);
      keys.push(decoded);
      index += length;
      continue;
    }
    // A pasted "\r\n" is one Enter, not two.
    if (char === '\n' && index > 0 && data[index - 1] === '\r') {
      index++;
      continue;
    }
    const control = CONTROL_KEYS[char];
    if (control !== undefined) keys.push(key(control));
    else if (char >= ' ') keys.push({ kind: 'char', char });
    else keys.push(key('ignored'));
    index++;
  }
  return keys;
}

/** Decodes the escape sequence at `start`; returns the key and how many characters it used. */
function decodeEscape(data: string, start: number): [Key, number] {
  const introducer = data[start + 1];
  if (introducer === undefined) return [key('ignored'), 1];
  if (introducer === '[') return decodeControlSequence(data, start);
  if (introducer === 'O') {
    const final = data[start + 2];
    const name = final === undefined ? undefined : FINAL_KEYS[final];
    return [key(name ?? 'ignored'), final === undefined ? 2 : 3];
  }
  if (introducer === 'b') return [key('word-left'), 2];
  if (introducer === 'f') return [key('word-right'), 2];
  if (introducer === '\x7f') return [key('kill-word-before'), 2];
  return [key('ignored'), 2];
}

/** CSI parameters, then one final byte in 0x40-0x7e. */
const CSI_LENGTH_MAX = 16;

function decodeControlSequence(data: string, start: number): [Key, number] {
  let index = start + 2;
  let parameters = '';
  while (index < data.length && index - start < CSI_LENGTH_MAX) {
    const char = data[index]!;
    if (char >= '@' && char <= '~') {
      return [key(controlSequenceKey(parameters, char)), index - start + 1];
    }
    parameters += char;
    index++;
  }
  return [key('ignored'), index - start];
}

function controlSequenceKey(parameters: string, final: string): KeyName {
  if (final === '~') return TILDE_KEYS[parameters.split(';')[0] ?? ''] ?? 'ignored';
  const name = FINAL_KEYS[final];
  if (name === undefined) return 'ignored';
  // "1;5C" is Ctrl-Right and "1;3C" Alt-Right: both move by words, as in readline.
  const modifier = parameters.split(';')[1];
  if (modifier !== undefined && (name === 'left' || name === 'right')) {
    return name === 'left' ? 'word-left' : 'word-right';
  }
  return name;
}
