// The process's real stdin, stdout and stderr as the admin commands' InputStream and
// OutputStream: bytes pass unchanged, isTty comes from the process. Stdin is read only when a
// command asks for it, and released afterwards so an unread terminal never keeps the
// process alive. Called by engine/cli/main.ts. Trusts node:process.

import type { InputStream, OutputStream } from '../admin/command.ts';
import { toText } from '../admin/stdio.ts';

/** The most stdin a command may buffer: a lookup table source piped in stays far below. */
export const stdinBytesMax = 256 * 1024 * 1024;

export interface ProcessInput extends InputStream {
  /** Stops reading stdin so that the process can exit. */
  release(): void;
}

export function processOutput(stream: NodeJS.WriteStream): OutputStream {
  return {
    write: (data) => { stream.write(data); },
    isTty: stream.isTTY === true,
  };
}

export function processInput(stream: NodeJS.ReadStream): ProcessInput {
  let iterator: AsyncIterator<Buffer | string> | undefined;
  let buffered = new Uint8Array(0);
  let ended = false;

  /** Pulls one more chunk into `buffered`; false at end of input. */
  const pull = async (): Promise<boolean> => {
    if (ended) return false;
    iterator ??= stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
    const step = await iterator.next();
    if (step.done === true) {
      ended = true;
      return false;
    }
    const chunk = typeof step.value === 'string' ? new TextEncoder().encode(step.value) : new Uint8Array(step.value);
    if (buffered.length + chunk.length > stdinBytesMax) throw new Error(`standard input exceeds ${stdinBytesMax} bytes`);
    const joined = new Uint8Array(buffered.length + chunk.length);
    joined.set(buffered);
    joined.set(chunk, buffered.length);
    buffered = joined;
    return true;
  };

  return {
    isTty: stream.isTTY === true,
    async readLine() {
      for (;;) {
        const newline = buffered.indexOf(0x0a);
        if (newline >= 0) {
          const line = toText(buffered.subarray(0, newline));
          buffered = buffered.slice(newline + 1);
          return line;
        }
        if (!(await pull())) {
          if (buffered.length === 0) return null;
          const line = toText(buffered);
          buffered = new Uint8Array(0);
          return line;
        }
      }
    },
    async readAll() {
      while (await pull()) { /* each pull grows the buffer, bounded by stdinBytesMax */ }
      const all = buffered;
      buffered = new Uint8Array(0);
      return all;
    },
    release() {
      if (iterator !== undefined && !ended) void iterator.return?.();
      stream.pause();
    },
  };
}
