// The graphs a trainer needs, built from the model in ../model/t5.ts. Every graph uses symbolic
// batch / length / prompt dims so one onnxruntime session serves all shapes. Inputs (int64 ids,
// 0/1 masks, host-computed relative position buckets) are named the same in every graph:
//   input_ids (B, T), attention_mask (B, S) [S = prompt slots + T, prompt part first],
//   enc_buckets (S, S), or per example enc_positions (B, S) + enc_bucket_table (2S-1) (the buckets
//   are gathered on the device: a host (B, S, S) int64 matrix would cost 100 MB a step at K x 32
//   examples), decoder_input_ids / labels (B, L), dec_buckets (L, L),
//   prompt (P, d) | prompts (B, P, d), example_weights (B).
// Everything crossing the graph boundary is float32 (prompt, its gradient, losses, scores); the
// weights' stored dtype decides where half precision is used inside (model/t5.ts).
import { crossEntropy, grad, Graph, isFloat, ops, type Tensor } from "@ptune/onnx";
import type { T5Config } from "../config.ts";
import { decoder, encoder, encoderInput, lmHead, type WeightFn } from "../model/t5.ts";

export type PromptMode = "none" | "shared" | "perExample";
export type GraphSpec =
  | { kind: "prompt-step" } // loss, d loss / d prompt
  | { kind: "prompt-step-per-example" } // lossSum[B], tokens[B], d sum_b w_b lossSum_b / d prompts
  | { kind: "model-step"; prompt: boolean } // loss, d loss / d every weight (weights are inputs)
  | { kind: "forward"; prompt: PromptMode } // loss, logits, encoder output, per-example log p(target)
  | { kind: "score"; prompt: PromptMode } // per-example sum log p(target)
  | { kind: "encode"; prompt: PromptMode } // encoder output (greedy decoding, step 0)
  | { kind: "decode" }; // next token ids from the last decoder position (greedy decoding)

export const graphKey = (s: GraphSpec): string => ("prompt" in s ? `${s.kind}-${s.prompt}` : s.kind);

/** Binds weight names to graph tensors; `tied` maps lm_head to shared.weight for v1.0. */
export type WeightBinder = (g: Graph) => WeightFn;

const B = "batch", T = "input_len", S = "enc_len", L = "target_len", P = "prompt_len";
/** The boundary and accumulation dtype. */
const F32 = "float32" as const;

export interface BuildOptions {
  /**
   * Static loss scale for the backward pass (fp16: small gradients in the half-precision branches
   * would flush to zero); the prompt gradient is divided by it again in float32. Default 1.
   */
  lossScale?: number;
}

/**
 * Per-example relative position buckets (B, S, S): table[pos_k - pos_q], where a negative
 * distance indexes from the table's end (ONNX Gather: negative indices count from the back).
 */
function perExampleBuckets(g: Graph): Tensor {
  const pos = g.input("enc_positions", "int64", [B, S]);
  const table = g.input("enc_bucket_table", "int64", ["bucket_table_len"]);
  const rel = ops.sub(ops.unsqueeze(pos, [1]), ops.unsqueeze(pos, [2])); // (B, S, S): key - query
  return ops.gather(table, rel, 0);
}

function encoderPart(g: Graph, c: T5Config, W: WeightFn, mode: PromptMode) {
  const dtype = F32;
  const inputIds = g.input("input_ids", "int64", [B, T]);
  const mask = g.input("attention_mask", "int64", [B, S]);
  const buckets = mode === "perExample" ? perExampleBuckets(g) : g.input("enc_buckets", "int64", [S, S]);
  let prompt: Tensor | undefined;
  if (mode === "shared") prompt = g.input("prompt", dtype, [P, c.d_model]);
  if (mode === "perExample") prompt = g.input("prompts", dtype, [B, P, c.d_model]);
  const enc = encoder(c, W, encoderInput(W, inputIds, prompt), mask, buckets, dtype);
  return { enc, mask, prompt };
}

