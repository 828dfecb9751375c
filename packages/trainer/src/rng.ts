// A small seeded PRNG whose whole state is four uint32 words, so a checkpoint can store it and a
// resumed trial draws exactly the numbers the uninterrupted one would have drawn.
// Generator: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
// seeded through splitmix32 so that nearby integer seeds give unrelated streams.
// Math.random is never used anywhere in the trainer: every draw goes through an Rng.
import { z } from "zod";

export const RngStateSchema = z.object({
  algo: z.literal("xoshiro128**"),
  s: z.array(z.number().int().min(0).max(0xffffffff)).length(4),
});
export type RngState = z.infer<typeof RngStateSchema>;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// splitmix32 (the 32-bit variant of Steele et al.'s SplitMix): expands one seed into the state words.
function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: Uint32Array;

  private constructor(s: Uint32Array) {
    if (s[0] === 0 && s[1] === 0 && s[2] === 0 && s[3] === 0) throw new Error("Rng: the all-zero state is invalid for xoshiro128**");
    this.s = s;
  }

  /** A generator from an integer seed (any safe integer; the high and low 32 bits both matter). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new Error(`Rng.fromSeed: seed must be a safe integer, got ${seed}`);
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const next = splitmix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
    const s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) s[i] = next();
    return new Rng(s);
  }

  /** A generator keyed by several integers (e.g. (seed, epoch)): each key is folded in by splitmix32. */
  static fromKeys(...keys: number[]): Rng {
    let h = 0x243f6a88; // pi's first fraction bits: an arbitrary non-zero start
    for (const k of keys) {
      if (!Number.isSafeInteger(k)) throw new Error(`Rng.fromKeys: keys must be safe integers, got ${k}`);
      const lo = k >>> 0;
      const hi = Math.floor(k / 2 ** 32) >>> 0;
      h = splitmix32(h ^ lo)();
      h = splitmix32(h ^ hi)();
    }
    return Rng.fromSeed(h);
  }

  static fromState(state: RngState): Rng {
    const parsed = RngStateSchema.safeParse(state);
    if (!parsed.success) throw new Error(`Rng.fromState: expected {algo:"xoshiro128**", s:[4 uint32]}: ${parsed.error.message}`);
    return new Rng(Uint32Array.from(parsed.data.s));
  }

  static fromBytes(bytes: Uint8Array): Rng {
    if (bytes.byteLength !== 16) throw new Error(`Rng.fromBytes: expected 16 bytes, got ${bytes.byteLength}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, 16);
    return new Rng(Uint32Array.from([0, 1, 2, 3].map((i) => dv.getUint32(i * 4, true))));
  }

  state(): RngState {
    return { algo: "xoshiro128**", s: Array.from(this.s) };
  }

  /** 16 bytes, little-endian state words. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(16);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < 4; i++) dv.setUint32(i * 4, this.s[i], true);
    return out;
  }

  clone(): Rng {
    return new Rng(Uint32Array.from(this.s));
  }

  /** Next uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits: every value is an exact float32. */
  float(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject on 32 bits). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new Error(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    if (n === 2 ** 32) return this.nextU32();
    const threshold = (2 ** 32 - n) % n; // = 2^32 mod n: low words below it are rejected
    for (;;) {
      // 64-bit x*n split into exact <2^53 parts: x = xh*2^16 + xl
      const x = this.nextU32();
      const a = (x & 0xffff) * n;
      const b = (x >>> 16) * n;
      const mid = a + (b % 65536) * 65536;
      const low = mid % 2 ** 32;
      if (low >= threshold) return Math.floor(b / 65536) + Math.floor(mid / 2 ** 32);
    }
  }

  /** In-place Fisher–Yates (Durstenfeld) shuffle. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** k distinct indices from [0, n) in draw order (partial Fisher–Yates); k <= n. */
  sampleWithoutReplacement(n: number, k: number): number[] {
    if (k > n) throw new Error(`Rng.sampleWithoutReplacement: k (${k}) > n (${n})`);
    const pool = new Map<number, number>(); // sparse Fisher–Yates: only swapped slots are stored
    const out: number[] = [];
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const vj = pool.get(j) ?? j;
      const vi = pool.get(i) ?? i;
      pool.set(j, vi);
      out.push(vj);
    }
    return out;
  }
}
