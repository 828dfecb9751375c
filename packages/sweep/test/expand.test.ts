// Grid expansion: counts, canonicalisation of model tuning, exclude/include semantics,
// defaults, per-method training settings, priorities and path resolution.
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expandSweep, loadSweepFile, parseSweep, SweepError, type Trial } from "../src/index.ts";

const base = `name: t
models:
  small: { checkpoint: /ckpt/small, gpu_memory_gb: 4, params: 77000000 }
  base: { checkpoint: /ckpt/base, gpu_memory_gb: 8, priority: 7 }
tasks:
  rte: { data_dir: /data/RTE, format: jsonl }
`;
const expand = (yaml: string) => expandSweep(parseSweep(base + yaml, "t.yaml"));
const key = (t: Trial) => [t.model.name, t.task.name, t.method, t.promptLength, t.init, t.seed].join("/");

describe("expandSweep", () => {
  it("takes the cartesian product in axis order, with the paper's defaults for omitted axes", () => {
    const trials = expand(`grid:
  model: [small, base]
  task: [rte, synthetic]
  seed: [0, 1]
`);
    expect(trials.map(key)).toEqual([
      "small/rte/prompt_tuning/100/class_label/0", "small/rte/prompt_tuning/100/class_label/1",
      "small/synthetic/prompt_tuning/100/class_label/0", "small/synthetic/prompt_tuning/100/class_label/1",
      "base/rte/prompt_tuning/100/class_label/0", "base/rte/prompt_tuning/100/class_label/1",
      "base/synthetic/prompt_tuning/100/class_label/0", "base/synthetic/prompt_tuning/100/class_label/1",
    ]);
  });

  it("canonicalises model tuning: prompt_length and init do not multiply it", () => {
    const trials = expand(`grid:
  model: [small]
  task: [rte]
  method: [prompt_tuning, model_tuning]
  prompt_length: [1, 5, 20]
  init: [random_uniform, sampled_vocab]
  seed: [0, 1]
`);
    const mt = trials.filter((t) => t.method === "model_tuning");
    expect(trials.length).toBe(3 * 2 * 2 + 2);
    expect(mt.map(key)).toEqual(["small/rte/model_tuning///0", "small/rte/model_tuning///1"]);
    expect(mt.every((t) => t.promptLength === null && t.init === null)).toBe(true);
  });

  it("fills the paper's training defaults, and lr 1e-3 for model tuning", () => {
    const [pt, mt] = expand(`grid: { model: [small], task: [rte], method: [prompt_tuning, model_tuning] }
`);
    expect(pt.training).toEqual({
      optimizer: "adafactor", lr: 0.3, weightDecay: 1e-5, decayRate: 0.8, parameterScaling: false,
      batchSize: 32, steps: 30000, schedule: "constant", evalEvery: 1000, checkpointEvery: 1000,
      maxInputLength: 512, maxTargetLength: 64, earlyStopping: { metric: null, patience: null },
    });
    expect(mt.training).toEqual({ ...pt.training, lr: 1e-3 });
  });

  it("applies the model_tuning block over the base settings, merging early_stopping", () => {
    const [pt, mt] = expand(`grid: { model: [small], task: [rte], method: [prompt_tuning, model_tuning] }
training:
  batch_size: 16
  lr: 0.5
  early_stopping: { metric: accuracy, patience: 4 }
  model_tuning: { steps: 100, early_stopping: { patience: 2 } }
`);
    expect([pt.training.lr, pt.training.batchSize, pt.training.steps, pt.training.earlyStopping]).toEqual([0.5, 16, 30000, { metric: "accuracy", patience: 4 }]);
    expect([mt.training.lr, mt.training.batchSize, mt.training.steps, mt.training.earlyStopping]).toEqual([1e-3, 16, 100, { metric: "accuracy", patience: 2 }]);
  });

  it("exclude removes matching combinations; a rule on prompt_length never matches model tuning", () => {
    const trials = expand(`grid:
  model: [small, base]
  task: [rte]
  method: [prompt_tuning, model_tuning]
  prompt_length: [5, 100]
exclude:
  - { model: base, method: model_tuning }
  - { prompt_length: 5, model: [small] }
`);
    expect(trials.map(key)).toEqual([
      "small/rte/prompt_tuning/100/class_label/0", "small/rte/model_tuning///0",
      "base/rte/prompt_tuning/5/class_label/0", "base/rte/prompt_tuning/100/class_label/0",
    ]);
  });

  it("include adds sub-grids (unnamed axes from the grid) after the grid, and is not excluded", () => {
    const trials = expand(`grid:
  model: [small, base]
  task: [rte]
  prompt_length: [100]
  seed: [0, 1]
exclude:
  - { method: model_tuning }
include:
  - { method: model_tuning, model: small }
  - { init: [random_uniform], prompt_length: 100, seed: 0 }
  - { model: small, seed: 0 }
`);
    expect(trials.map(key)).toEqual([
      "small/rte/prompt_tuning/100/class_label/0", "small/rte/prompt_tuning/100/class_label/1",
      "base/rte/prompt_tuning/100/class_label/0", "base/rte/prompt_tuning/100/class_label/1",
      "small/rte/model_tuning///0", "small/rte/model_tuning///1",
      "small/rte/prompt_tuning/100/random_uniform/0", "base/rte/prompt_tuning/100/random_uniform/0",
      // the last rule only repeats grid trials: deduplicated by id
    ]);
    expect(new Set(trials.map((t) => t.id)).size).toBe(trials.length);
  });

  it("fills model, task and priority (per model, else per sweep)", () => {
    const small = expand(`grid: { model: [small, base], task: [rte] }\n`);
    expect(small[0].model).toEqual({ name: "small", checkpoint: "/ckpt/small", gpuMemoryGb: 4, params: 77000000 });
    expect(small[0].task).toEqual({ name: "rte", dataDir: "/data/RTE", format: "jsonl" });
    expect(small.map((t) => t.priority)).toEqual([100, 7]);
    expect(small[0].sweepName).toBe("t");
    const synth = expand(`grid: { model: [small], task: [synthetic] }\npriority: 3\n`);
    expect(synth[0].task).toEqual({ name: "synthetic" });
    expect(synth[0].priority).toBe(3);
  });

  it("shares frozen model, task and training objects between trials, and not with the spec", () => {
    const spec = parseSweep(base + "grid: { model: [small], task: [rte], seed: [0, 1] }\n", "t.yaml");
    const [a, b] = expandSweep(spec);
    expect(a.training).toBe(b.training);
    expect(() => {
      a.training.earlyStopping.patience = 9;
    }).toThrow(TypeError);
    expect(() => {
      a.model.checkpoint = "/x";
    }).toThrow(TypeError);
    expect(Object.isFrozen(spec.training.prompt_tuning)).toBe(false);
    expect(b.training.earlyStopping.patience).toBeNull();
  });

  it("refuses a hand-built spec that expands to nothing", () => {
    const spec = parseSweep(base + "grid: { model: [small], task: [rte] }\n", "t.yaml");
    expect(() => expandSweep({ ...spec, exclude: [{ task: ["rte"] }] })).toThrow(SweepError);
  });
});

