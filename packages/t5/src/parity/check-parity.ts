// Parity against golden tensors from PyTorch + transformers (fixtures/t5-golden/make_golden.py):
// the inputs (prompt, input_ids, attention_mask, labels) come from the golden file itself, every
// key we know how to compute is recomputed with T5Engine and compared elementwise with
// numpy.allclose semantics (|got - want| <= atol + rtol * |want|). Unknown keys are reported as
// skipped; other packages add checkers for theirs (the trainer's adafactor_* keys).
import { asInt32, readSafetensorsFile, type LoadedTensor } from "../checkpoint/safetensors.ts";
import { T5Engine, type Batch, type EngineOptions } from "../engine.ts";
import { weightsOf } from "../model/weights.ts";

export interface ParityRow {
  key: string;
  maxAbs: number;
  maxRel: number;
  ok: boolean;
  /** why the key was not checked (then ok is true and the errors are NaN) */
  skipped?: string;
}
export interface Tolerance {
  atol: number;
  rtol: number;
}
export type Golden = Map<string, LoadedTensor>;
export type ParityChecker = (golden: Golden, engine: T5Engine, tol: Tolerance) => Promise<ParityRow[]> | ParityRow[];

/** Elementwise comparison; maxRel divides by max(|want|, atol) so near-zero references do not explode. */
export function compareTensors(key: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): ParityRow {
  if (got.length !== want.length) return { key, maxAbs: Infinity, maxRel: Infinity, ok: false };
  let maxAbs = 0;
  let maxRel = 0;
  let ok = true;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= tol.atol + tol.rtol * Math.abs(want[i]))) ok = false; // NaN fails too
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? NaN : d;
    if (d > 0) maxRel = Math.max(maxRel, d / Math.max(Math.abs(want[i]), tol.atol, Number.MIN_VALUE));
  }
  return { key, maxAbs, maxRel, ok };
}

const floats = (t: LoadedTensor) => t.data as Float32Array;

/** The golden batch and prompt, whatever their shapes. */
export function goldenInputs(golden: Golden): { batch: Batch; prompt: { data: Float32Array; len: number } } {
  const need = (k: string) => {
    const t = golden.get(k);
    if (!t) throw new Error(`golden file: missing input tensor '${k}'`);
    return t;
  };
  const ids = need("input_ids");
  const labels = need("labels");
  const prompt = need("prompt");
  const [B, T] = ids.shape;
  return {
    batch: {
      batchSize: B,
      inputLen: T,
      targetLen: labels.shape[1],
      inputIds: asInt32(ids, "input_ids"),
      attentionMask: asInt32(need("attention_mask"), "attention_mask"),
      labels: asInt32(labels, "labels"),
    },
    prompt: { data: floats(prompt), len: prompt.shape[0] },
  };
}

/** Recomputes every known golden key; returns one row per key in the golden file (inputs excluded). */
export async function checkParity(
  modelDir: string,
  goldenPath: string,
  opts: Partial<Tolerance> & { engine?: EngineOptions; checkers?: ParityChecker[] } = {},
): Promise<ParityRow[]> {
  const tol: Tolerance = { atol: opts.atol ?? 1e-4, rtol: opts.rtol ?? 1e-3 };
  const golden = readSafetensorsFile(goldenPath);
  const engine = await T5Engine.open(modelDir, opts.engine);
  try {
    const rows = new Map<string, ParityRow>();
    const { batch, prompt } = goldenInputs(golden);
    const c = engine.config;
    const want = (k: string) => golden.get(k);
    const put = (key: string, got: ArrayLike<number>) => {
      const w = want(key);
      if (w) rows.set(key, compareTensors(key, got, floats(w), tol));
    };

    const fwd = await engine.forward(batch, prompt);
    put("loss", [fwd.loss]);
    put("logits", fwd.logits);
    put("encoder_last_hidden_state", fwd.encoderHidden);
    if (want("per_example_logprob")) put("per_example_logprob", await engine.score(batch, prompt));
    if (want("grad_prompt")) put("grad_prompt", (await engine.promptStep(batch, prompt.data, prompt.len)).gradPrompt);
    if (want("loss_no_prompt")) put("loss_no_prompt", [(await engine.forward(batch)).loss]);

    const t = weightsOf(c);
    const gradKeys: Record<string, string> = {
      grad_shared: t.shared.name,
      grad_enc0_q: t.encoder.blocks[0].selfAttention.q.name,
      grad_dec_last_ff: t.decoder.blocks[c.num_decoder_layers - 1].ffn.wo.name,
      grad_lm_head: "lm_head.weight", // untied (v1.1) only: a tied head's gradient is folded into shared.weight
    };
    if (Object.keys(gradKeys).some((k) => want(k))) {
      const { grads } = await engine.modelStep(batch, undefined, prompt);
      for (const [key, name] of Object.entries(gradKeys)) {
        const g = grads.get(name);
        if (want(key)) {
          if (g) put(key, g);
          else rows.set(key, { key, maxAbs: NaN, maxRel: NaN, ok: false, skipped: `no gradient for ${name}` });
        }
      }
    }
    const greedy = want("greedy_ids");
    if (greedy) {
      // golden: start token + N greedy steps, no stopping at EOS
      const steps = greedy.shape[1] - 1;
      const got = await engine.greedy(batch, steps, prompt, { stopAtEos: false });
      const flat = got.flatMap((s) => [c.decoder_start_token_id, ...s]);
      rows.set("greedy_ids", compareTensors("greedy_ids", flat, Array.from(asInt32(greedy)), { atol: 0, rtol: 0 }));
    }
    for (const check of opts.checkers ?? []) for (const r of await check(golden, engine, tol)) rows.set(r.key, r);

    const inputs = new Set(["input_ids", "attention_mask", "labels", "decoder_input_ids", "prompt"]);
    return [...golden.keys()]
      .filter((k) => !inputs.has(k))
      .map((k) => rows.get(k) ?? { key: k, maxAbs: NaN, maxRel: NaN, ok: true, skipped: "not computed by @ptune/t5 (add a checker)" });
  } finally {
    await engine.close();
  }
}
