// Malformed sweeps: each must fail with ONE line naming file:line:col, the path, what was
// expected and what was found. Messages are asserted exactly.
import { describe, expect, it } from "vitest";
import { parseSweep, SweepError } from "../src/index.ts";

const FILE = "sweeps/x.yaml";

function errorOf(text: string): SweepError {
  try {
    parseSweep(text, FILE, { baseDir: "/tmp" });
  } catch (e) {
    if (e instanceof SweepError) return e;
    throw e;
  }
  throw new Error("expected a SweepError, the sweep parsed");
}

const head = `name: t
models:
  small: { checkpoint: models/small, gpu_memory_gb: 4 }
  base: { checkpoint: models/base, gpu_memory_gb: 8 }
`;

const cases: [string, string, string][] = [
  [
    "an init that is not one of the three",
    `${head}grid:
  model: [small]
  task: [synthetic]
  init: [random_uniform, uniform]
`,
    `${FILE}:8:26: grid.init[1]: expected one of random_uniform | sampled_vocab | class_label | file:<prompt.npy or PEFT adapter dir>, got "uniform"`,
  ],
  [
    "a YAML syntax error",
    `${head}grid:
  model: [small
  task: [synthetic]
`,
    `${FILE}:7:3: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
  ],
  [
    "two YAML documents",
    `${head}grid: { model: [small], task: [synthetic] }
---
name: u
`,
    `${FILE}:6:1: expected one YAML document, found another after ---`,
  ],
  [
    "an alias without its anchor",
    `${head}grid: { model: *sizes, task: [synthetic] }
`,
    `${FILE}:5:16: YAML error: alias *sizes has no anchor &sizes before it`,
  ],
  [
    "a duplicate key",
    `${head}grid:
  model: [small]
  task: [synthetic]
  model: [base]
`,
    `${FILE}:8:3: grid.model: duplicate key (first defined on line 6)`,
  ],
  [
    "an empty grid axis",
    `${head}grid:
  model: [small]
  task: []
`,
    `${FILE}:7:9: grid.task: expected a non-empty list of task names, got an empty list`,
  ],
  [
    "an axis with no value at all",
    `${head}grid:
  model: [small]
  task: [synthetic]
  seed:
`,
    `${FILE}:8:3: grid.seed: expected a non-empty list of integers >= 0, got an empty value`,
  ],
  [
    "an unknown model in the grid",
    `${head}grid:
  model: [small, xl]
  task: [synthetic]
`,
    `${FILE}:6:18: grid.model[1]: unknown model "xl"; expected one of the models defined under models: small | base`,
  ],
  [
    "prompt_length 0",
    `${head}grid:
  model: [small]
  task: [synthetic]
  prompt_length: [0, 5]
`,
    `${FILE}:8:19: grid.prompt_length[0]: expected an integer from 1 to 1024, got 0`,
  ],
  [
    "a seed beyond the database's 32-bit integer column",
    `${head}grid:
  model: [small]
  task: [synthetic]
  seed: [0, 2147483648]
`,
    `${FILE}:8:13: grid.seed[1]: expected an integer from 0 to 2147483647, got 2147483648`,
  ],
  [
    "parameter scaling, which the trainer does not implement",
    `${head}grid:
  model: [small]
  task: [synthetic]
training:
  parameter_scaling: true
`,
    `${FILE}:9:22: training.parameter_scaling: expected false (the paper's setting; parameter scaling is not implemented), got true`,
  ],
  [
    "a fractional prompt length",
    `${head}grid:
  model: [small]
  task: [synthetic]
  prompt_length: [5, 2.5]
`,
    `${FILE}:8:22: grid.prompt_length[1]: expected an integer from 1 to 1024, got 2.5`,
  ],
  [
    "an unknown top-level key (close to a known one)",
    `${head}grid:
  model: [small]
  task: [synthetic]
trainig:
  lr: 0.1
`,
    `${FILE}:8:1: trainig: unknown key (did you mean training?); expected one of name | priority | pack | models | tasks | grid | training | exclude | include | baseline`,
  ],
  [
    "an unknown key in a model entry",
    `name: t
models:
  small:
    checkpoint: models/small
    gpu_memory_gb: 4
    dtype: bf16
grid: { model: [small], task: [synthetic] }
`,
    `${FILE}:6:5: models.small.dtype: unknown key; expected one of checkpoint | gpu_memory_gb | params | preset | priority`,
  ],
  [
    "a model without gpu_memory_gb",
    `name: t
models:
  small:
    checkpoint: models/small
grid: { model: [small], task: [synthetic] }
`,
    `${FILE}:4:5: models.small.gpu_memory_gb: missing; expected a number of GiB > 0`,
  ],
  [
    "a missing name",
    `models:
  small: { checkpoint: models/small, gpu_memory_gb: 4 }
grid: { model: [small], task: [synthetic] }
`,
    `${FILE}:1:1: name: missing; expected a sweep name (letters, digits, _ . -)`,
  ],
  [
    "a task without a tasks: entry",
    `${head}grid:
  model: [small]
  task: [synthetic, boolq]
`,
    `${FILE}:7:21: grid.task[1]: unknown task "boolq"; expected one of synthetic (other tasks need an entry under tasks: with a data_dir)`,
  ],
  [
    "an unknown task format",
    `${head}tasks:
  boolq: { data_dir: data/BoolQ, format: csv }
grid:
  model: [small]
  task: [boolq]
`,
    `${FILE}:6:42: tasks.boolq.format: expected one of jsonl | tsv | parquet | squad, got "csv"`,
  ],
  [
    "a method that does not exist",
    `${head}grid:
  model: [small]
  task: [synthetic]
  method: [prompt_tuning, prefix_tuning]
`,
    `${FILE}:8:27: grid.method[1]: expected one of prompt_tuning | model_tuning, got "prefix_tuning"`,
  ],
  [
    "a duplicate axis value",
    `${head}grid:
  model: [small]
  task: [synthetic]
  seed: [0, 1, 0]
`,
    `${FILE}:8:16: grid.seed[2]: duplicate value 0 (already at index 0)`,
  ],
  [
    "a negative learning rate",
    `${head}grid: { model: [small], task: [synthetic] }
training:
  lr: -0.3
`,
    `${FILE}:7:7: training.lr: expected a learning rate > 0, got -0.3`,
  ],
  [
    "a learning rate written as a string",
    `${head}grid: { model: [small], task: [synthetic] }
training:
  lr: "0.3"
`,
    `${FILE}:7:7: training.lr: expected a learning rate > 0, got "0.3"`,
  ],
  [
    "a decay rate given as transformers' negative exponent",
    `${head}grid: { model: [small], task: [synthetic] }
training:
  decay_rate: -0.8
`,
    `${FILE}:7:15: training.decay_rate: expected a number in (0, 1] (the paper's 0.8), got -0.8`,
  ],
  [
    "an unknown key inside the model_tuning block",
    `${head}grid: { model: [small], task: [synthetic] }
training:
  model_tuning:
    learning_rate: 0.001
`,
    `${FILE}:8:5: training.model_tuning.learning_rate: unknown key; expected one of optimizer | lr | weight_decay | decay_rate | parameter_scaling | batch_size | steps | schedule | eval_every | checkpoint_every | max_input_length | max_target_length | early_stopping`,
  ],
  [
    "early stopping patience 0",
    `${head}grid: { model: [small], task: [synthetic] }
training:
  early_stopping: { patience: 0 }
`,
    `${FILE}:7:31: training.early_stopping.patience: expected an integer >= 1 (evaluations), or null, got 0`,
  ],
  [
    "an exclude rule naming an unknown model (scalar shorthand)",
    `${head}grid: { model: [small], task: [synthetic] }
exclude:
  - { model: xxl }
`,
    `${FILE}:7:14: exclude[0].model: unknown model "xxl"; expected one of the models defined under models: small | base`,
  ],
  [
    "an empty exclude rule",
    `${head}grid: { model: [small], task: [synthetic] }
exclude:
  - {}
`,
    `${FILE}:7:5: exclude[0]: expected at least one axis (model | task | method | prompt_length | init | seed); an empty rule would remove every trial`,
  ],
  [
    "a rule key that is not an axis",
    `${head}grid: { model: [small], task: [synthetic] }
include:
  - { method: model_tuning, size: base }
`,
    `${FILE}:7:29: include[0].size: unknown key; expected one of model | task | method | prompt_length | init | seed`,
  ],
  [
    "exclude rules that remove everything",
    `${head}grid: { model: [small], task: [synthetic] }
exclude:
  - { task: synthetic }
`,
    `${FILE}:6:1: exclude: the exclude rules remove every grid combination; expected at least one trial`,
  ],
  [
    "a priority out of BullMQ's range",
    `name: t
priority: 0
models:
  small: { checkpoint: models/small, gpu_memory_gb: 4 }
grid: { model: [small], task: [synthetic] }
`,
    `${FILE}:2:11: priority: expected an integer from 1 (runs first) to 2097152, got 0`,
  ],
  [
    "a pack size out of range",
    `name: t
pack: 0
models:
  small: { checkpoint: models/small, gpu_memory_gb: 4 }
grid: { model: [small], task: [synthetic] }
`,
    `${FILE}:2:7: pack: expected an integer from 1 (one trial per job) to 64, got 0`,
  ],
  [
    "a model name with a space",
    `name: t
models:
  t5 small: { checkpoint: models/small, gpu_memory_gb: 4 }
grid: { model: [small], task: [synthetic] }
`,
    `${FILE}:3:3: models["t5 small"]: expected a model name (letters, digits, _ . -), got "t5 small"\n` +
      `${FILE}:4:17: grid.model[0]: unknown model "small"; expected one of the models defined under models: t5 small`,
  ],
  [
    "an unknown preset",
    `name: t
models:
  small: { checkpoint: models/small, gpu_memory_gb: 4, preset: t5-huge }
grid: { model: [small], task: [synthetic] }
`,
    `${FILE}:3:64: models.small.preset: expected one of t5-nano | t5-micro | t5-mini, got "t5-huge"`,
  ],
  [
    "a preset with an hf: checkpoint",
    `name: t
models:
  small: { checkpoint: "hf:google/t5-small-lm-adapt", gpu_memory_gb: 4, preset: t5-nano }
grid: { model: [small], task: [synthetic] }
`,
    `${FILE}:3:81: models.small.preset: a preset creates a random model in a local folder; it cannot be combined with an hf: checkpoint (remove preset:, or give a local folder as checkpoint)`,
  ],
  [
    "two model names that share a queue",
    `name: t
models:
  xl: { checkpoint: models/xl, gpu_memory_gb: 40 }
  XL: { checkpoint: models/xl2, gpu_memory_gb: 40 }
grid: { model: [xl], task: [synthetic] }
`,
    `${FILE}:4:3: models.XL: model names "xl" and "XL" both route to the queue ptune-trials-xl; expected names that differ in more than case and punctuation`,
  ],
  [
    "a model name that is also an Object.prototype property",
    `${head}grid:
  model: [toString]
  task: [synthetic]
`,
    `${FILE}:6:11: grid.model[0]: unknown model "toString"; expected one of the models defined under models: small | base`,
  ],
  [
    "a grid that is a list",
    `${head}grid: [small, synthetic]
`,
    `${FILE}:5:7: grid: expected a mapping of axes (model, task, method?, prompt_length?, init?, seed?) to lists of values, got a list`,
  ],
  [
    "an empty document",
    `# nothing but a comment
`,
    `${FILE}:1:1: expected a sweep mapping with name, models and grid, got an empty document`,
  ],
  [
    "a document that is a list",
    `- name: t
`,
    `${FILE}:1:1: expected a sweep mapping with name, models, grid and optional tasks, training, exclude, include, baseline, priority, pack, got a list`,
  ],
];

describe("malformed sweeps", () => {
  it.each(cases)("%s", (_what, text, message) => {
    const err = errorOf(text);
    expect(err.message).toBe(message);
    expect(err.problems).toHaveLength(message.split("\n").length);
  });

  it("has at least 15 cases", () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it("reports the earliest problem first and keeps the others", () => {
    const err = errorOf(`name: t
models:
  small: { checkpoint: models/small, gpu_memory_gb: -1 }
grid:
  model: [small]
  task: [synthetic]
  init: [nope]
`);
    expect(err.message).toBe(
      `${FILE}:3:53: models.small.gpu_memory_gb: expected a number of GiB > 0, got -1\n` +
        `${FILE}:7:10: grid.init[0]: expected one of random_uniform | sampled_vocab | class_label | file:<prompt.npy or PEFT adapter dir>, got "nope"`,
    );
    expect(err.problems.map((p) => `${p.line}:${p.col} ${p.path}`)).toEqual(["3:53 models.small.gpu_memory_gb", "7:10 grid.init[0]"]);
    expect([err.file, err.line, err.col, err.path]).toEqual([FILE, 3, 53, "models.small.gpu_memory_gb"]);
  });
});
