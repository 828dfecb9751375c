// Half precision against float32 on the same batch: the loss and the prompt gradient of a
// prompt-tuning step, per-example scores and greedy ids, from two engines on one checkpoint.
// Used by the tests (CPU EP, fp16) and by `ptune bench gpu` (CUDA EP, fp16 and bf16).
import { mulberry32, normals } from "@ptune/onnx";
import { T5Engine, type Batch, type EngineOptions } from "../src/engine.ts";
import type { Precision } from "../src/model/t5.ts";

export interface PrecisionParity {
  dtype: Precision;
  loss32: number;
  loss: number;
  /** |loss - loss32| / |loss32| */
  lossRelErr: number;
  /** max |g - g32| */
  gradMaxAbs: number;
  /** max |g - g32| / max |g32| */
  gradMaxRel: number;
  /** ||g - g32|| / ||g32|| */
  gradRelL2: number;
  gradCosine: number;
  /** max |score - score32| (per-example sum log p(target), nats) */
  scoreMaxAbs: number;
  /** fraction of greedy ids equal to float32's */
  greedyAgreement: number;
}

/** A seeded batch of random ids (EOS-terminated inputs and labels) and a prompt of N(0, 0.5). */
export function randomBatch(vocab: number, d: number, s: { batch: number; inputLen: number; targetLen: number; promptLen: number }, seed = 42) {
  const { batch: B, inputLen: T, targetLen: L, promptLen: P } = s;
  const rand = mulberry32(seed);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? 1 : 3 + Math.floor(rand() * (vocab - 3))));
  const labels = Int32Array.from({ length: B * L }, (_, i) => (i % L === L - 1 ? 1 : 3 + Math.floor(rand() * Math.min(1000, vocab - 3))));
  const batch: Batch = { batchSize: B, inputLen: T, targetLen: L, inputIds: ids, attentionMask: new Int32Array(B * T).fill(1), labels };
  return { batch, prompt: { data: normals(P * d, rand, 0.5), len: P } };
}

export function compareGrads(g: Float32Array, ref: Float32Array) {
  let maxAbs = 0, maxRef = 0, diff2 = 0, ref2 = 0, dot = 0, g2 = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = g[i] - ref[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    diff2 += d * d;
    ref2 += ref[i] * ref[i];
    g2 += g[i] * g[i];
    dot += g[i] * ref[i];
  }
  if (g.some((v) => !Number.isFinite(v))) return { maxAbs: NaN, maxRel: NaN, relL2: NaN, cosine: NaN };
  return { maxAbs, maxRel: maxAbs / maxRef, relL2: Math.sqrt(diff2 / ref2), cosine: dot / Math.sqrt(ref2 * g2) };
}

/** Opens `modelDir` in float32 and in `dtype` with the same options and compares them on one batch. */
export async function precisionParity(
  modelDir: string,
  dtype: Precision,
  opts: Omit<EngineOptions, "dtype"> & { shape?: { batch: number; inputLen: number; targetLen: number; promptLen: number }; seed?: number; decodeTokens?: number } = {},
): Promise<PrecisionParity> {
  const { shape = { batch: 4, inputLen: 32, targetLen: 8, promptLen: 10 }, seed = 42, decodeTokens = 6, ...engineOpts } = opts;
  const ref = await T5Engine.open(modelDir, { ...engineOpts, dtype: "fp32" });
  const half = await T5Engine.open(modelDir, { ...engineOpts, dtype });
  try {
    const { batch, prompt } = randomBatch(ref.config.vocab_size, ref.config.d_model, shape, seed);
    const a = await ref.promptStep(batch, prompt.data, prompt.len);
    const b = await half.promptStep(batch, prompt.data, prompt.len);
    const g = compareGrads(b.gradPrompt, a.gradPrompt);
    const [sa, sb] = [await ref.score(batch, prompt), await half.score(batch, prompt)];
    const [ga, gb] = [await ref.greedy(batch, decodeTokens, prompt, { stopAtEos: false }), await half.greedy(batch, decodeTokens, prompt, { stopAtEos: false })];
    const same = ga.flat().filter((t, i) => gb.flat()[i] === t).length;
    return {
      dtype,
      loss32: a.loss,
      loss: b.loss,
      lossRelErr: Math.abs(b.loss - a.loss) / Math.abs(a.loss),
      gradMaxAbs: g.maxAbs,
      gradMaxRel: g.maxRel,
      gradRelL2: g.relL2,
      gradCosine: g.cosine,
      scoreMaxAbs: Math.max(...Array.from(sa, (v, i) => Math.abs(v - sb[i]))),
      greedyAgreement: same / ga.flat().length,
    };
  } finally {
    await ref.close();
    await half.close();
  }
}
