// Every problem at once, grid counting and the trial cap, absurd values, the baseline, and the
// canonical spec that sweep versions compare.
import { describe, expect, it } from "vitest";
import { canonicalSpecJson, countGrid, expandSweep, parseSweep, summarizeSpecChanges, canonicalSpec, SweepError } from "../src/index.ts";
import { sweepCombos } from "../src/combos.ts";

const FILE = "s.yaml";
const errorOf = (text: string): SweepError => {
  try {
    parseSweep(text, FILE, { baseDir: "/tmp" });
  } catch (e) {
    if (e instanceof SweepError) return e;
    throw e;
  }
  throw new Error("expected a SweepError");
};
const models = `models:
  small: { checkpoint: /m/s, gpu_memory_gb: 1 }
  base: { checkpoint: /m/b, gpu_memory_gb: 2 }
`;

describe("every problem at once", () => {
  it("lists every mistake of one file, each with file:line:col, one per line", () => {
    const err = errorOf(`name: six
models:
  small: { checkpoint: /m/s, gpu_memory_gb: -1 }
grid:
  model: [small, large]
  task: [synthetic, rte]
  init: [uniform]
  prompt_length: [100000]
training: { stepz: 10 }
exclude:
  - {}
`);
    expect(err.problems.map((p) => `${p.line}:${p.col} ${p.path}`)).toEqual([
      "3:45 models.small.gpu_memory_gb",
      "5:18 grid.model[1]",
      "6:21 grid.task[1]",
      "7:10 grid.init[0]",
      "8:19 grid.prompt_length[0]",
      "9:13 training.stepz",
      "11:5 exclude[0]",
    ]);
    const lines = err.message.split("\n");
    expect(lines).toHaveLength(err.problems.length);
    expect(lines.every((l) => /^s\.yaml:\d+:\d+: /.test(l))).toBe(true);
    expect(lines[4]).toBe("s.yaml:8:19: grid.prompt_length[0]: expected an integer from 1 to 1024, got 100000");
    for (const p of err.problems) expect(Object.keys(p).sort()).toEqual(["col", "file", "line", "message", "path"]);
  });

  it("rejects absurd training values at parse time, naming the field", () => {
    expect(errorOf(`name: t\n${models}grid: { model: [small], task: [synthetic] }\ntraining: { batch_size: 10000000, max_input_length: 1000000 }\n`).message).toBe(
      [
        "s.yaml:6:25: training.batch_size: expected an integer from 1 to 65536, got 10000000",
        "s.yaml:6:53: training.max_input_length: expected an integer from 1 to 8192 (tokens), got 1000000",
      ].join("\n"),
    );
  });
});

