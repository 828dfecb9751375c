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
import { weightsOf } from "../model/weights.ts";
import { crossKV, decoder, decoderStep, encoder, encoderInput, lmHead, type KV, type Precision, type WeightFn } from "../model/t5.ts";

/** The dtype attention keys/values come out in: the dtype of the projection weights. */
const kvDtype = (c: T5Config, W: WeightFn) => W(weightsOf(c).decoder.blocks[0].crossAttention.k.name).dtype;

export type PromptMode = "none" | "shared" | "perExample";
export type GraphKind =
  | "prompt-step" // loss, d loss / d prompt (prompt: shared)
  | "prompt-step-per-example" // lossSum[B], tokens[B], d sum_b w_b lossSum_b / d prompts (prompt: perExample)
  | "model-step" // loss, d loss / d every weight (weights: inputs, float32; prompt: none | shared)
  | "forward" // loss, logits, encoder output, per-example log p(target)
  | "score" // per-example sum log p(target)
  | "encode" // encoder output (greedy decoding, step 0)
  | "decode-step"; // one decoder position with a self-attention KV cache (greedy decoding)

/**
 * The one identity of a built graph: what it computes (kind, prompt mode), how the weights enter
 * (`frozen`: initializers in the graph file, pointing at external data; `inputs`: graph inputs the
 * engine binds once per engine or per tuned view), the precision of the weights inside, and the
 * static loss scale of the backward pass. `graphKey` is the session key and the cache file name.
 */
export interface GraphId {
  kind: GraphKind;
  prompt: PromptMode;
  weights: "frozen" | "inputs";
  precision: Precision;
  /** 1 unless the graph has a half-precision backward pass (fp16: FP16_LOSS_SCALE) */
  lossScale: number;
}

/** The prompt mode a kind fixes, if it fixes one. */
const FIXED_PROMPT: Partial<Record<GraphKind, PromptMode>> = { "prompt-step": "shared", "prompt-step-per-example": "perExample", "decode-step": "none" };

/** A graph identity with its defaults filled in and its invariants checked. */
export function graphId(kind: GraphKind, o: Partial<Omit<GraphId, "kind">> = {}): GraphId {
  const prompt = FIXED_PROMPT[kind] ?? o.prompt ?? "none";
  if (o.prompt && o.prompt !== prompt) throw new Error(`graph ${kind}: prompt mode is ${prompt}, not ${o.prompt}`);
  if (kind === "model-step" && prompt === "perExample") throw new Error("graph model-step: prompt mode is none or shared");
  const weights = kind === "model-step" ? "inputs" : (o.weights ?? "frozen");
  const precision = weights === "inputs" && kind === "model-step" ? "fp32" : (o.precision ?? "fp32");
  const backward = kind === "prompt-step" || kind === "prompt-step-per-example" || kind === "model-step";
  return { kind, prompt, weights, precision, lossScale: backward ? (o.lossScale ?? 1) : 1 };
}

/** e.g. "prompt-step.shared.frozen.fp16.ls1024", "score.none.inputs.fp32". */
export const graphKey = (id: GraphId): string => `${id.kind}.${id.prompt}.${id.weights}.${id.precision}${id.lossScale !== 1 ? `.ls${id.lossScale}` : ""}`;

/** Binds weight names to graph tensors; `tied` maps lm_head to shared.weight for v1.0. */
export type WeightBinder = (g: Graph) => WeightFn;

const B = "batch", T = "input_len", S = "enc_len", L = "target_len", P = "prompt_len";
/** The boundary and accumulation dtype. */
const F32 = "float32" as const;

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
  const enc = encoder(c, W, encoderInput(c, W, inputIds, prompt), mask, buckets, dtype);
  return { enc, mask, prompt };
}

function decoderPart(g: Graph, c: T5Config, W: WeightFn, enc: Tensor, mask: Tensor) {
  const decIds = g.input("decoder_input_ids", "int64", [B, L]);
  const buckets = g.input("dec_buckets", "int64", [L, L]);
  return decoder(c, W, decIds, buckets, enc, mask, F32);
}

/** Builds the graph `id` names; `bind` makes the weights initializers or inputs (in their stored dtypes). */
export function buildGraph(c: T5Config, spec: GraphId, bind: WeightBinder): Graph {
  const g = new Graph(`t5_${graphKey(spec)}`);
  const dtype = F32;
  // the static loss scale (fp16: small gradients in the half-precision branches would flush to
  // zero); the gradient is divided by it again in float32
  const scale = spec.lossScale;
  /** d objective / d wrt with the backward seeded by the loss scale, unscaled in float32. */
  const scaledGrad = (objective: Tensor, wrt: Tensor[]) => {
    if (scale === 1) return grad(objective, wrt);
    return grad(objective, wrt, g.scalar(objective.dtype, scale)).map((t) => ops.div(t, scale));
  };
  const W = bind(g);
  const mode = spec.prompt;

  if (spec.kind === "decode-step") {
    // the encoder output enters only through the cross keys/values the encode graph computed
    const mask = g.input("attention_mask", "int64", [B, S]);
    const ids = g.input("decoder_input_ids", "int64", [B, 1]);
    const buckets = g.input("dec_buckets", "int64", [1, "keys"]);
    const kvShape = (len: string) => [B, c.num_heads, len, c.d_kv];
    const cross: KV[] = [], past: KV[] = [];
    for (let i = 0; i < c.num_decoder_layers; i++) {
      cross.push({ k: g.input(`cross_k.${i}`, kvDtype(c, W), kvShape(S)), v: g.input(`cross_v.${i}`, kvDtype(c, W), kvShape(S)) });
      past.push({ k: g.input(`past_k.${i}`, kvDtype(c, W), kvShape("past")), v: g.input(`past_v.${i}`, kvDtype(c, W), kvShape("past")) });
    }
    const { h, present } = decoderStep(c, W, ids, buckets, cross, mask, past, F32);
    g.output(ops.argMax(lmHead(c, W, h), -1, false), "next_ids"); // (B, 1)
    present.forEach((kv, i) => {
      g.output(kv.k, `present_k.${i}`);
      g.output(kv.v, `present_v.${i}`);
    });
    return g;
  }
  const { enc, mask, prompt } = encoderPart(g, c, W, mode);
  if (spec.kind === "encode") {
    g.output(enc, "encoder_hidden");
    crossKV(c, W, enc).forEach((kv, i) => {
      g.output(kv.k, `cross_k.${i}`);
      g.output(kv.v, `cross_v.${i}`);
    });
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
