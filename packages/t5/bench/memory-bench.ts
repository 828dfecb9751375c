// Memory benchmark (issue #13): what one prompt-tuning trial runs — prompt steps, rank scoring,
// greedy decoding — on one engine, with the process's peak resident set after each phase, the
// checkpoint's weight bytes in the compute dtype, peak / weights, and the engine's cache on disk.
// Peak RSS is the kernel's high-water mark (getrusage ru_maxrss, what `/usr/bin/time -v` prints as
// "Maximum resident set size"): a phase's figure is the peak of the process up to its end.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { mulberry32, normals } from "@ptune/onnx";
import { openCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { T5Engine, type Batch, type EngineOptions } from "../src/engine.ts";
import { estimateTrialMemory, type TrialMemory } from "../src/memory.ts";

export interface MemoryBenchOptions {
  modelDir: string;
  batch?: number; // default 1
  inputLen?: number; // default 128
  promptLen?: number; // default 100 (the paper's)
  targetLen?: number; // default 8
  steps?: number; // prompt steps (default 3)
  decodeTokens?: number; // greedy tokens (default 8)
  engine?: EngineOptions;
  log?: (line: string) => void;
}
export interface MemoryPhase {
  phase: "open" | "train" | "score" | "greedy";
  /** peak RSS of the process up to the end of this phase */
  peakRssBytes: number;
  /** RSS when the phase ended */
  rssBytes: number;
  /** wall time of one call of the phase (median over its calls), ms */
  msPerCall: number;
}
export interface MemoryBenchResult {
  model: string;
  precision: string;
  shape: { batch: number; inputLen: number; promptLen: number; targetLen: number; decodeTokens: number };
  weightBytes: number;
  baselineRssBytes: number;
  phases: MemoryPhase[];
  peakRssBytes: number;
  /** peak RSS / weight bytes */
  ratio: number;
  cacheBytes: number;
  checkpointBytes: number;
  /** what routing assumes (@ptune/t5 estimateTrialMemory) and its error against the measured peak */
  estimate: TrialMemory;
  estimateError: number;
}

const maxRss = () => process.resourceUsage().maxRSS * 1024; // KiB on Linux

/**
 * Bytes of the files under `dir` (0 when it does not exist), not counting `skip` inodes (the
 * checkpoint's own files, hard-linked into the cache: the same bytes on disk, not a copy).
 */
export function dirBytes(dir: string, skip: ReadonlySet<number> = new Set()): number {
  let n = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += dirBytes(p, skip);
    else {
      const st = statSync(p);
      if (!skip.has(st.ino)) n += st.size;
    }
  }
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchMemory(o: MemoryBenchOptions): Promise<MemoryBenchResult> {
  const log = o.log ?? (() => {});
  const B = o.batch ?? 1, T = o.inputLen ?? 128, P = o.promptLen ?? 100, L = o.targetLen ?? 8;
  const steps = o.steps ?? 3, decodeTokens = o.decodeTokens ?? 8;
  const precision = o.engine?.dtype ?? "fp32";
  const elem = precision === "fp32" ? 4 : 2;
  const ckpt = openCheckpoint(o.modelDir);
  const c = ckpt.config;
  // weights in the compute dtype, one per stored tensor (tied names are one tensor)
  let weightBytes = 0, checkpointBytes = 0;
  const checkpointInodes = new Set(ckpt.files.map((f) => statSync(f).ino));
  for (const n of ckpt.tensors()) {
    const shape = ckpt.info(n).shape;
    weightBytes += shape.reduce((a, b) => a * b, 1) * elem;
  }
  for (const f of readdirSync(o.modelDir)) if (f.endsWith(".safetensors") || f.endsWith(".bin")) checkpointBytes += statSync(path.join(o.modelDir, f)).size;
  ckpt.close();
  const baselineRssBytes = maxRss();

  const rand = mulberry32(0);
  const ids = (n: number) => Int32Array.from({ length: n }, () => 3 + Math.floor(rand() * (c.vocab_size - 3)));
  const labels = ids(B * L);
  for (let i = 0; i < B; i++) labels[i * L + L - 1] = c.eos_token_id;
  const batch: Batch = { batchSize: B, inputLen: T, targetLen: L, inputIds: ids(B * T), attentionMask: new Int32Array(B * T).fill(1), labels };
  const prompt = normals(P * c.d_model, rand, 0.5);
  const phases: MemoryPhase[] = [];
  const mark = (phase: MemoryPhase["phase"], ms: number[]) => {
    const p = { phase, peakRssBytes: maxRss(), rssBytes: process.memoryUsage().rss, msPerCall: ms.length ? median(ms) : 0 };
    phases.push(p);
    log(`${phase}: peak RSS ${(p.peakRssBytes / 2 ** 30).toFixed(2)} GiB, ${p.msPerCall.toFixed(0)} ms/call`);
  };
  const timed = async (n: number, f: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await f();
      ms.push(performance.now() - t);
    }
    return ms;
  };

  const t0 = performance.now();
  const engine = await T5Engine.open(o.modelDir, o.engine);
  mark("open", [performance.now() - t0]);
  try {
    // train: the first step builds the graph and the session; the median is over the rest
    const train = await timed(steps + 1, () => engine.promptStep(batch, prompt, P));
    mark("train", train.slice(1));
    // rank scoring: every label candidate scored with the prompt (two candidates)
    const score = await timed(3, () => engine.score(batch, { data: prompt, len: P }));
    mark("score", score.slice(1));
    const greedy = await timed(2, () => engine.greedy(batch, decodeTokens, { data: prompt, len: P }, { stopAtEos: false }));
    mark("greedy", greedy.slice(1));
  } finally {
    await engine.close();
  }
  const peakRssBytes = Math.max(...phases.map((p) => p.peakRssBytes));
  const estimate = estimateTrialMemory(c, { batch: B, inputLen: T, promptLen: P, targetLen: L }, precision);
  return {
    estimate,
    estimateError: estimate.totalBytes / peakRssBytes - 1,
    model: o.modelDir,
    precision,
    shape: { batch: B, inputLen: T, promptLen: P, targetLen: L, decodeTokens },
    weightBytes,
    baselineRssBytes,
    phases,
    peakRssBytes,
    ratio: peakRssBytes / weightBytes,
    cacheBytes: dirBytes(engine.cacheDir, checkpointInodes),
    checkpointBytes,
  };
}