describe("countGrid", () => {
  const specs = [
    "grid: { model: [small, base], task: [synthetic], prompt_length: [1, 5, 20], init: [random_uniform, class_label], seed: [0, 1] }",
    "grid: { model: [small, base], task: [synthetic], method: [prompt_tuning, model_tuning], prompt_length: [1, 5], init: [random_uniform, class_label], seed: [0, 1, 2] }\nexclude:\n  - { model: base, prompt_length: 5 }\n  - { init: class_label, seed: [1, 2] }\n  - { method: model_tuning, model: small }",
    "grid: { model: [small], task: [synthetic], prompt_length: [1, 5], seed: [0, 1] }\nexclude: [{ prompt_length: 5 }, { seed: 1 }, { prompt_length: 5, seed: 1 }]\ninclude: [{ model: base, method: model_tuning }, { prompt_length: 7 }]",
  ];
  it.each(specs)("equals the number of combinations the expansion walks: %s", (grid) => {
    const spec = parseSweep(`name: c\n${models}${grid}\n`, FILE);
    expect(countGrid(spec)).toBe([...sweepCombos(spec)].length);
  });

  it("refuses a 10^7-trial grid before expanding it, naming the count", () => {
    const list = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(", ")}]`;
    const spec = parseSweep(`name: huge\n${models}grid: { model: [small, base], task: [synthetic], prompt_length: ${list(1000).replace("[0, ", "[")}, init: [random_uniform, sampled_vocab, class_label], seed: ${list(1667)} }\n`, FILE);
    expect(countGrid(spec)).toBe(2 * 999 * 3 * 1667);
    expect(() => expandSweep(spec)).toThrow("s.yaml: grid: the sweep expands to 9,991,998 trials, more than the limit of 100,000; shrink the grid or split the sweep (or raise the limit: maxTrials)");
    expect(() => expandSweep({ ...spec, grid: { ...spec.grid, seed: [0] } }, { maxTrials: 5994 })).not.toThrow();
    expect(() => expandSweep({ ...spec, grid: { ...spec.grid, seed: [0] } }, { maxTrials: 5993 })).toThrow(/5,994 trials, more than the limit of 5,993/);
  });
});

describe("baseline", () => {
  const spec = (grid: string, extra = "") => parseSweep(`name: b\n${models}grid: { model: [small], task: [synthetic], ${grid} }\n${extra}`, FILE);
  it("defaults to the paper's prompt length 100 and class-label init when the grid has them", () => {
    expect(spec("prompt_length: [20, 100], init: [random_uniform, class_label]").baseline).toEqual({ promptLength: 100, init: "class_label" });
    expect(spec("").baseline).toEqual({ promptLength: 100, init: "class_label" });
  });
  it("is an axis' only value, or none when several values hold no default", () => {
    expect(spec("prompt_length: [20], init: [random_uniform, sampled_vocab]").baseline).toEqual({ promptLength: 20, init: null });
  });
  it("is the explicit baseline: when given, which must be a grid value", () => {
    expect(spec("prompt_length: [20, 100]", "baseline: { prompt_length: 20 }\n").baseline).toEqual({ promptLength: 20, init: "class_label" });
    expect(() => spec("prompt_length: [20, 100]", "baseline: { prompt_length: 50, init: sampled_vocab }\n")).toThrow(
      "s.yaml:6:28: baseline.prompt_length: expected one of the grid's values (20 | 100), got 50\ns.yaml:6:38: baseline.init: expected one of the grid's values (class_label), got \"sampled_vocab\"",
    );
  });
});

describe("canonical spec", () => {
  const base = `name: v\n${models}grid: { model: [small], task: [synthetic], seed: [0, 1] }\ntraining: { steps: 40 }\n`;
  it("ignores the order of axis values and the scheduling hints", () => {
    const a = parseSweep(base, FILE);
    const b = parseSweep(base.replace("seed: [0, 1]", "seed: [1, 0]").replace("name: v", "name: v\npriority: 3\npack: 4").replace("gpu_memory_gb: 1", "gpu_memory_gb: 9"), "other.yaml");
    expect(canonicalSpecJson(b)).toBe(canonicalSpecJson(a));
  });
  it("summarises what changed", () => {
    const a = canonicalSpec(parseSweep(base, FILE));
    const b = canonicalSpec(parseSweep(base.replace("steps: 40", "steps: 60").replace("seed: [0, 1]", "seed: [0, 1, 2]"), FILE));
    expect(summarizeSpecChanges(a, b)).toBe("grid.seed [0,1] -> [0,1,2]; training.steps 40 -> 60");
  });
  it("reports model tuning's own settings only where they differ from the base ones", () => {
    const mt = base.replace("seed: [0, 1]", "seed: [0, 1], method: [prompt_tuning, model_tuning]");
    const a = canonicalSpec(parseSweep(mt, FILE));
    expect(a.training).toMatchObject({ lr: 0.3, model_tuning: { lr: 0.001 } });
    const b = canonicalSpec(parseSweep(mt.replace("steps: 40", "steps: 40, model_tuning: { batch_size: 8 }"), FILE));
    expect(summarizeSpecChanges(a, b)).toBe("training.model_tuning.batch_size (none) -> 8");
  });
});
