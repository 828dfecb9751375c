// Trial identity: canonical JSON, stability across sweeps, what does and does not change an id.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, expandSweep, parseSweep, queueNameFor, trialHash, type Trial } from "../src/index.ts";

const sweep = (name: string, extra = "", models = "small: { checkpoint: /ckpt/small, gpu_memory_gb: 4 }") =>
  expandSweep(parseSweep(`name: ${name}
models:
  ${models}
grid: { model: [small], task: [synthetic], prompt_length: [5, 20], seed: [0, 1] }
${extra}`, `${name}.yaml`));

describe("canonicalJson", () => {
  it("sorts keys at every depth, drops undefined, keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: undefined, b: null } })).toBe('{"a":{"b":null,"d":[3,1]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
  it("caches only deeply frozen objects", () => {
    const inner = { b: 1 };
    const outer = Object.freeze({ a: inner });
    expect(canonicalJson(outer)).toBe('{"a":{"b":1}}');
    inner.b = 2; // outer is frozen but inner is not: its JSON must not be cached
    expect(canonicalJson(outer)).toBe('{"a":{"b":2}}');
  });
  it("refuses numbers without a JSON form", () => {
    expect(() => canonicalJson({ lr: Number.NaN })).toThrow("NaN");
  });
});

describe("trialHash", () => {
  it("is the sha256 of the documented canonical identity", () => {
    const [t] = sweep("a");
    // Written out by hand: this pins the identity format (bump TRIAL_IDENTITY_VERSION to change it).
    const identity =
      '{"init":"class_label","method":"prompt_tuning","model":{"checkpoint":"/ckpt/small","name":"small"},"promptLength":5,"seed":0,' +
      '"task":{"name":"synthetic"},"training":{"batchSize":32,"checkpointEvery":1000,"decayRate":0.8,' +
      '"earlyStopping":{"metric":null,"patience":null},"evalEvery":1000,"lr":0.3,"maxInputLength":512,"maxTargetLength":64,' +
      '"optimizer":"adafactor","parameterScaling":false,"schedule":"constant","steps":30000,"weightDecay":0.00001},"v":1}';
    expect(t.id).toBe(createHash("sha256").update(identity).digest("hex").slice(0, 32));
    expect(t.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("gives the same ids to the same trials in overlapping sweeps with other names and priorities", () => {
    const a = sweep("a");
    const b = expandSweep(parseSweep(`name: b
priority: 5
models:
  small: { checkpoint: /ckpt/small, gpu_memory_gb: 16, params: 1, priority: 2 }
grid: { model: [small], task: [synthetic], prompt_length: [20, 100], seed: [1, 0] }
`, "b.yaml"));
    const shared = a.filter((t) => t.promptLength === 20).map((t) => t.id).sort();
    const fromB = b.filter((t) => t.promptLength === 20).map((t) => t.id).sort();
    expect(fromB).toEqual(shared);
    expect(b.filter((t) => t.promptLength === 100).some((t) => a.some((x) => x.id === t.id))).toBe(false);
  });

  it("is the same on resubmission and independent of key order in the YAML", () => {
    const a = sweep("a").map((t) => t.id);
    const again = expandSweep(parseSweep(`grid: { seed: [0, 1], prompt_length: [5, 20], task: [synthetic], model: [small] }
models:
  small: { gpu_memory_gb: 4, checkpoint: /ckpt/small }
name: a
`, "a.yaml")).map((t) => t.id);
    expect(new Set(again)).toEqual(new Set(a));
  });

  it("changes with anything that changes the run: checkpoint path, training, seed, init", () => {
    const [t] = sweep("a");
    const variants: Omit<Trial, "id">[] = [
      { ...t, model: { ...t.model, checkpoint: "/elsewhere/small" } },
      { ...t, training: { ...t.training, lr: 0.1 } },
      { ...t, training: { ...t.training, earlyStopping: { metric: "f1", patience: null } } },
      { ...t, seed: 7 },
      { ...t, init: "sampled_vocab" },
      { ...t, task: { name: "synthetic", dataDir: "/d" } },
    ];
    for (const v of variants) expect(trialHash(v)).not.toBe(t.id);
    expect(trialHash({ ...t, sweepName: "other", priority: 1, model: { ...t.model, gpuMemoryGb: 80 } })).toBe(t.id);
  });

  it("ignores pack (a scheduling hint): pack: 3 keeps every id; it defaults to 1", () => {
    const plain = parseSweep(`name: a\nmodels:\n  small: { checkpoint: /ckpt/small, gpu_memory_gb: 4 }\ngrid: { model: [small], task: [synthetic] }\n`, "a.yaml");
    expect(plain.pack).toBe(1);
    const packed = sweep("a", "pack: 3\n");
    expect(packed.map((t) => t.id)).toEqual(sweep("a").map((t) => t.id));
  });

  it("treats explicit defaults like omitted ones", () => {
    const a = sweep("a").map((t) => t.id);
    const b = sweep("a", "training: { lr: 0.3, batch_size: 32, early_stopping: { metric: null } }\n").map((t) => t.id);
    expect(b).toEqual(a);
  });
});

describe("queueNameFor", () => {
  it("routes one queue per model size, with a BullMQ-safe name", () => {
    expect(queueNameFor("xxl")).toBe("ptune-trials-xxl");
    expect(queueNameFor("T5.Small:v1")).toBe("ptune-trials-t5-small-v1");
    expect(() => queueNameFor("::")).toThrow("no letters or digits");
  });
});
