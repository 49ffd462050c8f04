// Seeded random numbers for the simulation: sfc32 (Chris Doty-Humphrey's Small Fast Counter,
// 32-bit), seeded through a string hash of (seed, label path). fork(label) derives a child
// stream from the root seed and the label path alone, never from how many numbers the parent
// has drawn, so a draw added in one subsystem does not shift another (CONVENTIONS.md rule 10).
// Called as Platform.random by sim hosts. Models nothing in Postfix.

import type { Random } from '../types.ts';

/** A 32-bit string hash (FNV-1a) mixed by a murmur-style finaliser. */
function hash32(text: string, salt: number): number {
  let hash = (0x811c9dc5 ^ salt) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
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
    const key = `${seed}/${path}`;
    this.a = hash32(key, 0x9e3779b9);
    this.b = hash32(key, 0x7f4a7c15);
    this.c = hash32(key, 0x94d049bb);
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
