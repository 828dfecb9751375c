// @ptune/trainer public API: one trial (docs/architecture.md, "Trainer used by the worker").
export { Rng, RngStateSchema, type RngState } from "./rng.ts";
export { initPrompt, initPromptWithInfo, PROMPT_INIT_STRATEGIES, SAMPLED_VOCAB_POPULATION, type PromptInitStrategy, type InitPromptArgs, type PromptInitInfo } from "./prompt-init.ts";
export { Adafactor, AdafactorOptionsSchema, type AdafactorOptions, type AdafactorState, type AdafactorParamState } from "./adafactor.ts";
export { encodeExample, buildBatch, EpochSampler, evalBatches, type TextExample, type EncodedExample, type LengthLimits, type DataPosition, type PadMode } from "./batching.ts";
export { serializeTrainState, deserializeTrainState, TRAIN_STATE_FORMAT_VERSION, type TrainState, type BestSoFar, type TrainMethod } from "./train-state.ts";
export { TrialSpecSchema, parseTrialSpec, learningRate, type TrialSpec, type ResolvedTrialSpec } from "./trial-spec.ts";
export { runTrial, type RunTrialDeps } from "./run-trial.ts";
export { DEV_LOSS, type TrialResult, type TrialStore, type TrialSink, type TrialProgress, type WeightSource, type TrialData } from "./trial/types.ts";
// one trial state machine (trial/lane.ts); runTrials runs one trial or a pack of prompt-tuning trials
export { runTrials, packCompatibilityKey, type RunTrialsDeps, type TrialInput, type PackedEngineLike, type PackedProgress } from "./trial/run-trials.ts";
export { makeDevSet, evaluateDev, predictGreedy, predictRank, decodePrediction, EvaluationAborted, type DevSet } from "./evaluate.ts";
export { evaluateEnsemble, majorityVote, type EnsembleResult } from "./ensemble.ts";
export { nearestNeighbours, type Neighbour } from "./neighbours.ts";
export { exportPeftAdapter, importPeftAdapter, PeftPromptConfigSchema, type PeftPromptConfig, type ExportPeftArgs } from "./export-peft.ts";
export { encodeNpy, decodeNpy, exportPromptNpy, importPromptNpy } from "./export-npy.ts";
export { checkAdafactorParity, adafactorStep1FromGolden, GOLDEN_ADAFACTOR, ADAFACTOR_KEYS } from "./parity.ts";
export { estimateModelTuningBytes, checkModelTuningFits, checkPromptTuningFits, checkRunFits, ModelTooLargeError, type MemoryBudget, type WorkerMemory } from "./memory.ts";
export type { EngineLike, Batch, PromptArg, PerExamplePromptArg } from "./engine-like.ts";
export type { TokenizerLike } from "./tokenizer-like.ts";
export type { TaskLike } from "./task-like.ts";
export { createMemoryStore, createMemorySink, type MemoryStore, type MemorySink } from "./memory-store.ts";
// packed multi-prompt training (issue #4): the host arithmetic of one packed step and evaluation
export { packStep, unpackStep, targetTokens, type PackMember, type PackedStep } from "./packed/pack-batch.ts";
export { evaluatePacked, tilePrompts } from "./packed/packed-eval.ts";
// post-training analyses on a sweep in the database (issue #6): Table 3 ensembles, nearest neighbours, export/import
export { ensembleFromDatabase, ensembleTableRows, type EnsembleFromDbOptions, type EnsembleReport, type EnsembleMember, type EnsembleMetricRow, type ClosableEngine } from "./analysis/ensemble-from-db.ts";
export { neighboursFromDatabase, type NeighboursReport } from "./analysis/neighbours-from-db.ts";
export { exportTrialPrompt, importPrompt, promptStats, PROMPT_FORMATS, type PromptFormat, type ExportedPrompt, type ImportedPrompt, type PromptStats } from "./analysis/prompt-files.ts";
export { loadTrialPrompt, type TrialPrompt } from "./analysis/trial-prompt.ts";
export { evaluatePrompt, storePromptEvaluation, evalSplitName, type EvalPromptOptions, type EvalPromptResult } from "./analysis/eval-prompt.ts";
export { parseStoredTrialConfig, promptFromState, devExamplesOf, StoredTrialConfigSchema, type StoredTrialConfig, type StoredPrompt, type SyntheticSize } from "./analysis/stored-trial.ts";
