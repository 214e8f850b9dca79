/**
 * A small seeded generator (sfc32) so that each document draws from its own stream, derived
 * from the run's seed and the document's position: document N is the same whatever was
 * generated before it, and the run is the same on every machine.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seed: readonly number[]) {
    const h = hashNumbers(seed);
    [this.a, this.b, this.c, this.d] = [h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0];
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
    }
    return pool.slice(0, count);
  }

  /** A 32-bit seed for another generator (faker) drawn from this one. */
  seed(): number {
    return Math.floor(this.next() * 4294967296);
  }
}

/** Four 32-bit words from a list of numbers (MurmurHash3's finaliser over each). */
function hashNumbers(values: readonly number[]): number[] {
  const words = [0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x85a308d3];
  for (const value of values) {
    const lo = value >>> 0;
    const hi = Math.floor(value / 4294967296) >>> 0;
    for (let k = 0; k < 4; k++) {
      let h = (words[k] ?? 0) ^ Math.imul(lo ^ (hi * (k + 1)), 0xcc9e2d51);
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      words[k] = (h ^ (h >>> 16)) >>> 0;
    }
  }
  return words;
}
