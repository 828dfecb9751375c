// `ptune ensemble`: the paper's Table 3 (Lester et al. 2021, §7 "Prompt Ensembling") on a sweep
// in the database. The best prompts of K completed trials of one configuration (same model, task,
// prompt length and init; the seeds differ) are evaluated together on the dev split in one batched
// pass per dev batch (evaluateEnsemble: example replicated K times, one prompt per row, majority
// vote), and the ensemble's score is stored where @ptune/report's Table 3 reads it.
import { ensembleCandidates, loadBestCheckpoint, writeEnsembleEvaluation, type Db, type EnsembleMemberQuery, type EnsembleWrite } from "@ptune/db";
import { resolveModelRef, T5Engine, T5Tokenizer } from "@ptune/t5";
import { getTask } from "@ptune/tasks";
import { evaluateEnsemble, type EnsembleResult } from "../ensemble.ts";
import type { EngineLike } from "../engine-like.ts";
import { makeDevSet } from "../evaluate.ts";
import { devExamplesOf, limitsOf, parseStoredTrialConfig, promptFromState, type StoredPrompt, type SyntheticSize } from "./stored-trial.ts";

export type ClosableEngine = EngineLike & { close(): Promise<void> };

/** Which configuration (sweep, model, task, prompt length, init: as @ptune/db ensembleCandidates) and how. */
export interface EnsembleFromDbOptions extends EnsembleMemberQuery {
  /** how many prompts (the first K by seed); default all the configuration has */
  k?: number;
  /** dev rows per engine call (K rows per example); default 32, the trainer's eval_batch_size */
  batchSize?: number;
  /** evaluate on the first N dev examples only */
  maxDevExamples?: number;
  /** synthetic task size, as the worker generated it (default 100 dev examples) */
  synthetic?: SyntheticSize;
  device?: "cpu" | "cuda";
  cacheDir?: string;
  threads?: number;
  /** store the result in the database (default true) */
  write?: boolean;
  /** how to open the frozen model (default T5Engine.open with device / cacheDir / threads) */
  openEngine?: (checkpointDir: string) => Promise<ClosableEngine>;
}

export interface EnsembleMember {
  trialId: string;
  seed: number;
  bestStep: number;
  /** the trial's best dev score as recorded during training (0-100) */
  bestScore: number | null;
}

export interface EnsembleMetricRow {
  metric: string;
  average: number;
  best: number;
  ensemble: number;
}

export interface EnsembleReport {
  model: string;
  task: string;
  promptLength: number | null;
  init: string | null;
  members: EnsembleMember[];
  devExamples: number;
  /** Table 3's columns per metric: mean and best of the single prompts, and the ensemble */
  table: EnsembleMetricRow[];
  result: EnsembleResult;
  /** the evaluations row written (null with write: false) */
  stored: EnsembleWrite | null;
}

/** Table 3 rows from an ensemble evaluation. */
export function ensembleTableRows(r: Pick<EnsembleResult, "average" | "best" | "ensemble">): EnsembleMetricRow[] {
  return Object.keys(r.ensemble).map((metric) => ({ metric, average: r.average[metric]!, best: r.best[metric]!, ensemble: r.ensemble[metric]! }));
}

export async function ensembleFromDatabase(db: Db, o: EnsembleFromDbOptions): Promise<EnsembleReport> {
  const where = `sweep '${o.sweep}', model '${o.model}', task '${o.task}'${o.promptLength !== undefined ? `, prompt length ${o.promptLength}` : ""}${o.init !== undefined ? `, init ${o.init}` : ""}`;
  const candidates = await ensembleCandidates(db, { sweep: o.sweep, model: o.model, task: o.task, promptLength: o.promptLength, init: o.init });
  if (!candidates.length) throw new Error(`no completed prompt-tuning trials with a best checkpoint for ${where}`);
  // Table 3 ensembles prompts of ONE configuration (5 seeds); mixing lengths or inits would also
  // put the row under a configuration whose average/best the report computes from other trials.
  const configs = [...new Set(candidates.map((t) => `prompt length ${t.promptLength}, init ${t.init}`))];
  if (configs.length > 1) throw new Error(`${where} has ${configs.length} configurations (${configs.join("; ")}): choose one with --prompt-length / --init`);
  const k = o.k ?? candidates.length;
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${o.k}`);
  if (k > candidates.length) throw new Error(`asked for ${k} prompts but ${where} has only ${candidates.length} completed trials with a best checkpoint`);
  const members = candidates.slice(0, k);

  const configsParsed = members.map((t) => parseStoredTrialConfig(t.config, t.id));
  const cfg = configsParsed[0]!;
  for (const [i, c] of configsParsed.entries()) {
    if (c.model.checkpoint !== cfg.model.checkpoint) throw new Error(`trial '${members[i]!.id}' uses checkpoint ${c.model.checkpoint}, trial '${members[0]!.id}' ${cfg.model.checkpoint}: an ensemble shares one frozen model`);
  }
  const prompts: StoredPrompt[] = [];
  for (const t of members) {
    const cp = await loadBestCheckpoint(db, t.id);
    if (!cp) throw new Error(`trial '${t.id}' has no best checkpoint`);
    prompts.push(promptFromState(cp.state, t.id));
  }

  const open = o.openEngine ?? ((dir: string) => T5Engine.open(dir, { device: o.device, cacheDir: o.cacheDir, threads: o.threads }));
  const modelDir = await resolveModelRef(cfg.model.checkpoint); // a local dir, or hf: through the Hugging Face cache
  const engine = await open(modelDir);
  let result: EnsembleResult;
  let devExamples: number;
  try {
    for (const [i, p] of prompts.entries()) {
      if (p.dModel !== engine.config.d_model) throw new Error(`trial '${members[i]!.id}': prompt d_model ${p.dModel} does not match the model's ${engine.config.d_model} (${cfg.model.checkpoint})`);
    }
    const all = await devExamplesOf(cfg, o.synthetic);
    const examples = o.maxDevExamples ? all.slice(0, o.maxDevExamples) : all;
    devExamples = examples.length;
    const dev = makeDevSet({ examples, tokenizer: T5Tokenizer.fromDir(modelDir), task: getTask(cfg.task.name), limits: limitsOf(cfg), batchSize: o.batchSize ?? 32 });
    result = await evaluateEnsemble(engine, prompts, dev);
  } finally {
    await engine.close();
  }
  const stored = o.write === false ? null : await writeEnsembleEvaluation(db, { members: members.map((t) => t.id), configuration: candidates.map((t) => t.id), metrics: result.ensemble });
  return {
    model: members[0]!.model,
    task: members[0]!.task,
    promptLength: members[0]!.promptLength,
    init: members[0]!.init,
    members: members.map((t, i) => ({ trialId: t.id, seed: t.seed, bestStep: prompts[i]!.step, bestScore: t.bestScore })),
    devExamples,
    table: ensembleTableRows(result),
    result,
    stored,
  };
}
