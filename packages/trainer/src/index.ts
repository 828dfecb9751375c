// @ptune/trainer public API: one trial (docs/architecture.md, "Trainer used by the worker").
export { Rng, RngStateSchema, type RngState } from "./rng.ts";
export { initPrompt, initPromptWithInfo, PROMPT_INIT_STRATEGIES, SAMPLED_VOCAB_POPULATION, type PromptInitStrategy, type InitPromptArgs, type PromptInitInfo } from "./prompt-init.ts";
export { Adafactor, AdafactorOptionsSchema, type AdafactorOptions, type AdafactorState, type AdafactorParamState } from "./adafactor.ts";
export { encodeExample, buildBatch, EpochSampler, evalBatches, type TextExample, type EncodedExample, type LengthLimits, type DataPosition, type PadMode } from "./batching.ts";
export { serializeTrainState, deserializeTrainState, TRAIN_STATE_FORMAT_VERSION, type TrainState, type BestSoFar, type TrainMethod } from "./train-state.ts";
export { TrialSpecSchema, parseTrialSpec, learningRate, type TrialSpec, type ResolvedTrialSpec } from "./trial-spec.ts";
export { runTrial, type RunTrialDeps, type TrialResult, type TrialStore, type TrialSink, type TrialProgress, type WeightSource } from "./run-trial.ts";
export { makeDevSet, evaluateDev, predictGreedy, predictRank, decodePrediction, EvaluationAborted, type DevSet } from "./evaluate.ts";
export { evaluateEnsemble, majorityVote, type EnsembleResult } from "./ensemble.ts";
export { nearestNeighbours, type Neighbour } from "./neighbours.ts";
export { exportPeftAdapter, importPeftAdapter, PeftPromptConfigSchema, type PeftPromptConfig, type ExportPeftArgs } from "./export-peft.ts";
export { encodeNpy, decodeNpy, exportPromptNpy, importPromptNpy } from "./export-npy.ts";
export { checkAdafactorParity, adafactorStep1FromGolden, GOLDEN_ADAFACTOR, ADAFACTOR_KEYS } from "./parity.ts";
export { estimateModelTuningBytes, checkModelTuningFits, checkPromptTuningFits, ModelTooLargeError, type MemoryBudget } from "./memory.ts";
export type { EngineLike, Batch, PromptArg, PerExamplePromptArg } from "./engine-like.ts";
export type { TokenizerLike } from "./tokenizer-like.ts";
export type { TaskLike } from "./task-like.ts";
export { createMemoryStore, createMemorySink, type MemoryStore, type MemorySink } from "./memory-store.ts";
// packed multi-prompt training (issue #4): K prompt-tuning trials in one batch per step
export { runPackedTrials, packCompatibilityKey, type RunPackedDeps, type PackedEngineLike, type PackedProgress, type TrialData } from "./packed/run-packed.ts";
export { packStep, unpackStep, targetTokens, type PackMember, type PackedStep } from "./packed/pack-batch.ts";
export { evaluatePacked, tilePrompts } from "./packed/packed-eval.ts";
// post-training analyses on a sweep in the database (issue #6): Table 3 ensembles, nearest neighbours, export/import
export { ensembleFromDatabase, ensembleTableRows, type EnsembleFromDbOptions, type EnsembleReport, type EnsembleMember, type EnsembleMetricRow, type ClosableEngine } from "./analysis/ensemble-from-db.ts";
export { neighboursFromDatabase, type NeighboursReport } from "./analysis/neighbours-from-db.ts";
export { exportTrialPrompt, importPrompt, promptStats, PROMPT_FORMATS, type PromptFormat, type ExportedPrompt, type ImportedPrompt, type PromptStats } from "./analysis/prompt-files.ts";
export { loadTrialPrompt, type TrialPrompt } from "./analysis/trial-prompt.ts";
export { parseStoredTrialConfig, promptFromState, devExamplesOf, StoredTrialConfigSchema, type StoredTrialConfig, type StoredPrompt, type SyntheticSize } from "./analysis/stored-trial.ts";
