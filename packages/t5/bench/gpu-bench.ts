// `ptune bench gpu`: prompt-tuning step time of T5 v1.1 shapes (random weights written on the
// machine by initRandomT5 and read back through our own loader) at the PEFT anchor's shapes
// (batch 32, 128 input + 100 prompt tokens, 8 target tokens), in float32 and half precision, and
// trials/hour when K trials are packed into one step (engine.promptStepPerExample with K x B
// examples), each printed next to Hugging Face PEFT on the same kind of card (peft-anchors.json,
// or a fresh peft_bench.py run) and the ratio. Half precision is also compared with float32 on the
// same batch (loss, prompt gradient): the parity figures of the card itself.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { mulberry32, normals } from "@ptune/onnx";
import { T5Engine, type Batch } from "../src/engine.ts";
import { cacheRoot } from "../src/graphs/cache.ts";
import type { Precision } from "../src/model/t5.ts";
import { initRandomT5, T5_PRESETS } from "../src/random-init.ts";
import anchorsJson from "./peft-anchors.json" with { type: "json" };
import { compareGrads, randomBatch } from "./precision-parity.ts";
import type { BenchShape } from "./engine-bench.ts";
import { activationCount } from "../src/memory.ts";

export const PEFT_SHAPE: BenchShape = { batch: 32, inputLen: 128, targetLen: 8, promptLen: 100 };
/** The paper's steps per trial (Lester et al. 2021, §3: 30,000 steps). */
export const PAPER_TRIAL_STEPS = 30_000;

export interface GpuBenchOptions {
  sizes: string[]; // T5_PRESETS keys
  dtypes: Precision[];
  ks: number[];
  steps: number;
  warmup?: number;
  device: "cpu" | "cuda";
  deviceId?: number;
  threads?: number;
  shape?: BenchShape;
  trialSteps?: number;
  cacheDir?: string;
  /** "h100" | "h200" | a peft_bench.py output file; default: from nvidia-smi's GPU name */
  anchor?: string;
  /** skip K whose estimated activation memory exceeds this (GiB; default 70 on CUDA, none on CPU) */
  memoryBudgetGiB?: number;
  /** stop starting new sizes / dtypes after this many seconds */
  budgetSeconds?: number;
  /** "size:dtype" pairs not to run (e.g. "xl:fp32": PEFT has no fp32 xl figure and it is slow) */
  skip?: string[];
  log?: (line: string) => void;
  /** called with the results so far after every measurement (a run cut short keeps what it had) */
  onProgress?: (partial: GpuBenchResult) => void;
}

export interface Anchor {
  card: string;
  source: string;
  msPerStep: Record<string, Record<string, number>>; // size -> prec -> ms
}

