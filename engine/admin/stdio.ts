// In-memory stdio for commands: captured output and scripted input. The shell pipes and
// redirections, the tests and the worker bridge build on these. Trusts nothing about the
// data: bytes pass through unchanged.

import type { InputStream, OutputStream } from './command.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

export function toText(data: Uint8Array): string {
  return decoder.decode(data);
}

/** The chunks laid end to end in one array. */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Collects everything written; text() decodes it as UTF-8. */
export class CapturedOutput implements OutputStream {
  readonly isTty: boolean;
  private readonly chunks: Uint8Array[] = [];

  constructor(isTty = false) {
    this.isTty = isTty;
  }

  write(data: string | Uint8Array): void {
    this.chunks.push(toBytes(data));
  }

  bytes(): Uint8Array {
    return joinChunks(this.chunks);
  }

  text(): string {
    return toText(this.bytes());
  }
}

/** An output that forwards to a function, e.g. a terminal writer. */
export function outputTo(write: (data: string | Uint8Array) => void, isTty: boolean): OutputStream {
  return { write, isTty };
}

/** Input from a fixed buffer: a file redirect, a pipe's captured output, or a test. */
export class BufferedInput implements InputStream {
  readonly isTty: boolean;
  private data: Uint8Array;
  private offset = 0;

  constructor(data: string | Uint8Array = '', isTty = false) {
    this.data = toBytes(data);
    this.isTty = isTty;
  }

  async readLine(): Promise<string | null> {
    if (this.offset >= this.data.length) return null;
    let end = this.data.indexOf(0x0a, this.offset);
    const next = end < 0 ? this.data.length : end + 1;
    if (end < 0) end = this.data.length;
    const line = toText(this.data.subarray(this.offset, end));
    this.offset = next;
    return line;
  }

  async readAll(): Promise<Uint8Array> {
    const rest = this.data.subarray(this.offset);
    this.offset = this.data.length;
    return rest;
  }
}

/** Input with nothing in it: a command run with stdin closed. */
export const emptyInput = (): InputStream => new BufferedInput('');
