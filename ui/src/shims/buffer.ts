// A browser stand-in for Node's Buffer, for the page's bundle only (vite.config.ts aliases
// node:buffer here). memfs, which the simulated hosts' file systems are built on, keeps file
// contents in Buffers and calls a small part of the API: from, alloc, allocUnsafe, concat,
// isBuffer, byteLength, toString(encoding), write, copy, slice. This class is a Uint8Array
// with those methods; bytes pass through unchanged and text is decoded as Node decodes it
// (invalid UTF-8 becomes U+FFFD). Node itself never loads this file.

export type BufferEncoding =
  | 'utf8' | 'utf-8' | 'ascii' | 'latin1' | 'binary' | 'base64' | 'base64url' | 'hex'
  | 'ucs2' | 'ucs-2' | 'utf16le' | 'utf-16le';

type Canonical = 'utf8' | 'latin1' | 'ascii' | 'base64' | 'base64url' | 'hex' | 'utf16le';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

function canonical(encoding: string | undefined): Canonical {
  switch ((encoding ?? 'utf8').toLowerCase()) {
    case 'utf8': case 'utf-8': return 'utf8';
    case 'latin1': case 'binary': return 'latin1';
    case 'ascii': return 'ascii';
    case 'base64': return 'base64';
    case 'base64url': return 'base64url';
    case 'hex': return 'hex';
    case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    default: throw new TypeError(`Unknown encoding: ${encoding}`);
  }
}

/** Characters handed to String.fromCharCode at once (its argument count is limited). */
const charCodeChunk = 8192;

function latin1Text(bytes: Uint8Array, mask: number): string {
  let text = '';
  for (let start = 0; start < bytes.length; start += charCodeChunk) {
    const part = bytes.subarray(start, start + charCodeChunk);
    text += String.fromCharCode(...(mask === 0xff ? part : part.map((byte) => byte & mask)));
  }
  return text;
}

function encode(text: string, encoding: Canonical): Uint8Array {
  switch (encoding) {
    case 'utf8': return encoder.encode(text);
    case 'latin1': case 'ascii': {
      // By UTF-16 code unit, as Node does: a character outside the BMP gives two bytes.
      const bytes = new Uint8Array(text.length);
      for (let index = 0; index < text.length; index += 1) bytes[index] = text.charCodeAt(index) & 0xff;
      return bytes;
    }
    case 'hex': {
      const pairs = text.length >> 1;
      const bytes = new Uint8Array(pairs);
      let count = 0;
      for (; count < pairs; count += 1) {
        const value = Number.parseInt(text.slice(count * 2, count * 2 + 2), 16);
        if (Number.isNaN(value)) break;
        bytes[count] = value;
      }
      return bytes.subarray(0, count);
    }
    case 'base64': case 'base64url': {
      const standard = text.replace(/-/g, '+').replace(/_/g, '/').replace(/[^A-Za-z0-9+/]/g, '');
      const padded = standard + '='.repeat((4 - (standard.length % 4)) % 4);
      return encode(atob(padded.length % 4 === 1 ? padded.slice(0, -1) : padded), 'latin1');
    }
    case 'utf16le': {
      const bytes = new Uint8Array(text.length * 2);
      for (let index = 0; index < text.length; index += 1) {
        const code = text.charCodeAt(index);
        bytes[index * 2] = code & 0xff;
        bytes[index * 2 + 1] = code >> 8;
      }
      return bytes;
    }
  }
}

