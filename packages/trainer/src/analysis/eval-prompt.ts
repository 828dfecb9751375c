// `ptune eval`: a given soft prompt (the paper's released .npy prompts, a PEFT adapter, or a trial's
// best prompt) on a frozen model and a task split, scored exactly as a trial's dev evaluation
// (evaluateDev: greedy decoding + the task's T5 metrics). The model and the data may be hf:
// references (resolved through the Hugging Face cache by @ptune/t5).
import { resolveDatasetRef, resolveModelRef, T5Engine, T5Tokenizer, type ResolveOptions } from "@ptune/t5";
import { getTask, loadSplit, syntheticTask, type Example, type Split } from "@ptune/tasks";
import type { Db } from "@ptune/db";
import { evaluateDev, makeDevSet } from "../evaluate.ts";

export interface EvalPromptOptions {
  prompt: { data: Float32Array; len: number; dModel: number };
  /** checkpoint directory or hf:<org>/<name>[@rev] */
  model: string;
  task: string;
  /** data directory, a file, or hf:datasets/<org>/<name>/<config>[@rev]; absent: the synthetic task */
  dataDir?: string;
  split?: Split;
  mode?: "greedy" | "rank";
  batchSize?: number;
  maxInputLength?: number;
  maxTargetLength?: number;
  maxExamples?: number;
  device?: "cpu" | "cuda";
  cacheDir?: string;
  resolve?: ResolveOptions;
}

export interface EvalPromptResult {
  model: string;
  modelDir: string;
  task: string;
  split: Split;
  examples: number;
  metrics: Record<string, number>;
}

export async function evaluatePrompt(o: EvalPromptOptions): Promise<EvalPromptResult> {
  const split = o.split ?? "validation";
  const task = getTask(o.task);
  const modelDir = await resolveModelRef(o.model, o.resolve);
  let examples: Example[];
  if (o.dataDir) examples = await loadSplit(task, await resolveDatasetRef(o.dataDir, o.resolve), split);
  else if (task.source === "synthetic") examples = syntheticTask({ seed: 0, train: 0, dev: 100 }).dev;
  else throw new Error(`task '${task.name}' needs --data <dir | hf:datasets/<org>/<name>/<config>>`);
  if (o.maxExamples) examples = examples.slice(0, o.maxExamples);
  if (examples.length === 0) throw new Error(`task '${task.name}' ${split}: no examples`);
  const engine = await T5Engine.open(modelDir, { device: o.device ?? "cpu", ...(o.cacheDir && { cacheDir: o.cacheDir }) });
  try {
    const d = engine.config.d_model;
    if (o.prompt.dModel !== d) throw new Error(`the prompt is [${o.prompt.len}, ${o.prompt.dModel}] but ${o.model} has d_model ${d}: a prompt only fits the model size it was trained for`);
    const dev = makeDevSet({
      examples,
      tokenizer: T5Tokenizer.fromDir(modelDir),
      task,
      limits: { maxInputLength: o.maxInputLength ?? 512, maxTargetLength: o.maxTargetLength ?? 128 },
      batchSize: o.batchSize ?? 32,
    });
    const metrics = await evaluateDev(engine, dev, o.mode ?? "greedy", { data: o.prompt.data, len: o.prompt.len });
    return { model: o.model, modelDir, task: task.name, split, examples: examples.length, metrics };
  } finally {
    await engine.close();
  }
}

/** The split an `ptune eval` of a trial's prompt is stored under (its training dev rows stay 'validation'). */
export const evalSplitName = (split: Split) => `eval_${split}`;

/** Stores `ptune eval`'s result for a trial's prompt: evaluations(trial, 'eval_<split>', best step); a re-run replaces it. */
export async function storePromptEvaluation(db: Db, trialId: string, split: Split, step: number, metrics: Record<string, number>): Promise<void> {
  await db.pool.query(
    `INSERT INTO evaluations (trial_id, split, step, metrics) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (trial_id, split, step) DO UPDATE SET metrics = EXCLUDED.metrics, created_at = now()`,
    [trialId, evalSplitName(split), step, JSON.stringify(metrics)],
  );
}
