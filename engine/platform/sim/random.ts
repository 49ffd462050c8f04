// Seeded random numbers for the simulation: sfc32 (Chris Doty-Humphrey's Small Fast Counter,
// 32-bit), seeded through a string hash of (seed, label path). fork(label) derives a child
// stream from the root seed and the label path alone, never from how many numbers the parent
// has drawn, so a draw added in one subsystem does not shift another (CONVENTIONS.md rule 10).
// Called as Platform.random by sim hosts. Models nothing in Postfix.

import type { Random } from '../types.ts';

/** Three 32-bit string hashes (FNV-1a from a salted offset basis, mixed by a murmur-style
 *  finaliser), one per salt, in one pass over the text (a fork per delivery hashes its
 *  label path). */
function seedWords(text: string, saltA: number, saltB: number, saltC: number): [number, number, number] {
  let hashA = (0x811c9dc5 ^ saltA) >>> 0;
  let hashB = (0x811c9dc5 ^ saltB) >>> 0;
  let hashC = (0x811c9dc5 ^ saltC) >>> 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    hashA = Math.imul(hashA ^ code, 0x01000193) >>> 0;
    hashB = Math.imul(hashB ^ code, 0x01000193) >>> 0;
    hashC = Math.imul(hashC ^ code, 0x01000193) >>> 0;
  }
  return [finalise(hashA), finalise(hashB), finalise(hashC)];
}

/** The murmur-style finaliser of a hash. */
function finalise(value: number): number {
  let hash = value;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Rounds the generator runs before its first draw, to spread a poor seed. */
const warmUpRounds = 15;

class Sfc32 implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(private readonly seed: number, private readonly path: string) {
    const [a, b, c] = seedWords(`${seed}/${path}`, 0x9e3779b9, 0x7f4a7c15, 0x94d049bb);
    this.a = a;
    this.b = b;
    this.c = c;
    for (let round = 0; round < warmUpRounds; round++) this.nextUint32();
  }

  nextUint32(): number {
    const result = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + result) >>> 0;
    return result;
  }

  next(): number {
    return this.nextUint32() / 4_294_967_296;
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) throw new RangeError(`Random.int: bad bound ${maxExclusive}`);
    return Math.floor(this.next() * maxExclusive);
  }

  fork(label: string): Random {
    return new Sfc32(this.seed, this.path === '' ? label : `${this.path}/${label}`);
  }
}

/** The root stream of a world or host for a numeric seed. */
export function createSeededRandom(seed: number): Random {
  return new Sfc32(seed, '');
}
