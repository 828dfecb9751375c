import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { goldenDir, goldenFile, fixtureModel } from "../../../../tooling/test-env.ts";
import { asInt32, readSafetensorsFile } from "../checkpoint/safetensors.ts";
import { T5Tokenizer } from "./tokenizer.ts";

const meta = JSON.parse(readFileSync(path.join(goldenDir, "golden-meta.json"), "utf8")) as {
  inputs: string[]; targets: string[];
  log: { tokenize: { text: string; spm_ids: number[]; ids: number[]; decoded: string }[] };
};
const tok = T5Tokenizer.fromDir(path.join(goldenDir, "tokenizer"));
const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-tok-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("T5Tokenizer on the fixture tokenizer", () => {
  it("knows T5's special ids; <extra_id_0> is the last id", () => {
    expect([tok.vocabSize, tok.padId, tok.eosId, tok.unkId]).toEqual([1100, 0, 1, 2]);
    expect(tok.sentinel(0)).toBe(1099);
    expect(tok.sentinel(99)).toBe(1000);
    expect(tok.numSentinels).toBe(100);
    expect(() => tok.sentinel(100)).toThrow(/no sentinel <extra_id_100>/);
  });

  it.each(meta.log.tokenize.map((e) => [JSON.stringify(e.text), e] as const))("golden-meta log.tokenize %s", (_, e) => {
    expect(tok.encode(e.text)).toEqual(e.ids);
    expect(tok.encode(e.text, { addEos: false })).toEqual(e.spm_ids.length ? e.ids.slice(0, -1) : []);
    expect(tok.decode(e.ids)).toBe(e.decoded);
  });

  it("recomputes the golden input_ids / attention_mask / labels (padding=True, pad 0 -> -100 in labels)", () => {
    for (const v of ["v1_0", "v1_1"] as const) {
      const g = readSafetensorsFile(goldenFile(v));
      const pad = (rows: number[][]) => {
        const L = Math.max(...rows.map((r) => r.length));
        return { L, ids: rows.flatMap((r) => [...r, ...Array(L - r.length).fill(0)]), mask: rows.flatMap((r) => [...r.map(() => 1), ...Array(L - r.length).fill(0)]) };
      };
      const enc = pad(tok.encodeBatch(meta.inputs));
      expect(g.get("input_ids")!.shape).toEqual([3, enc.L]);
      expect(Array.from(asInt32(g.get("input_ids")!))).toEqual(enc.ids);
      expect(Array.from(asInt32(g.get("attention_mask")!))).toEqual(enc.mask);
      const lab = pad(tok.encodeBatch(meta.targets));
      expect(Array.from(asInt32(g.get("labels")!))).toEqual(lab.ids.map((i) => (i === 0 ? -100 : i)));
    }
  });

  it("the model directories carry the same tokenizer", () => {
    const t = T5Tokenizer.fromDir(fixtureModel("v1_1"));
    expect(t.encode(meta.inputs[1])).toEqual(tok.encode(meta.inputs[1]));
  });

  it("decodes with and without special tokens; -100 is ignored; empty is empty", () => {
    const ids = tok.encode("sentinels <extra_id_0> fill");
    expect(ids).toContain(1099);
    expect(tok.decode(ids, { skipSpecialTokens: false })).toBe("sentinels<extra_id_0> fill</s>");
    expect(tok.decode([...tok.encode("Hello world"), -100, -100])).toBe("Hello world");
    expect(tok.decode([])).toBe("");
    expect(tok.decode(tok.encode("a , b ! c 's"))).toBe("a , b ! c 's"); // lossless, like SentencePiece
    expect(() => tok.decode([5000])).toThrow(/cannot decode id 5000/);
  });
});

describe("Precompiled normalizer (port of spm_precompiled) where it differs from NFKC", () => {
  // Expected values follow the charsmap (SentencePiece nmt_nfkc) and tokenizers' grapheme rule;
  // the JS library's NFKC approximation gets each of these wrong.
  const cases: [string, string, string][] = [
    ["zero-width space becomes a space", "x\u200by", "x y"],
    ["tab and newline become spaces", "a\tb\nc", "a b c"],
    ["control characters are removed", "a\u0001b\u007f", "ab"],
    ["BOM becomes a space", "\ufeffword", " word"],
    ["zero-width joiner is kept (no charsmap entry)", "a\u200db", "a\u200db"],
    ["full-width letter + combining mark: the cluster maps by its shortest prefix", "\uff21\u0301", "A"],
    ["two combining marks: the cluster maps by its shortest prefix", "e\u0301\u0301x", "\u00e9x"],
    ["full-width digits and letters", "\uff11\uff12\uff21", "12A"],
    ["ligature", "\ufb03", "ffi"],
  ];
  it.each(cases)("%s", (_, input, want) => {
    expect(tok.normalize(input)).toBe(want);
  });

  it("WhitespaceSplit uses Rust's whitespace set (U+0085 splits)", () => {
    expect(tok.encode("a\u0085b")).toEqual(tok.encode("a b"));
  });

  it("ids follow the normalized text", () => {
    expect(tok.encode("x\u200by")).toEqual(tok.encode("x y"));
    expect(tok.encode("\uff21\u0301 cat")).toEqual(tok.encode("A cat"));
  });
});

describe("tokenizer errors", () => {
  it("names the file and what was expected", () => {
    expect(() => T5Tokenizer.fromDir(path.join(tmp, "nope"))).toThrow(/tokenizer.json: cannot read tokenizer.json \(ENOENT\)/);
    const f = path.join(tmp, "tokenizer.json");
    writeFileSync(f, JSON.stringify({ model: { type: "BPE", vocab: {}, merges: [] } }));
    expect(() => T5Tokenizer.fromFile(f)).toThrow(`${f}: model.type is "BPE", expected "Unigram" (SentencePiece, as T5 uses)`);
  });
});
