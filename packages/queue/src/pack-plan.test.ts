import { expandSweep, parseSweep } from "@ptune/sweep";
import { packCompatibilityKey } from "@ptune/trainer";
import { describe, expect, it } from "vitest";
import { packGroupKey, packJobId, planPacks, sweepJobs } from "./pack-plan.ts";
import { trialToSpec } from "./processor/trial-to-spec.ts";

const yaml = (pack: number, extra = "") => `
name: packing
pack: ${pack}
models:
  tiny: { checkpoint: /tmp/tiny, gpu_memory_gb: 1 }
  other: { checkpoint: /tmp/other, gpu_memory_gb: 1 }
grid:
  model: [tiny, other]
  task: synthetic
  method: [prompt_tuning, model_tuning]
  prompt_length: [3, 5]
  init: [random_uniform, sampled_vocab]
  seed: [0, 1]
${extra}`;
const trialsOf = (pack: number, extra = "") => {
  const spec = parseSweep(yaml(pack, extra), "packing.yaml");
  return { spec, trials: expandSweep(spec) };
};

describe("planPacks", () => {
  it("groups prompt-tuning trials per model into packs of at most K; model tuning stays single", () => {
    const { trials } = trialsOf(3);
    const pt = trials.filter((t) => t.method === "prompt_tuning");
    expect(pt).toHaveLength(16); // 2 models x 2 lengths x 2 inits x 2 seeds
    const plan = planPacks(trials, 3);
    // per model 8 trials -> 3 + 3 + 2
    expect(plan.packs.map((p) => p.trialIds.length).sort()).toEqual([2, 2, 3, 3, 3, 3]);
    expect(plan.singles.every((t) => t.method === "model_tuning")).toBe(true);
    expect(plan.singles).toHaveLength(trials.length - 16);
    for (const p of plan.packs) {
      const members = trials.filter((t) => p.trialIds.includes(t.id));
      expect(new Set(members.map((t) => t.model.name))).toEqual(new Set([p.model]));
      expect(p.id).toBe(packJobId(p.trialIds));
      expect(p.id).toMatch(/^pack-[0-9a-f]{32}$/);
    }
    // every trial in exactly one job
    const all = [...plan.packs.flatMap((p) => p.trialIds), ...plan.singles.map((t) => t.id)].sort();
    expect(all).toEqual(trials.map((t) => t.id).sort());
  });

  it("K = 1 is one job per trial; a leftover of one trains alone; ids do not depend on order", () => {
    const { trials } = trialsOf(1);
    expect(planPacks(trials, 1)).toEqual({ packs: [], singles: trials });
    const plan = planPacks(trials, 7); // 8 per model -> 7 + 1
    expect(plan.packs.map((p) => p.trialIds.length)).toEqual([7, 7]);
    expect(plan.singles.filter((t) => t.method === "prompt_tuning")).toHaveLength(2);
    expect(packJobId(["b", "a"])).toBe(packJobId(["a", "b"]));
    expect(packJobId(["a", "b"])).not.toBe(packJobId(["a", "c"]));
    expect(() => planPacks(trials, 0)).toThrow(/pack size must be an integer >= 1/);
  });

  it("splits groups where the packed trainer cannot share a batch (max lengths), like packCompatibilityKey", () => {
    const { trials } = trialsOf(4);
    const pt = trials.filter((t) => t.method === "prompt_tuning");
    const longer = pt.slice(0, 3).map((t) => ({ ...t, id: `${t.id}x`, training: { ...t.training, maxInputLength: t.training.maxInputLength + 1 } }));
    const keys = (ts: typeof pt) => ts.map((t) => [packGroupKey(t), packCompatibilityKey(trialToSpec(t))]);
    // the queue's key agrees with the trainer's wherever the trainer's says "compatible"
    for (const [a, b] of keys([...pt, ...longer])) for (const [c, d] of keys([...pt, ...longer])) if (a === c) expect(b).toBe(d);
    expect(packGroupKey(longer[0])).not.toBe(packGroupKey(pt[0]));
    const plan = planPacks([...pt.filter((t) => t.model.name === "tiny"), ...longer.filter((t) => t.model.name === "tiny")], 4);
    for (const p of plan.packs) {
      const lens = new Set([...pt, ...longer].filter((t) => p.trialIds.includes(t.id)).map((t) => t.training.maxInputLength));
      expect(lens.size).toBe(1);
    }
  });

  it("sweepJobs keeps the packs of the whole sweep, queuing those with a trial still to run", () => {
    const { trials } = trialsOf(3);
    const first = sweepJobs("1", trials, trials, 3);
    const packs = first.filter((j) => j.trialIds);
    expect(packs).toHaveLength(6);
    const done = new Set(packs[0].trialIds!.concat(packs[1].trialIds!.slice(0, 1)));
    const again = sweepJobs("1", trials, trials.filter((t) => !done.has(t.id)), 3);
    // the first pack is finished; the second keeps its id (BullMQ dedupes it) although one trial is done
    expect(again.filter((j) => j.trialIds).map((j) => j.trialId)).toEqual(packs.slice(1).map((j) => j.trialId));
    expect(again.find((j) => j.trialId === packs[1].trialId)).toEqual({ sweepId: "1", trialId: packs[1].trialId, model: packs[1].model, trialIds: packs[1].trialIds, priority: 100 });
  });
});
