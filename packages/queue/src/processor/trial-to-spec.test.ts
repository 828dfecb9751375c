import { expandSweep, parseSweep, TrialConfigError, TRAINING_DEFAULTS } from "@ptune/sweep";
import { parseTrialSpec } from "@ptune/trainer";
import { describe, expect, it } from "vitest";
import { readTrialConfig, trialToSpec, UnsupportedSettingError } from "./trial-to-spec.ts";

// Every value differs from both the sweep's and the trainer's defaults, so a dropped field shows.
const yaml = (trainingExtra = "") => `
name: mapping
models:
  tiny: { checkpoint: /tmp/tiny, gpu_memory_gb: 1.5 }
grid:
  model: tiny
  task: synthetic
  method: [prompt_tuning, model_tuning]
  prompt_length: 7
  init: sampled_vocab
  seed: 3
training:
${trainingExtra}  lr: 0.2
  weight_decay: 0.001
  decay_rate: 0.5
  steps: 12
  batch_size: 4
  eval_every: 6
  checkpoint_every: 3
  max_input_length: 32
  max_target_length: 8
  early_stopping: { metric: f1, patience: 2 }
  model_tuning: { lr: 0.001, early_stopping: { metric: accuracy } }
`;

/** Sweep training settings (camelCase) -> the TrialSpec key that carries them. */
const MAPPED: Record<string, string> = {
  lr: "learning_rate",
  weightDecay: "weight_decay",
  decayRate: "decay_rate",
  batchSize: "batch_size",
  steps: "steps",
  evalEvery: "eval_every",
  checkpointEvery: "checkpoint_every",
  maxInputLength: "max_input_length",
  maxTargetLength: "max_target_length",
  earlyStopping: "patience, early_stopping_metric",
};
/** No TrialSpec field: checked against the one value the trainer implements (README "Sweep settings -> trainer"). */
const CHECKED_ONLY = ["optimizer", "parameterScaling", "schedule"];

describe("trialToSpec", () => {
  it("maps every training setting of a sweep trial onto the trainer's snake_case spec", () => {
    const [pt, mt] = expandSweep(parseSweep(yaml(), "mapping.yaml"));
    const spec = trialToSpec(pt!);
    expect(spec).toEqual({
      trial_id: pt!.id, task: "synthetic", model: "tiny", method: "prompt_tuning", prompt_length: 7, init: "sampled_vocab",
      seed: 3, steps: 12, batch_size: 4, learning_rate: 0.2, weight_decay: 0.001, decay_rate: 0.5, eval_every: 6, checkpoint_every: 3,
      patience: 2, early_stopping_metric: "f1", max_input_length: 32, max_target_length: 8, gpu_memory_bytes: 1.5 * 2 ** 30,
    });
    // the trainer's own schema accepts it and keeps every value (nothing replaced by a default)
    expect(parseTrialSpec(spec)).toMatchObject(spec);

    const m = trialToSpec(mt!);
    expect(m).toMatchObject({ method: "model_tuning", learning_rate: 0.001, early_stopping_metric: "accuracy", patience: 2, decay_rate: 0.5 });
    expect(m.prompt_length).toBeUndefined();
    expect(m.init).toBeUndefined();
  });

  it("covers every setting the sweep has: a new one must be mapped or listed here", () => {
    const [pt] = expandSweep(parseSweep(yaml(), "mapping.yaml"));
    expect(Object.keys(pt!.training).sort()).toEqual([...Object.keys(MAPPED), ...CHECKED_ONLY].sort());
    const spec: Record<string, unknown> = { ...trialToSpec(pt!) };
    for (const keys of Object.values(MAPPED)) for (const k of keys.split(", ")) expect(spec[k], k).toBeDefined();
  });

  it("leaves out what the sweep leaves to the task (no patience, primary metric)", () => {
    const plain = `name: p\nmodels:\n  tiny: { checkpoint: /tmp/tiny, gpu_memory_gb: 2 }\ngrid: { model: tiny, task: synthetic }\n`;
    const [t] = expandSweep(parseSweep(plain, "p.yaml"));
    const spec = trialToSpec(t!);
    expect(spec.patience).toBeUndefined();
    expect(spec.early_stopping_metric).toBeUndefined();
    // the sweep's defaults are the paper's, as are the trainer's (the mapping changes nothing)
    const trainerDefaults = parseTrialSpec({ task: "synthetic" });
    expect(spec).toMatchObject({
      learning_rate: TRAINING_DEFAULTS.lr, weight_decay: trainerDefaults.weight_decay, decay_rate: trainerDefaults.decay_rate,
      steps: trainerDefaults.steps, batch_size: trainerDefaults.batch_size, eval_every: trainerDefaults.eval_every,
      checkpoint_every: trainerDefaults.checkpoint_every, max_input_length: trainerDefaults.max_input_length, gpu_memory_bytes: 2 * 2 ** 30,
    });
  });

  it("refuses a setting the trainer cannot honour instead of dropping it", () => {
    // the sweep schema already refuses it at parse time ...
    expect(() => parseSweep(yaml("  parameter_scaling: true\n"), "s.yaml")).toThrow(/parameter_scaling: expected false/);
    // ... and a config from elsewhere (plain JSON read back from the database) is checked again here
    const [valid] = expandSweep(parseSweep(yaml(""), "s.yaml"));
    const t = { ...valid!, training: { ...valid!.training, parameterScaling: true } } as unknown as typeof valid & object;
    expect(() => trialToSpec(t!)).toThrow(UnsupportedSettingError);
    expect(() => trialToSpec(t!)).toThrow(/training\.parameter_scaling: true/);
    // a config read back from the database is plain JSON: TrialConfigSchema checks it field by field
    const odd = JSON.parse(JSON.stringify({ ...t!, training: { ...t!.training, parameterScaling: false, schedule: "linear" } }));
    expect(() => trialToSpec(odd)).toThrow(/training\.schedule: "linear"/);
    expect(() => readTrialConfig(odd, valid!.id)).toThrow(TrialConfigError);
    expect(() => readTrialConfig(odd, valid!.id)).toThrow(new RegExp(`^trial ${valid!.id}: trials\\.config\\.training\\.schedule: .*\\(got "linear"\\)$`));
    expect(() => readTrialConfig({ ...JSON.parse(JSON.stringify(valid)), seed: -1 }, "t1")).toThrow(/^trial t1: trials\.config\.seed: .*\(got -1\)$/);
    expect(() => readTrialConfig({ ...JSON.parse(JSON.stringify(valid)), promptLength: null }, "t1")).toThrow(/trials\.config\.promptLength: prompt tuning needs a prompt length/);
    // a valid stored config reads back as the very Trial that was stored
    expect(readTrialConfig(JSON.parse(JSON.stringify(valid)), valid!.id)).toEqual(valid);
  });
});