export interface PackedRow {
  k: number;
  examples: number;
  msPerStep?: number;
  trialStepsPerSec?: number;
  trialsPerHour?: number;
  /** ours / PEFT trials per hour (PEFT: one trial per step of its own) */
  ratio?: number;
  skipped?: string;
}
export interface GpuBenchRow {
  size: string;
  dtype: Precision;
  params: number;
  firstStepMs?: number; // graph build (or cache) + session creation + first run
  msPerStep?: number; // shared-prompt step, median
  examplesPerSec?: number;
  loss?: number;
  anchor?: { prec: string; msPerStep: number; card: string };
  /** PEFT ms / ours ms: above 1 we are faster */
  speedup?: number;
  packed: PackedRow[];
  /** half vs float32 on the same batch (present when fp32 ran first for this size) */
  parity?: { lossRelErr: number; gradMaxRel: number; gradRelL2: number; gradCosine: number };
  skipped?: string;
  error?: string;
}
export interface GpuBenchResult {
  device: string;
  gpu?: string;
  shape: BenchShape;
  trialSteps: number;
  anchor?: { card: string; source: string };
  rows: GpuBenchRow[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function gpuName(): string | undefined {
  try {
    return execFileSync("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"], { encoding: "utf8", timeout: 10_000 }).split("\n")[0].trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The PEFT anchor: a fresh peft_bench.py JSON, or the stored figures of the named / detected card. */
export function loadAnchor(spec: string | undefined, gpu: string | undefined): Anchor | undefined {
  if (spec && existsSync(spec)) {
    const d = JSON.parse(readFileSync(spec, "utf8")) as { gpu: string; results: { size: string; prec: string; step_s?: number }[] };
    const ms: Anchor["msPerStep"] = {};
    for (const r of d.results) if (r.step_s) (ms[r.size] ??= {})[r.prec] = r.step_s * 1000;
    return { card: d.gpu, source: spec, msPerStep: ms };
  }
  const key = spec ?? (gpu?.includes("H200") ? "h200" : gpu?.includes("H100") ? "h100" : undefined);
  const cards = anchorsJson.cards as Record<string, { gpu: string; ms_per_step: Record<string, Record<string, number>> }>;
  if (!key) return undefined;
  const c = cards[key];
  if (!c) throw new Error(`bench gpu: --anchor '${key}' is neither a file nor one of ${Object.keys(cards).join(", ")}`);
  return { card: c.gpu, source: `packages/t5/bench/peft-anchors.json, from ../shared/reference/peft-prompt-tuning-${key}.json`, msPerStep: c.ms_per_step };
}

/** PEFT's precision to compare a dtype with: fp32 with fp32, half with bf16 (PEFT's half run). */
const anchorPrec = (d: Precision) => (d === "fp32" ? "fp32" : "bf16");

/**
 * Rough bytes of the activations one prompt step keeps for its backward pass (float32 count x 4,
 * 3 bytes in half precision), calibrated ~0.8 against PEFT's measured peaks: only to skip K
 * values that cannot fit, not a prediction.
 */
export function activationBytes(size: string, examples: number, s: BenchShape, dtype: Precision): number {
  const p = T5_PRESETS[size];
  return 0.8 * activationCount({ ...p, vocab_size: p.vocab_size ?? 32128 }, { ...s, batch: examples }) * (dtype === "fp32" ? 4 : 3);
}

async function ensureModel(size: string, root: string, log: (l: string) => void): Promise<string> {
  const dir = path.join(root, "bench", `t5-${size}-random-seed0`);
  if (!existsSync(path.join(dir, "config.json"))) {
    const t = performance.now();
    log(`${size}: writing a random T5 v1.1 ${size} (seed 0) to ${dir} ...`);
    await initRandomT5(dir, { preset: size, seed: 0, config: { dropout_rate: 0 } });
    log(`${size}: written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return dir;
}

/** K trials packed: K x B examples, example j of trial k sees prompt k; weights 1/tokens per trial. */
function packedInputs(batch: Batch, prompts: Float32Array[], P: number, d: number) {
  const K = prompts.length;
  const B = batch.batchSize;
  const tile = <T extends Int32Array>(a: T) => {
    const out = new (a.constructor as new (n: number) => T)(a.length * K);
    for (let k = 0; k < K; k++) out.set(a, k * a.length);
    return out;
  };
  const big: Batch = { ...batch, batchSize: K * B, inputIds: tile(batch.inputIds), attentionMask: tile(batch.attentionMask), labels: tile(batch.labels) };
  const per = new Float32Array(K * B * P * d);
  for (let k = 0; k < K; k++) for (let b = 0; b < B; b++) per.set(prompts[k], (k * B + b) * P * d);
  const tokens = batch.labels.filter((l) => l !== -100).length;
  return { big, per, mask: new Int32Array(K * B * P).fill(1), weights: new Float32Array(K * B).fill(1 / tokens) };
}

async function timeIt(n: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function benchGpu(o: GpuBenchOptions): Promise<GpuBenchResult> {
  const log = o.log ?? (() => {});
  const shape = o.shape ?? PEFT_SHAPE;
  const trialSteps = o.trialSteps ?? PAPER_TRIAL_STEPS;
  const gpu = o.device === "cuda" ? gpuName() : undefined;
  const anchor = loadAnchor(o.anchor, gpu);
  const budget = o.memoryBudgetGiB ?? (o.device === "cuda" ? 70 : Infinity);
  const started = performance.now();
  const root = cacheRoot(o.cacheDir);
  const rows: GpuBenchRow[] = [];
  const result = (): GpuBenchResult => ({ device: o.device, gpu, shape, trialSteps, anchor: anchor && { card: anchor.card, source: anchor.source }, rows });
  const progress = () => o.onProgress?.(result());
  for (const size of o.sizes) {
    if (!T5_PRESETS[size]) throw new Error(`bench gpu: unknown size '${size}' (one of ${Object.keys(T5_PRESETS).join(", ")})`);
    let ref: { loss: number; grad: Float32Array } | undefined;
    for (const dtype of o.dtypes) {
      const row: GpuBenchRow = { size, dtype, params: 0, packed: [] };
      rows.push(row);
      if (o.skip?.includes(`${size}:${dtype}`)) {
        row.skipped = "--skip";
        continue;
      }
      if (o.budgetSeconds && (performance.now() - started) / 1000 > o.budgetSeconds) {
        row.skipped = `time budget (${o.budgetSeconds} s) spent`;
        log(`${size} ${dtype}: skipped, ${row.skipped}`);
        progress();
        continue;
      }
      let engine: T5Engine | undefined;
      try {
        const dir = await ensureModel(size, root, log);
        engine = await T5Engine.open(dir, { device: o.device, deviceId: o.deviceId, dtype, cacheDir: o.cacheDir, threads: o.threads });
        const c = engine.config;
        const p = T5_PRESETS[size];
        const inner = c.num_heads * c.d_kv;
        // matrices only (norms and bias tables are negligible): embeddings + LM head, attention, gated FFN
        row.params = 2 * c.vocab_size * c.d_model + p.num_layers * c.d_model * (4 * inner + 3 * c.d_ff) + p.num_decoder_layers * c.d_model * (8 * inner + 3 * c.d_ff);
        const { batch, prompt } = randomBatch(c.vocab_size, c.d_model, shape, 42);
        let t = performance.now();
        const first = await engine.promptStep(batch, prompt.data, prompt.len);
        row.firstStepMs = performance.now() - t;
        row.loss = first.loss;
        log(`${size} ${dtype}: first step (graph + session + run) ${(row.firstStepMs / 1000).toFixed(1)} s, loss ${first.loss.toFixed(4)}`);
        if (dtype === "fp32") ref = { loss: first.loss, grad: first.gradPrompt };
        else if (ref) {
          const g = compareGrads(first.gradPrompt, ref.grad);
          row.parity = { lossRelErr: Math.abs(first.loss - ref.loss) / Math.abs(ref.loss), gradMaxRel: g.maxRel, gradRelL2: g.relL2, gradCosine: g.cosine };
        }
        for (let i = 1; i < (o.warmup ?? 1); i++) await engine.promptStep(batch, prompt.data, prompt.len);
        row.msPerStep = await timeIt(o.steps, () => engine!.promptStep(batch, prompt.data, prompt.len));
        row.examplesPerSec = (1000 * shape.batch) / row.msPerStep;
        const a = anchor?.msPerStep[size]?.[anchorPrec(dtype)];
        if (a) {
          row.anchor = { prec: anchorPrec(dtype), msPerStep: a, card: anchor!.card };
          row.speedup = a / row.msPerStep;
        }
        progress();
        log(`${size} ${dtype}: ${row.msPerStep.toFixed(1)} ms/step (${row.examplesPerSec.toFixed(0)} ex/s)${a ? `; PEFT ${row.anchor!.prec} ${a.toFixed(1)} ms -> x${row.speedup!.toFixed(2)}` : ""}`);
        const rand = mulberry32(7);
        for (const k of o.ks) {
          const pr: PackedRow = { k, examples: k * shape.batch };
          row.packed.push(pr);
          const est = activationBytes(size, k * shape.batch, shape, dtype) / 2 ** 30;
          if (est > budget) {
            pr.skipped = `~${est.toFixed(0)} GiB of activations > ${budget} GiB`;
            log(`${size} ${dtype} K=${k}: skipped (${pr.skipped})`);
            continue;
          }
          try {
            const prompts = Array.from({ length: k }, () => normals(shape.promptLen * c.d_model, rand, 0.5));
            const { big, per, mask, weights } = packedInputs(batch, prompts, shape.promptLen, c.d_model);
            const step = () => engine!.promptStepPerExample(big, per, mask, shape.promptLen, weights);
            await step(); // warm-up (and the graph, the first time)
            pr.msPerStep = await timeIt(o.steps, step);
            pr.trialStepsPerSec = (1000 * k) / pr.msPerStep;
            pr.trialsPerHour = (3600 * pr.trialStepsPerSec) / trialSteps;
            if (a) pr.ratio = a / (pr.msPerStep / k);
            log(`${size} ${dtype} K=${k}: ${pr.msPerStep.toFixed(1)} ms/step for ${pr.examples} examples, ${pr.trialsPerHour.toFixed(2)} trials/h at ${trialSteps} steps${a ? ` (PEFT ${((3600 * 1000) / a / trialSteps).toFixed(2)}, x${pr.ratio!.toFixed(2)})` : ""}`);
          } catch (e) {
            pr.skipped = `failed: ${(e as Error).message.split("\n")[0].slice(0, 300)}`;
            log(`${size} ${dtype} K=${k}: ${pr.skipped}`);
          }
          progress();
        }
      } catch (e) {
        row.error = (e as Error).message.split("\n")[0].slice(0, 500);
        log(`${size} ${dtype}: error: ${row.error}`);
        progress();
      } finally {
        await engine?.close();
      }
    }
  }
  return result();
}
