import { expandSweep, parseSweep } from "@ptune/sweep";
import { describe, expect, it } from "vitest";
import { trialToSpec } from "./trial-to-spec.ts";

const yaml = `
name: mapping
models:
  tiny: { checkpoint: /tmp/tiny, gpu_memory_gb: 1 }
grid:
  model: tiny
  task: synthetic
  method: [prompt_tuning, model_tuning]
  prompt_length: 7
  init: sampled_vocab
  seed: 3
training:
  lr: 0.2
  steps: 12
  batch_size: 4
  eval_every: 6
  checkpoint_every: 3
  max_input_length: 32
  max_target_length: 8
  early_stopping: { patience: 2 }
  model_tuning: { lr: 0.001 }
`;

describe("trialToSpec", () => {
  it("maps every training setting of a sweep trial onto the trainer's snake_case spec", () => {
    const [pt, mt] = expandSweep(parseSweep(yaml, "mapping.yaml"));
    expect(trialToSpec(pt)).toEqual({
      trial_id: pt.id, task: "synthetic", model: "tiny", method: "prompt_tuning", prompt_length: 7, init: "sampled_vocab",
      seed: 3, steps: 12, batch_size: 4, learning_rate: 0.2, weight_decay: 1e-5, eval_every: 6, checkpoint_every: 3,
      patience: 2, max_input_length: 32, max_target_length: 8,
    });
    const m = trialToSpec(mt);
    expect(m.method).toBe("model_tuning");
    expect(m.learning_rate).toBe(0.001);
    expect(m.prompt_length).toBeUndefined();
    expect(m.init).toBeUndefined();
  });
});
