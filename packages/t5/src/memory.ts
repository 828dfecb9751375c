// How much memory one prompt-tuning trial of a T5 needs on one engine (docs/memory.md): the frozen
// weights once (in the compute dtype), the activations the prompt step keeps for its backward pass,
// and the runtime (Node.js + onnxruntime, code, graphs). Used to route a model to a worker that can
// hold it and to refuse one that cannot before a trial starts, instead of dying of OOM halfway.
// Calibrated against `ptune bench memory` on random checkpoints of the real shapes (CPU EP, fp32,
// batch 1, input 128 + prompt 100, target 8; docs/memory.md has the table).
import type { T5Config } from "./config.ts";
import type { Precision } from "./model/t5.ts";
import { weightsOf } from "./model/weights.ts";

export interface TrialShape {
  batch: number;
  inputLen: number;
  promptLen: number;
  targetLen: number;
}

/** Node.js + onnxruntime + code before any weight is read (measured: 0.18-0.21 GiB). */
export const RUNTIME_BYTES = 0.2 * 2 ** 30;
/**
 * Measured activation peak / the activation count below x 4 bytes: onnxruntime's arena keeps the
 * forward values, their cotangents and its planning slack (2.1 at base, 2.1 at large).
 */
export const ACTIVATION_FACTOR = 2.15;

/** Bytes of the weights the graphs use, each tensor once, in its compute dtype. */
export function weightBytes(c: T5Config, precision: Precision): number {
  const elem = precision === "fp32" ? 4 : 2; // norms and bias tables stay float32 in half: < 0.1%
  return weightsOf(c).stored.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * elem, 0);
}

/**
 * Values one prompt step keeps per example for its backward pass: per encoder layer the residual
 * stream, norms, q/k/v/o, the attention scores and probabilities (H x S x S) and the FFN (d_ff);
 * per decoder layer the same over L positions plus the cross-attention over S; the logits thrice
 * (logits, log-softmax, its cotangent).
 */
export function activationCount(c: Pick<T5Config, "d_model" | "d_kv" | "num_heads" | "d_ff" | "num_layers" | "num_decoder_layers" | "vocab_size">, s: TrialShape): number {
  const S = s.promptLen + s.inputLen, L = s.targetLen, d = c.d_model, i = c.num_heads * c.d_kv, H = c.num_heads, f = c.d_ff;
  const enc = S * (6 * d + 4 * i + 3 * H * S + 6 * f);
  const dec = L * (10 * d + 6 * i + 3 * H * L + 3 * H * S + 6 * f) + 2 * S * i;
  return s.batch * (c.num_layers * enc + c.num_decoder_layers * dec + 3 * L * c.vocab_size);
}

export interface TrialMemory {
  weightBytes: number;
  activationBytes: number;
  runtimeBytes: number;
  /** the peak RSS to expect: weights + activations + runtime */
  totalBytes: number;
}

/** The peak memory of a prompt-tuning trial (train steps, rank scoring, greedy decoding) on one engine. */
export function estimateTrialMemory(c: T5Config, s: TrialShape, precision: Precision = "fp32"): TrialMemory {
  const w = weightBytes(c, precision);
  const a = ACTIVATION_FACTOR * activationCount(c, s) * (precision === "fp32" ? 4 : 3);
  return { weightBytes: w, activationBytes: a, runtimeBytes: RUNTIME_BYTES, totalBytes: w + a + RUNTIME_BYTES };
}
