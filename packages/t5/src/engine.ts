// T5Engine: the trainer's view of a frozen (or tuned) T5 — prompt-tuning steps, model-tuning
// steps, scoring and greedy decoding — over cached ONNX graphs and onnxruntime sessions that are
// created once per graph kind and reused for every shape (contract: docs/architecture.md).
import path from "node:path";
import { z } from "zod";
import { createSession, ort, toOrt, type Session } from "@ptune/onnx";
import { openCheckpoint, type Checkpoint } from "./checkpoint/checkpoint.ts";
import { fromFloat32 } from "./checkpoint/dtype.ts";
import type { T5Config } from "./config.ts";
import { graphId, graphKey, type GraphId, type GraphKind, type PromptMode } from "./graphs/build.ts";
import { bindWeights, cacheRoot, ensureGraph, ensureWeightsIndex, weightTable, type WeightTable } from "./graphs/cache.ts";
import { storedDtype, type Precision } from "./model/t5.ts";
import { roleOf } from "./model/weights.ts";
import { relativePositionBucket } from "./relative-position.ts";
import { BatchError, encoderFeeds, labelFeeds, validateBatch, validateEncoder, type Batch, type EncoderBatch } from "./graphs/feeds.ts";

export type { Batch, EncoderBatch } from "./graphs/feeds.ts";
export { BatchError } from "./graphs/feeds.ts";

export interface EngineOptions {
  device?: "cpu" | "cuda";
  /** CUDA device ordinal (default 0) */
  deviceId?: number;
  cacheDir?: string;
  threads?: number;
  /**
   * Precision of the frozen-weight graphs (prompt steps, scoring, decoding): fp16 / bf16 store
   * the weight matrices in half and multiply in half, with float32 residual stream, norms,
   * softmax, logits and loss (model/t5.ts). Model tuning (modelStep, withWeights views) is float32.
   */
  dtype?: Precision;
  /** Static loss scale of the half-precision backward pass (default: 1024 for fp16, 1 otherwise). */
  lossScale?: number;
  /**
   * How the frozen weights enter the graphs (docs/memory.md): "inputs" (default on the CPU EP: one
   * host copy bound to every session) or "frozen" (default on CUDA: initializers in each session,
   * external data pointing at the checkpoint's bytes; on the CPU EP one prepacked copy per session).
   */
  weightBinding?: "inputs" | "frozen";
}
const optionsSchema = z.object({
  device: z.enum(["cpu", "cuda"]).optional(),
  deviceId: z.number().int().nonnegative().optional(),
  cacheDir: z.string().min(1).optional(),
  threads: z.number().int().positive().optional(),
  dtype: z.enum(["fp32", "fp16", "bf16"]).optional(),
  lossScale: z.number().positive().optional(),
  weightBinding: z.enum(["inputs", "frozen"]).optional(),
});

/** fp16's default loss scale: gradients of ~1e-6 flush to zero in fp16 (smallest normal 6e-5). */
export const FP16_LOSS_SCALE = 1024;

export type SharedPrompt = { data: Float32Array; len: number };
export type PerExamplePrompt = { perExample: Float32Array; mask: Int32Array; pmax: number };
export type GreedyOptions = { stopAtEos?: boolean };
export interface ForwardResult { loss: number; logits: Float32Array; encoderHidden: Float32Array; score: Float32Array }

/** Evaluation on tuned weights whose lifetime is one trial (T5Engine.withWeights). */
export interface TunedView {
  score(batch: Batch, prompt?: SharedPrompt | PerExamplePrompt): Promise<Float32Array>;
  forward(batch: Batch, prompt?: SharedPrompt | PerExamplePrompt): Promise<ForwardResult>;
  greedy(batch: EncoderBatch, maxNewTokens: number, prompt?: SharedPrompt | PerExamplePrompt, opts?: GreedyOptions): Promise<number[][]>;
  /** drops the view's references to the weights; later calls throw */
  close(): void;
}

/**
 * Memory (docs/memory.md): the frozen weights live ONCE per engine whatever the number of graph
 * kinds. On the CPU EP every graph takes the weights as inputs and the engine binds the same
 * ort.Tensors (one host buffer per tensor, no prepacked or constant-folded copies) to every
 * session; on the CUDA EP (onnxruntime-node has no device-resident feeds) frozen graphs keep them
 * as initializers whose external data is the checkpoint's own safetensors bytes.
 */
