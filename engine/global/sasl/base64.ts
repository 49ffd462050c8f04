// Base64 as SASL exchanges carry it (RFC 4648 section 4, padded), over bytes, without
// Node's Buffer or the browser's atob (the engine runs in both). decode() is strict, as
// Cyrus SASL's sasl_decode64 is: a character outside the alphabet, bad padding or a length
// that is not a multiple of four is an error (undefined), which smtpd reports as
// "bad protocol / cancel".
// Called by the SASL mechanisms (server.ts, client.ts). Models sasl_encode64/sasl_decode64.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Map([...ALPHABET].map((character, index) => [character, index]));

export function encodeBase64(bytes: Uint8Array): string {
  let text = '';
  for (let index = 0; index < bytes.length; index += 3) {
    const first = bytes[index] as number;
    const second = bytes[index + 1];
    const third = bytes[index + 2];
    const chunk = (first << 16) | ((second ?? 0) << 8) | (third ?? 0);
    text += ALPHABET[(chunk >> 18) & 63];
    text += ALPHABET[(chunk >> 12) & 63];
    text += second === undefined ? '=' : ALPHABET[(chunk >> 6) & 63];
    text += third === undefined ? '=' : ALPHABET[chunk & 63];
  }
  return text;
}

/** The bytes, or undefined for text that is not well-formed base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index += 4) {
    const quad = text.slice(index, index + 4);
    const padding = quad.endsWith('==') ? 2 : quad.endsWith('=') ? 1 : 0;
    if (padding > 0 && index + 4 !== text.length) return undefined;
    let chunk = 0;
    for (let position = 0; position < 4; position++) {
      const character = quad[position] as string;
      const value = position >= 4 - padding ? 0 : VALUES.get(character);
      if (value === undefined) return undefined;
      chunk = (chunk << 6) | value;
    }
    bytes.push((chunk >> 16) & 255);
    if (padding < 2) bytes.push((chunk >> 8) & 255);
    if (padding < 1) bytes.push(chunk & 255);
  }
  return Uint8Array.from(bytes);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeBase64Text = (text: string): string => encodeBase64(encoder.encode(text));

/** UTF-8 text of a base64 string, or undefined. */
export function decodeBase64Text(text: string): string | undefined {
  const bytes = decodeBase64(text);
  return bytes === undefined ? undefined : decoder.decode(bytes);
}
