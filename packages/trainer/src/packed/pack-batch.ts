// One packed training step's host-side arithmetic: K trials' batches -> ONE batch of sum_k B_k rows
// with per-example prompts [N, Pmax, d] (each trial's prompt in the first P_k slots, mask 1 there),
// per-example loss weights, and the split of the engine's outputs back into each trial's mean loss
// and prompt gradient.
//
// Why this is exactly runTrial's gradient: runTrial's loss is the mean token cross-entropy over the
// trial's own non-ignored labels, L_k = (1/N_k) sum_{b in k} lossSum_b. The engine returns
// d(sum_b w_b lossSum_b)/d prompts_b per row; with w_b = 1/N_{k(b)}, summing trial k's rows (its real
// slots) gives dL_k/d prompt_k, and no row of trial j != k depends on prompt_k. Padding to the pack's
// longest input/target is neutral: padded keys are masked, padded labels are -100 (ignored), and
// masked prompt slots take no relative position (engine contract, docs/architecture.md).
import { buildBatch, type EncodedExample, type PadMode, type LengthLimits } from "../batching.ts";
import type { Batch } from "../engine-like.ts";

export interface PackMember {
  examples: EncodedExample[];
  prompt: Float32Array; // [len, d]
  len: number;
}

export interface PackedStep {
  batch: Batch;
  prompts: Float32Array; // [N, pmax, d]
  mask: Int32Array; // [N, pmax]
  pmax: number;
  weights: Float32Array; // [N], 1 / (target tokens of the row's trial)
  /** first row and row count of each member */
  rows: { start: number; count: number; tokens: number }[];
}

/** Non-ignored target tokens (labels != -100 after padding): an example's target incl. its eos. */
export function targetTokens(examples: readonly EncodedExample[]): number {
  return examples.reduce((s, e) => s + e.target.length, 0);
}

export function packStep(members: readonly PackMember[], d: number, opts: { pad: PadMode; limits: LengthLimits }): PackedStep {
  if (members.length === 0) throw new Error("packStep: no trials to pack");
  const pmax = Math.max(...members.map((m) => m.len));
  const rows: PackedStep["rows"] = [];
  const all: EncodedExample[] = [];
  for (const [k, m] of members.entries()) {
    if (m.examples.length === 0) throw new Error(`packStep: trial ${k} has an empty batch`);
    if (m.prompt.length !== m.len * d) throw new Error(`packStep: trial ${k} prompt has ${m.prompt.length} values, expected ${m.len} x d_model ${d}`);
    rows.push({ start: all.length, count: m.examples.length, tokens: targetTokens(m.examples) });
    all.push(...m.examples);
  }
  const batch = buildBatch(all, opts);
  const N = all.length;
  const prompts = new Float32Array(N * pmax * d);
  const mask = new Int32Array(N * pmax);
  const weights = new Float32Array(N);
  members.forEach((m, k) => {
    const { start, count, tokens } = rows[k];
    for (let r = start; r < start + count; r++) {
      prompts.set(m.prompt, r * pmax * d);
      mask.fill(1, r * pmax, r * pmax + m.len);
      weights[r] = 1 / tokens;
    }
  });
  return { batch, prompts, mask, pmax, weights, rows };
}

/**
 * Member k's mean loss and prompt gradient [len_k, d] from the engine's per-row outputs. Sums run
 * in float64 and round once (the single-trial graph sums in float32 in its own order: the two agree
 * to rounding, not bitwise).
 */
export function unpackStep(
  step: PackedStep,
  members: readonly Pick<PackMember, "len">[],
  d: number,
  out: { lossSum: Float32Array; gradPrompts: Float32Array },
): { loss: number; grad: Float32Array }[] {
  return members.map((m, k) => {
    const { start, count, tokens } = step.rows[k];
    const acc = new Float64Array(m.len * d);
    let loss = 0;
    for (let r = start; r < start + count; r++) {
      loss += out.lossSum[r];
      const base = r * step.pmax * d;
      for (let i = 0; i < acc.length; i++) acc[i] += out.gradPrompts[base + i];
    }
    return { loss: loss / tokens, grad: Float32Array.from(acc) };
  });
}
