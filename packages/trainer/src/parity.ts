// Adafactor parity against the golden files (fixtures/t5-golden, make_golden.py): three full
// prompt-tuning steps with the paper's settings — lr 0.3, weight decay 1e-5, no parameter scaling,
// no relative step, decay_rate -0.8, clip_threshold 1.0, no momentum — starting from `prompt`.
// Step 1 alone needs no engine: make_golden.py takes the first step from the same prompt, model
// and batch as `grad_prompt` (model.eval(), no dropout), so that gradient is `grad_prompt` up to
// float reordering between the two backward passes (measured ~1e-6 relative: the weights required
// grad in the first pass, not in the second). Steps 2 and 3 need the engine's gradients.
// `checkAdafactorParity` has @ptune/t5's ParityChecker signature: `ptune check-parity` passes it
// in `checkers` and its rows join checkParity's.
import { compareTensors, goldenInputs, readSafetensorsFile, type Golden, type ParityRow, type Tolerance } from "@ptune/t5";
import { Adafactor } from "./adafactor.ts";
import type { EngineLike } from "./engine-like.ts";

/** The golden Adafactor settings (golden-meta.json "adafactor"). */
export const GOLDEN_ADAFACTOR = { lr: 0.3, weightDecay: 1e-5, clipThreshold: 1.0, decayRate: -0.8 } as const;
export const ADAFACTOR_KEYS = ["adafactor_prompt_after_step1", "adafactor_prompt_after_step2", "adafactor_prompt_after_step3", "adafactor_losses"] as const;
const DEFAULT_TOL: Tolerance = { atol: 1e-4, rtol: 1e-3 }; // fixtures README: a sane fp32 start

function load(golden: string | Golden): Golden {
  return typeof golden === "string" ? readSafetensorsFile(golden) : golden;
}

function f32(g: Golden, key: string): Float32Array {
  const t = g.get(key);
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`golden file: missing float tensor '${key}'`);
  return t.data;
}

/** Step 1 from the golden gradient alone (no engine), compared with atol 1e-5. */
export function adafactorStep1FromGolden(golden: string | Golden): { got: Float32Array; row: ParityRow } {
  const g = load(golden);
  const prompt = f32(g, "prompt").slice();
  new Adafactor(GOLDEN_ADAFACTOR).step("prompt", prompt, f32(g, "grad_prompt"), g.get("prompt")!.shape);
  return { got: prompt, row: compareTensors("adafactor_prompt_after_step1 (golden grad)", prompt, f32(g, "adafactor_prompt_after_step1"), { atol: 1e-5, rtol: 0 }) };
}

/** Three Adafactor steps with the engine's prompt gradients vs the golden prompts and losses. */
export async function checkAdafactorParity(golden: string | Golden, engine: EngineLike, tol: Tolerance = DEFAULT_TOL): Promise<ParityRow[]> {
  const g = load(golden);
  if (!ADAFACTOR_KEYS.every((k) => g.has(k))) return ADAFACTOR_KEYS.map((key) => ({ key, maxAbs: NaN, maxRel: NaN, ok: true, skipped: "not in this golden file" }));
  const { batch, prompt: p0 } = goldenInputs(g);
  const prompt = p0.data.slice();
  const shape = [p0.len, prompt.length / p0.len];
  const opt = new Adafactor(GOLDEN_ADAFACTOR);
  const rows: ParityRow[] = [];
  const losses: number[] = [];
  for (let s = 1; s <= 3; s++) {
    const { loss, gradPrompt } = await engine.promptStep(batch, prompt, p0.len);
    losses.push(loss);
    opt.step("prompt", prompt, gradPrompt, shape);
    rows.push(compareTensors(`adafactor_prompt_after_step${s}`, prompt, f32(g, `adafactor_prompt_after_step${s}`), tol));
  }
  rows.push(compareTensors("adafactor_losses", losses, f32(g, "adafactor_losses"), tol));
  return rows;
}
