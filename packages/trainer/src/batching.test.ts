import path from "node:path";
import { describe, expect, it } from "vitest";
import { T5Tokenizer } from "@ptune/t5";
import { goldenDir } from "../../../tooling/test-env.ts";
import { buildBatch, encodeExample, EpochSampler } from "./batching.ts";

const tok = T5Tokenizer.fromFile(path.join(goldenDir, "tokenizer", "tokenizer.json"));
const limits = { maxInputLength: 64, maxTargetLength: 8 };

describe("batching", () => {
  it("encodes input + eos and target + eos like the tokenizer's own eos template", () => {
    const e = encodeExample(tok, { input: "The queue module implements multi-producer queues.", target: "True" }, limits);
    expect(e.input).toEqual(tok.encode("The queue module implements multi-producer queues."));
    expect(e.target).toEqual(tok.encode("True"));
    expect(e.input.at(-1)).toBe(1);
  });

  it("truncates to max length keeping eos last (append_eos_after_trim)", () => {
    const long = "the module implements multi-producer, multi-consumer queues ".repeat(20);
    const e = encodeExample(tok, { input: long, target: long }, { maxInputLength: 16, maxTargetLength: 5 });
    expect(e.input.length).toBe(16);
    expect(e.target.length).toBe(5);
    expect(e.input.slice(0, 15)).toEqual(tok.encode(long, { addEos: false }).slice(0, 15));
    expect(e.input.at(-1)).toBe(tok.eosId);
    expect(e.target.at(-1)).toBe(tok.eosId);
  });

  it("pads to the batch maximum with 0 / mask 0 / labels -100, or to the fixed maxima", () => {
    const ex = [
      { input: [5, 6, 7, 1], target: [9, 1] },
      { input: [8, 1], target: [10, 11, 12, 1] },
    ];
    const b = buildBatch(ex);
    expect([b.batchSize, b.inputLen, b.targetLen]).toEqual([2, 4, 4]);
    expect(Array.from(b.inputIds)).toEqual([5, 6, 7, 1, 8, 1, 0, 0]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(b.labels)).toEqual([9, 1, -100, -100, 10, 11, 12, 1]);
    const f = buildBatch(ex, { pad: "max", limits: { maxInputLength: 6, maxTargetLength: 5 } });
    expect([f.inputLen, f.targetLen]).toEqual([6, 5]);
    expect(Array.from(f.labels.subarray(0, 5))).toEqual([9, 1, -100, -100, -100]);
    expect(() => buildBatch([])).toThrow(/no examples/);
  });

  it("reproduces the golden batch's ids, mask and labels from the golden texts", async () => {
    const { readFileSync } = await import("node:fs");
    const { readSafetensorsFile, asInt32 } = await import("@ptune/t5");
    const meta = JSON.parse(readFileSync(path.join(goldenDir, "golden-meta.json"), "utf8")) as { inputs: string[]; targets: string[] };
    const g = readSafetensorsFile(path.join(goldenDir, "golden-t5-tiny-v1_1.safetensors"));
    const b = buildBatch(meta.inputs.map((input, i) => encodeExample(tok, { input, target: meta.targets[i] }, { maxInputLength: 512, maxTargetLength: 64 })));
    expect(Array.from(b.inputIds)).toEqual(Array.from(asInt32(g.get("input_ids")!)));
    expect(Array.from(b.attentionMask)).toEqual(Array.from(asInt32(g.get("attention_mask")!)));
    expect(Array.from(b.labels)).toEqual(Array.from(asInt32(g.get("labels")!)));
  });

  it("shuffles each epoch with a seed; the position alone restores the stream", () => {
    const a = new EpochSampler(10, 7);
    const first = a.next(25); // 2.5 epochs
    for (let e = 0; e < 2; e++) expect([...first.slice(e * 10, e * 10 + 10)].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first.slice(0, 10)).not.toEqual(first.slice(10, 20)); // a fresh order per epoch
    expect(a.position).toEqual({ epoch: 2, index: 5 });
    const b = new EpochSampler(10, 7);
    b.next(13);
    const resumed = new EpochSampler(10, 7, b.position);
    expect(resumed.next(12)).toEqual(first.slice(13));
    expect(new EpochSampler(10, 8).next(10)).not.toEqual(first.slice(0, 10));
  });
});
