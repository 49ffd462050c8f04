// Byte-exact text for the coreutils filters (cut, sort, uniq, tr): input is held as a
// "binary string" (one UTF-16 code unit per byte, 0-255), so that fields, ranges and
// comparisons act on bytes as GNU coreutils does in the C locale, and every byte comes out
// unchanged. Called by cut.ts, sort.ts, uniq.ts and tr.ts. Trusts nothing: any byte is fine.

import { readOperand } from './files.ts';
import type { BuiltinContext } from './types.ts';

/** Bytes String.fromCharCode takes in one call (well under engines' argument limits). */
const CHUNK_BYTES = 8192;
/** Lines one filter handles; the rest of a larger input is left out. */
export const FILTER_INPUT_LINES_MAX = 1_000_000;

const encoder = new TextEncoder();

export function bytesToBinary(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
    parts.push(String.fromCharCode(...bytes.subarray(offset, offset + CHUNK_BYTES)));
  }
  return parts.join('');
}

export function binaryToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index) & 0xff;
  return bytes;
}

/** A word typed on the command line (UTF-8) as a binary string. */
export function argumentToBinary(word: string): string {
  return bytesToBinary(encoder.encode(word));
}

/** The lines of a binary string without their "\n"; a last line without one still counts. */
export function splitBinaryLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.length > FILTER_INPUT_LINES_MAX ? lines.slice(0, FILTER_INPUT_LINES_MAX) : lines;
}

/** Reads each operand ("-" or none: stdin) as binary text; a missing file is reported as
 *  "program: name: No such file or directory" (or as `prefix` says) and skipped. */
export async function readBinaryInputs(
  context: BuiltinContext, program: string, operands: string[],
): Promise<{ texts: string[]; failed: boolean }> {
  const texts: string[] = [];
  let failed = false;
  for (const operand of operands.length === 0 ? ['-'] : operands) {
    const data = await readOperand(context, program, operand);
    if (data === undefined) { failed = true; continue; }
    texts.push(bytesToBinary(data));
  }
  return { texts, failed };
}

/** Reads the operands one at a time and hands each one's text to `each` before the next is
 *  read, so that output and error messages interleave as they do with coreutils. Returns
 *  whether some operand could not be read. */
export async function forEachInput(
  context: BuiltinContext, program: string, operands: string[], each: (text: string) => void,
): Promise<boolean> {
  let failed = false;
  for (const operand of operands.length === 0 ? ['-'] : operands) {
    const data = await readOperand(context, program, operand);
    if (data === undefined) { failed = true; continue; }
    each(bytesToBinary(data));
  }
  return failed;
}

/** Writes binary lines, each followed by "\n". */
export function writeBinaryLines(context: BuiltinContext, lines: readonly string[]): void {
  if (lines.length === 0) return;
  context.stdout.write(binaryToBytes(`${lines.join('\n')}\n`));
}

/** coreutils' "Try 'program --help'" tail after a usage error. */
export function usageError(context: BuiltinContext, program: string, text: string, status = 1): number {
  context.stderr.write(`${program}: ${text}\nTry '${program} --help' for more information.\n`);
  return status;
}