export class T5Engine {
  private readonly sessions = new Map<string, Promise<Session>>();
  private table?: WeightTable;
  /** frozen weights in their stored dtype, bound to every session that takes weights as inputs */
  private readonly frozen = new Map<string, ort.Tensor>();
  /** float32 checkpoint values for float32 graphs when the frozen ones are another dtype or initializers */
  private readonly fp32 = new Map<string, Float32Array>();
  private shared?: Float32Array;
  readonly precision: Precision;

  private constructor(
    readonly config: T5Config,
    readonly checkpointId: string,
    readonly cacheDir: string,
    private readonly ckpt: Checkpoint,
    private readonly opts: EngineOptions,
  ) {
    this.precision = opts.dtype ?? "fp32";
  }

  static async open(modelDir: string, options: EngineOptions = {}): Promise<T5Engine> {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`T5Engine.open: option '${issue.path.join(".")}': ${issue.message}`);
    }
    const opts = parsed.data;
    if (opts.weightBinding === "inputs" && opts.device === "cuda") {
      throw new Error("T5Engine.open: weightBinding 'inputs' needs the CPU EP (onnxruntime-node copies every input to the GPU on every run); use 'frozen' on CUDA");
    }
    if (opts.dtype === "bf16" && opts.device !== "cuda") {
      throw new Error("T5Engine.open: dtype 'bf16' needs device 'cuda' (onnxruntime's CPU execution provider has no bfloat16 MatMul); use 'fp32' or 'fp16' on the CPU");
    }
    const ckpt = openCheckpoint(modelDir);
    const id = ckpt.contentHash;
    const dir = path.join(cacheRoot(opts.cacheDir), "t5", id.slice(0, 32));
    return new T5Engine(ckpt.config, id, dir, ckpt, opts);
  }

  /** shared.weight [vocab, d_model] (read once). */
  embeddings(): Float32Array {
    return (this.shared ??= this.fp32Weight("shared.weight"));
  }

  /** How the frozen weights enter the graphs on this engine's device. */
  private get frozenWeights(): GraphId["weights"] {
    return this.opts.weightBinding ?? (this.opts.device === "cuda" ? "frozen" : "inputs");
  }

  /**
   * The identity of the graph `kind` for a call: frozen-weight graphs in the engine's precision
   * (and, with a half-precision backward pass, its loss scale); model steps and the graphs of a
   * `withWeights` view take float32 weights as inputs.
   */
  private graph(kind: GraphKind, prompt?: PromptMode, tuned = false): GraphId {
    if (kind === "model-step" || tuned) return graphId(kind, { prompt, weights: "inputs", precision: "fp32" });
    const lossScale = this.opts.lossScale ?? (this.precision === "fp16" ? FP16_LOSS_SCALE : 1);
    return graphId(kind, { prompt, weights: this.frozenWeights, precision: this.precision, lossScale });
  }

  /** The session of graph `id`, created once per engine (sessions hold no trial state). */
  private session(id: GraphId): Promise<Session> {
    const key = graphKey(id);
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const table = (this.table ??= weightTable(this.ckpt));
        const index = id.weights === "frozen" ? ensureWeightsIndex(this.ckpt, table, this.cacheDir, id.precision) : undefined;
        const file = ensureGraph(this.cacheDir, this.config, id, bindWeights(table, id.precision, index));
        return createSession(file, { device: this.opts.device, deviceId: this.opts.deviceId, threads: this.opts.threads });
      })();
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  /** The frozen weight `name` (canonical) in its stored dtype, read once and shared by every session. */
  private frozenTensor(name: string): ort.Tensor {
    let t = this.frozen.get(name);
    if (!t) {
      const shape = this.ckpt.info(name).shape;
      const dtype = storedDtype(roleOf(this.config, name), this.precision);
      if (dtype === "float32") t = new ort.Tensor("float32", this.ckpt.read(name), shape);
      else if (dtype === "float16") {
        const bytes = this.ckpt.info(name).dtype === "F16" ? this.ckpt.readRaw(name).slice() : fromFloat32("F16", this.ckpt.read(name));
        t = new ort.Tensor("float16", new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2), shape);
      } else throw new Error(`T5Engine: weights stored as ${dtype} cannot be graph inputs on ${this.opts.device ?? "cpu"}`);
      this.frozen.set(name, t);
    }
    return t;
  }

  /** float32 values of a checkpoint weight: the frozen tensor itself when that is float32 (no second copy). */
  private fp32Weight(name: string): Float32Array {
    if (this.frozenWeights === "inputs" && storedDtype(roleOf(this.config, name), this.precision) === "float32") return this.frozenTensor(name).data as Float32Array;
    let v = this.fp32.get(name);
    if (!v) this.fp32.set(name, (v = this.ckpt.read(name)));
    return v;
  }

  /**
   * `have` plus the session's weight inputs: from `tuned` when it has the name, else the frozen
   * tensors (a graph in the engine's precision) or the checkpoint's float32 values (float32 graphs).
   */
  private weightFeeds(session: Session, id: GraphId, have: Record<string, ort.Tensor>, tuned?: Map<string, Float32Array>): Record<string, ort.Tensor> {
    const all = { ...have };
    for (const name of session.inputNames) {
      if (name in all) continue;
      const t = tuned?.get(name);
      if (t) all[name] = toOrt("float32", this.ckpt.info(name).shape, t);
      else if (id.precision === this.precision && id.weights === "inputs" && this.frozenWeights === "inputs") all[name] = this.frozenTensor(name);
      else all[name] = toOrt("float32", this.ckpt.info(name).shape, this.fp32Weight(name));
    }
    return all;
  }

  /** Runs graph `id` with `feeds` plus its weights. */
  private async run(id: GraphId, feeds: Record<string, ort.Tensor>, tuned?: Map<string, Float32Array>): Promise<Record<string, ort.Tensor>> {
    const session = await this.session(id);
    return session.run(this.weightFeeds(session, id, feeds, tuned));
  }

  private promptFeed(p: SharedPrompt): ort.Tensor {
    const d = this.config.d_model;
    if (!Number.isInteger(p.len) || p.len < 1) throw new BatchError(`prompt: len must be a positive integer, got ${p.len}`);
    if (p.data.length !== p.len * d) throw new BatchError(`prompt: ${p.data.length} values, expected len x d_model = ${p.len} x ${d}`);
    return toOrt("float32", [p.len, d], p.data);
  }

  private perExampleFeeds(b: EncoderBatch, p: PerExamplePrompt) {
    const d = this.config.d_model;
    if (p.perExample.length !== b.batchSize * p.pmax * d) throw new BatchError(`prompts: ${p.perExample.length} values, expected batchSize x pmax x d_model = ${b.batchSize} x ${p.pmax} x ${d}`);
    if (p.mask.length !== b.batchSize * p.pmax) throw new BatchError(`promptMask: ${p.mask.length} values, expected batchSize x pmax = ${b.batchSize} x ${p.pmax}`);
    return { ...encoderFeeds(this.config, b, { mask: p.mask, pmax: p.pmax }), prompts: toOrt("float32", [b.batchSize, p.pmax, d], p.perExample) };
  }

  private encoderInputs(b: EncoderBatch, prompt?: SharedPrompt | PerExamplePrompt): { mode: PromptMode; feeds: Record<string, ort.Tensor> } {
    if (!prompt) return { mode: "none", feeds: encoderFeeds(this.config, b) };
    if ("perExample" in prompt) return { mode: "perExample", feeds: this.perExampleFeeds(b, prompt) };
    return { mode: "shared", feeds: { ...encoderFeeds(this.config, b, { len: prompt.len }), prompt: this.promptFeed(prompt) } };
  }

  /** Mean token loss with `prompt` [P, d] prepended, and its gradient with respect to the prompt. */
  async promptStep(batch: Batch, prompt: Float32Array, promptLen: number): Promise<{ loss: number; gradPrompt: Float32Array }> {
    validateBatch(batch);
    const { feeds } = this.encoderInputs(batch, { data: prompt, len: promptLen });
    const out = await this.run(this.graph("prompt-step"), { ...feeds, ...labelFeeds(this.config, batch) });
    return { loss: (out.loss.data as Float32Array)[0], gradPrompt: out.grad_prompt.data as Float32Array };
  }

  /** Per-example prompts [B, Pmax, d] (promptMask 1 = real slot): lossSum[B], tokens[B], d sum_b w_b lossSum_b / d prompts. */
  async promptStepPerExample(batch: Batch, prompts: Float32Array, promptMask: Int32Array, pmax: number, weights: Float32Array): Promise<{ lossSum: Float32Array; tokens: Float32Array; gradPrompts: Float32Array }> {
    validateBatch(batch);
    if (weights.length !== batch.batchSize) throw new BatchError(`weights: ${weights.length} values, expected batchSize ${batch.batchSize}`);
    const feeds = this.perExampleFeeds(batch, { perExample: prompts, mask: promptMask, pmax });
    const out = await this.run(this.graph("prompt-step-per-example"), {
      ...feeds,
      ...labelFeeds(this.config, batch),
      example_weights: toOrt("float32", [batch.batchSize], weights),
    });
    return { lossSum: out.loss_sum.data as Float32Array, tokens: out.tokens.data as Float32Array, gradPrompts: out.grad_prompts.data as Float32Array };
  }

  /** Loss and the gradient of every weight (Hugging Face names; tied lm_head folds into shared.weight). */
  async modelStep(batch: Batch, weights?: Map<string, Float32Array>, prompt?: SharedPrompt): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    validateBatch(batch);
    const { mode, feeds } = this.encoderInputs(batch, prompt);
    const out = await this.run(this.graph("model-step", mode), { ...feeds, ...labelFeeds(this.config, batch) }, weights);
    const grads = new Map<string, Float32Array>();
    for (const n of Object.keys(out)) if (n.startsWith("grad.")) grads.set(n.slice(5), out[n].data as Float32Array);
    return { loss: (out.loss.data as Float32Array)[0], grads };
  }

  /**
   * A view of this engine whose score / forward / greedy use `weights` (stored tensor names; the
   * rest stay the checkpoint's): model tuning is evaluated on the tuned model. The arrays are read
   * at each call, not copied, so the view follows in-place optimizer updates. The engine itself
   * never sees them: its own methods and every other view keep the frozen checkpoint weights, and
   * `close()` drops the view's references (one view per trial; issue #9).
   */
  withWeights(weights: Map<string, Float32Array>): TunedView {
    for (const [name, data] of weights) {
      if (!this.ckpt.has(name)) throw new Error(`T5Engine.withWeights: '${name}' is not a tensor of the checkpoint ${this.checkpointId.slice(0, 12)}`);
      const shape = this.ckpt.info(name).shape;
      const n = shape.reduce((a, b) => a * b, 1);
      if (data.length !== n) throw new Error(`T5Engine.withWeights: '${name}' has ${data.length} values, expected ${n} ([${shape.join(", ")}])`);
    }
    let held: Map<string, Float32Array> | undefined = weights;
    const live = (): Map<string, Float32Array> => {
      if (!held) throw new Error("T5Engine.withWeights: this view was closed (its trial ended)");
      return held;
    };
    return {
      score: async (batch, prompt) => this.scoreWith(batch, prompt, live()),
      forward: async (batch, prompt) => this.forwardWith(batch, prompt, live()),
      greedy: async (batch, maxNewTokens, prompt, opts) => this.greedyWith(batch, maxNewTokens, prompt, opts, live()),
      close: () => {
        held = undefined;
      },
    };
  }

  /** Per-example sum of log p(target token) over non-ignored label positions (rank classification). */
  score(batch: Batch, prompt?: SharedPrompt | PerExamplePrompt): Promise<Float32Array> {
    return this.scoreWith(batch, prompt);
  }

  private async scoreWith(batch: Batch, prompt?: SharedPrompt | PerExamplePrompt, tuned?: Map<string, Float32Array>): Promise<Float32Array> {
    validateBatch(batch);
    const { mode, feeds } = this.encoderInputs(batch, prompt);
    const out = await this.run(this.graph("score", mode, !!tuned), { ...feeds, ...labelFeeds(this.config, batch) }, tuned);
    return out.score.data as Float32Array;
  }

  /** Loss, logits [B, L, V], encoder output [B, S, d] and scores in one pass (parity checks, evaluation). */
  forward(batch: Batch, prompt?: SharedPrompt | PerExamplePrompt): Promise<ForwardResult> {
    return this.forwardWith(batch, prompt);
  }

  private async forwardWith(batch: Batch, prompt?: SharedPrompt | PerExamplePrompt, tuned?: Map<string, Float32Array>): Promise<ForwardResult> {
    validateBatch(batch);
    const { mode, feeds } = this.encoderInputs(batch, prompt);
    const out = await this.run(this.graph("forward", mode, !!tuned), { ...feeds, ...labelFeeds(this.config, batch) }, tuned);
    return {
      loss: (out.loss.data as Float32Array)[0],
      logits: out.logits.data as Float32Array,
      encoderHidden: out.encoder_hidden.data as Float32Array,
      score: out.score.data as Float32Array,
    };
  }

  /**
   * Greedy decoding from the start token: the encoder runs once, then the decoder once per new token.
   * Each example's ids stop after its first EOS (kept) or at maxNewTokens; `stopAtEos: false`
   * always produces maxNewTokens ids (as the golden reference does).
   */
  greedy(batch: EncoderBatch, maxNewTokens: number, prompt?: SharedPrompt | PerExamplePrompt, opts: GreedyOptions = {}): Promise<number[][]> {
    return this.greedyWith(batch, maxNewTokens, prompt, opts);
  }

  private async greedyWith(
    batch: EncoderBatch,
    maxNewTokens: number,
    prompt: SharedPrompt | PerExamplePrompt | undefined,
    opts: GreedyOptions = {},
    tuned?: Map<string, Float32Array>,
  ): Promise<number[][]> {
    validateEncoder(batch);
    const stopAtEos = opts.stopAtEos ?? true;
    const B = batch.batchSize;
    const { mode, feeds } = this.encoderInputs(batch, prompt);
    // the encoder and every block's cross-attention keys/values once; then one decoder position
    // per token, feeding back the self-attention keys/values of the earlier positions (KV cache)
    const enc = await this.run(this.graph("encode", mode, !!tuned), feeds, tuned);
    const c = this.config;
    const cache: Record<string, ort.Tensor> = {};
    const kv = enc["cross_k.0"];
    const none = kv.type === "float16" ? new Uint16Array(0) : new Float32Array(0);
    for (let i = 0; i < c.num_decoder_layers; i++) {
      cache[`cross_k.${i}`] = enc[`cross_k.${i}`];
      cache[`cross_v.${i}`] = enc[`cross_v.${i}`];
      cache[`past_k.${i}`] = new ort.Tensor(kv.type as "float32", none as Float32Array, [B, c.num_heads, 0, c.d_kv]);
      cache[`past_v.${i}`] = cache[`past_k.${i}`];
    }
    const stepId = this.graph("decode-step", undefined, !!tuned);
    const seqs: number[][] = Array.from({ length: B }, () => [c.decoder_start_token_id]);
    const done = new Array<boolean>(B).fill(false);
    for (let step = 0; step < maxNewTokens && !(stopAtEos && done.every(Boolean)); step++) {
      const ids = Int32Array.from(seqs, (s) => s[step]);
      // buckets of query position `step` against keys 0..step (decoder: unidirectional)
      const buckets = Int32Array.from({ length: step + 1 }, (_, k) => relativePositionBucket(k - step, false, c.relative_attention_num_buckets, c.relative_attention_max_distance));
      const out = await this.run(stepId, {
        ...cache,
        attention_mask: feeds.attention_mask,
        decoder_input_ids: toOrt("int64", [B, 1], ids),
        dec_buckets: toOrt("int64", [1, step + 1], buckets),
      }, tuned);
      for (let i = 0; i < c.num_decoder_layers; i++) {
        cache[`past_k.${i}`] = out[`present_k.${i}`];
        cache[`past_v.${i}`] = out[`present_v.${i}`];
      }
      const next = out.next_ids.data as BigInt64Array;
      for (let i = 0; i < B; i++) {
        const t = done[i] && stopAtEos ? c.pad_token_id : Number(next[i]);
        seqs[i].push(t);
        if (t === c.eos_token_id) done[i] = true;
      }
    }
    return seqs.map((s) => {
      const out = s.slice(1);
      const eos = out.indexOf(this.config.eos_token_id);
      return stopAtEos && eos >= 0 ? out.slice(0, eos + 1) : out;
    });
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await (await s.catch(() => null))?.close();
    this.sessions.clear();
    this.ckpt.close();
  }
}