function decode(bytes: Uint8Array, encoding: Canonical): string {
  switch (encoding) {
    case 'utf8': return decoder.decode(bytes);
    case 'latin1': return latin1Text(bytes, 0xff);
    case 'ascii': return latin1Text(bytes, 0x7f);
    case 'hex': return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
    case 'base64': return btoa(latin1Text(bytes, 0xff));
    case 'base64url': return btoa(latin1Text(bytes, 0xff)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    case 'utf16le': {
      let text = '';
      for (let index = 0; index + 1 < bytes.length; index += 2) {
        text += String.fromCharCode((bytes[index] ?? 0) | ((bytes[index + 1] ?? 0) << 8));
      }
      return text;
    }
  }
}

export class Buffer extends Uint8Array {
  /** Accepts what Uint8Array accepts, plus a string (the old `new Buffer(string)`). */
  constructor(...args: unknown[]) {
    if (typeof args[0] === 'string') {
      const bytes = encode(args[0], canonical(args[1] as string | undefined));
      super(bytes.length);
      this.set(bytes);
    } else {
      super(...(args as [ArrayBuffer, number, number]));
    }
  }

  static override from(value: unknown, encodingOrOffset?: unknown, length?: number): Buffer {
    if (typeof value === 'string') return Buffer.fromBytes(encode(value, canonical(encodingOrOffset as string | undefined)));
    if (value instanceof ArrayBuffer) {
      const offset = typeof encodingOrOffset === 'number' ? encodingOrOffset : 0;
      return new Buffer(value, offset, length ?? value.byteLength - offset);
    }
    if (ArrayBuffer.isView(value)) {
      return Buffer.fromBytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice());
    }
    if (Array.isArray(value)) return Buffer.fromBytes(Uint8Array.from(value as number[]));
    throw new TypeError('Buffer.from: unsupported argument');
  }

  private static fromBytes(bytes: Uint8Array): Buffer {
    return new Buffer(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  static alloc(size: number, fill?: number | string, encoding?: BufferEncoding): Buffer {
    const buffer = new Buffer(size);
    if (typeof fill === 'number') buffer.fill(fill);
    else if (typeof fill === 'string' && fill.length > 0) {
      const pattern = encode(fill, canonical(encoding));
      for (let index = 0; index < size; index += 1) buffer[index] = pattern[index % pattern.length] ?? 0;
    }
    return buffer;
  }

  static allocUnsafe(size: number): Buffer {
    return new Buffer(size);
  }

  static allocUnsafeSlow(size: number): Buffer {
    return new Buffer(size);
  }

  static isBuffer(value: unknown): value is Buffer {
    return value instanceof Buffer;
  }

  static isEncoding(encoding: unknown): boolean {
    try {
      canonical(String(encoding));
      return typeof encoding === 'string';
    } catch {
      return false;
    }
  }

  static byteLength(value: string | ArrayBufferView | ArrayBuffer, encoding?: BufferEncoding): number {
    if (typeof value === 'string') return encode(value, canonical(encoding)).length;
    return value.byteLength;
  }

  static concat(list: readonly Uint8Array[], totalLength?: number): Buffer {
    const total = totalLength ?? list.reduce((sum, part) => sum + part.length, 0);
    const result = Buffer.alloc(total);
    let offset = 0;
    for (const part of list) {
      if (offset >= total) break;
      const piece = part.subarray(0, total - offset);
      result.set(piece, offset);
      offset += piece.length;
    }
    return result;
  }

  static compare(left: Uint8Array, right: Uint8Array): number {
    const shorter = Math.min(left.length, right.length);
    for (let index = 0; index < shorter; index += 1) {
      const difference = (left[index] ?? 0) - (right[index] ?? 0);
      if (difference !== 0) return difference < 0 ? -1 : 1;
    }
    return Math.sign(left.length - right.length);
  }

  override toString(encoding?: BufferEncoding, start = 0, end = this.length): string {
    return decode(this.subarray(Math.max(0, start), Math.min(this.length, end)), canonical(encoding));
  }

  write(text: string, offset = 0, length = this.length - offset, encoding: BufferEncoding = 'utf8'): number {
    const kind = canonical(encoding);
    const encoded = encode(text, kind);
    let cut = Math.max(0, Math.min(length, this.length - offset, encoded.length));
    // Node writes whole UTF-8 characters only: never the first bytes of one that does not fit.
    if (kind === 'utf8' && cut < encoded.length) {
      while (cut > 0 && ((encoded[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
    }
    this.set(encoded.subarray(0, cut), offset);
    return cut;
  }

  copy(target: Uint8Array, targetStart = 0, sourceStart = 0, sourceEnd = this.length): number {
    const end = Math.min(sourceEnd, this.length, sourceStart + (target.length - targetStart));
    if (end <= sourceStart) return 0;
    target.set(this.subarray(sourceStart, end), targetStart);
    return end - sourceStart;
  }

  /** Node's slice shares memory, like subarray (Uint8Array's slice copies). */
  override slice(start?: number, end?: number): Buffer {
    return this.subarray(start, end) as Buffer;
  }

  equals(other: Uint8Array): boolean {
    return Buffer.compare(this, other) === 0;
  }

  toJSON(): { type: 'Buffer'; data: number[] } {
    return { type: 'Buffer', data: Array.from(this) };
  }
}

export default { Buffer };
