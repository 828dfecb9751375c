// Hugging Face references and prompt-file inits in a sweep: hf: checkpoints and data dirs are kept
// as written (resolved through the Hugging Face cache at use time, @ptune/t5 resolveModelRef), and
// `init: file:<path>` is resolved against the sweep file's folder like any other path.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expandSweep, parseSweep } from "../src/index.ts";

const text = `name: hub
models:
  base: { checkpoint: "hf:google/t5-base-lm-adapt", gpu_memory_gb: 8 }
  pinned: { checkpoint: "hf:google/t5-small-lm-adapt@${"a".repeat(40)}", gpu_memory_gb: 4 }
tasks:
  rte: { data_dir: "hf:datasets/aps/super_glue/rte@refs/convert/parquet" }
grid:
  model: [base, pinned]
  task: [rte]
  prompt_length: [100]
  init: [class_label, "file:prompts/rte.npy"]
`;

describe("hf: references and file: inits in a sweep", () => {
  it("keeps hf: references as written and resolves file: inits against the sweep's folder", () => {
    const spec = parseSweep(text, "sweeps/hub.yaml", { baseDir: "/work/sweeps" });
    expect(spec.models.base!.checkpoint).toBe("hf:google/t5-base-lm-adapt");
    expect(spec.models.pinned!.checkpoint).toBe(`hf:google/t5-small-lm-adapt@${"a".repeat(40)}`);
    expect(spec.tasks.rte!.dataDir).toBe("hf:datasets/aps/super_glue/rte@refs/convert/parquet");
    expect(spec.grid.init).toEqual(["class_label", `file:${path.resolve("/work/sweeps", "prompts/rte.npy")}`]);
    const trials = expandSweep(spec);
    expect(trials.map((t) => t.init)).toEqual(["class_label", "file:/work/sweeps/prompts/rte.npy", "class_label", "file:/work/sweeps/prompts/rte.npy"]);
  });
});
