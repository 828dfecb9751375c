// Seeded standard-normal streams for random checkpoints. Plain JavaScript (typed in normal.d.ts)
// because worker threads load it directly, without the TypeScript loader, so that large presets
// generate tensors on all cores while the in-process path uses the very same code.
// One stream per (seed, tensor name): FNV-1a of the name mixed with the seed seeds splitmix32,
// which seeds xoshiro128** (Blackman & Vigna); Marsaglia's polar method turns uniforms into normals.

/** FNV-1a 32-bit hash of a string. */
export function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function splitmix32(x) {
  let a = x >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Returns fill(out, std): writes N(0, std^2) samples into out, continuing the stream on each call. */
export function normalStream(seed, name) {
  const sm = splitmix32(Math.imul(seed >>> 0, 0x9e3779b1) ^ fnv1a(name));
  let s0 = sm(), s1 = sm(), s2 = sm(), s3 = sm();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const next = () => {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return r;
  };
  // Marsaglia's polar method: two normals per accepted pair, no trigonometry (~2x Box-Muller here).
  return (out, std) => {
    for (let i = 0; i < out.length; i += 2) {
      let u, v, q;
      do {
        u = next() / 2147483648 - 1;
        v = next() / 2147483648 - 1;
        q = u * u + v * v;
      } while (q >= 1 || q === 0);
      const f = Math.sqrt((-2 * Math.log(q)) / q) * std;
      out[i] = u * f;
      if (i + 1 < out.length) out[i + 1] = v * f;
    }
  };
}

/** One tensor's values: a constant (layer norms) or a fresh normal stream. */
export function makeTensor(job) {
  const out = new Float32Array(job.n);
  if (job.fill !== undefined) out.fill(job.fill);
  else normalStream(job.seed, job.name)(out, job.std);
  return out;
}