describe("loadSweepFile", () => {
  it("resolves relative checkpoint and data paths against the YAML file's folder", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ptune-sweep-"));
    mkdirSync(path.join(dir, "sweeps"));
    const file = path.join(dir, "sweeps", "s.yaml");
    writeFileSync(file, `name: s
models:
  nano: { checkpoint: ../.ptune/models/t5-nano, gpu_memory_gb: 1, preset: t5-nano }
  home: { checkpoint: ~/ckpt, gpu_memory_gb: 1 }
tasks:
  rte: { data_dir: data/RTE }
grid: { model: [nano, home], task: [rte] }
`);
    const spec = loadSweepFile(file);
    expect(spec.models.nano.checkpoint).toBe(path.join(dir, ".ptune", "models", "t5-nano"));
    expect(spec.models.nano.preset).toBe("t5-nano");
    expect(spec.models.home.checkpoint).toBe(path.join(os.homedir(), "ckpt"));
    expect(spec.tasks.rte.dataDir).toBe(path.join(dir, "sweeps", "data", "RTE"));
    expect(expandSweep(spec)[0].model.preset).toBe("t5-nano");
    expect(spec.file).toBe(file);
  });

  it("fails with one line and no made-up position when the file cannot be read", () => {
    expect(() => loadSweepFile("/nonexistent/s.yaml")).toThrow(/^\/nonexistent\/s\.yaml: file not found$/);
    try {
      loadSweepFile("/nonexistent/s.yaml");
    } catch (e) {
      expect((e as SweepError).problems).toEqual([{ file: "/nonexistent/s.yaml", path: "", message: "file not found" }]);
    }
  });
});

describe("a large grid", () => {
  // Its speed is measured by the bench (npm run bench -w @ptune/sweep), not asserted here.
  it("expands 10,000 trials with distinct ids", () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(", ");
    const trials = expandSweep(parseSweep(`name: big
models: { s: { checkpoint: /m/s, gpu_memory_gb: 1 }, b: { checkpoint: /m/b, gpu_memory_gb: 2 } }
grid: { model: [s, b], task: [synthetic], prompt_length: [${list(50)}], init: [random_uniform, sampled_vocab], seed: [${list(50)}] }
`, "big.yaml"));
    expect(trials.length).toBe(10_000);
    expect(new Set(trials.map((t) => t.id)).size).toBe(10_000);
  });
});