function decoderPart(g: Graph, c: T5Config, W: WeightFn, enc: Tensor, mask: Tensor) {
  const decIds = g.input("decoder_input_ids", "int64", [B, L]);
  const buckets = g.input("dec_buckets", "int64", [L, L]);
  return decoder(c, W, decIds, buckets, enc, mask, F32);
}

/** Builds the graph for `spec`; `bind` decides whether weights are initializers or inputs (and their dtypes). */
export function buildGraph(c: T5Config, spec: GraphSpec, bind: WeightBinder, opts: BuildOptions = {}): Graph {
  const g = new Graph(`t5_${graphKey(spec)}`);
  const dtype = F32;
  const scale = opts.lossScale ?? 1;
  /** d objective / d wrt with the backward seeded by the loss scale, unscaled in float32. */
  const scaledGrad = (objective: Tensor, wrt: Tensor[]) => {
    if (scale === 1) return grad(objective, wrt);
    return grad(objective, wrt, g.scalar(objective.dtype, scale)).map((t) => ops.div(t, scale));
  };
  const W = bind(g);
  const mode: PromptMode =
    spec.kind === "prompt-step" ? "shared" : spec.kind === "prompt-step-per-example" ? "perExample" : spec.kind === "model-step" ? (spec.prompt ? "shared" : "none") : "prompt" in spec ? spec.prompt : "none";

  if (spec.kind === "decode") {
    const enc = g.input("encoder_hidden", dtype, [B, S, c.d_model]);
    const mask = g.input("attention_mask", "int64", [B, S]);
    const h = decoderPart(g, c, W, enc, mask);
    const last = ops.slice(h, [-1], [2 ** 53], [1]); // (B, 1, d): only the newest position is needed
    g.output(ops.argMax(lmHead(c, W, last), -1, false), "next_ids"); // (B, 1)
    return g;
  }
  const { enc, mask, prompt } = encoderPart(g, c, W, mode);
  if (spec.kind === "encode") {
    g.output(enc, "encoder_hidden");
    return g;
  }
  const logits = lmHead(c, W, decoderPart(g, c, W, enc, mask)); // (B, L, V), float32
  const labels = g.input("labels", "int64", [B, L]);
  const { nll, valid, targetLogp } = crossEntropy(logits, labels, -100);
  const lossSum = ops.reduceSum(nll, [1], false); // (B)
  const tokens = ops.reduceSum(valid, [1], false); // (B)
  // the T5 loss: mean over every non-ignored label position of the batch
  const loss = ops.div(ops.reduceSum(lossSum, [0], false), ops.reduceSum(tokens, [0], false));

  switch (spec.kind) {
    case "prompt-step": {
      const [dp] = scaledGrad(loss, [prompt!]);
      g.output(loss, "loss");
      g.output(dp, "grad_prompt");
      return g;
    }
    case "prompt-step-per-example": {
      const weights = g.input("example_weights", dtype, [B]);
      const objective = ops.reduceSum(ops.mul(weights, lossSum), [0], false);
      const [dp] = scaledGrad(objective, [prompt!]);
      g.output(lossSum, "loss_sum");
      g.output(tokens, "tokens");
      g.output(dp, "grad_prompts");
      return g;
    }
    case "model-step": {
      const params = g.inputs.filter((t) => isFloat(t.dtype) && t !== prompt);
      const grads = scaledGrad(loss, params);
      g.output(loss, "loss");
      params.forEach((p, i) => g.output(grads[i], `grad.${p.name}`));
      return g;
    }
    case "forward":
      g.output(loss, "loss");
      g.output(logits, "logits");
      g.output(enc, "encoder_hidden");
      g.output(ops.reduceSum(targetLogp, [1], false), "score");
      return g;
    case "score":
      g.output(ops.reduceSum(targetLogp, [1], false), "score");
      return g;
  }
}
